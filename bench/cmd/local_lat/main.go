// Command local_lat is the echo side of the latency test, after libzmq's
// perf/local_lat: a REP socket binds and returns roundtrip-count messages.
//
//	local_lat [--idle spin|backoff|block] [--cpu N] [--invoker] <bind-to> <message-size> <roundtrip-count>
package main

import (
	"context"
	"fmt"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("local_lat", "roundtrip-count", run) }

func run(a perf.Args) error {
	ctx := context.Background()
	rt, s, err := perf.Open(zmqx.REP, a.Endpoint, true, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	var msg []zmqx.Msg
	for i := 0; i < a.Count; i++ {
		var err error
		if msg, err = s.RecvMsg(ctx, msg[:0]); err != nil {
			return err
		}
		if len(msg) != 1 || msg[0].Len() != a.Size {
			return fmt.Errorf("message of %d frames / %d bytes, want 1 / %d", len(msg), msg[0].Len(), a.Size)
		}
		// Echo the received frame itself, as libzmq's local_lat does.
		if err := s.SendMsg(ctx, msg[0]); err != nil {
			return err
		}
	}
	return nil
}
