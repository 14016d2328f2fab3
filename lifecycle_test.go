package zmqx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// freeTCP returns a loopback endpoint that was free a moment ago.
func freeTCP(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

func TestConnectBeforeBind(t *testing.T) {
	for _, ep := range []string{freeTCP(t), "inproc://later"} {
		t.Run(ep[:3], func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := newRuntime(t)
			push := mustSocket(t, rt, zmqx.PUSH)
			if err := push.Connect(ep); err != nil {
				t.Fatal(err)
			}
			sent := make(chan error, 1)
			go func() { sent <- push.Send(ctx, []byte("early")) }()
			pull := mustSocket(t, rt, zmqx.PULL)
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			ztest.Expect(t, ctx, pull, "early")
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	ep := freeTCP(t)
	o, ev := watched()
	o.ReconnectInterval = 10 * time.Millisecond
	o.ReconnectIntervalMax = 50 * time.Millisecond
	push := mustSocket(t, rt, zmqx.PUSH, o)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for gen := 0; gen < 3; gen++ {
		pull := mustSocket(t, rt, zmqx.PULL)
		if err := pull.Bind(ep); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, push, fmt.Sprint("gen ", gen))
		ztest.Expect(t, ctx, pull, fmt.Sprint("gen ", gen))
		if err := pull.Close(); err != nil {
			t.Fatal(err)
		}
		waitEvents(t, ctx, ev, zmqx.EventType(6), 1) // disconnected
	}
	// While nobody listens, attempts keep failing and are reported.
	waitEvents(t, ctx, ev, zmqx.EventType(7), 2) // connect-retry
}

func TestSubscriptionsSurviveReconnect(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	ep := freeTCP(t)
	sub := mustSocket(t, rt, zmqx.SUB, zmqx.SocketOptions{ReconnectInterval: 10 * time.Millisecond})
	sub.Subscribe("a")
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for gen := 0; gen < 2; gen++ {
		pub := mustSocket(t, rt, zmqx.XPUB)
		if err := pub.Bind(ep); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, pub, "\x01a")
		ztest.Send(t, ctx, pub, "b-skip")
		ztest.Send(t, ctx, pub, "a-take")
		ztest.Expect(t, ctx, sub, "a-take")
		pub.Close()
	}
}

func TestManyEndpoints(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	pull := mustSocket(t, rt, zmqx.PULL)
	var eps []string
	for _, ep := range []string{"tcp://127.0.0.1:0", "ipc://*", "inproc://many", "tcp://127.0.0.1:*"} {
		if err := pull.Bind(ep); err != nil {
			t.Fatal(err)
		}
		eps = append(eps, pull.LastEndpoint())
	}
	push := mustSocket(t, rt, zmqx.PUSH)
	for _, ep := range eps {
		p := mustSocket(t, rt, zmqx.PUSH)
		if err := p.Connect(ep); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, p, ep)
		ztest.Expect(t, ctx, pull, ep)
		// One socket may also connect to several endpoints.
		if err := push.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2*len(eps); i++ {
		ztest.Send(t, ctx, push, "x")
	}
	for i := 0; i < 2*len(eps); i++ {
		ztest.Recv(t, ctx, pull)
	}
	if err := pull.Unbind(eps[0]); err != nil {
		t.Fatal(err)
	}
	if err := pull.Unbind(eps[0]); !errors.Is(err, zmqx.ErrEndpoint) {
		t.Fatalf("second unbind: %v", err)
	}
	if err := push.Disconnect(eps[1]); err != nil {
		t.Fatal(err)
	}
}

func TestIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this host: %v", err)
	}
	l.Close()
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	rep := mustSocket(t, rt, zmqx.REP)
	if err := rep.Bind("tcp://[::1]:*"); err != nil {
		t.Fatal(err)
	}
	req := mustSocket(t, rt, zmqx.REQ)
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ztest.Send(t, ctx, req, "v6")
	ztest.Expect(t, ctx, rep, "v6")
	// A wildcard bind takes IPv4 peers too.
	all := mustSocket(t, rt, zmqx.PULL)
	if err := all.Bind("tcp://*:0"); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(all.LastEndpoint()[len("tcp://"):])
	push := mustSocket(t, rt, zmqx.PUSH)
	if err := push.Connect("tcp://127.0.0.1:" + port); err != nil {
		t.Fatal(err)
	}
	ztest.Send(t, ctx, push, "v4")
	ztest.Expect(t, ctx, all, "v4")
}

// closeWithin fails the test if f has not returned after a generous bound:
// a hang detector, not a timing assertion.
func closeWithin(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, zmqx.ErrClosed) {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s hung", what)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	rt := zmqx.NewRuntime(zmqx.Config{})
	ctx := ztest.Ctx(t)
	linger := zmqx.SocketOptions{Linger: 50 * time.Millisecond, SendHWM: 5}

	// A sender blocked on a peer that never comes.
	dead := mustSocket(t, rt, zmqx.PUSH, linger)
	if err := dead.Connect(freeTCP(t)); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		for {
			if err := dead.Send(ctx, []byte("never delivered")); err != nil {
				blocked <- err
				return
			}
		}
	}()

	// A peer that accepted TCP but never speaks ZMTP.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mute []net.Conn
	var muteMu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			muteMu.Lock()
			mute = append(mute, c)
			muteMu.Unlock()
		}
	}()
	silent := mustSocket(t, rt, zmqx.DEALER, linger)
	if err := silent.Connect("tcp://" + l.Addr().String()); err != nil {
		t.Fatal(err)
	}
	ztest.Send(t, ctx, silent, "queued")

	// Unread messages on a live connection.
	pull := mustSocket(t, rt, zmqx.PULL, linger)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := mustSocket(t, rt, zmqx.PUSH, linger)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ztest.Send(t, ctx, push, "unread")
	}
	ztest.Recv(t, ctx, pull) // the connection is up

	closeWithin(t, "Runtime.Close", rt.Close)
	if err := <-blocked; !errors.Is(err, zmqx.ErrClosed) {
		t.Fatalf("blocked sender got %v, want ErrClosed", err)
	}
	if _, err := rt.Socket(zmqx.PUB); !errors.Is(err, zmqx.ErrClosed) {
		t.Fatalf("socket after runtime close: %v", err)
	}
	muteMu.Lock()
	for _, c := range mute {
		c.Close()
	}
	muteMu.Unlock()
}

