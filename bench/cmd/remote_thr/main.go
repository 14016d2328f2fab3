// Command remote_thr is the sending side of the throughput test, after
// libzmq's perf/remote_thr: a PUSH socket connects and sends message-count
// messages as fast as it can, then waits until they have left.
//
//	remote_thr [--idle spin|backoff|block] [--cpu N] [--invoker] <connect-to> <message-size> <message-count>
package main

import (
	"context"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("remote_thr", "message-count", run) }

func run(a perf.Args) error {
	ctx := context.Background()
	// Like libzmq's tool, do not exit before everything has been written.
	rt, s, err := perf.Open(zmqx.PUSH, a.Endpoint, false, zmqx.SocketOptions{Linger: time.Hour})
	if err != nil {
		return err
	}
	defer rt.Close()
	body := make([]byte, a.Size)
	for i := 0; i < a.Count; i++ {
		if err := s.Send(ctx, body); err != nil {
			return err
		}
	}
	return s.Close()
}
