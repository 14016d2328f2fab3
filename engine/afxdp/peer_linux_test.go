//go:build linux

package afxdp_test

// The tests run zmqx on two (or three) network namespaces, each a "host".
// A namespace belongs to a thread, and the runtime's goroutines run on any
// thread, so each host is a process: this test binary started again inside
// the namespace with ZX_ROLE set, where TestMain runs the role instead of
// the tests. A peer prints "ready ENDPOINT" once bound or connected, events
// as "event TYPE ERR", and ends with "ok N" or "FAIL why".

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
)

func TestMain(m *testing.M) {
	if role := os.Getenv("ZX_ROLE"); role != "" {
		if err := runRole(role); err != nil {
			fmt.Printf("FAIL %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func envInt(k string, def int) int {
	if v := os.Getenv(k); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return def
}

func envFloat(k string) float64 {
	f, _ := strconv.ParseFloat(os.Getenv(k), 64)
	return f
}

// lossHook drops a share p of the datagrams a process sends; with burst
// set, each drop starts an outage of that length in which every datagram
// is dropped (a burst in time, as a link or a queue loses them, rather
// than n consecutive attempts of one sender). It counts its drops in
// hookDropped, which the role prints on its way out ("hook dropped N").
func lossHook(p float64, burst time.Duration) func() bool {
	if p <= 0 {
		return nil
	}
	drop := lossDecision(p, burst)
	return func() bool {
		if drop() {
			hookDropped.Add(1)
			return true
		}
		return false
	}
}

var hookDropped atomic.Int64

func lossDecision(p float64, burst time.Duration) func() bool {
	var mu sync.Mutex
	var until time.Time
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if burst > 0 && !until.IsZero() {
			if time.Now().Before(until) {
				return true
			}
			until = time.Time{}
		}
		if rand.Float64() < p {
			if burst > 0 {
				until = time.Now().Add(burst)
			}
			return true
		}
		return false
	}
}

// recoveries collects the engine's loss-recovery times.
type recoveries struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func (r *recoveries) add(d time.Duration) {
	r.mu.Lock()
	r.h.RecordValue(int64(d / time.Microsecond))
	r.mu.Unlock()
}

func (r *recoveries) print() { r.printAs("recovery") }

func (r *recoveries) printAs(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h.TotalCount() == 0 {
		return
	}
	fmt.Printf("%s [us]: n=%d p50=%d p90=%d p99=%d max=%d\n", what, r.h.TotalCount(),
		r.h.ValueAtQuantile(50), r.h.ValueAtQuantile(90), r.h.ValueAtQuantile(99), r.h.Max())
}

// repairs collects where the recovery times went (rel.Repair): for the
// datagrams repaired by a single retransmission, the time from the first
// transmission to the report of the loss, from the report to the
// retransmission leaving, from there to the acknowledgement, and the round
// trip at the time (smoothed, and the latest sample).
type repairs struct {
	mu                                             sync.Mutex
	n                                              [4]int64 // by cause
	multi                                          int64    // needed more than one copy
	toReport, toResend, toAck, srtt, rtt, inFlight *hdrhistogram.Histogram
}

func newRepairs() *repairs {
	h := func() *hdrhistogram.Histogram { return hdrhistogram.New(0, 60_000_000, 3) }
	return &repairs{toReport: h(), toResend: h(), toAck: h(), srtt: h(), rtt: h(), inFlight: h()}
}

func (r *repairs) add(p rel.Repair) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(p.Cause) < len(r.n) {
		r.n[p.Cause]++
	}
	r.srtt.RecordValue(int64(p.SRTT / time.Microsecond))
	r.rtt.RecordValue(int64(p.RTT / time.Microsecond))
	if p.Copies != 1 {
		r.multi++
		return
	}
	r.toReport.RecordValue((p.Reported - p.Sent) / 1000)
	r.toResend.RecordValue((p.Resent - p.Reported) / 1000)
	r.toAck.RecordValue((p.Acked - p.Resent) / 1000)
	r.inFlight.RecordValue(int64(p.InFlight))
}

func (r *repairs) print() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srtt.TotalCount() == 0 {
		return
	}
	q := func(h *hdrhistogram.Histogram) string {
		return fmt.Sprintf("%d/%d/%d", h.ValueAtQuantile(50), h.ValueAtQuantile(90), h.ValueAtQuantile(99))
	}
	fmt.Printf("repair [us, p50/p90/p99]: by NAK %d, RTO %d, TLP %d, more than one copy %d; srtt %s rtt %s; "+
		"one copy: sent→reported %s reported→resent %s resent→acked %s; in flight at resend %s datagrams\n",
		r.n[rel.CauseNAK], r.n[rel.CauseRTO], r.n[rel.CauseTLP], r.multi, q(r.srtt), q(r.rtt),
		q(r.toReport), q(r.toResend), q(r.toAck), q(r.inFlight))
}

