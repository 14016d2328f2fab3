package bpf

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/internal/vethtest"
)

// The loss program is checked like the steering program: against a model
// written from its specification, with BPF_PROG_TEST_RUN running the
// loaded program on the bytes of each frame.

// lossMatch is the model: whether the program selects f for dropping when
// ports is the selected set (empty: every port).
func lossMatch(f []byte, ports map[uint16]bool) bool {
	if len(f) < 14 {
		return false
	}
	proto, off := binary.BigEndian.Uint16(f[12:]), 14
	for range 2 {
		if proto != 0x8100 && proto != 0x88a8 {
			break
		}
		if len(f) < off+4 {
			return false
		}
		proto, off = binary.BigEndian.Uint16(f[off+2:]), off+4
	}
	if proto != 0x0800 || len(f) < off+20 {
		return false
	}
	ihl := int(f[off] & 0x0f)
	if f[off]>>4 != 4 || ihl < 5 || f[off+9] != 17 || binary.BigEndian.Uint16(f[off+6:])&0x1fff != 0 {
		return false
	}
	udp := off + ihl*4
	if len(f) < udp+8 {
		return false
	}
	return len(ports) == 0 || ports[binary.BigEndian.Uint16(f[udp+2:])]
}

// pinned runs fn on a locked OS thread bound to one CPU, so that every
// test run sees the same per-CPU burst state; the thread's affinity is
// put back afterwards.
func pinned(t *testing.T, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	cpu := -1
	for i := range 1024 {
		if old.IsSet(i) {
			cpu = i
			break
		}
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &old)
	fn()
}

