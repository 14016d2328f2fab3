package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/zmqx/zmqx/core"
)

// TCP is the tcp:// transport.
type TCP struct{}

// IPC is the ipc:// transport.
type IPC struct{}

var (
	_ core.Transport = TCP{}
	_ core.Transport = IPC{}
)

// tcpAddr turns a ZMQ tcp address into a Go one: "*" is every interface,
// an interface name stands for its address (bind), and a port of "*" or
// "0" is chosen by the kernel. For connect, a source ("SRC;") is returned
// apart (see addr.go).
func tcpAddr(addr string, bind bool) (string, error) {
	a, _, err := tcpAddrSrc(addr, bind)
	return a, err
}

func tcpAddrSrc(addr string, bind bool) (string, *net.TCPAddr, error) {
	var src *net.TCPAddr
	whole := addr
	if !bind {
		var err error
		if src, addr, err = splitSource(addr); err != nil {
			return "", nil, err
		}
	}
	a, err := tcpDest(addr, whole, bind)
	return a, src, err
}

func tcpDest(addr, whole string, bind bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%w: tcp address %q: %v", core.ErrEndpoint, addr, err)
	}
	if port == "*" {
		if !bind {
			return "", fmt.Errorf("%w: tcp address %q: wildcard port only for bind", core.ErrEndpoint, addr)
		}
		port = "0"
	}
	if host == "*" {
		if !bind {
			return "", fmt.Errorf("%w: tcp address %q: wildcard host only for bind", core.ErrEndpoint, addr)
		}
		host = ""
	}
	if host == "" && !bind {
		return "", fmt.Errorf("%w: tcp address %q has no host", core.ErrEndpoint, addr)
	}
	if _, err := ParsePort(port, bind); err != nil {
		return "", fmt.Errorf("%w: tcp address %q: %v", core.ErrEndpoint, addr, err)
	}
	if bind {
		if host, err = localHost(host, whole); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort(host, port), nil
}

// ParsePort reads an endpoint's port (tcp://, and xdp:// for its UDP and
// TCP ports): a number 0-65535, not a service name (":http" would be port
// 80 to Go), or * for any (0); a connect needs one that is not 0. The
// error says which, for the caller to put after its address.
func ParsePort(port string, bind bool) (uint16, error) {
	if port == "*" {
		port = "0"
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: want 0-65535, or * to bind any", port)
	}
	if n == 0 && !bind {
		return 0, errors.New("connect needs a port")
	}
	return uint16(n), nil
}

func noDelay(c net.Conn) error {
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetNoDelay(true); err != nil {
			c.Close()
			return err
		}
	}
	return nil
}

// listenErr makes a taken address match core.ErrAddrInUse (libzmq's
// EADDRINUSE), keeping the system's error in the chain too.
func listenErr(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: %w", core.ErrAddrInUse, err)
	}
	return err
}

type listener struct {
	net.Listener
	tcp bool
	o   *core.Options // tcp: options for accepted connections
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.tcp {
		if err := noDelay(c); err != nil {
			return nil, err
		}
	}
	if l.o != nil {
		if err := tune(c, l.o); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (l *listener) Endpoint() string { return l.Addr().String() }

// Listen binds a Unix stream socket. A stale socket file left at the path by
// a dead process is replaced, as libzmq does; any other file is an error.
func (IPC) Listen(addr string, _ *core.Options) (core.Listener, error) {
	if addr == "*" {
		f, err := os.CreateTemp("", "zmqx-*.ipc")
		if err != nil {
			return nil, err
		}
		addr = f.Name()
		f.Close()
		os.Remove(addr)
	}
	if err := checkIPCPath(addr); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(addr, "@") {
		if fi, err := os.Lstat(addr); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("%w: %s exists and is not a socket", core.ErrAddrInUse, addr)
			}
			if c, err := net.Dial("unix", addr); err == nil {
				c.Close()
				return nil, fmt.Errorf("%w: %s", core.ErrAddrInUse, addr)
			}
			os.Remove(addr)
		}
	}
	l, err := net.Listen("unix", addr)
	if err != nil {
		return nil, listenErr(err)
	}
	return &listener{Listener: l}, nil
}

// CheckDial validates a TCP address for connecting.
func (TCP) CheckDial(addr string) error {
	_, err := tcpAddr(addr, false)
	return err
}

// CheckDial validates a Unix socket path for connecting.
func (IPC) CheckDial(addr string) error {
	if addr == "*" {
		return fmt.Errorf("%w: ipc wildcard path only for bind", core.ErrEndpoint)
	}
	return checkIPCPath(addr)
}

// maxIPCPath is the longest path a Unix socket's address takes: sun_path
// less its terminating NUL (108 bytes on Linux and Windows, 104 on macOS
// and the BSDs).
var maxIPCPath = func() int {
	if runtime.GOOS == "linux" || runtime.GOOS == "windows" {
		return 107
	}
	return 103
}()

// checkIPCPath refuses a path no Unix socket can have, at once, rather than
// as a connect that fails on every retry.
func checkIPCPath(addr string) error {
	if len(addr) > maxIPCPath {
		return fmt.Errorf("%w: ipc path of %d bytes: a Unix socket's path takes %d at most here", core.ErrEndpoint, len(addr), maxIPCPath)
	}
	return nil
}

// Dial connects to a Unix stream socket.
func (IPC) Dial(ctx context.Context, addr string, _ *core.Options) (net.Conn, error) {
	if err := (IPC{}).CheckDial(addr); err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", addr)
}
