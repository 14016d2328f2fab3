package stream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/stream"
)

// BenchmarkInvokerRoundTrip is a REQ/REP round trip of 64 bytes in
// invoker mode over memTransport, both sockets driven by the one
// benchmark goroutine as local_lat and remote_lat drive theirs (REQ sends
// bytes, REP echoes the Msg it received): the user-space cost of both
// ends' message path, with no system call and no scheduling in it.
func BenchmarkInvokerRoundTrip(b *testing.B) {
	rt := core.NewRuntime(core.Config{Engine: stream.Engine{}, Idle: core.IdleSpin, Invoker: true,
		Transports: map[string]core.Transport{"mem": &memTransport{}}})
	defer rt.Close()
	rep, err := rt.Socket(core.REP, core.Options{})
	if err != nil {
		b.Fatal(err)
	}
	req, err := rt.Socket(core.REQ, core.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ep, err := rep.Bind("mem://rt")
	if err != nil {
		b.Fatal(err)
	}
	if err := req.Connect(ep); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := [][]byte{make([]byte, 64)}
	var in, out []core.Msg
	trip := func() {
		if err := req.SendBytes(ctx, body); err != nil {
			b.Fatal(err)
		}
		if in, err = rep.Recv(ctx, in[:0]); err != nil {
			b.Fatal(err)
		}
		if err := rep.Send(ctx, in[:1]); err != nil {
			b.Fatal(err)
		}
		if out, err = req.Recv(ctx, out[:0]); err != nil {
			b.Fatal(err)
		}
		if len(out) != 1 || out[0].Len() != 64 {
			b.Fatalf("reply of %d frames", len(out))
		}
		out[0].Close()
	}
	trip() // the connection is up
	b.Run("warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			trip()
		}
	})
	// cold: before each round trip, kb KiB of other memory is written,
	// as the kernel's work between two messages evicts the path's memory
	// in a real process; only the round trips are timed.
	for _, kb := range []int{32, 256, 1024} {
		b.Run(fmt.Sprintf("cold%dK", kb), func(b *testing.B) {
			junk := make([]byte, kb<<10)
			var in time.Duration
			for i := 0; b.Loop(); i++ {
				for j := 0; j < len(junk); j += 64 {
					junk[j] = byte(i)
				}
				t0 := time.Now()
				trip()
				in += time.Since(t0)
			}
			b.ReportMetric(float64(in.Nanoseconds())/float64(b.N), "ns/trip")
		})
	}
}
