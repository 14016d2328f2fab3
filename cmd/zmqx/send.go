package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zmqx/zmqx"
)

// sendCmd is one run of zmqx send: the socket, where its messages come
// from, and what it has achieved so far.
type sendCmd struct {
	*cli
	typ      zmqx.SocketType // as asked: PUB even when an XPUB does the work
	format   format
	sock     *zmqx.Socket
	peers    *peerWatch
	src      *source
	d        deadline
	waitSubs int
	delay    time.Duration
}

func (c *cli) send(args []string) (err error) {
	fs := newFlagSet("send")
	var sf sockFlags
	sf.register(fs, "PUSH")
	count := fs.Int("count", 0, "messages to send, or requests to serve (0: one with FRAME arguments, every line of standard input without)")
	multipart := fs.Bool("multipart", false, "text input: a tab separates the frames of a message")
	waitSubs := fs.Int("wait-subscribers", 0, "PUB: wait until `n` subscribers are connected and subscribed before sending")
	delay := fs.Duration("delay", 0, "wait this `duration` after connecting before sending (the slow joiner)")
	if err := c.parseFlags(fs, "send", args); err != nil {
		return err
	}
	typ, fm, err := sf.check("send")
	if err != nil {
		return err
	}
	switch {
	case *count < 0:
		return usagef("send", "--count must not be negative")
	case *waitSubs < 0:
		return usagef("send", "--wait-subscribers must not be negative")
	case *delay < 0:
		return usagef("send", "--delay must not be negative")
	case *waitSubs > 0 && typ != zmqx.PUB && typ != zmqx.XPUB:
		return usagef("send", "--wait-subscribers needs --type PUB or XPUB")
	case typ == zmqx.SUB || typ == zmqx.PULL:
		return usagef("send", "a %v socket cannot send: use zmqx recv", typ)
	}
	var src *source
	if fs.NArg() > 0 {
		msg := make([][]byte, fs.NArg())
		for i, a := range fs.Args() {
			if msg[i], err = fm.parseArg(a); err != nil {
				return &usageError{cmd: "send", err: err}
			}
		}
		src = argSource(msg, *count)
	} else {
		src = lineSource(c.stdin, fm, *multipart, *count)
	}
	defer src.close()

	d, cancel := c.deadline(sf.timeout)
	defer cancel()
	s := &sendCmd{cli: c, typ: typ, format: fm, src: src, d: d, waitSubs: *waitSubs, delay: *delay, peers: newPeerWatch()}
	defer s.peers.close()
	sockType := typ
	if typ == zmqx.PUB && s.waitSubs > 0 {
		// Only an XPUB tells when a subscription has arrived.
		sockType = zmqx.XPUB
	}
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer func() {
		if !closeWithin(d, rt.Close) && err == nil {
			err = fmt.Errorf("%s while queued messages were still leaving", d.why())
		}
	}()
	s.sock, err = rt.Socket(sockType, sf.options(zmqx.SocketOptions{
		RoutingID:       []byte(sf.routingID),
		Linger:          linger(sf.timeout),
		RouterMandatory: typ == zmqx.ROUTER,
		XPubVerbose:     sockType == zmqx.XPUB && s.waitSubs > 0,
		Events:          s.peers.events,
	}))
	if err != nil {
		return err
	}
	if err := sf.setup(s.sock, false); err != nil {
		return err
	}
	switch typ {
	case zmqx.REP, zmqx.ROUTER:
		return s.serve()
	case zmqx.REQ:
		return s.request()
	}
	return s.push()
}

// push sends every message (PUSH, DEALER, PAIR, PUB, XPUB, XSUB) and then
// makes sure a peer was there to take them.
func (s *sendCmd) push() error {
	pubLike := s.typ == zmqx.PUB || s.typ == zmqx.XPUB
	if err := s.wait(); err != nil {
		return err
	}
	sent, reached := 0, false
	for {
		msg, ok, err := s.src.next(s.d)
		if err != nil {
			return s.failed(err, sent, "")
		}
		if !ok {
			break
		}
		if err := s.sock.Send(s.d, msg...); err != nil {
			return s.failed(err, sent, "no peer took a message")
		}
		sent++
		if n, _, _ := s.peers.state(); n > 0 {
			reached = true
		}
	}
	if sent == 0 {
		s.note("standard input is empty: nothing sent")
		return nil
	}
	if pubLike {
		// A PUB cannot know whether subscribers got a message; it can
		// know that there was nobody at all.
		if !reached {
			return errors.New("nothing delivered: no subscriber was connected when the messages were sent " +
				"(a PUB drops what nobody subscribes to; see --wait-subscribers and --delay)")
		}
		return nil
	}
	// A connecting socket queues for a peer that may never come.
	if err := s.peers.waitSeen(s.d); err != nil {
		return fmt.Errorf("nothing delivered: %d message(s) queued, but no peer connected %s", sent, s.d.ended())
	}
	return nil
}

