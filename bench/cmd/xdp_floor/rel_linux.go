package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/zmqx/zmqx/engine/afxdp/rel"
)

// relPinger is -rel: the AF_XDP ping-pong carried by zmqx's reliable
// channel (package engine/afxdp/rel) as a byte stream, one Conn a side,
// with no messaging layer above it: what the channel's protocol costs on
// its own. Like the engine's spinning drivers, each side defers its
// acknowledgements (rel.Conn.SetAckDelay) so that the answer carries them,
// reads the clock while it waits for a datagram (every 32 checks of the
// ring; none between a datagram's arrival and the answer), and once per
// message out after its datagram is sent.
type relPinger struct {
	x       xdpPinger
	rc      *rel.Conn
	out, in []byte
	size    int // a message: read until this many bytes came
}

// relAckDelay is the engine's for channels its drivers poll.
const relAckDelay = 10 * time.Microsecond

// relPatience is how many of the AF_XDP ping-pong's two-second waits a
// read makes, running the channel's timers after each, before it gives up.
const relPatience = 5

var relEpoch = time.Now()

func relNow() int64 { return int64(time.Since(relEpoch)) }

// openRel opens the AF_XDP end and, for the client, the channel: it sends
// the SYN and waits for the SYNACK. The server accepts the client's SYN in
// its first read.
func openRel(c *config) (pinger, error) {
	base, err := openXDP(c)
	if err != nil {
		return nil, err
	}
	p := &relPinger{x: base.(xdpPinger), out: make([]byte, 2048), in: make([]byte, 2048), size: c.size}
	fmt.Println("channel: zmqx's rel, no messaging layer")
	if c.role == "server" {
		return p, nil
	}
	now := relNow()
	p.rc = rel.Dial(rel.Config{}, 1, now)
	p.rc.SetAckDelay(relAckDelay)
	if err := p.flush(now); err != nil {
		p.close()
		return nil, err
	}
	for p.rc.State() != rel.Established {
		if err := p.input(); err != nil {
			p.close()
			return nil, fmt.Errorf("rel handshake: %w", err)
		}
	}
	return p, nil
}

// flush sends every datagram the channel has for now.
func (p *relPinger) flush(now int64) error {
	for {
		n := p.rc.Poll(p.out, now)
		if n == 0 {
			return nil
		}
		if err := p.x.send(p.out[:n]); err != nil {
			return err
		}
	}
}

// input waits for one datagram and gives it to the channel (the server's
// first one, the client's SYN, makes the channel) at the time read while it
// waited, as the engine's spinning drivers do (xdpping's RecvClocked); it
// runs the channel's timers while it waits, and sends what the channel has
// due after the datagram (an acknowledgement that cannot wait).
func (p *relPinger) input() error {
	for tries := 0; ; tries++ {
		n, now, err := p.x.RecvClocked(p.in, relNow)
		if errors.Is(err, errNoReply) && p.rc != nil && tries < relPatience {
			now = relNow()
			if err := p.flush(now); err != nil { // a retransmission, if one is due
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if p.rc == nil {
			if p.rc, err = rel.Accept(rel.Config{}, 2, p.in[:n], now); err != nil {
				return err
			}
			p.rc.SetAckDelay(relAckDelay)
		} else if err := p.rc.Input(p.in[:n], now); err != nil {
			return err
		}
		if p.rc.Deadline() <= now {
			return p.flush(now)
		}
		return nil
	}
}

// send writes b and sends it as the engine's writer does: with the Conn's
// latest time, the clock read only once the datagram is on its way
// (rel.Conn.Unstamped and Stamp; rel.Last says none follows for now).
func (p *relPinger) send(b []byte) error {
	if err := p.rc.Err(); err != nil {
		return err
	}
	now := p.rc.Unstamped()
	if p.rc.Write(b, now) < len(b) {
		return errors.New("rel: send buffer full")
	}
	stamped := false
	for {
		n := p.rc.Poll(p.out, now)
		if n == 0 {
			break
		}
		if err := p.x.send(p.out[:n]); err != nil {
			return err
		}
		if !stamped && rel.Last(p.out[:n]) {
			now, stamped = relNow(), true
			p.rc.Stamp(now)
		}
	}
	if !stamped {
		p.rc.Stamp(relNow())
	}
	return nil
}

// recv reads one message of the ping-pong's size.
func (p *relPinger) recv(b []byte) (int, error) {
	got := 0
	for got < p.size {
		if err := p.input(); err != nil {
			return got, err
		}
		if err := p.rc.Err(); err != nil {
			return got, err
		}
		got += p.rc.Read(b[got:p.size])
	}
	return got, nil
}

func (p *relPinger) close() error { return p.x.close() }
