package zmqx_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestProxy: a ROUTER/DEALER shared queue between REQ clients and REP
// workers, a capture of every message, steering (pause, statistics,
// terminate); and an XSUB/XPUB forwarder whose subscriptions go upstream.
func TestProxy(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	front := mustSocket(t, rt, zmqx.ROUTER)
	back := mustSocket(t, rt, zmqx.DEALER)
	capture := mustSocket(t, rt, zmqx.PUSH)
	captured := mustSocket(t, rt, zmqx.PULL)
	control := mustSocket(t, rt, zmqx.REP)
	steer := mustSocket(t, rt, zmqx.REQ)
	for s, ep := range map[*zmqx.Socket]string{front: "tcp://127.0.0.1:*", back: "inproc://workers", captured: "inproc://capture", control: "inproc://control"} {
		if err := s.Bind(ep); err != nil {
			t.Fatal(err)
		}
	}
	for s, ep := range map[*zmqx.Socket]string{capture: "inproc://capture", steer: "inproc://control"} {
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- zmqx.ProxySteerable(ctx, front, back, capture, control) }()

	worker := mustSocket(t, rt, zmqx.REP)
	if err := worker.Connect("inproc://workers"); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			msg, err := worker.Recv(ctx)
			if err != nil {
				return
			}
			if worker.Send(ctx, append([]byte("re: "), msg[0]...)) != nil {
				return
			}
		}
	}()
	client := mustSocket(t, rt, zmqx.REQ)
	if err := client.Connect(front.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		body := fmt.Sprint("request ", i)
		ztest.Send(t, ctx, client, body)
		ztest.Expect(t, ctx, client, "re: "+body)
	}
	// The capture saw each request and each reply, envelopes included.
	for range 6 {
		if _, err := captured.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ztest.Send(t, ctx, steer, "STATISTICS")
	stats, err := steer.Recv(ctx)
	if err != nil || len(stats) != 8 {
		t.Fatalf("statistics: %d frames, %v", len(stats), err)
	}
	for i, want := range []uint64{3, 0, 3, 0, 3, 0, 3, 0} {
		if got := binary.LittleEndian.Uint64(stats[i]); i%2 == 0 && got != want {
			t.Errorf("counter %d = %d, want %d", i, got, want)
		}
	}
	ztest.Send(t, ctx, steer, "TERMINATE")
	ztest.Expect(t, ctx, steer, "")
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Forwarder: a SUB's subscription goes upstream through the proxy.
	xsub := mustSocket(t, rt, zmqx.XSUB)
	xpub := mustSocket(t, rt, zmqx.XPUB)
	if err := xsub.Bind("inproc://upstream"); err != nil {
		t.Fatal(err)
	}
	if err := xpub.Bind("inproc://downstream"); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	go func() { done <- zmqx.Proxy(pctx, xsub, xpub, nil) }()
	pub := mustSocket(t, rt, zmqx.XPUB)
	if err := pub.Connect("inproc://upstream"); err != nil {
		t.Fatal(err)
	}
	sub := mustSocket(t, rt, zmqx.SUB)
	if err := sub.Subscribe("fx."); err != nil {
		t.Fatal(err)
	}
	if err := sub.Connect("inproc://downstream"); err != nil {
		t.Fatal(err)
	}
	ztest.Expect(t, ctx, pub, "\x01fx.")
	ztest.Send(t, ctx, pub, "fx.EURUSD 1.08")
	ztest.Expect(t, ctx, sub, "fx.EURUSD 1.08")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Streamer: PULL frontend, PUSH backend.
	in := mustSocket(t, rt, zmqx.PULL)
	out := mustSocket(t, rt, zmqx.PUSH)
	if err := in.Bind("inproc://stream-in"); err != nil {
		t.Fatal(err)
	}
	if err := out.Bind("inproc://stream-out"); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	go func() { done <- zmqx.Proxy(sctx, in, out, nil) }()
	producer := mustSocket(t, rt, zmqx.PUSH)
	consumer := mustSocket(t, rt, zmqx.PULL)
	if err := producer.Connect("inproc://stream-in"); err != nil {
		t.Fatal(err)
	}
	if err := consumer.Connect("inproc://stream-out"); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		ztest.Send(t, ctx, producer, fmt.Sprint(i), "tail")
	}
	for i := range 100 {
		ztest.Expect(t, ctx, consumer, fmt.Sprint(i), "tail")
	}
	scancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