// wait holds the first message back as --wait-subscribers and --delay ask.
func (s *sendCmd) wait() error {
	if s.waitSubs > 0 {
		if err := s.waitSubscribers(); err != nil {
			return err
		}
	}
	if s.delay > 0 {
		t := time.NewTimer(s.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.d.Done():
			return fmt.Errorf("nothing sent: the run ended during the --delay")
		}
	}
	return nil
}

// waitSubscribers waits until waitSubs peers are connected (counted from
// the socket's connection events) and the XPUB (verbose: every subscribe
// is reported) has received as many subscriptions, so that the first
// message is not lost to the slow joiner.
func (s *sendCmd) waitSubscribers() error {
	ctx, cancel := context.WithCancel(s.d)
	subscribed := make(chan error, 1)
	go func() {
		for n := 0; ; {
			msg, err := s.sock.Recv(ctx)
			if err != nil {
				subscribed <- err
				return
			}
			if len(msg) == 1 && len(msg[0]) > 0 && msg[0][0] == 1 {
				if n++; n >= s.waitSubs {
					subscribed <- nil
					return
				}
			}
		}
	}()
	err := s.peers.waitPeers(s.d, s.waitSubs)
	if err == nil {
		err = <-subscribed
	} else {
		cancel()
		<-subscribed
	}
	cancel()
	if err != nil {
		n, _, _ := s.peers.state()
		if s.d.stopped(err) {
			return fmt.Errorf("nothing sent: %d of %d subscribers connected %s", n, s.waitSubs, s.d.ended())
		}
		return err
	}
	return nil
}

// request sends each message as a REQ and prints the reply.
func (s *sendCmd) request() error {
	if err := s.wait(); err != nil {
		return err
	}
	done := 0
	for {
		msg, ok, err := s.src.next(s.d)
		if err != nil {
			return s.failed(err, done, "")
		}
		if !ok {
			break
		}
		if err := s.sock.Send(s.d, msg...); err != nil {
			return s.failed(err, done, "no peer took a request")
		}
		reply, err := s.sock.Recv(s.d)
		if err != nil {
			return s.failed(err, done, "no reply came")
		}
		if err := s.print(reply); err != nil {
			return err
		}
		done++
	}
	if done == 0 {
		s.note("standard input is empty: nothing sent")
	}
	return nil
}

// serve answers requests as a REP or ROUTER: each request is printed, then
// answered with the next message. A ROUTER answers the routing id of the
// request (its first frame) and, like a REP, keeps the envelope up to the
// empty delimiter frame when there is one, so REQ clients get replies.
func (s *sendCmd) serve() error {
	if err := s.wait(); err != nil {
		return err
	}
	served := 0
	for {
		// The reply is known before the request is awaited, so that a run
		// whose input has ended leaves no request unanswered.
		reply, ok, err := s.src.next(s.d)
		if err != nil {
			return s.failed(err, served, "")
		}
		if !ok {
			break
		}
		req, err := s.sock.Recv(s.d)
		if err != nil {
			return s.failed(err, served, "no request came")
		}
		if err := s.print(req); err != nil {
			return err
		}
		if s.typ == zmqx.ROUTER {
			env := envelope(req)
			reply = append(env[:len(env):len(env)], reply...)
		}
		if err := s.sock.Send(s.d, reply...); err != nil {
			return s.failed(err, served, "the reply could not be sent")
		}
		served++
	}
	if served == 0 {
		s.note("standard input is empty: no request served")
	}
	return nil
}

// envelope is the part of a request a ROUTER puts back in front of the
// reply: the routing id, and the rest up to the empty delimiter if any.
func envelope(req [][]byte) [][]byte {
	for i := 1; i < len(req); i++ {
		if len(req[i]) == 0 {
			return req[:i+1]
		}
	}
	return req[:min(1, len(req))]
}

func (s *sendCmd) print(msg [][]byte) error {
	line, err := s.format.appendMsg(nil, msg)
	if err != nil {
		return err
	}
	_, err = s.stdout.Write(line)
	return err
}

// failed explains err: when the run was stopped, what had not happened
// (what) after done messages; otherwise err itself.
func (s *sendCmd) failed(err error, done int, what string) error {
	if !s.d.stopped(err) {
		return err
	}
	if _, seen, _ := s.peers.state(); !seen {
		return fmt.Errorf("nothing delivered: no peer connected %s", s.d.ended())
	}
	if what == "" {
		what = "the input did not end"
	}
	if done == 0 {
		return fmt.Errorf("%s %s", what, s.d.ended())
	}
	return fmt.Errorf("stopped after %d message(s): %s %s", done, what, s.d.ended())
}
