// Command local_thr is the receiving side of the throughput test, after
// libzmq's perf/local_thr: a PULL socket binds, receives message-count
// messages and prints the rate from the first message to the last.
//
//	local_thr [--idle spin|backoff|block] [--cpu N] [--invoker] <bind-to> <message-size> <message-count>
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("local_thr", "message-count", run) }

func run(a perf.Args) error {
	ctx := context.Background()
	rt, s, err := perf.Open(zmqx.PULL, a.Endpoint, true, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	var start time.Time
	var msg []zmqx.Msg // reused: the copy-free receive path, like zmq_msg_recv
	for i := 0; i < a.Count; i++ {
		var err error
		if msg, err = s.RecvMsg(ctx, msg[:0]); err != nil {
			return err
		}
		if i == 0 {
			start = time.Now()
		}
		if len(msg) != 1 || msg[0].Len() != a.Size {
			return fmt.Errorf("message of %d frames / %d bytes, want 1 / %d", len(msg), msg[0].Len(), a.Size)
		}
		msg[0].Close()
	}
	perf.Throughput(os.Stdout, a.Size, a.Count, time.Since(start))
	return nil
}