func newLossRunner(t testing.TB, o LossOptions) *Loss {
	t.Helper()
	vethtest.Skip(t) // BPF_PROG_TEST_RUN needs the same privileges
	l, err := loadLoss(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func (l *Loss) run(t testing.TB, f []byte) uint32 {
	t.Helper()
	ret, err := l.objs.Lossy.Run(&ebpf.RunOptions{Data: f})
	if err != nil {
		t.Fatal(err)
	}
	return ret
}

func (l *Loss) counters(t testing.TB) LossCounters {
	t.Helper()
	c, err := l.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.Seen != c.Dropped+c.Passed {
		t.Fatalf("counters %+v: seen is not dropped+passed", c)
	}
	return c
}

// check runs f through the program at rate 100% and compares with the
// model: the verdict and exactly one step of the right counters. It
// returns the model's verdict.
func (l *Loss) check(t testing.TB, f []byte, sel map[uint16]bool) bool {
	t.Helper()
	if len(f) < 14 || len(f) > 3000 {
		return false // BPF_PROG_TEST_RUN takes Ethernet-sized frames only
	}
	before := l.counters(t)
	ret := l.run(t, f)
	after := l.counters(t)
	want := lossMatch(f, sel)
	wantRet, dm := uint32(2), uint64(0) // XDP_PASS
	if want {
		wantRet, dm = 1, 1 // XDP_DROP
	}
	if ret != wantRet || after.Seen != before.Seen+1 || after.Matched != before.Matched+dm ||
		after.Dropped != before.Dropped+dm || after.Passed != before.Passed+1-dm {
		t.Fatalf("frame % x: returned %d, counters %+v -> %+v; model selects: %v", f, ret, before, after, want)
	}
	return want
}

// variations is every seed frame, every truncation of it down to an
// Ethernet header, and random byte edits of it.
func variations() [][]byte {
	rng := rand.New(rand.NewPCG(7, 78))
	var out [][]byte
	for _, f := range frames() {
		for n := 14; n <= len(f); n++ {
			out = append(out, f[:n])
		}
		for range 300 {
			g := append([]byte(nil), f...)
			for range 1 + rng.IntN(3) {
				g[12+rng.IntN(len(g)-12)] = byte(rng.Uint32())
			}
			out = append(out, g)
		}
	}
	return out
}

// TestLossMatchesModel: at rate 100% the program drops exactly the frames
// the model selects, for a port set and for all ports, malformed and cut
// frames included; at rate 0 it drops nothing but still counts matches.
func TestLossMatchesModel(t *testing.T) {
	for _, c := range []struct {
		name  string
		ports []uint16
	}{{"one-port", []uint16{modelPort}}, {"all-ports", nil}} {
		t.Run(c.name, func(t *testing.T) {
			sel := map[uint16]bool{}
			for _, p := range c.ports {
				sel[p] = true
			}
			l := newLossRunner(t, LossOptions{PerMillion: PerMillion, Ports: c.ports})
			kinds := map[bool]int{}
			for _, f := range variations() {
				kinds[l.check(t, f, sel)]++
			}
			if kinds[true] == 0 || kinds[false] == 0 {
				t.Fatalf("variations cover only one verdict: %v", kinds)
			}
			t.Logf("frames selected/not: %d/%d", kinds[true], kinds[false])

			if err := l.SetRate(0); err != nil {
				t.Fatal(err)
			}
			before := l.counters(t)
			var matched uint64
			for _, f := range variations() {
				if ret := l.run(t, f); ret != 2 {
					t.Fatalf("rate 0: frame % x returned %d", f, ret)
				}
				if lossMatch(f, sel) {
					matched++
				}
			}
			after := l.counters(t)
			if after.Dropped != before.Dropped || after.Matched != before.Matched+matched {
				t.Fatalf("rate 0: counters %+v -> %+v, %d matched", before, after, matched)
			}
		})
	}
}

// TestLossBurst: after a random drop the next K matched frames go too,
// whatever the rate, frames of other ports do not consume the burst, and
// setting the rate to 0 ends a burst.
func TestLossBurst(t *testing.T) {
	const k = 5
	seeds := frames()
	hit, miss := seeds[0], seeds[1] // UDP to modelPort, UDP to another port
	l := newLossRunner(t, LossOptions{PerMillion: PerMillion, Burst: k, Ports: []uint16{modelPort}})
	pinned(t, func() {
		if ret := l.run(t, hit); ret != 1 {
			t.Fatalf("first frame at 100%%: returned %d", ret)
		}
		// From now on a random drop is (almost) impossible: 1 in a million.
		if err := l.SetRate(1); err != nil {
			t.Fatal(err)
		}
		var got []uint32
		for i := range k + 2 {
			if i == 2 {
				if ret := l.run(t, miss); ret != 2 {
					t.Fatalf("another port inside a burst: returned %d", ret)
				}
			}
			got = append(got, l.run(t, hit))
		}
		want := []uint32{1, 1, 1, 1, 1, 2, 2}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("verdicts after a drop with burst %d: %v, want %v", k, got, want)
			}
		}
		// A burst in progress, then rate 0: nothing more is dropped.
		if err := l.SetRate(PerMillion); err != nil {
			t.Fatal(err)
		}
		if ret := l.run(t, hit); ret != 1 {
			t.Fatalf("returned %d at 100%%", ret)
		}
		if err := l.SetRate(0); err != nil {
			t.Fatal(err)
		}
		if ret := l.run(t, hit); ret != 2 {
			t.Fatalf("rate 0 inside a burst: returned %d", ret)
		}
		// Burst 0 again: single drops only.
		if err := l.SetRate(PerMillion); err != nil {
			t.Fatal(err)
		}
		if err := l.SetBurst(0); err != nil {
			t.Fatal(err)
		}
		l.run(t, hit)
		if err := l.SetRate(1); err != nil {
			t.Fatal(err)
		}
		if ret := l.run(t, hit); ret != 2 {
			t.Fatalf("burst 0: the frame after a drop returned %d", ret)
		}
	})
	c := l.counters(t)
	if c.Dropped != 1+k+1+1 || c.Matched != 1+k+2+1+1+1+1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestLossOptions(t *testing.T) {
	if _, err := loadLoss(LossOptions{PerMillion: PerMillion + 1}); err == nil {
		t.Error("a rate above a million accepted")
	}
	if _, err := loadLoss(LossOptions{Ports: make([]uint16, MaxLossPorts+1)}); err == nil {
		t.Error("too many ports accepted")
	}
	l := newLossRunner(t, LossOptions{})
	if err := l.SetRate(PerMillion + 1); err == nil {
		t.Error("SetRate above a million accepted")
	}
}

// FuzzLoss runs arbitrary frames through the program at rate 100% with
// one selected port: the verdict and counters must follow the model.
func FuzzLoss(f *testing.F) {
	for _, s := range frames() {
		f.Add(s)
	}
	l := newLossRunner(f, LossOptions{PerMillion: PerMillion, Ports: []uint16{modelPort}})
	sel := map[uint16]bool{modelPort: true}
	f.Fuzz(func(t *testing.T, b []byte) { l.check(t, b, sel) })
}
