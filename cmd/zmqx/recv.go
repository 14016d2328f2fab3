package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/zmqx/zmqx"
)

func (c *cli) recv(args []string) (err error) {
	fs := newFlagSet("recv")
	var sf sockFlags
	sf.register(fs, "PULL")
	count := fs.Int("count", 0, "messages to receive (0: until interrupted or the --timeout)")
	if err := c.parseFlags(fs, "recv", args); err != nil {
		return err
	}
	typ, fm, err := sf.check("recv")
	if err != nil {
		return err
	}
	switch {
	case *count < 0:
		return usagef("recv", "--count must not be negative")
	case fs.NArg() > 0:
		return usagef("recv", "recv takes no FRAME arguments (%q)", fs.Arg(0))
	case typ == zmqx.PUB || typ == zmqx.PUSH:
		return usagef("recv", "a %v socket cannot receive: use zmqx send", typ)
	case typ == zmqx.REQ:
		return usagef("recv", "a REQ sends first: zmqx send --type REQ prints the replies")
	case typ == zmqx.REP:
		return usagef("recv", "a REP must answer: zmqx send --type REP prints requests and answers them")
	}
	d, cancel := c.deadline(sf.timeout)
	defer cancel()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer closeWithin(d, rt.Close)
	// A receiving socket has nothing of its own to deliver at close.
	s, err := rt.Socket(typ, sf.options(zmqx.SocketOptions{RoutingID: []byte(sf.routingID), Linger: -1}))
	if err != nil {
		return err
	}
	if err := sf.setup(s, true); err != nil {
		return err
	}
	// Output is buffered while messages keep coming and flushed whenever
	// the socket has nothing more at once: one write per burst, and what
	// arrived is out before recv waits (or is interrupted).
	out := bufio.NewWriterSize(c.stdout, 64<<10)
	defer func() {
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
	}()
	now, expired := context.WithCancel(context.Background())
	expired()
	var line []byte
	for n := 0; *count == 0 || n < *count; n++ {
		msg, err := s.Recv(now)
		if errors.Is(err, zmqx.ErrWouldBlock) {
			if err := out.Flush(); err != nil {
				return err
			}
			msg, err = s.Recv(d)
		}
		if err != nil {
			if !d.stopped(err) {
				return err
			}
			switch {
			case *count == 0 && (n > 0 || d.interrupted()):
				// An open-ended recv ends this way: what arrived is printed.
				return nil
			case n == 0:
				return fmt.Errorf("nothing received %s", d.ended())
			}
			return fmt.Errorf("received %d of %d messages %s", n, *count, d.ended())
		}
		if line, err = fm.appendMsg(line[:0], msg); err != nil {
			return err
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}