func runRole(role string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(envInt("ZX_TIMEOUT", 240))*time.Second)
	defer cancel()
	idle, err := zmqx.ParseIdle(cmp.Or(os.Getenv("ZX_IDLE"), "block"))
	if err != nil {
		return err
	}
	rec := &recoveries{h: hdrhistogram.New(1, 60_000_000, 3)}
	defer rec.print()
	rep := newRepairs()
	defer rep.print()
	holes := &recoveries{h: hdrhistogram.New(1, 60_000_000, 3)}
	defer holes.printAs("hole")
	var logger *slog.Logger
	if os.Getenv("ZX_DEBUG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := zmqx.Config{Idle: idle, Invoker: os.Getenv("ZX_INVOKER") != "", Logger: logger, XDP: zmqx.XDPConfig{
		OnRecovered: rec.add,
		OnRepair:    rep.add,
		OnHole:      holes.add,
		Attach:      os.Getenv("ZX_ATTACH"),
		Queues:      envInt("ZX_QUEUES", 0),
		NoFallback:  os.Getenv("ZX_NOFALLBACK") != "",
		NoTCPListen: os.Getenv("ZX_NOTCPLISTEN") != "",
		Loss:        lossHook(envFloat("ZX_LOSS"), time.Duration(envInt("ZX_BURST_US", 0))*time.Microsecond),
	}}
	if cfg.XDP.Loss != nil {
		defer func() { fmt.Printf("hook dropped %d\n", hookDropped.Load()) }()
	}
	rt := zmqx.NewRuntime(cfg)
	defer func() {
		if err := rt.Close(); err != nil && !errors.Is(err, zmqx.ErrClosed) {
			fmt.Printf("runtime close: %v\n", err)
		}
	}()
	name, dir, _ := strings.Cut(role, "-") // pair-send, pair-recv
	typ, err := zmqx.ParseSocketType(strings.ToUpper(name))
	if err != nil {
		return err
	}
	events := make(chan zmqx.Event, 1024)
	s, err := rt.Socket(typ, zmqx.SocketOptions{Linger: time.Duration(envInt("ZX_LINGER_MS", 120000)) * time.Millisecond,
		Events: events, SendHWM: 10000, RecvHWM: envInt("ZX_RCVHWM", 10000), XPubNoDrop: typ == zmqx.XPUB})
	if err != nil {
		return err
	}
	defer s.Close()
	go func() {
		for e := range events {
			switch e.Type {
			case zmqx.EventFallback, zmqx.EventDisconnected, zmqx.EventHandshaken, zmqx.EventConnectRetry:
				fmt.Printf("event %s %v\n", e.Type, e.Err)
			}
		}
	}()
	ep := os.Getenv("ZX_EP")
	if os.Getenv("ZX_BIND") != "" {
		if err := s.Bind(ep); err != nil {
			return err
		}
		ep = s.LastEndpoint()
	} else if err := s.Connect(ep); err != nil {
		return err
	}
	if typ == zmqx.SUB {
		s.Subscribe("")
	}
	fmt.Printf("ready %s\n", ep)
	n, size := envInt("ZX_COUNT", 1000), max(envInt("ZX_SIZE", 64), 8)
	switch {
	case typ == zmqx.XPUB:
		// Publish once the subscription is in.
		if _, err := s.Recv(ctx); err != nil {
			return fmt.Errorf("subscription: %w", err)
		}
		return sendSeq(ctx, s, n, size)
	case typ == zmqx.PUSH && os.Getenv("ZX_CLOSE") != "":
		return sendThenClose(ctx, rt, s, n, size)
	case typ == zmqx.PULL && os.Getenv("ZX_HOLDFILE") != "":
		if err := holdUntil(ctx, os.Getenv("ZX_HOLDFILE")); err != nil {
			return err
		}
		return recvSeq(ctx, s, n, size)
	case typ == zmqx.PUSH && envInt("ZX_SOCKETS", 1) > 1:
		return sendStreams(ctx, rt, s, ep, envInt("ZX_SOCKETS", 1), n, size)
	case typ == zmqx.PUSH, typ == zmqx.DEALER, dir == "send":
		return sendSeq(ctx, s, n, size)
	case typ == zmqx.PULL && envInt("ZX_SOCKETS", 1) > 1:
		return recvStreams(ctx, s, envInt("ZX_SOCKETS", 1), n, size)
	case typ == zmqx.XSUB:
		// An XSUB subscribes by sending the subscription (1, then the
		// prefix: everything here) as a message.
		if err := s.Send(ctx, []byte{1}); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		return recvSeq(ctx, s, n, size)
	case typ == zmqx.PULL, typ == zmqx.SUB, typ == zmqx.ROUTER, dir == "recv":
		return recvSeq(ctx, s, n, size)
	case typ == zmqx.REQ && envInt("ZX_SOCKETS", 1) > 1:
		return manyRequests(ctx, rt, s, ep, envInt("ZX_SOCKETS", 1), events)
	case typ == zmqx.REQ && os.Getenv("ZX_STAY") != "":
		if err := requests(ctx, s, n, size); err != nil {
			return err
		}
		<-ctx.Done() // until killed: nothing closes the connection
		return nil
	case typ == zmqx.REP && os.Getenv("ZX_REBIND") != "":
		return serveThenRebind(ctx, rt, s, ep, os.Getenv("ZX_REBIND"))
	case typ == zmqx.REQ:
		return requests(ctx, s, n, size)
	case typ == zmqx.REP:
		return replies(ctx, s, n)
	}
	return fmt.Errorf("no role %s", role)
}

