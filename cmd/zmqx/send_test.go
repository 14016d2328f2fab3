package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zmqx/zmqx"
)

// bindSide says which end binds: the CLI or the test's socket.
var bindSides = []string{"cli-binds", "cli-connects"}

// attach binds or connects the test's socket s opposite the CLI and
// returns the CLI's flag for ep.
func attach(t *testing.T, side string, s *zmqx.Socket, ep string) []string {
	t.Helper()
	if side == "cli-binds" {
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
		return []string{"--bind", ep}
	}
	if err := s.Bind(ep); err != nil {
		t.Fatal(err)
	}
	return []string{"--connect", ep}
}

func TestServeREP(t *testing.T) {
	for _, side := range bindSides {
		t.Run(side, func(t *testing.T) {
			req := socket(t, zmqx.REQ, zmqx.SocketOptions{})
			flags := attach(t, side, req, ipc(t, "rep"))
			args := append(append([]string{"send", "--type", "REP", "--count", "2", "--timeout", "20s"}, flags...), "pong", "-", `two\nlines`)
			rep := start(t, "", args...)
			ctx := testCtx(t)
			for i := range 2 {
				if err := req.Send(ctx, []byte(fmt.Sprint("ping", i)), []byte("a\tb")); err != nil {
					t.Fatal(err)
				}
				reply, err := req.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := [][]byte{[]byte("pong"), {}, []byte("two\nlines")}; !framesEqual(reply, want) {
					t.Fatalf("reply %q, want %q", reply, want)
				}
				if got, want := rep.stdout.next(t), fmt.Sprintf(`ping%d`+"\t"+`a\tb`, i); got != want {
					t.Fatalf("printed %q, want %q", got, want)
				}
			}
			if err := rep.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Without FRAMEs each request is answered with the next line of standard
// input, and serving ends with the input.
func TestServeREPFromStdin(t *testing.T) {
	ep := ipc(t, "rep")
	rep := start(t, "first\tof two\nsecond\n", "send", "--type", "REP", "--bind", ep, "--multipart", "--timeout", "20s")
	req := socket(t, zmqx.REQ, zmqx.SocketOptions{})
	if err := req.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for _, want := range [][][]byte{{[]byte("first"), []byte("of two")}, {[]byte("second")}} {
		if err := req.Send(ctx, []byte("q")); err != nil {
			t.Fatal(err)
		}
		reply, err := req.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !framesEqual(reply, want) {
			t.Fatalf("reply %q, want %q", reply, want)
		}
	}
	if err := rep.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := rep.stdout.String(); got != "q\nq\n" {
		t.Fatalf("printed %q", got)
	}
}

// A ROUTER prints the routing id first and replies to it, with the REQ
// envelope when the request had one.
func TestServeROUTER(t *testing.T) {
	for _, side := range bindSides {
		t.Run(side, func(t *testing.T) {
			ep := ipc(t, "router")
			req := socket(t, zmqx.REQ, zmqx.SocketOptions{RoutingID: []byte("req1")})
			dealer := socket(t, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("dealer1")})
			flags := attach(t, side, req, ep)
			if side == "cli-binds" {
				attach(t, side, dealer, ep)
			} else {
				// One socket binds one endpoint; the CLI connects to both.
				flags = append(flags, attach(t, side, dealer, ep+"2")...)
			}
			args := append(append([]string{"send", "--type", "ROUTER", "--count", "2", "--timeout", "20s"}, flags...), "pong", "2")
			router := start(t, "", args...)
			ctx := testCtx(t)

			if err := req.Send(ctx, []byte("ping")); err != nil {
				t.Fatal(err)
			}
			if got := router.stdout.next(t); got != "req1\t\tping" {
				t.Fatalf("printed %q", got)
			}
			reply, err := req.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]byte{[]byte("pong"), []byte("2")}; !framesEqual(reply, want) {
				t.Fatalf("REQ got %q, want %q", reply, want)
			}

			if err := dealer.Send(ctx, []byte("hi"), []byte("there")); err != nil {
				t.Fatal(err)
			}
			if got := router.stdout.next(t); got != "dealer1\thi\tthere" {
				t.Fatalf("printed %q", got)
			}
			reply, err = dealer.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]byte{[]byte("pong"), []byte("2")}; !framesEqual(reply, want) {
				t.Fatalf("DEALER got %q, want %q", reply, want)
			}
			if err := router.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	for _, c := range []struct{ req, want string }{
		{"id||body", "id|"},
		{"id|hop|||body", "id|hop|"},
		{"id|body", "id"},
		{"id", "id"},
	} {
		var req [][]byte
		for _, f := range strings.Split(c.req, "|") {
			req = append(req, []byte(f))
		}
		var got []string
		for _, f := range envelope(req) {
			got = append(got, string(f))
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("envelope(%q) = %q, want %q", c.req, strings.Join(got, "|"), c.want)
		}
	}
}

func TestREQPrintsReplies(t *testing.T) {
	for _, side := range bindSides {
		t.Run(side, func(t *testing.T) {
			rep := socket(t, zmqx.REP, zmqx.SocketOptions{})
			flags := attach(t, side, rep, ipc(t, "req"))
			go func() {
				ctx := testCtx(t)
				for {
					msg, err := rep.Recv(ctx)
					if err != nil {
						return
					}
					if rep.Send(ctx, append([][]byte{[]byte("re")}, msg...)...) != nil {
						return
					}
				}
			}()
			out, _, err := runCLI(t, "a\nb\n", append([]string{"send", "--type", "REQ", "--timeout", "20s"}, flags...)...)
			if err != nil {
				t.Fatal(err)
			}
			if out != "re\ta\nre\tb\n" {
				t.Fatalf("printed %q", out)
			}
		})
	}
}

// The exit status says whether anything could have been delivered.
func TestNothingDelivered(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"push bound, no peer", []string{"--type", "PUSH", "--bind", "ipc://" + dir + "/a", "--timeout", "100ms", "x"}, "nothing delivered: no peer connected within the --timeout"},
		{"push connecting, no peer", []string{"--type", "PUSH", "--connect", "ipc://" + dir + "/b", "--timeout", "100ms", "x"}, "nothing delivered: 1 message(s) queued, but no peer connected within the --timeout"},
		{"pub, no subscriber", []string{"--type", "PUB", "--bind", "ipc://" + dir + "/c", "x"}, "nothing delivered: no subscriber was connected"},
		{"req, no peer", []string{"--type", "REQ", "--bind", "ipc://" + dir + "/d", "--timeout", "100ms", "x"}, "nothing delivered: no peer connected within the --timeout"},
		{"rep, no request", []string{"--type", "REP", "--bind", "ipc://" + dir + "/e", "--timeout", "100ms", "x"}, "nothing delivered: no peer connected within the --timeout"},
		{"router, no request", []string{"--type", "ROUTER", "--bind", "ipc://" + dir + "/f", "--timeout", "100ms", "x"}, "nothing delivered: no peer connected within the --timeout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", append([]string{"send"}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// A REQ whose peer takes the request but never answers fails too.
func TestNoReply(t *testing.T) {
	ep := ipc(t, "mute")
	rep := socket(t, zmqx.REP, zmqx.SocketOptions{})
	if err := rep.Bind(ep); err != nil {
		t.Fatal(err)
	}
	req := start(t, "", "send", "--type", "REQ", "--connect", ep, "x")
	if _, err := rep.Recv(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	req.interrupt()
	err := req.wait(t)
	if err == nil || !strings.Contains(err.Error(), "no reply came before the interrupt") {
		t.Fatalf("got %v", err)
	}
}

func TestEmptyStdin(t *testing.T) {
	for _, typ := range []string{"PUSH", "REQ", "REP"} {
		_, stderr, err := runCLI(t, "", "send", "--type", typ, "--connect", ipc(t, "nobody"), "--timeout", "20s")
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if !strings.Contains(stderr, "standard input is empty") {
			t.Fatalf("%s: stderr %q", typ, stderr)
		}
	}
}

// --wait-subscribers holds the message until a subscriber has subscribed,
// so the first message is not lost to the slow joiner.
func TestPubWaitsForSubscribers(t *testing.T) {
	for _, side := range bindSides {
		t.Run(side, func(t *testing.T) {
			sub := socket(t, zmqx.SUB, zmqx.SocketOptions{})
			if err := sub.Subscribe("news."); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"send", "--type", "PUB", "--wait-subscribers", "1", "--count", "3", "--timeout", "20s"},
				attach(t, side, sub, ipc(t, "pub"))...)
			pub := start(t, "", append(args, "news.sport", "goal")...)
			ctx := testCtx(t)
			for range 3 {
				msg, err := sub.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := [][]byte{[]byte("news.sport"), []byte("goal")}; !framesEqual(msg, want) {
					t.Fatalf("got %q", msg)
				}
			}
			if err := pub.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPubWaitEnds(t *testing.T) {
	ep := ipc(t, "pub")
	sub := socket(t, zmqx.SUB, zmqx.SocketOptions{})
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, "", "send", "--type", "PUB", "--bind", ep, "--wait-subscribers", "2", "--timeout", "300ms", "x")
	if err == nil || !strings.Contains(err.Error(), "of 2 subscribers connected within the --timeout") {
		t.Fatalf("got %v", err)
	}
	_, _, err = runCLI(t, "", "send", "--type", "PUB", "--bind", ep+"2", "--delay", "1h", "--timeout", "100ms", "x")
	if err == nil || !strings.Contains(err.Error(), "during the --delay") {
		t.Fatalf("got %v", err)
	}
}
