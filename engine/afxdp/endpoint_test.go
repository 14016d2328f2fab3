package afxdp

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/core"
)

// Every malformed xdp:// address is refused at once, as ErrEndpoint, with
// a reason that names what is wrong; the well-formed ones parse.
func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		addr string
		bind bool
		want string // "" when it parses
	}{
		{"10.0.0.1:5555", false, ""},
		{"eth0/10.0.0.1:5555", false, ""},
		{"10.0.0.1:*", true, ""},
		{"10.0.0.1:0", true, ""},
		{"", false, "want [IFACE/]IPv4:PORT"},
		{"eth0", false, "want [IFACE/]IPv4:PORT"},
		{"10.0.0.1", false, "want [IFACE/]IPv4:PORT"},
		{"/10.0.0.1:5555", false, "empty interface name"},
		{"*:5555", true, "not a wildcard"},
		{"0.0.0.0:5555", true, "not a wildcard"},
		{"eth0:5555", true, `"eth0" is not an IPv4 address`},
		{"localhost:5555", false, `"localhost" is not an IPv4 address`},
		{"[::1]:5555", false, "IPv4 only"},
		{"::1:5555", false, "IPv4 only"},
		{"eth0/fe80::1:5555", false, "IPv4 only"},
		{"10.0.0.1:99999", false, `port "99999"`},
		{"10.0.0.1:-1", false, `port "-1"`},
		{"10.0.0.1: 5555", false, `port " 5555"`},
		{"10.0.0.1:", false, `port ""`},
		{"10.0.0.1:0", false, "connect needs a port"},
		{"10.0.0.1:*", false, "connect needs a port"},
	} {
		e, err := parseEndpoint(tc.addr, tc.bind)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q (bind %v): %v", tc.addr, tc.bind, err)
		case tc.want == "" && "xdp://"+e.String() != "xdp://"+tc.addr && !strings.HasSuffix(tc.addr, ":*"):
			t.Errorf("%q parsed as %q", tc.addr, e)
		case tc.want != "" && (!errors.Is(err, core.ErrEndpoint) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q (bind %v): error %v, want ErrEndpoint saying %q", tc.addr, tc.bind, err, tc.want)
		}
	}
}

// An interface the host does not have is a configuration error that
// Connect and Bind report at once, not something a retry mends.
func TestEndpointUnknownInterface(t *testing.T) {
	tr := New(Config{})
	defer tr.Close()
	const addr = "zx-no-such-if/10.0.0.1:5555"
	if err := tr.CheckDial(addr); !errors.Is(err, core.ErrEndpoint) || !strings.Contains(err.Error(), `no interface named "zx-no-such-if"`) {
		t.Errorf("CheckDial(%q): %v, want ErrEndpoint naming the interface", addr, err)
	}
	if l, err := tr.Listen(addr, &core.Options{}); !errors.Is(err, core.ErrEndpoint) {
		if l != nil {
			l.Close()
		}
		t.Errorf("Listen(%q): %v, want ErrEndpoint", addr, err)
	}
}
