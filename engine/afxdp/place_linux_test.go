package afxdp

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/vethtest"
)

// A queue's worker pins a thread of its own to a CPU Place gives for the
// interface (zmqx answers with the CPUs of the NIC's NUMA node, from sysfs:
// package numa and placement.go), or to one of Config.CPUs when set. The
// veth pair has no NUMA node, so Place is the test's here. One queue: the
// engine counts an interface's queues in sysfs, which shows the test
// process's own namespace, not B's (the peer processes of the other tests
// run inside theirs, and TestQueues uses both queues).
func TestWorkersPlaced(t *testing.T) {
	vethtest.Skip(t)
	p := vethtest.New(t, 1)
	for _, tc := range []struct {
		name        string
		cpus, place []int
		want        []int // the CPUs pinned, one a queue, in any order
		asked       bool  // whether Place is consulted
	}{
		{"near the NIC", nil, []int{1}, []int{1}, true},
		{"CPUs given", []int{0}, []int{1}, []int{0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type pin struct{ cpu, tid int }
			pins := make(chan pin, 8)
			asked := make(chan string, 8)
			tr := New(Config{NoFallback: true, CPUs: tc.cpus,
				Place: func(iface string) []int { asked <- iface; return tc.place },
				Pin:   func(cpu int) error { pins <- pin{cpu, unix.Gettid()}; return nil },
			})
			defer tr.Close()
			var l core.Listener
			err := netns.Do(p.B.NS, func() (err error) {
				l, err = tr.Listen(fmt.Sprintf("%s/%s:5571", p.B.Link, p.B.Addr), &core.Options{})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var got []int
			tids := map[int]bool{}
			for range p.B.Queues {
				select {
				case pn := <-pins:
					got = append(got, pn.cpu)
					tids[pn.tid] = true
				case <-time.After(10 * time.Second):
					t.Fatalf("%d of %d queue workers pinned", len(got), p.B.Queues)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) || len(tids) != len(got) {
				t.Errorf("workers pinned to %v on %d threads; want %v, a thread each", got, len(tids), tc.want)
			}
			select {
			case iface := <-asked:
				if !tc.asked || iface != p.B.Link {
					t.Errorf("Place asked about %q; want it asked (%v) about %q", iface, tc.asked, p.B.Link)
				}
			default:
				if tc.asked {
					t.Error("Place was not asked")
				}
			}
		})
	}
}
