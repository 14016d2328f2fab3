package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
)

// Ctrl-C ends an open-ended recv with status 0, after what arrived.
func TestRecvInterrupted(t *testing.T) {
	ep := ipc(t, "r")
	recv := start(t, "", "recv", "--bind", ep)
	push := socket(t, zmqx.PUSH, zmqx.SocketOptions{})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for _, m := range []string{"one", "two"} {
		if err := push.Send(ctx, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if got := recv.stdout.next(t); got != m {
			t.Fatalf("printed %q, want %q", got, m)
		}
	}
	recv.interrupt()
	if err := recv.wait(t); err != nil {
		t.Fatalf("interrupted recv: %v", err)
	}
	if got := recv.stdout.String(); got != "one\ntwo\n" {
		t.Fatalf("printed %q", got)
	}
}

func TestRecvTimeout(t *testing.T) {
	ep := ipc(t, "r")
	// Nothing at all: an error.
	_, _, err := runCLI(t, "", "recv", "--bind", ep, "--timeout", "100ms")
	if err == nil || !strings.Contains(err.Error(), "nothing received within the --timeout") {
		t.Fatalf("got %v", err)
	}
	// Fewer than --count: an error, after printing them.
	push := socket(t, zmqx.PUSH, zmqx.SocketOptions{})
	if err := push.Connect(ep + "2"); err != nil {
		t.Fatal(err)
	}
	recv := start(t, "", "recv", "--bind", ep+"2", "--count", "2")
	if err := push.Send(testCtx(t), []byte("only")); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.next(t); got != "only" {
		t.Fatalf("printed %q", got)
	}
	recv.interrupt()
	err = recv.wait(t)
	if err == nil || !strings.Contains(err.Error(), "received 1 of 2 messages before the interrupt") {
		t.Fatalf("got %v", err)
	}
}

func TestRecvSubscribe(t *testing.T) {
	ep := ipc(t, "sub")
	pub := socket(t, zmqx.XPUB, zmqx.SocketOptions{})
	if err := pub.Bind(ep); err != nil {
		t.Fatal(err)
	}
	recv := start(t, "", "recv", "--type", "SUB", "--connect", ep, "--subscribe", "a", "--count", "1", "--timeout", "20s")
	ctx := testCtx(t)
	// The XPUB sees the subscription: from then on "a" messages get there.
	if msg, err := pub.Recv(ctx); err != nil || string(msg[0]) != "\x01a" {
		t.Fatalf("subscription %q, %v", msg, err)
	}
	for _, m := range []string{"b", "a1"} {
		if err := pub.Send(ctx, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := recv.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.String(); got != "a1\n" {
		t.Fatalf("printed %q", got)
	}
}

// closeWithin gives up at the deadline: --timeout bounds the linger too.
func TestCloseWithinDeadline(t *testing.T) {
	release := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if closeWithin(ctx, func() error { <-release; return nil }) {
		t.Fatal("a close that had not finished was reported finished")
	}
	close(release)
	if !closeWithin(context.Background(), func() error { return nil }) {
		t.Fatal("a finished close was reported unfinished")
	}
}

// An XPUB prints the subscriptions it receives, first byte 1 or 0.
func TestRecvXPUBSubscriptions(t *testing.T) {
	ep := ipc(t, "xpub")
	recv := start(t, "", "recv", "--type", "XPUB", "--bind", ep, "--count", "2")
	sub := socket(t, zmqx.SUB, zmqx.SocketOptions{})
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := sub.Subscribe("news"); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.next(t); got != `\x01news` {
		t.Fatalf("printed %q", got)
	}
	if err := sub.Unsubscribe("news"); err != nil {
		t.Fatal(err)
	}
	if err := recv.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.String(); got != `\x01news`+"\n"+`\x00news`+"\n" {
		t.Fatalf("printed %q", got)
	}
}