func TestLingerDeliversQueuedOutput(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{Linger: 10 * time.Second})
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := 0; i < n; i++ {
		ztest.Send(t, ctx, push, fmt.Sprint(i))
	}
	closeWithin(t, "Close", push.Close) // returns once everything is written
	for i := 0; i < n; i++ {
		ztest.Expect(t, ctx, pull, fmt.Sprint(i))
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := mustSocket(t, rt, zmqx.PUSH)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	const senders, each = 4, 500
	var wg sync.WaitGroup
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := push.Send(ctx, []byte(fmt.Sprint(g)), []byte(fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Two receivers on one socket too. Across two receivers order is not
	// defined; each message must arrive once and whole.
	var mu sync.Mutex
	seen := map[[2]int]bool{}
	var rg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			idle := 0
			for {
				mu.Lock()
				done := len(seen)
				mu.Unlock()
				if done == senders*each {
					return
				}
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				m, err := pull.Recv(short)
				cancel()
				if err != nil {
					if idle++; idle == 25 { // 5 s without a message: lost
						mu.Lock()
						t.Errorf("received %d of %d messages", len(seen), senders*each)
						mu.Unlock()
						return
					}
					continue
				}
				idle = 0
				var g, i int
				if len(m) != 2 {
					t.Errorf("message with %d frames: %q", len(m), m)
					continue
				}
				fmt.Sscan(string(m[0]), &g)
				fmt.Sscan(string(m[1]), &i)
				mu.Lock()
				if seen[[2]int{g, i}] {
					t.Errorf("sender %d: message %d twice", g, i)
				}
				seen[[2]int{g, i}] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rg.Wait()
}

func TestPlainAuth(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	o, ev := watched()
	o.PlainAuth = func(user, pass string) error {
		if user == "trader" && pass == "s3cret" {
			return nil
		}
		return errors.New("unknown user")
	}
	rep := mustSocket(t, rt, zmqx.REP, o)
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	bad := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "guess"})
	if err := bad.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	for {
		e := <-ev
		if e.Type == zmqx.EventType(5) { // handshake failed
			if e.Err == nil {
				t.Fatal("refusal without a reason")
			}
			break
		}
		if e.Type == zmqx.EventType(4) {
			t.Fatal("bad credentials accepted")
		}
	}
	good := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "s3cret"})
	if err := good.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ztest.Send(t, ctx, good, "order")
	ztest.Expect(t, ctx, rep, "order")
}

// TestInprocLikeLibzmq: sends before an inproc bind queue (up to the HWM,
// without blocking) and arrive once the bind happens; Disconnect really
// ends the pipe, so nothing more is routed to that peer.
func TestInprocLikeLibzmq(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	push := mustSocket(t, rt, zmqx.PUSH)
	if err := push.Connect("inproc://not-yet"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		// NoWait: queued at once, no bind needed.
		if err := push.Send(zmqx.NoWait, []byte(fmt.Sprint("early ", i))); err != nil {
			t.Fatalf("send %d before the bind: %v", i, err)
		}
	}
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Bind("inproc://not-yet"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ztest.Expect(t, ctx, pull, fmt.Sprint("early ", i))
	}

	// Two PULLs; disconnect one: everything after goes to the other.
	other := mustSocket(t, rt, zmqx.PULL)
	if err := other.Bind("inproc://other"); err != nil {
		t.Fatal(err)
	}
	if err := push.Connect("inproc://other"); err != nil {
		t.Fatal(err)
	}
	if err := push.Disconnect("inproc://not-yet"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		ztest.Send(t, ctx, push, fmt.Sprint("late ", i))
	}
	for i := range 10 {
		ztest.Expect(t, ctx, other, fmt.Sprint("late ", i))
	}
	if msg, err := pull.Recv(zmqx.NoWait); !errors.Is(err, zmqx.ErrWouldBlock) {
		t.Fatalf("the disconnected PULL got %q (%v)", msg, err)
	}

	// A SUB that connects before its PUB binds gets its subscription there.
	sub := mustSocket(t, rt, zmqx.SUB)
	if err := sub.Subscribe("a"); err != nil {
		t.Fatal(err)
	}
	if err := sub.Connect("inproc://pub-later"); err != nil {
		t.Fatal(err)
	}
	pub := mustSocket(t, rt, zmqx.XPUB)
	if err := pub.Bind("inproc://pub-later"); err != nil {
		t.Fatal(err)
	}
	ztest.Expect(t, ctx, pub, "\x01a")
	ztest.Send(t, ctx, pub, "b")
	ztest.Send(t, ctx, pub, "a1")
	ztest.Expect(t, ctx, sub, "a1")
}
