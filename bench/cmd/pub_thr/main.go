// Command pub_thr is the publishing side of the fan-out throughput test: an
// XPUB socket binds, waits until <subscribers> SUB sockets have said hello
// (see the protocol in bench/internal/perf), sends <message-count> messages
// of <message-size> bytes ('d' then zeros) as fast as it can, then sends
// the end marker "e" about every 100 µs until every subscriber has left.
// Like any PUB, it drops a message for a subscriber whose queue is at its
// high-water mark; sub_thr reports how much was delivered. It prints the
// send rate, from the first send to the last data send, in local_thr's
// lines.
//
//	pub_thr [--idle spin|backoff|block] [--cpu N] [--invoker] <bind-to> <message-size> <message-count> <subscribers>
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("pub_thr", "message-count", run) }

func run(a perf.Args) error {
	ctx := context.Background()
	rt, s, err := perf.Open(zmqx.XPUB, a.Endpoint, true, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	for in := 0; in < a.Subscribers; {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if len(m) == 1 && perf.IsHello(m[0], true) {
			in++
		}
	}
	body := make([]byte, a.Size)
	body[0] = 'd'
	start := time.Now()
	for i := 0; i < a.Count; i++ {
		if err := s.Send(ctx, body); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	// Markers may be dropped at a subscriber's HWM as data is; repeat
	// until each subscriber has seen one and gone.
	end := []byte{perf.EndMarker}
	for left := 0; left < a.Subscribers; {
		if err := s.Send(ctx, end); err != nil {
			return err
		}
		wait, cancel := context.WithTimeout(ctx, 100*time.Microsecond)
		for left < a.Subscribers {
			m, err := s.Recv(wait)
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			if err != nil {
				cancel()
				return err
			}
			if len(m) == 1 && perf.IsHello(m[0], false) {
				left++
			}
		}
		cancel()
	}
	perf.Throughput(os.Stdout, a.Size, a.Count, elapsed)
	return nil
}
