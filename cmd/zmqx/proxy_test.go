package main

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zmqx/zmqx"
)

// REQ clients reach REP workers through a ROUTER/DEALER proxy, multipart
// requests and replies intact, each reply back at its own client.
func TestProxyRouterDealer(t *testing.T) {
	front, back := ipc(t, "front"), ipc(t, "back")
	proxy := start(t, "", "proxy", "--frontend", "ROUTER@bind:"+front, "--backend", "DEALER@bind:"+back)

	workCtx, stopWork := context.WithCancel(testCtx(t))
	var workers sync.WaitGroup
	for w := range 2 {
		rep := socket(t, zmqx.REP, zmqx.SocketOptions{})
		if err := rep.Connect(back); err != nil {
			t.Fatal(err)
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				req, err := rep.Recv(workCtx)
				if err != nil {
					return
				}
				reply := append([][]byte{[]byte(fmt.Sprint("worker", w))}, req...)
				if rep.Send(workCtx, reply...) != nil {
					return
				}
			}
		}()
	}

	ctx := testCtx(t)
	var clients sync.WaitGroup
	errs := make(chan error, 3)
	for c := range 3 {
		req := socket(t, zmqx.REQ, zmqx.SocketOptions{})
		if err := req.Connect(front); err != nil {
			t.Fatal(err)
		}
		clients.Add(1)
		go func() {
			defer clients.Done()
			for i := range 3 {
				body := []byte(fmt.Sprintf("client%d-%d", c, i))
				if err := req.Send(ctx, body, []byte{}, []byte("tail")); err != nil {
					errs <- err
					return
				}
				reply, err := req.Recv(ctx)
				if err != nil {
					errs <- err
					return
				}
				if len(reply) != 4 || string(reply[1]) != string(body) || len(reply[2]) != 0 || string(reply[3]) != "tail" {
					errs <- fmt.Errorf("client %d got %q for %q", c, reply, body)
					return
				}
			}
		}()
	}
	clients.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stopWork()
	workers.Wait()
	proxy.interrupt()
	if err := proxy.wait(t); err != nil {
		t.Fatalf("proxy: %v", err)
	}
}

// Behind an XSUB/XPUB proxy, subscriptions travel up to the publisher and
// matching messages down to the subscriber.
func TestProxyXSubXPub(t *testing.T) {
	for _, side := range bindSides {
		t.Run(side, func(t *testing.T) {
			front, back := ipc(t, "front"), ipc(t, "back")
			pub := socket(t, zmqx.XPUB, zmqx.SocketOptions{})
			sub := socket(t, zmqx.SUB, zmqx.SocketOptions{})
			how := "bind:"
			if side == "cli-connects" {
				how = "connect:"
				for _, b := range []struct {
					s  *zmqx.Socket
					ep string
				}{{pub, front}, {sub, back}} {
					if err := b.s.Bind(b.ep); err != nil {
						t.Fatal(err)
					}
				}
			}
			proxy := start(t, "", "proxy", "--frontend", "XSUB@"+how+front, "--backend", "XPUB@"+how+back)
			if side == "cli-binds" {
				if err := pub.Connect(front); err != nil {
					t.Fatal(err)
				}
				if err := sub.Connect(back); err != nil {
					t.Fatal(err)
				}
			}
			if err := sub.Subscribe("a."); err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			msg, err := pub.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg[0]) != "\x01a." {
				t.Fatalf("the publisher got %q, want the subscription to a.", msg)
			}
			for _, m := range [][]string{{"b.x", "no"}, {"a.x", "yes", "", "three"}} {
				frames := make([][]byte, len(m))
				for i, f := range m {
					frames[i] = []byte(f)
				}
				if err := pub.Send(ctx, frames...); err != nil {
					t.Fatal(err)
				}
			}
			got, err := sub.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]byte{[]byte("a.x"), []byte("yes"), {}, []byte("three")}; !framesEqual(got, want) {
				t.Fatalf("the subscriber got %q, want %q", got, want)
			}
			// Cancels go up too.
			if err := sub.Unsubscribe("a."); err != nil {
				t.Fatal(err)
			}
			if msg, err := pub.Recv(ctx); err != nil || string(msg[0]) != "\x00a." {
				t.Fatalf("the publisher got %q, %v, want the cancel of a.", msg, err)
			}
			proxy.interrupt()
			if err := proxy.wait(t); err != nil {
				t.Fatalf("proxy: %v", err)
			}
		})
	}
}

// A PULL/PUSH proxy forwards one way.
func TestProxyPullPush(t *testing.T) {
	front, back := ipc(t, "front"), ipc(t, "back")
	proxy := start(t, "", "proxy", "--frontend", "PULL@bind:"+front, "--backend", "PUSH@bind:"+back)
	push := socket(t, zmqx.PUSH, zmqx.SocketOptions{})
	pull := socket(t, zmqx.PULL, zmqx.SocketOptions{})
	if err := push.Connect(front); err != nil {
		t.Fatal(err)
	}
	if err := pull.Connect(back); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	want := [][]byte{[]byte("job"), {}, {0xff, 0x00}}
	if err := push.Send(ctx, want...); err != nil {
		t.Fatal(err)
	}
	got, err := pull.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !framesEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	proxy.interrupt()
	if err := proxy.wait(t); err != nil {
		t.Fatalf("proxy: %v", err)
	}
}

// The end of the --timeout is the planned end of a proxy: status 0.
func TestProxyTimeout(t *testing.T) {
	_, _, err := runCLI(t, "", "proxy", "--frontend", "ROUTER@bind:"+ipc(t, "f"), "--backend", "DEALER@bind:"+ipc(t, "b"), "--timeout", "100ms")
	if err != nil {
		t.Fatal(err)
	}
}
