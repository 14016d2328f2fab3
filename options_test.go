package zmqx_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestReqRelaxedCorrelate: a relaxed REQ may send again before its reply,
// and with correlation takes only the reply to its last request.
func TestReqRelaxedCorrelate(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		router := mustSocket(t, rt, zmqx.ROUTER)
		if err := router.Bind(ep); err != nil {
			t.Fatal(err)
		}
		req := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{ReqRelaxed: true, ReqCorrelate: true})
		if err := req.Connect(router.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, req, "first")
		first, err := router.Recv(ctx)
		if err != nil || len(first) != 4 || len(first[1]) != 4 || len(first[2]) != 0 || string(first[3]) != "first" {
			t.Fatalf("request on the wire: %q %v", first, err)
		}
		ztest.Send(t, ctx, req, "second") // relaxed: no reply needed first
		second, err := router.Recv(ctx)
		if err != nil || len(second) != 4 || string(second[3]) != "second" {
			t.Fatalf("second request: %q %v", second, err)
		}
		if binary.LittleEndian.Uint32(second[1]) != binary.LittleEndian.Uint32(first[1])+1 {
			t.Fatalf("request ids %x then %x", first[1], second[1])
		}
		// The late reply to the first request is dropped; the second's arrives.
		ztest.Send(t, ctx, router, string(first[0]), string(first[1]), "", "late")
		ztest.Send(t, ctx, router, string(second[0]), string(second[1]), "", "answer")
		ztest.Expect(t, ctx, req, "answer")

		// Without ReqRelaxed, a second send before the reply is refused.
		// Linger -1: the runtime's Close may catch "once" undelivered.
		strict := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{Linger: -1})
		if err := strict.Connect(router.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, strict, "once")
		if err := strict.Send(ctx, []byte("twice")); !errors.Is(err, zmqx.ErrState) {
			t.Fatalf("strict REQ sent twice: %v", err)
		}
	})
}

// TestXPubOptions: verbose subscriptions, no-drop publishing and inverted
// matching.
func TestXPubOptions(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)

		// XPubVerbose: both subscribers' subscribe to "a" reach Recv.
		xpub := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{XPubVerbose: true})
		if err := xpub.Bind(distinct(ep, 0)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			s := mustSocket(t, rt, zmqx.SUB)
			if err := s.Subscribe("a"); err != nil {
				t.Fatal(err)
			}
			if err := s.Connect(xpub.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			ztest.Expect(t, ctx, xpub, "\x01a")
		}

		// XPubNoDrop: at the HWM a send waits (here: would block) instead
		// of dropping, and nothing is lost.
		nodrop := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{XPubNoDrop: true, SendHWM: 5})
		if err := nodrop.Bind(distinct(ep, 1)); err != nil {
			t.Fatal(err)
		}
		slow := mustSocket(t, rt, zmqx.SUB, zmqx.SocketOptions{RecvHWM: 5})
		if err := slow.Subscribe(""); err != nil {
			t.Fatal(err)
		}
		if err := slow.Connect(nodrop.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, nodrop, "\x01")
		sent := 0
		for ; sent < 100000; sent++ {
			if err := nodrop.Send(zmqx.NoWait, []byte("m")); errors.Is(err, zmqx.ErrWouldBlock) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if sent == 100000 {
			t.Fatal("a subscriber that does not read never made the publisher wait")
		}
		for range sent {
			ztest.Expect(t, ctx, slow, "m")
		}

		// InvertMatching on both ends: the SUB gets what does not match.
		pub := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{InvertMatching: true})
		if err := pub.Bind(distinct(ep, 2)); err != nil {
			t.Fatal(err)
		}
		sub := mustSocket(t, rt, zmqx.SUB, zmqx.SocketOptions{InvertMatching: true})
		if err := sub.Subscribe("a"); err != nil {
			t.Fatal(err)
		}
		if err := sub.Connect(pub.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, pub, "\x01a") // the subscription is in
		ztest.Send(t, ctx, pub, "a.y")
		ztest.Send(t, ctx, pub, "b.y")
		ztest.Expect(t, ctx, sub, "b.y") // and not a.y before it
	})
}
