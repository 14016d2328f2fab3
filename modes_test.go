package zmqx_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// modes are the ways a runtime can drive its connections.
var modes = []struct {
	name string
	cfg  zmqx.Config
}{
	{"block", zmqx.Config{}},
	{"backoff-worker", zmqx.Config{Idle: zmqx.IdleBackoff}},
	{"spin-worker", zmqx.Config{Idle: zmqx.IdleSpin}},
	{"backoff-invoker", zmqx.Config{Idle: zmqx.IdleBackoff, Invoker: true}},
	{"spin-invoker", zmqx.Config{Idle: zmqx.IdleSpin, Invoker: true}},
}

// TestModes runs the patterns over tcp and ipc in every idle strategy and
// threading mode: request-reply, load-balanced pipelines with multipart
// messages larger than a segment, and filtered publish-subscribe; and
// closes cleanly (TestMain checks for leaked goroutines and fds).
func TestModes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*"} {
				t.Run(ep[:3], func(t *testing.T) {
					ctx := ztest.Ctx(t)
					// One runtime for both ends: a spinning worker per
					// runtime would take both of a small machine's CPUs.
					server := zmqx.NewRuntime(m.cfg)
					defer server.Close()
					client := server

					rep := mustSocket(t, server, zmqx.REP)
					if err := rep.Bind(ep); err != nil {
						t.Fatal(err)
					}
					req := mustSocket(t, client, zmqx.REQ)
					if err := req.Connect(rep.LastEndpoint()); err != nil {
						t.Fatal(err)
					}
					done := make(chan error, 1)
					go func() {
						for i := 0; i < 200; i++ {
							msg, err := rep.Recv(ctx)
							if err != nil {
								done <- err
								return
							}
							if err := rep.Send(ctx, append(msg, []byte("ok"))...); err != nil {
								done <- err
								return
							}
						}
						done <- nil
					}()
					for i := 0; i < 200; i++ {
						body := []byte(fmt.Sprint("request ", i))
						if err := req.Send(ctx, body); err != nil {
							t.Fatal(err)
						}
						msg, err := req.Recv(ctx)
						if err != nil {
							t.Fatal(err)
						}
						if len(msg) != 2 || !bytes.Equal(msg[0], body) || string(msg[1]) != "ok" {
							t.Fatalf("reply %d: %q", i, msg)
						}
					}
					if err := <-done; err != nil {
						t.Fatal(err)
					}

					// A pipeline: 2000 multipart messages, some larger than a
					// 64 KiB segment, arrive whole and in order.
					pull := mustSocket(t, server, zmqx.PULL)
					if err := pull.Bind(ep); err != nil {
						t.Fatal(err)
					}
					push := mustSocket(t, client, zmqx.PUSH)
					if err := push.Connect(pull.LastEndpoint()); err != nil {
						t.Fatal(err)
					}
					big := bytes.Repeat([]byte("b"), 100<<10)
					go func() {
						for i := 0; i < 2000; i++ {
							tail := []byte("t")
							if i%100 == 0 {
								tail = big
							}
							if err := push.Send(ctx, []byte(fmt.Sprint(i)), tail); err != nil {
								done <- err
								return
							}
						}
						done <- nil
					}()
					for i := 0; i < 2000; i++ {
						msg, err := pull.Recv(ctx)
						if err != nil {
							t.Fatal(err)
						}
						want := 1
						if i%100 == 0 {
							want = len(big)
						}
						if len(msg) != 2 || string(msg[0]) != fmt.Sprint(i) || len(msg[1]) != want {
							t.Fatalf("message %d: %d frames, %q", i, len(msg), msg[0])
						}
					}
					if err := <-done; err != nil {
						t.Fatal(err)
					}

					// Publish-subscribe with a filter.
					pub := mustSocket(t, server, zmqx.PUB)
					if err := pub.Bind(ep); err != nil {
						t.Fatal(err)
					}
					sub := mustSocket(t, client, zmqx.SUB)
					if err := sub.Subscribe("a."); err != nil {
						t.Fatal(err)
					}
					if err := sub.Connect(pub.LastEndpoint()); err != nil {
						t.Fatal(err)
					}
					// Publish until the subscription has arrived, then check
					// the filter on what follows.
					got := make(chan string, 1)
					go func() {
						msg, err := sub.Recv(ctx)
						if err != nil {
							got <- err.Error()
							return
						}
						got <- string(msg[0])
					}()
					for {
						pub.Send(ctx, []byte("b.not-this"))
						pub.Send(ctx, []byte("a.this"))
						select {
						case s := <-got:
							if s != "a.this" {
								t.Fatalf("SUB got %q", s)
							}
						default:
							if m.cfg.Invoker {
								pub.Invoke()
							}
							runtime.Gosched()
							continue
						}
						break
					}
				})
			}
		})
	}
}

// TestCloseDiscardingInEveryMode closes sockets that discard what is
// queued (negative Linger) while their connections are driven in every
// mode, with messages still queued: the connections end at once (those an
// agent drives through the raw descriptor are shut down first and closed
// by their engine once the agent is taken back), Close does not hang, and
// nothing leaks (TestMain checks goroutines and descriptors).
func TestCloseDiscardingInEveryMode(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := zmqx.NewRuntime(m.cfg)
			defer rt.Close()
			o := zmqx.SocketOptions{Linger: -1}
			pull := mustSocket(t, rt, zmqx.PULL, o)
			push := mustSocket(t, rt, zmqx.PUSH, o)
			bindConnect(t, pull, push)
			for i := 0; i < 100; i++ {
				if err := push.Send(ctx, []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := pull.Recv(ctx); err != nil {
				t.Fatal(err)
			}
			if err := push.Close(); err != nil {
				t.Fatal(err)
			}
			if err := pull.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWorkersPinned: with CPUs given, the I/O worker's thread runs on that
// CPU alone.
func TestWorkersPinned(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread pinning is Linux only")
	}
	ctx := ztest.Ctx(t)
	cfg := zmqx.Config{Idle: zmqx.IdleBackoff, Workers: 1, CPUs: []int{runtime.NumCPU() - 1}}
	rt := zmqx.NewRuntime(cfg)
	defer rt.Close()
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := mustSocket(t, rt, zmqx.PUSH)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if err := push.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := pull.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(cfg.CPUs[0])
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && strings.TrimSpace(v) == want {
				return // a thread pinned to that CPU alone: the worker
			}
		}
	}
	if runtime.NumCPU() == 1 {
		t.Skip("one CPU: every thread is on it anyway")
	}
	t.Fatalf("no thread is pinned to CPU %s alone", want)
}

// TestConfigErrors: configurations that cannot work are refused when a
// socket is made, with a reason.
func TestConfigErrors(t *testing.T) {
	for _, cfg := range []zmqx.Config{
		{Invoker: true},
		{Idle: zmqx.IdleSpin, CPUs: []int{-1}},
		{Workers: -1},
	} {
		rt := zmqx.NewRuntime(cfg)
		if _, err := rt.Socket(zmqx.PAIR); err == nil {
			t.Errorf("%+v: no error", cfg)
		} else {
			t.Logf("%+v: %v", cfg, err)
		}
		rt.Close()
	}
	if _, err := zmqx.ParseIdle("fast"); err == nil {
		t.Error("ParseIdle accepted fast")
	}
}
