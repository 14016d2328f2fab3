package nic

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// fakeNIC is an injected ethtool: it holds coalescing settings, records
// every request and can refuse reads or writes.
type fakeNIC struct {
	c          Coalesce
	gets, sets int
	writes     []Coalesce
	getErr     error
	setErr     error
}

func (f *fakeNIC) ioctl(iface string, set bool, c *Coalesce) error {
	if iface != "eth7" {
		return fmt.Errorf("ioctl for %q", iface)
	}
	if !set {
		f.gets++
		if f.getErr != nil {
			return f.getErr
		}
		*c = f.c
		return nil
	}
	f.sets++
	if f.setErr != nil {
		return f.setErr
	}
	f.writes = append(f.writes, *c)
	f.c = *c
	return nil
}

func busyNIC() *fakeNIC {
	return &fakeNIC{c: Coalesce{RxUsecs: 8, TxUsecs: 16, RxMaxFrames: 32, TxMaxFrames: 64, AdaptiveRx: 1, AdaptiveTx: 1, PktRateHigh: 1000}}
}

func TestLowLatencyAndRestore(t *testing.T) {
	f := busyNIC()
	orig := f.c
	r, err := LowLatencyCoalescing("eth7", false, f.ioctl)
	if err != nil {
		t.Fatal(err)
	}
	want := orig
	want.RxUsecs, want.TxUsecs, want.AdaptiveRx, want.AdaptiveTx = 0, 0, 0, 0
	if f.c != want {
		t.Fatalf("NIC now %+v, want %+v (only usecs and adaptive changed)", f.c, want)
	}
	if !strings.Contains(r.Action, "rx-usecs 8→0") || !strings.Contains(r.Action, "adaptive-tx 1→0") {
		t.Fatalf("report %q does not say what changed", r.Action)
	}
	if err := r.Restore(); err != nil {
		t.Fatal(err)
	}
	if f.c != orig {
		t.Fatalf("after Restore %+v, want %+v", f.c, orig)
	}
	if err := r.Restore(); err != nil || f.sets != 2 {
		t.Fatalf("second Restore: %v, %d writes in all (want 2)", err, f.sets)
	}
}

func TestLeaveAlone(t *testing.T) {
	f := busyNIC()
	r, err := LowLatencyCoalescing("eth7", true, f.ioctl)
	if err != nil || f.gets+f.sets != 0 {
		t.Fatalf("leave=true made %d reads and %d writes (%v)", f.gets, f.sets, err)
	}
	if err := r.Restore(); err != nil || f.sets != 0 {
		t.Fatal("Restore wrote to a NIC it was told to leave alone")
	}
}

func TestDriverWithoutCoalescing(t *testing.T) {
	f := &fakeNIC{getErr: fmt.Errorf("%w: ioctl: operation not supported", ErrNotSupported)}
	r, err := LowLatencyCoalescing("eth7", false, f.ioctl)
	if err != nil {
		t.Fatalf("unsupported driver is not an error: %v", err)
	}
	if f.sets != 0 || !strings.Contains(r.Action, "not supported") {
		t.Fatalf("%d writes, report %q", f.sets, r.Action)
	}
	if err := r.Restore(); err != nil || f.sets != 0 {
		t.Fatal("Restore wrote to a NIC that was never changed")
	}
}

func TestAlreadyLowest(t *testing.T) {
	f := &fakeNIC{c: Coalesce{RxMaxFrames: 1}}
	r, err := LowLatencyCoalescing("eth7", false, f.ioctl)
	if err != nil || f.sets != 0 || !strings.Contains(r.Action, "already") {
		t.Fatalf("%d writes for settings already at lowest latency (%v, %q)", f.sets, err, r.Action)
	}
}

func TestSetRefused(t *testing.T) {
	f := busyNIC()
	f.setErr = fmt.Errorf("%w: invalid combination", ErrNotSupported)
	r, err := LowLatencyCoalescing("eth7", false, f.ioctl)
	if err != nil || !strings.Contains(r.Action, "refused") {
		t.Fatalf("refused write: %v, %q", err, r.Action)
	}
	r.Restore()
	if len(f.writes) != 0 {
		t.Fatal("Restore wrote after a refused change")
	}
	f.setErr = errors.New("EPERM")
	if _, err := LowLatencyCoalescing("eth7", false, f.ioctl); err == nil {
		t.Fatal("a failing write (not 'unsupported') was not reported")
	}
	f.getErr = errors.New("ENODEV")
	if _, err := LowLatencyCoalescing("eth7", false, f.ioctl); err == nil {
		t.Fatal("a failing read was not reported")
	}
}

// The ioctl passes Coalesce straight to the kernel after the cmd word:
// struct ethtool_coalesce is 23 32-bit words.
func TestCoalesceLayout(t *testing.T) {
	if n := unsafe.Sizeof(Coalesce{}); n != 22*4 {
		t.Fatalf("Coalesce is %d bytes, want 88", n)
	}
	if off := unsafe.Offsetof(Coalesce{}.AdaptiveRx); off != 9*4 {
		t.Fatalf("AdaptiveRx at %d, want 36", off)
	}
	if off := unsafe.Offsetof(Coalesce{}.RateSampleInterval); off != 21*4 {
		t.Fatalf("RateSampleInterval at %d, want 84", off)
	}
}
