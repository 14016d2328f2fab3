package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zmqx/zmqx"
)

// side is one socket of the proxy, from its --frontend or --backend flags.
type side struct {
	name     string // "frontend" or "backend"
	typ      zmqx.SocketType
	binds    []string
	connects []string
	sock     *zmqx.Socket
}

// parseSide reads values of the form TYPE@bind:ENDPOINT or
// TYPE@connect:ENDPOINT, one endpoint each, all of one type.
func parseSide(name string, vals []string) (*side, error) {
	if len(vals) == 0 {
		return nil, usagef("proxy", "need --%s TYPE@bind:ENDPOINT or TYPE@connect:ENDPOINT", name)
	}
	s := &side{name: name}
	for i, v := range vals {
		typName, rest, ok := strings.Cut(v, "@")
		if !ok {
			return nil, usagef("proxy", "--%s %q: want TYPE@bind:ENDPOINT or TYPE@connect:ENDPOINT", name, v)
		}
		typ, err := zmqx.ParseSocketType(strings.ToUpper(typName))
		if err != nil {
			return nil, &usageError{cmd: "proxy", err: fmt.Errorf("--%s %q: %w", name, v, err)}
		}
		if i > 0 && typ != s.typ {
			return nil, usagef("proxy", "--%s: one socket cannot be both %v and %v", name, s.typ, typ)
		}
		s.typ = typ
		switch how, ep, _ := strings.Cut(rest, ":"); how {
		case "bind":
			s.binds = append(s.binds, ep)
		case "connect":
			s.connects = append(s.connects, ep)
		default:
			return nil, usagef("proxy", "--%s %q: say bind: or connect: before the endpoint", name, v)
		}
	}
	return s, nil
}

func canRecv(t zmqx.SocketType) bool { return t != zmqx.PUB && t != zmqx.PUSH }
func canSend(t zmqx.SocketType) bool { return t != zmqx.SUB && t != zmqx.PULL }

// proxy is zmq_proxy: messages received on either socket are sent, whole,
// on the other, for as long as the run lasts. One goroutine per direction
// (zmqx sockets are safe for concurrent use): while one waits to receive,
// the other can still send on the same socket.
func (c *cli) proxy(args []string) error {
	fs := newFlagSet("proxy")
	var fronts, backs multiFlag
	fs.Var(&fronts, "frontend", "the frontend `TYPE@bind:ENDPOINT` or TYPE@connect:ENDPOINT (repeatable for more endpoints)")
	fs.Var(&backs, "backend", "the backend `TYPE@bind:ENDPOINT` or TYPE@connect:ENDPOINT (repeatable for more endpoints)")
	timeout := fs.Duration("timeout", 0, "stop after this `duration`, lingering included (0: run until interrupted)")
	if err := c.parseFlags(fs, "proxy", args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("proxy", "proxy takes no arguments (%q)", fs.Arg(0))
	}
	if *timeout < 0 {
		return usagef("proxy", "--timeout must not be negative")
	}
	front, err := parseSide("frontend", fronts)
	if err != nil {
		return err
	}
	back, err := parseSide("backend", backs)
	if err != nil {
		return err
	}
	forward := canRecv(front.typ) && canSend(back.typ)
	backward := canRecv(back.typ) && canSend(front.typ)
	if !forward && !backward {
		return usagef("proxy", "nothing can flow between a %v frontend and a %v backend", front.typ, back.typ)
	}

	d, cancel := c.deadline(*timeout)
	defer cancel()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer closeWithin(d, rt.Close)
	for _, sd := range []*side{front, back} {
		sd.sock, err = rt.Socket(sd.typ, zmqx.SocketOptions{Linger: time.Second})
		if err != nil {
			return err
		}
	}
	for _, sd := range []*side{front, back} {
		other := front
		if sd == front {
			other = back
		}
		// A SUB subscribes to everything; so does an XSUB whose other side
		// cannot pass subscriptions up (a PUB has nothing to receive).
		if sd.typ == zmqx.SUB || sd.typ == zmqx.XSUB && !canRecv(other.typ) {
			if err := sd.sock.Subscribe(""); err != nil {
				return err
			}
		}
		for _, ep := range sd.binds {
			if err := sd.sock.Bind(ep); err != nil {
				return fmt.Errorf("%s: %w", sd.name, naming("bind", ep, err))
			}
		}
		for _, ep := range sd.connects {
			if err := sd.sock.Connect(ep); err != nil {
				return fmt.Errorf("%s: %w", sd.name, naming("connect", ep, err))
			}
		}
	}

	ctx, stop := context.WithCancel(d)
	defer stop()
	errs := make(chan error, 2)
	running := 0
	if forward {
		running++
		go func() { errs <- shuttle(ctx, front, back) }()
	}
	if backward {
		running++
		go func() { errs <- shuttle(ctx, back, front) }()
	}
	var first error
	for range running {
		err := <-errs
		if err != nil && first == nil && !(ctx.Err() != nil && isContextErr(err)) {
			first = err
		}
		stop() // one direction failing ends the proxy
	}
	return first
}

// shuttle moves messages from one side to the other until ctx is done.
func shuttle(ctx context.Context, from, to *side) error {
	for {
		msg, err := from.sock.Recv(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", from.name, err)
		}
		if err := to.sock.Send(ctx, msg...); err != nil {
			return fmt.Errorf("%s: %w", to.name, err)
		}
	}
}
