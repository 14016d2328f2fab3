package bpf

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// The steering program is checked against a model written from its
// specification: every frame gets the model's verdict (steered, passed or
// malformed), run through the loaded program with BPF_PROG_TEST_RUN, which
// executes it on the bytes without a network.

type verdict int

const (
	steered verdict = iota
	passed
	malformed
)

func (v verdict) String() string { return [...]string{"steered", "passed", "malformed"}[v] }

const modelPort = 7777

// model is the specification: Ethernet, up to two 802.1Q/802.1ad tags,
// IPv4 (no later fragments) or IPv6 (UDP directly after the fixed header),
// UDP to a registered port.
func model(f []byte) verdict {
	if len(f) < 14 {
		return malformed
	}
	proto := binary.BigEndian.Uint16(f[12:])
	off := 14
	for range 2 {
		if proto != 0x8100 && proto != 0x88a8 {
			break
		}
		if len(f) < off+4 {
			return malformed
		}
		proto = binary.BigEndian.Uint16(f[off+2:])
		off += 4
	}
	var udp int
	switch proto {
	case 0x0800:
		if len(f) < off+20 {
			return malformed
		}
		ihl := int(f[off] & 0x0f)
		if f[off]>>4 != 4 || ihl < 5 {
			return malformed
		}
		if f[off+9] != 17 || binary.BigEndian.Uint16(f[off+6:])&0x3fff != 0 {
			return passed
		}
		udp = off + ihl*4
	case 0x86dd:
		if len(f) < off+40 {
			return malformed
		}
		if f[off]>>4 != 6 {
			return malformed
		}
		if f[off+6] != 17 {
			return passed
		}
		udp = off + 40
	default:
		return passed
	}
	if len(f) < udp+8 {
		return malformed
	}
	if binary.BigEndian.Uint16(f[udp+2:]) != modelPort {
		return passed
	}
	return steered
}

type runner struct {
	objs steerObjects
}

// newRunner loads the program with port 7777 registered and a real AF_XDP
// socket (bound to a veth in a namespace of its own) in queue 0's slot, so
// the redirect can succeed.
func newRunner(tb testing.TB) *runner {
	p := vethtest.New(tb, 1)
	r := &runner{}
	if err := loadSteerObjects(&r.objs, nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.objs.Close() })
	var u *xdp.Umem
	var s *xdp.Socket
	err := netns.Do(p.A.NS, func() error {
		var err error
		if u, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: 64}); err != nil {
			return err
		}
		s, err = u.Open(p.A.Index, 0, xdp.SocketOptions{RxFrames: 32, TxFrames: 32})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(); u.Close() })
	if err := r.objs.Xsks.Put(uint32(0), uint32(s.FD())); err != nil {
		tb.Fatal(err)
	}
	if err := r.objs.Ports.Put(portKey(modelPort), uint32(0)); err != nil {
		tb.Fatal(err)
	}
	return r
}

func (r *runner) counters(tb testing.TB) [3]uint64 {
	var c [3]uint64
	for i := range c {
		var per []uint64
		if err := r.objs.Counters.Lookup(uint32(i), &per); err != nil {
			tb.Fatal(err)
		}
		for _, v := range per {
			c[i] += v
		}
	}
	return c
}

// check runs f through the program and compares with the model: the
// return code and exactly one counter step.
func (r *runner) check(tb testing.TB, f []byte) {
	tb.Helper()
	if len(f) < 14 || len(f) > 3000 {
		return // BPF_PROG_TEST_RUN takes Ethernet-sized frames only
	}
	before := r.counters(tb)
	ret, err := r.objs.Steer.Run(&ebpf.RunOptions{Data: f})
	if err != nil {
		tb.Fatal(err)
	}
	after := r.counters(tb)
	want := model(f)
	var got verdict = -1
	for i := range after {
		if d := after[i] - before[i]; d == 1 && got == -1 {
			got = verdict(i)
		} else if d != 0 {
			tb.Fatalf("frame % x: counters moved %v -> %v", f, before, after)
		}
	}
	wantRet := uint32(2) // XDP_PASS
	if want == steered {
		wantRet = 4 // XDP_REDIRECT
	}
	if got != want || ret != wantRet {
		tb.Fatalf("frame % x: program counted %v and returned %d, model says %v (%d)", f, got, ret, want, wantRet)
	}
}

