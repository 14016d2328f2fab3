// Command remote_thr is the sending side of the throughput test, after
// libzmq's perf/remote_thr: a PUSH socket connects and sends message-count
// messages as fast as it can, then waits until they have left.
//
//	remote_thr [--idle spin|backoff|block] [--cpu N] [--invoker] <connect-to> <message-size> <message-count>
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() {
	a := perf.Parse("remote_thr", "message-count")
	if err := run(a); err != nil {
		fmt.Fprintln(os.Stderr, "remote_thr:", err)
		os.Exit(1)
	}
}

func run(a perf.Args) error {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	// Like libzmq's tool, do not exit before everything has been written.
	s, err := rt.Socket(zmqx.PUSH, zmqx.SocketOptions{Linger: time.Hour})
	if err != nil {
		return err
	}
	if err := s.Connect(a.Endpoint); err != nil {
		return err
	}
	body := make([]byte, a.Size)
	for i := 0; i < a.Count; i++ {
		if err := s.Send(ctx, body); err != nil {
			return err
		}
	}
	return s.Close()
}
