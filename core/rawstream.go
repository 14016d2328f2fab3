package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// STREAM (libzmq's ZMQ_STREAM) talks to raw TCP (or Unix socket) peers: no
// ZMTP, no handshake. Each peer gets a routing id as on a ROUTER; Recv
// returns [id, bytes] for whatever a read brought, and [id, empty] when the
// peer connects and when it goes (libzmq's default ZMQ_STREAM_NOTIFY);
// Send takes [id, bytes...] and writes the bytes as they are, and
// [id, empty] closes that peer's connection once what was sent before it
// is written.
//
// A connection is served here rather than by the runtime's Engine: a
// reader and a writer goroutine move bytes between the connection and an
// inproc-style message pipe whose far end is the socket (so messages are
// owned copies of what was read, and the HWMs count them). The idle
// strategy and invoker mode do not apply to STREAM connections.

// streamRead is how much one read takes, at most: one message.
const streamRead = 64 << 10

// streamGrace bounds how long a closing STREAM connection may take to
// write what the socket had handed it (within the socket's linger).
const streamGrace = time.Second

// errStreamClosed ends a connection the application closed ([id, empty]).
var errStreamClosed = errors.New("zmqx: connection closed by the STREAM socket")

// serveRaw runs one STREAM connection until it ends.
func (ss *session) serveRaw(ctx context.Context, c net.Conn, h *Host) error {
	defer c.Close()
	s := ss.sock
	// Closing (the socket, Disconnect, Unbind): the reader stops at once,
	// the writer writes out what the socket's linger let it take.
	stop := context.AfterFunc(ctx, func() {
		now := time.Now()
		c.SetReadDeadline(now)
		c.SetWriteDeadline(now.Add(h.Grace(streamGrace)))
	})
	defer stop()

	// Our end: woken when the socket writes (recv) or reads (send).
	recv, send := newSignal(), newSignal()
	sp, np := newPipePair(s.end(), pipeEnd{recv: recv, send: send})
	sp.assignID, sp.kill = ss.routingID, h.kill
	sp.Peer = PeerInfo{RemoteAddr: h.remote}
	np.Write(Msg{}) // the connect notification comes first
	np.Flush()
	if err := s.attachPipe(sp); err != nil {
		np.Detach()
		sp.Detach()
		return err
	}
	ss.attached = true
	s.event(EventHandshaken, ss.endpoint, h.remote, nil)

	done := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		err := rawWriter(ctx, c, np, recv, done)
		c.Close() // the reader stops too
		werr <- err
	}()
	rerr := rawReader(ctx, c, np, send, done)
	if ctx.Err() == nil {
		close(done) // the peer went: the writer stops too
		c.Close()
	}
	err := <-werr
	if ctx.Err() != nil {
		err, rerr = nil, ctx.Err()
	}
	if err == nil || errors.Is(err, net.ErrClosed) {
		err = rerr
	}
	// The disconnect notification, past the HWM: the socket must learn it.
	// Whoever reads it finds the peer gone already (sends to it fail).
	np.in.readerGone.Store(true)
	np.Write(Msg{})
	np.Flush()
	np.Detach()
	return err
}

// rawReader turns each read into a message for the socket.
func rawReader(ctx context.Context, c net.Conn, np *Pipe, space signal, done <-chan struct{}) error {
	buf := make([]byte, streamRead)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			for !np.CheckWrite() {
				if np.PeerGone() {
					return nil
				}
				select {
				case <-space:
				case <-done:
					return nil
				case <-ctx.Done():
					return nil
				}
			}
			np.Write(NewMsg(buf[:n]))
			np.Flush()
		}
		if err != nil {
			return err
		}
	}
}

// rawWriter writes the socket's messages out, frames as they are; a
// message of one empty frame closes the connection. Once ctx is done it
// writes what is left and returns.
func rawWriter(ctx context.Context, c net.Conn, np *Pipe, data signal, done <-chan struct{}) error {
	var iov net.Buffers
	var frames []Msg
	for {
		for !np.CheckRead() {
			if np.Dead() || ctx.Err() != nil {
				return nil
			}
			select {
			case <-data:
			case <-done:
				return nil
			case <-ctx.Done():
			}
		}
		frames = frames[:0]
		for {
			m, ok := np.Read()
			if !ok {
				break
			}
			frames = append(frames, m)
			if !m.More {
				break
			}
		}
		if len(frames) == 1 && frames[0].Len() == 0 {
			frames[0].Close()
			return errStreamClosed
		}
		iov = iov[:0]
		for i := range frames {
			if frames[i].Len() > 0 {
				iov = append(iov, frames[i].Bytes())
			}
		}
		_, err := iov.WriteTo(c)
		closeAll(frames)
		if err != nil {
			return err
		}
	}
}

// stream is the STREAM socket type: ROUTER-like routing over raw peers.
type stream struct{ peerTable }

func (b *stream) recv(dst []Msg) ([]Msg, bool, error) {
	start := len(dst)
	msg, ok := b.recvFromPeer(dst)
	if !ok {
		return dst, false, nil
	}
	msg[start].More = true
	return msg, true, nil
}

func (b *stream) send(msg []Msg) (bool, error) {
	if len(msg) < 2 {
		return false, fmt.Errorf("%w: STREAM needs a routing id frame and data", ErrState)
	}
	id := msg[0].Bytes()
	p, ok := b.byID[string(id)]
	if !ok || p.PeerGone() {
		return false, fmt.Errorf("%w: no STREAM peer with routing id %q", ErrHostUnreachable, id)
	}
	if !p.CheckWrite() {
		return false, nil
	}
	msg[0].Close()
	writeMsg(p, msg[1:])
	return true, nil
}
