// Command sub_thr is the subscribing side of the fan-out throughput test:
// one process, one runtime, <subscribers> SUB sockets, each subscribed to
// "" (and to its hello topic, see bench/internal/perf), connected to
// <connect-to> and read by a goroutine of its own until the end marker
// arrives, when it closes. It prints the messages delivered to all
// subscribers together, their rate from the first data message on any
// subscriber to the last on any, and the share of subscribers ×
// message-count delivered (a PUB drops at the high-water mark):
//
//	message size: N [B]
//	message count: N
//	subscribers: N
//	mean throughput: N [msg/s]
//	mean throughput: X [Mb/s]
//	delivered: P %
//
// Every data message is timestamped as it is received (the libzmq peer
// does the same), since which one is the last is known only afterwards.
//
//	sub_thr [--idle spin|backoff|block] [--cpu N] [--invoker] <connect-to> <message-size> <message-count> <subscribers>
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("sub_thr", "message-count", run) }

// tally is what one subscriber saw.
type tally struct {
	n           int
	first, last time.Time
	err         error
}

func run(a perf.Args) error {
	rt := perf.NewRuntime()
	defer rt.Close()
	tallies := make([]tally, a.Subscribers)
	var wg sync.WaitGroup
	for i := range tallies {
		s, err := rt.Socket(zmqx.SUB)
		if err == nil {
			err = s.Subscribe("")
		}
		if err == nil {
			err = s.Subscribe(perf.Hello(os.Getpid(), i))
		}
		if err == nil {
			perf.RefuseFallback(s, a.Endpoint)
			err = s.Connect(a.Endpoint)
		}
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tallies[i] = receive(s, a.Size)
		}()
	}
	wg.Wait()
	var first, last time.Time
	delivered := 0
	var errs []error
	for _, t := range tallies {
		errs = append(errs, t.err)
		if t.n == 0 {
			continue
		}
		delivered += t.n
		if first.IsZero() || t.first.Before(first) {
			first = t.first
		}
		if t.last.After(last) {
			last = t.last
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	perf.FanOut(os.Stdout, a.Size, a.Count, a.Subscribers, delivered, last.Sub(first))
	return nil
}

// receive reads data messages until the end marker, then closes s so that
// the publisher sees this subscriber leave.
func receive(s *zmqx.Socket, size int) (t tally) {
	defer s.Close()
	ctx := context.Background()
	var msg []zmqx.Msg // reused: the copy-free receive path
	for {
		var err error
		if msg, err = s.RecvMsg(ctx, msg[:0]); err != nil {
			t.err = err
			return t
		}
		now := time.Now()
		if len(msg) != 1 {
			t.err = fmt.Errorf("message of %d frames, want 1", len(msg))
			return t
		}
		b := msg[0].Bytes()
		if len(b) == 1 && b[0] == perf.EndMarker {
			msg[0].Close()
			return t
		}
		if len(b) != size || b[0] != 'd' {
			t.err = fmt.Errorf("message of %d bytes starting %q, want %d starting 'd'", len(b), b[:min(len(b), 1)], size)
			return t
		}
		msg[0].Close()
		if t.n == 0 {
			t.first = now
		}
		t.last = now
		t.n++
	}
}
