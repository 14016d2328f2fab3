package zmqx_test

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// recorder is a slog.Handler that keeps records for inspection.
type recorder struct {
	mu   sync.Mutex
	recs []string
	got  chan struct{}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.recs = append(r.recs, b.String())
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
	return nil
}

// TestDroppedPeerIsLogged: a peer dropped for bad input shows up in the
// application's logger with the reason.
func TestDroppedPeerIsLogged(t *testing.T) {
	ctx := ztest.Ctx(t)
	rec := &recorder{got: make(chan struct{}, 1)}
	rt := zmqx.NewRuntime(zmqx.Config{Logger: slog.New(rec)})
	defer rt.Close()
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(pull.LastEndpoint(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	for {
		select {
		case <-rec.got:
		case <-ctx.Done():
			t.Fatal("nothing logged")
		}
		rec.mu.Lock()
		for _, r := range rec.recs {
			if strings.Contains(r, "WARN") && strings.Contains(r, "bad greeting signature") {
				rec.mu.Unlock()
				return
			}
		}
		rec.mu.Unlock()
	}
}

// TestSpinningWorkersYieldOnOneCPU: spinning I/O workers (IdleSpin, and
// IdleBackoff while it spins) that would hold every processor (here
// GOMAXPROCS 1) are reported, yield when idle, and the application's
// goroutine still gets to send and receive.
func TestSpinningWorkersYieldOnOneCPU(t *testing.T) {
	for _, idle := range []zmqx.Idle{zmqx.IdleSpin, zmqx.IdleBackoff} {
		t.Run(idle.String(), func(t *testing.T) { testWorkersYieldOnOneCPU(t, idle) })
	}
}

func testWorkersYieldOnOneCPU(t *testing.T, idle zmqx.Idle) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx := ztest.Ctx(t)
	rec := &recorder{got: make(chan struct{}, 1)}
	rt := zmqx.NewRuntime(zmqx.Config{Idle: idle, Workers: 1, Logger: slog.New(rec)})
	defer rt.Close()
	rep := mustSocket(t, rt, zmqx.REP)
	req := mustSocket(t, rt, zmqx.REQ)
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		ztest.Send(t, ctx, req, "ping")
		ztest.Expect(t, ctx, rep, "ping")
		ztest.Send(t, ctx, rep, "pong")
		ztest.Expect(t, ctx, req, "pong")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.recs {
		if strings.HasPrefix(r, "WARN the spinning I/O workers would hold every processor") &&
			strings.Contains(r, "idle="+idle.String()) && strings.Contains(r, "gomaxprocs=1") {
			return
		}
	}
	t.Fatalf("no warning about spinning workers on one processor in %q", rec.recs)
}