// fill writes message seq: its number, then bytes derived from it.
func fill(b []byte, seq uint64) {
	binary.LittleEndian.PutUint64(b, seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(seq) + byte(i)
	}
}

func check(b []byte, want uint64, size int) error {
	if len(b) != size {
		return fmt.Errorf("message %d: %d bytes, want %d", want, len(b), size)
	}
	if got := binary.LittleEndian.Uint64(b); got != want {
		return fmt.Errorf("message %d: got message %d (lost, repeated or out of order)", want, got)
	}
	for i := 8; i < len(b); i++ {
		if b[i] != byte(want)+byte(i) {
			return fmt.Errorf("message %d: byte %d corrupt", want, i)
		}
	}
	return nil
}

func sendSeq(ctx context.Context, s *zmqx.Socket, n, size int) error {
	b := make([]byte, size)
	for i := range n {
		fill(b, uint64(i))
		if err := s.Send(ctx, b); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

// sendThenClose sends n messages, closes the socket and then the runtime,
// and says how long the runtime's Close took.
func sendThenClose(ctx context.Context, rt *zmqx.Runtime, s *zmqx.Socket, n, size int) error {
	b := make([]byte, size)
	for i := range n {
		fill(b, uint64(i))
		if err := s.Send(ctx, b); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	fmt.Println("sent")
	if err := s.Close(); err != nil {
		return err
	}
	fmt.Println("socket closed")
	start := time.Now()
	if err := rt.Close(); err != nil {
		return err
	}
	fmt.Printf("runtime closed in %d ms\n", time.Since(start).Milliseconds())
	return nil
}

// manyRequests connects k-1 more REQ sockets to ep beside s, all at once,
// and makes one round trip on each of them, all at the same time.
func manyRequests(ctx context.Context, rt *zmqx.Runtime, s *zmqx.Socket, ep string, k int, events chan zmqx.Event) error {
	socks, err := connectMore(rt, s, zmqx.REQ, zmqx.SocketOptions{Events: events}, ep, k)
	if err != nil {
		return err
	}
	err = onEach(socks, func(i int, so *zmqx.Socket) error {
		b := binary.LittleEndian.AppendUint64(nil, uint64(i))
		if err := so.Send(ctx, b); err != nil {
			return fmt.Errorf("socket %d: %w", i, err)
		}
		m, err := so.Recv(ctx)
		if err == nil && string(m[0]) != string(b) {
			err = fmt.Errorf("reply %x, want %x", m[0], b)
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("ok %d\n", k)
	return nil
}

// connectMore returns s and k-1 more sockets of typ, with o, connected to
// ep; the runtime's Close (runRole's) closes them, each with its linger.
func connectMore(rt *zmqx.Runtime, s *zmqx.Socket, typ zmqx.SocketType, o zmqx.SocketOptions, ep string, k int) ([]*zmqx.Socket, error) {
	socks := []*zmqx.Socket{s}
	for range k - 1 {
		so, err := rt.Socket(typ, o)
		if err != nil {
			return nil, err
		}
		if err := so.Connect(ep); err != nil {
			return nil, err
		}
		socks = append(socks, so)
	}
	return socks, nil
}

// onEach runs f on every socket at once; it returns once all have
// succeeded, or at the first error.
func onEach(socks []*zmqx.Socket, f func(i int, so *zmqx.Socket) error) error {
	errs := make(chan error, len(socks))
	for i, so := range socks {
		go func() { errs <- f(i, so) }()
	}
	for range socks {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// serveThenRebind answers one request, waits until the test has killed
// the peer (holdUntil), closes the socket and binds a new REP on ep at
// once, the connection it accepted still ending, and answers one more
// request on that.
func serveThenRebind(ctx context.Context, rt *zmqx.Runtime, s *zmqx.Socket, ep, hold string) error {
	if err := replies(ctx, s, 1); err != nil {
		return err
	}
	if err := holdUntil(ctx, hold); err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	s2, err := rt.Socket(zmqx.REP, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer s2.Close()
	if err := s2.Bind(ep); err != nil {
		return fmt.Errorf("bind again: %w", err)
	}
	fmt.Println("rebound")
	return replies(ctx, s2, 1)
}

// holdUntil waits, not reading, until the test creates the file path.
func holdUntil(ctx context.Context, path string) error {
	fmt.Println("holding")
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hold: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// sendStreams sends n messages from each of k PUSH sockets (s and k-1 more
// connected to ep), stream i numbering its messages i<<56, i<<56+1, …: k
// connections, which the engine spreads over its queues.
func sendStreams(ctx context.Context, rt *zmqx.Runtime, s *zmqx.Socket, ep string, k, n, size int) error {
	socks, err := connectMore(rt, s, zmqx.PUSH, zmqx.SocketOptions{Linger: 2 * time.Minute}, ep, k)
	if err != nil {
		return err
	}
	err = onEach(socks, func(i int, so *zmqx.Socket) error {
		b := make([]byte, size)
		for j := range n {
			fill(b, uint64(i)<<56|uint64(j))
			if err := so.Send(ctx, b); err != nil {
				return fmt.Errorf("stream %d, send %d: %w", i, j, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

// recvStreams receives k streams of n messages each, every stream in order.
func recvStreams(ctx context.Context, s *zmqx.Socket, k, n, size int) error {
	next := make([]uint64, k)
	for range k * n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		b := m[0]
		if len(b) < 8 {
			return fmt.Errorf("short message")
		}
		id := binary.LittleEndian.Uint64(b) >> 56
		if id >= uint64(k) {
			return fmt.Errorf("message from stream %d of %d", id, k)
		}
		if err := check(b, id<<56|next[id], size); err != nil {
			return fmt.Errorf("stream %d: %w", id, err)
		}
		next[id]++
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

// recvSeq receives n numbered messages: 0, 1, 2, … or, with ZX_ANYSTART,
// consecutive ones from wherever the first is (a receiver started again
// mid-stream).
func recvSeq(ctx context.Context, s *zmqx.Socket, n, size int) error {
	first := uint64(0)
	var start time.Time
	defer func() {
		if n > 1 && !start.IsZero() {
			fmt.Printf("throughput %.0f msg/s\n", float64(n-1)/time.Since(start).Seconds())
		}
	}()
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return fmt.Errorf("recv %d: %w", i, err)
		}
		b := m[len(m)-1]
		if i == 0 {
			start = time.Now()
		}
		if i == 0 && os.Getenv("ZX_ANYSTART") != "" && len(b) >= 8 {
			first = binary.LittleEndian.Uint64(b)
			fmt.Printf("first %d\n", first)
		}
		if err := check(b, first+uint64(i), size); err != nil {
			return err
		}
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

func requests(ctx context.Context, s *zmqx.Socket, n, size int) error {
	b := make([]byte, size)
	start := time.Now()
	defer func() { fmt.Printf("mean round trip %v\n", time.Since(start)/time.Duration(max(n, 1))) }()
	for i := range n {
		fill(b, uint64(i))
		if err := s.Send(ctx, b); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		m, err := s.Recv(ctx)
		if err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		if err := check(m[0], uint64(i), size); err != nil {
			return err
		}
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

func replies(ctx context.Context, s *zmqx.Socket, n int) error {
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if err := s.Send(ctx, m...); err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
	}
	fmt.Printf("ok %d\n", n)
	return nil
}

// peer is a role running in a namespace.
type peer struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	lines  chan string
	done   chan error
	exited chan struct{} // closed once the process is reaped
	mu     sync.Mutex
	log    []string
}

// startPeer runs this binary as role in namespace ns, with env; prefix
// commands (setpriv …) go before it.
func startPeer(t *testing.T, name, ns string, env map[string]string, prefix ...string) *peer {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"netns", "exec", ns}, prefix...)
	args = append(args, exe, "-test.run=^$")
	return startCmd(t, name, env, "ip", args...)
}

func startCmd(t *testing.T, name string, env map[string]string, bin string, args ...string) *peer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	p := &peer{t: t, name: name, cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.done <- cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("%s output:\n  %s", name, strings.Join(p.log, "\n  "))
			p.mu.Unlock()
		}
	})
	return p
}

// expect waits for a line starting with prefix (any "FAIL" line fails the
// test) and returns the rest of it.
func (p *peer) expect(prefix string, within time.Duration) string {
	p.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("%s ended before %q", p.name, prefix)
			}
			if strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "panic") {
				p.t.Fatalf("%s: %s", p.name, l)
			}
			if strings.HasPrefix(l, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(l, prefix))
			}
		case <-timer.C:
			p.t.Fatalf("%s: no %q within %v", p.name, prefix, within)
		}
	}
}

// wait waits for the peer to exit and fails the test if it failed.
func (p *peer) wait(within time.Duration) {
	p.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if ok && strings.HasPrefix(l, "FAIL") {
				p.t.Fatalf("%s: %s", p.name, l)
			}
			if !ok {
				p.lines = nil
			}
		case err := <-p.done:
			if err != nil {
				p.t.Fatalf("%s: %v", p.name, err)
			}
			return
		case <-timer.C:
			p.t.Fatalf("%s: still running after %v", p.name, within)
		}
	}
}

// line returns the first line the peer printed starting with prefix, or "".
func (p *peer) line(prefix string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.log {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// logged reports whether the peer printed a line starting with prefix.
func (p *peer) logged(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.log {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
