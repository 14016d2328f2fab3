package nic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/nic"
)

func TestEthtoolOnVeth(t *testing.T) {
	p := vethtest.New(t, 2)
	err := netns.Do(p.A.NS, func() error {
		d, err := nic.Driver(p.A.Link)
		if err != nil {
			return err
		}
		if d.Driver != "veth" {
			t.Errorf("driver %q, want veth", d.Driver)
		}
		ch, err := nic.QueueCounts(p.A.Link)
		if err != nil {
			return err
		}
		if ch.Rx != 2 || ch.Tx != 2 {
			t.Errorf("channels %+v, want 2 rx and 2 tx in use", ch)
		}
		var c nic.Coalesce
		if err := nic.EthtoolCoalesce(p.A.Link, false, &c); !errors.Is(err, nic.ErrNotSupported) {
			t.Errorf("veth coalescing read: %v, want ErrNotSupported", err)
		}
		r, err := nic.LowLatencyCoalescing(p.A.Link, false, nic.EthtoolCoalesce)
		if err != nil {
			return err
		}
		if !strings.Contains(r.Action, "not supported") {
			t.Errorf("report %q", r.Action)
		}
		if _, err := nic.Driver("zx-no-such-dev"); err == nil {
			t.Error("Driver of a missing device succeeded")
		}
		return r.Restore()
	})
	if err != nil {
		t.Fatal(err)
	}
}
