// Command remote_lat is the measuring side of the latency test, after
// libzmq's perf/remote_lat: a REQ socket connects, sends roundtrip-count
// messages one at a time and prints the average one-way latency, plus the
// percentiles of the round trips.
//
//	remote_lat [--idle spin|backoff|block] [--cpu N] [--invoker] <connect-to> <message-size> <roundtrip-count>
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("remote_lat", "roundtrip-count", run) }

func run(a perf.Args) error {
	ctx := context.Background()
	rt, s, err := perf.Open(zmqx.REQ, a.Endpoint, false, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	body := make([]byte, a.Size)
	rtts := make([]time.Duration, a.Count)
	start := time.Now()
	for i := range rtts {
		t0 := time.Now()
		if err := s.Send(ctx, body); err != nil {
			return err
		}
		msg, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		rtts[i] = time.Since(t0)
		if len(msg) != 1 || len(msg[0]) != a.Size {
			return fmt.Errorf("reply of %d frames / %d bytes, want 1 / %d", len(msg), len(msg[0]), a.Size)
		}
	}
	perf.Latency(os.Stdout, a.Size, rtts, time.Since(start))
	return nil
}
