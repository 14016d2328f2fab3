package netns_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/zmqx/zmqx/internal/netns"
)

func TestDoEntersAndLeaves(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip to create a namespace")
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "zmqx-xdp-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })

	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var inside string
	var ifaces []net.Interface
	err = netns.Do(name, func() error {
		var err error
		inside, err = os.Readlink("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		ifaces, err = net.Interfaces()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside == self {
		t.Fatalf("fn ran in the caller's namespace %s", self)
	}
	// A fresh namespace has only a loopback device.
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Fatalf("interfaces inside the new namespace: %v", ifaces)
	}
	if now, _ := os.Readlink("/proc/thread-self/ns/net"); now != self {
		t.Fatalf("caller's thread moved to %s", now)
	}
	sentinel := errors.New("from fn")
	if err := netns.Do(name, func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Fatalf("Do returned %v, want fn's error", err)
	}
	if err := netns.Do(name+"-missing", func() error { return nil }); err == nil {
		t.Fatal("Do into a missing namespace succeeded")
	}
}
