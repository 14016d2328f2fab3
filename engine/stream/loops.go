package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// readLoop decodes frames into whole messages and hands them to the socket,
// flushing the pipe once per read from the connection.
func (c *conn) readLoop(ctx context.Context) error {
	parts := make([]core.Msg, 0, 4)
	var total int64 // bytes of the message being assembled
	defer func() {
		for i := range parts {
			parts[i].Close()
		}
		c.pipe.Flush()
	}()
	// Publish everything decoded so far whenever the next read may block:
	// one flush per read, not per message.
	c.r.beforeRead = func() {
		c.pipe.Flush()
		if ctx.Err() == nil { // closing: the grace deadline stands
			c.setReadDeadline()
		}
	}
	for {
		h, body, owned, err := c.readFrame(total)
		if err != nil {
			return err
		}
		if h.Command() {
			if err := c.command(ctx, body); err != nil {
				return err
			}
			continue
		}
		total += int64(h.Size)
		var m core.Msg
		if owned {
			m = core.Adopt(body)
		} else {
			m = core.NewMsg(body) // inline, or a pooled copy out of the read buffer
		}
		m.More = h.More()
		parts = append(parts, m)
		if m.More {
			continue
		}
		if err := c.deliver(ctx, parts); err != nil {
			return err
		}
		clear(parts)
		parts, total = parts[:0], 0
	}
}

func (c *conn) setReadDeadline() {
	d := time.Duration(0)
	if c.o.HeartbeatInterval > 0 {
		d = c.o.HeartbeatInterval + c.o.HeartbeatTimeout
	}
	if c.peerTTL > 0 && (d == 0 || c.peerTTL < d) {
		d = c.peerTTL
	}
	if d > 0 {
		c.c.SetReadDeadline(time.Now().Add(d))
	}
}

// deliver writes one whole message into the pipe, waiting for room under
// the receive HWM (which pushes back on the peer through the transport).
func (c *conn) deliver(ctx context.Context, parts []core.Msg) error {
	for !c.pipe.CheckWrite() {
		if c.pipe.PeerGone() {
			return core.ErrClosed
		}
		c.pipe.Flush()
		select {
		case <-c.h.Space():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := range parts {
		c.pipe.Write(parts[i])
	}
	return nil
}

// command handles a command frame after the handshake.
func (c *conn) command(ctx context.Context, body []byte) error {
	cmd, err := zmtp.ParseCommand(body)
	if err != nil {
		return err
	}
	switch cmd.Name {
	case zmtp.CmdPing:
		p, err := zmtp.ParsePing(cmd.Data)
		if err != nil {
			return err
		}
		if p.TTL > 0 {
			c.peerTTL = time.Duration(p.TTL) * 100 * time.Millisecond
		}
		c.control(zmtp.AppendCommand(nil, zmtp.CmdPong, p.Context))
		return nil
	case zmtp.CmdPong:
		return nil
	case zmtp.CmdSubscribe, zmtp.CmdCancel:
		if !c.subIn {
			return nil // not for us; harmless
		}
		b := make([]byte, 1+len(cmd.Data))
		if cmd.Name == zmtp.CmdSubscribe {
			b[0] = 1
		}
		copy(b[1:], cmd.Data)
		return c.deliver(ctx, []core.Msg{core.Adopt(b)})
	case zmtp.CmdError:
		reason, _ := zmtp.ParseError(cmd.Data)
		return fmt.Errorf("%w: %q", zmtp.ErrPeerError, reason)
	}
	return fmt.Errorf("%w %q after handshake", errUnexpectedCommand, cmd.Name)
}

// control queues a command frame for the writer.
func (c *conn) control(frame []byte) {
	c.ctlMu.Lock()
	c.ctl = append(c.ctl, frame...)
	c.ctlMu.Unlock()
	select {
	case c.ctlC <- struct{}{}:
	default:
	}
}

// writeLoop drains the pipe into the connection; see the package comment.
func (c *conn) writeLoop(ctx context.Context, done <-chan struct{}) error {
	batch := c.o.BatchSize
	var (
		base = make([]byte, 0, batch+64)
		iov  net.Buffers
		held []core.Msg // frames written from their own memory (writev)
	)
	var tick <-chan time.Time
	if c.o.HeartbeatInterval > 0 {
		t := time.NewTicker(c.o.HeartbeatInterval)
		defer t.Stop()
		tick = t.C
	}
	ttl := uint16(c.o.HeartbeatTTL / (100 * time.Millisecond))
	startOfMsg := true
	for {
		c.ctlMu.Lock()
		buf := append(base[:0], c.ctl...)
		c.ctl = c.ctl[:0]
		c.ctlMu.Unlock()
		iov = iov[:0]
		queued := len(buf)
		for queued < batch {
			m, ok := c.pipe.Read()
			if !ok {
				break
			}
			first := startOfMsg
			startOfMsg = !m.More
			body := m.Bytes()
			start := len(buf)
			if c.subOut && first && !m.More && len(body) > 0 && body[0] <= 1 {
				name := zmtp.CmdCancel
				if body[0] == 1 {
					name = zmtp.CmdSubscribe
				}
				buf = zmtp.AppendCommand(buf, name, body[1:])
				queued += len(buf) - start
				m.Close()
			} else {
				var flags byte
				if m.More {
					flags = zmtp.FlagMore
				}
				buf = zmtp.AppendHeader(buf, flags, len(body))
				if len(body) <= copyMax {
					buf = append(buf, body...)
					queued += len(buf) - start
					m.Close()
				} else {
					// Large payloads go out from their own memory.
					queued += len(buf) - start + len(body)
					iov = append(iov, buf, body)
					held = append(held, m)
					buf = buf[len(buf):]
				}
			}
		}
		if len(buf) > 0 {
			iov = append(iov, buf)
		}
		if len(iov) == 0 {
			select {
			case <-c.h.Wake():
			case <-c.ctlC:
			case <-tick:
				c.control(zmtp.AppendPing(nil, ttl, nil))
			case <-done:
				return nil
			case <-ctx.Done():
				return nil
			}
			continue
		}
		var err error
		if len(iov) == 1 {
			err = c.write(iov[0])
		} else {
			if c.eng.Writes != nil {
				n := 0
				for _, b := range iov {
					n += len(b)
				}
				c.eng.Writes(n)
			}
			_, err = iov.WriteTo(c.c)
		}
		for i := range held {
			held[i].Close()
		}
		clear(held)
		held = held[:0]
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		c.pipe.Ack()
	}
}

// copyMax is the largest payload copied into the write buffer; larger ones
// are written with writev from the message's own memory.
const copyMax = 4096