// frames builds well-formed frames of every kind the program parses.
func frames() [][]byte {
	eth := func(typ uint16) []byte {
		return binary.BigEndian.AppendUint16([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, typ)
	}
	udp := func(dport uint16) []byte {
		b := binary.BigEndian.AppendUint16(nil, 4000)
		b = binary.BigEndian.AppendUint16(b, dport)
		return append(b, 0, 12, 0, 0, 'p', 'i', 'n', 'g')
	}
	v4 := func(proto byte, frag uint16, rest []byte) []byte {
		b := []byte{0x45, 0, 0, byte(20 + len(rest)), 0, 0, byte(frag >> 8), byte(frag), 64, proto, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2}
		return append(b, rest...)
	}
	v6 := func(next byte, rest []byte) []byte {
		b := []byte{0x60, 0, 0, 0, 0, byte(len(rest)), next, 64}
		b = append(b, make([]byte, 32)...)
		return append(b, rest...)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	// tag is a VLAN tag (VLAN 77) whose inner ethertype is inner.
	tag := func(inner uint16) []byte {
		return binary.BigEndian.AppendUint16([]byte{0, 77}, inner)
	}
	return [][]byte{
		cat(eth(0x0800), v4(17, 0, udp(modelPort))),
		cat(eth(0x0800), v4(17, 0, udp(8888))),
		cat(eth(0x0800), v4(6, 0, udp(modelPort))),
		cat(eth(0x0800), v4(17, 0x2000, udp(modelPort))), // first fragment, more to come: has a UDP header
		cat(eth(0x0800), v4(17, 0x0010, udp(modelPort))), // later fragment
		cat(eth(0x86dd), v6(17, udp(modelPort))),
		cat(eth(0x86dd), v6(0, udp(modelPort))), // hop-by-hop first: not walked
		cat(eth(0x8100), tag(0x0800), v4(17, 0, udp(modelPort))),
		cat(eth(0x88a8), tag(0x8100), tag(0x86dd), v6(17, udp(modelPort))),
		cat(eth(0x8100), tag(0x8100), tag(0x8100), v4(17, 0, udp(modelPort))), // three tags
		cat(eth(0x0806), make([]byte, 28)),                                    // ARP
		cat(eth(0x0800), []byte{0x46, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2, 1, 1, 1, 1}, udp(modelPort)), // IP options
	}
}

func TestProgramMatchesModel(t *testing.T) {
	r := newRunner(t)
	seeds := frames()
	wantKinds := map[verdict]bool{}
	for _, f := range seeds {
		r.check(t, f)
		wantKinds[model(f)] = true
	}
	if !wantKinds[steered] || !wantKinds[passed] {
		t.Fatal("the seed frames do not cover both steered and passed")
	}
	// Every truncation of every seed, and random byte edits of them: the
	// malformed paths are where verifier-accepted code can still be wrong.
	rng := rand.New(rand.NewPCG(7, 77))
	counts := map[verdict]int{}
	for _, f := range seeds {
		for n := 14; n <= len(f); n++ {
			r.check(t, f[:n])
			counts[model(f[:n])]++
		}
		for range 300 {
			g := append([]byte(nil), f...)
			for range 1 + rng.IntN(3) {
				g[12+rng.IntN(len(g)-12)] = byte(rng.Uint32())
			}
			r.check(t, g)
			counts[model(g)]++
		}
	}
	t.Logf("verdicts checked beyond the seeds: %v", counts)
	for _, v := range []verdict{steered, passed, malformed} {
		if counts[v] == 0 {
			t.Errorf("no %v frame among the variations", v)
		}
	}
}

func FuzzProgram(f *testing.F) {
	for _, s := range frames() {
		f.Add(s)
	}
	r := newRunner(f)
	f.Fuzz(func(t *testing.T, b []byte) { r.check(t, b) })
}

// TestPortOwnership checks that a port another owner holds can be neither
// registered nor released, and that the program then steers it to the
// holder's slot, not ours.
func TestPortOwnership(t *testing.T) {
	r := newRunner(t) // port 7777 belongs to owner 0, whose queue-0 slot has a socket
	other := &Steering{objs: r.objs, owner: 1}
	if err := other.RegisterPort(modelPort); err == nil {
		t.Fatal("owner 1 registered a port owner 0 holds")
	}
	if err := other.ReleasePort(modelPort); err == nil {
		t.Fatal("owner 1 released a port owner 0 holds")
	}
	if err := other.RegisterPort(7778); err != nil {
		t.Fatal(err)
	}
	// Owner 1 has no socket: its port falls back to the kernel.
	f := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2,
		0x0f, 0xa0, 0x1e, 0x62, 0, 8, 0, 0} // UDP 4000 -> 7778
	ret, err := r.objs.Steer.Run(&ebpf.RunOptions{Data: f})
	if err != nil {
		t.Fatal(err)
	}
	if ret != 2 {
		t.Fatalf("owner 1's port with no owner-1 socket: action %d, want XDP_PASS", ret)
	}
	binary.BigEndian.PutUint16(f[36:], modelPort)
	if ret, _ := r.objs.Steer.Run(&ebpf.RunOptions{Data: f}); ret != 4 {
		t.Fatalf("owner 0's port: action %d, want XDP_REDIRECT", ret)
	}
}
