package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/vethtest"
)

func runDoctor(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	var derr error
	if err := netns.Do(ns, func() error {
		derr = run(append([]string{"doctor"}, args...), nil, &out)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out.String(), derr
}

func TestDoctorOnVeth(t *testing.T) {
	p := vethtest.New(t, 2)
	out, err := runDoctor(t, p.A.NS, p.A.Link)
	t.Logf("zmqx doctor %s:\n%s", p.A.Link, out)
	if err != nil {
		t.Fatalf("doctor failed on a veth where AF_XDP works: %v", err)
	}
	for _, want := range []string{
		"driver: veth ",
		"queues: rx 2, tx 2,",
		"numa node: none",
		"mtu: 1500 (",
		"xdp native: works\n",
		"xdp generic: works\n",
		"af_xdp zero-copy: refused (",
		"af_xdp copy: works\n",
		"coalescing: not supported by the driver\n",
		"cap_net_admin: yes\n",
		"memlock: ",
		"busy poll: net.core.busy_poll=",
		"plan: attach the steering program in native mode\n",
		"plan: bind AF_XDP sockets in copy mode",
		"plan: one AF_XDP socket and worker per queue: 2\n",
		"verdict: xdp:// can work on " + p.A.Link + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Probing leaves nothing attached.
	if got := p.A.XDPAttached(t); got != "" {
		t.Fatalf("doctor left an XDP program attached (%s)", got)
	}
}

func TestDoctorRefuses(t *testing.T) {
	p := vethtest.New(t, 1)
	out, err := runDoctor(t, p.A.NS, "zx-missing0")
	if err == nil || !strings.Contains(out, "verdict: xdp:// cannot work on zx-missing0: no such interface") {
		t.Fatalf("missing interface: err %v, report:\n%s", err, out)
	}
	// Jumbo frames do not fit a single-buffer XDP program.
	if b, err := exec.Command("ip", "-n", p.A.NS, "link", "set", "dev", p.A.Link, "mtu", "9000").CombinedOutput(); err != nil {
		t.Fatalf("ip link set mtu: %v: %s", err, b)
	}
	out, err = runDoctor(t, p.A.NS, p.A.Link)
	if err == nil || !strings.Contains(out, "MTU 9000 is above the single-buffer XDP limit") {
		t.Fatalf("MTU 9000: err %v, report:\n%s", err, out)
	}
	if strings.Contains(out, "plan:") {
		t.Fatalf("a refused interface still got a plan:\n%s", out)
	}
	if _, err := runDoctor(t, p.A.NS); !errors.Is(err, errDoctorUsage) {
		t.Fatalf("no interface: %v, want the usage error", err)
	}
}
