package zmqx

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
)

// Proxy shuttles messages between frontend and backend, both ways, until
// ctx is done or one of the sockets is closed, like zmq_proxy: ROUTER and
// DEALER make a shared queue, XSUB and XPUB a forwarder (subscriptions go
// upstream), PULL and PUSH a streamer. A direction a socket type cannot
// take (a PUSH frontend receives nothing) is simply idle. capture, if not
// nil, gets a copy of every message either way (use PUB, PUSH or PAIR).
// Messages pass through without being copied: a received frame is sent on
// as it is. It returns nil when ctx ends it, or the error that stopped it.
func Proxy(ctx context.Context, frontend, backend, capture *Socket) error {
	return ProxySteerable(ctx, frontend, backend, capture, nil)
}

// ProxySteerable is Proxy with a control socket (e.g. a PAIR or REP) that
// takes libzmq's commands: "PAUSE" stops forwarding (messages wait in the
// sockets), "RESUME" resumes, "TERMINATE" ends the proxy, and
// "STATISTICS" is answered with eight 8-byte little-endian counters:
// messages and bytes received and sent on the frontend, then the same on
// the backend. A REP control socket gets an empty reply to the others.
func ProxySteerable(ctx context.Context, frontend, backend, capture, control *Socket) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &proxy{capture: capture}
	p.resume = sync.NewCond(&p.mu)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				errs <- err
				cancel()
			}
		}()
	}
	run(func() error { return p.pump(ctx, frontend, backend, &p.stats[0], &p.stats[3]) })
	run(func() error { return p.pump(ctx, backend, frontend, &p.stats[2], &p.stats[1]) })
	if control != nil {
		run(func() error { return p.steer(ctx, cancel, control) })
	}
	// Wake a paused pump when the proxy ends.
	go func() {
		<-ctx.Done()
		p.mu.Lock()
		p.paused = false
		p.resume.Broadcast()
		p.mu.Unlock()
	}()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

type proxy struct {
	capture *Socket
	capMu   sync.Mutex // two pumps capture into one socket
	mu      sync.Mutex
	paused  bool
	resume  *sync.Cond
	// frontend in, frontend out, backend in, backend out (libzmq's order)
	stats [4]counters
}

type counters struct{ msgs, bytes atomic.Uint64 }

func (c *counters) add(n int) {
	c.msgs.Add(1)
	c.bytes.Add(uint64(n))
}

// pump moves messages from in to out, counting them.
func (p *proxy) pump(ctx context.Context, in, out *Socket, inStats, outStats *counters) error {
	var msg []Msg
	var copies []Msg
	for {
		var err error
		msg, err = in.RecvMsg(ctx, msg[:0])
		if err != nil {
			if errors.Is(err, ErrNotSupported) || ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		n := 0
		for i := range msg {
			n += msg[i].Len()
		}
		inStats.add(n)
		p.mu.Lock()
		for p.paused {
			p.resume.Wait()
		}
		p.mu.Unlock()
		if p.capture != nil {
			copies = copies[:0]
			for i := range msg {
				copies = append(copies, msg[i].Share())
			}
			p.capMu.Lock()
			_ = p.capture.SendMsg(ctx, copies...) // a capture never stops the proxy
			p.capMu.Unlock()
		}
		if err := out.SendMsg(ctx, msg...); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return nil
			}
			if !errors.Is(err, ErrNotSupported) {
				return err
			}
			continue // e.g. a SUB frontend's upstream messages: nowhere to go
		}
		outStats.add(n)
	}
}

func (p *proxy) steer(ctx context.Context, cancel context.CancelFunc, control *Socket) error {
	isREP := control.Type() == REP
	for {
		msg, err := control.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		var reply [][]byte
		switch string(msg[0]) {
		case "PAUSE":
			p.mu.Lock()
			p.paused = true
			p.mu.Unlock()
		case "RESUME":
			p.mu.Lock()
			p.paused = false
			p.resume.Broadcast()
			p.mu.Unlock()
		case "TERMINATE":
			if isREP {
				control.Send(ctx, nil)
			}
			cancel()
			return nil
		case "STATISTICS":
			for i := range p.stats {
				reply = append(reply,
					binary.LittleEndian.AppendUint64(nil, p.stats[i].msgs.Load()),
					binary.LittleEndian.AppendUint64(nil, p.stats[i].bytes.Load()))
			}
		}
		if reply == nil && isREP {
			reply = [][]byte{nil}
		}
		if reply != nil {
			if err := control.Send(ctx, reply...); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}
