package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/rawio"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// Engine implements core.Engine for ZMTP 3.x over net.Conn.
type Engine struct {
	// Writes, when set, is called for every write to a connection, just
	// before it, with the number of bytes to write: a hook for tests and
	// statistics (counted before the write, so before the peer can see it).
	Writes func(n int)
}

var _ core.Engine = Engine{}

// conn is the state of one connection.
type conn struct {
	c    net.Conn
	h    *core.Host
	o    *core.Options
	eng  Engine
	pipe *core.Pipe
	ob   *core.Outbound
	ib   *core.Inbound
	peer zmtp.Greeting
	hs   *zmtp.Handshake

	r rbuf // the handshake's reads; what is left over goes to ib

	cv  *curveIO // CURVE: the sealing and opening, nil for NULL and PLAIN
	iov [][]byte // CURVE: the writer's gather list

	ctlMu sync.Mutex
	ctl   []byte        // command frames for the writer to send (PONG, PING)
	ctlC  chan struct{} // wakes the writer for ctl
	// ctlPending says ctl is not empty, so a pump looks without the lock.
	ctlPending atomic.Bool

	// endMu orders end (the socket closing) against runAgent taking the
	// raw descriptor: once rawDriven is set, end never closes it, and a
	// descriptor end closed first cannot be taken (Control fails).
	endMu     sync.Mutex
	rawDriven bool

	peerTTL time.Duration // from the peer's PING
	gotData atomic.Bool   // bytes arrived since the last heartbeat check
}

// Serve runs one connection; see core.Engine.
func (e Engine) Serve(ctx context.Context, nc net.Conn, h *core.Host) error {
	c := &conn{c: nc, h: h, o: h.Options(), eng: e, ctlC: make(chan struct{}, 1)}
	defer func() {
		if ctx.Err() != nil {
			c.closeWithin() // (Serve may end before the AfterFunc runs)
		}
		c.close()
	}()
	stop := context.AfterFunc(ctx, c.closing)
	defer stop()

	c.r.init(nc)
	if err := c.handshake(ctx); err != nil {
		return err
	}
	pipe, err := h.Attach(core.PeerInfo{
		Type:       c.hs.PeerType,
		Identity:   append([]byte(nil), c.hs.PeerIdentity...),
		Downgraded: c.peer.Downgraded(),
		Meta:       core.NewMetadata(c.hs.PeerMeta, c.hs.AuthMeta, c.hs.User, nc.RemoteAddr().String()),
	})
	if err != nil {
		return err
	}
	c.pipe, c.ob, c.ib = pipe, pipe.Out(), pipe.In()
	c.ib.SetCommandHandler(c.command)
	if codec := c.hs.Codec(); codec != nil {
		// CURVE: the bytes behind the handshake are sealed MESSAGEs.
		c.cv = newCurveIO(codec, c.o.MaxMsgSize, &c.r)
		c.r = rbuf{}
		if _, err := c.curveFilled(0); err != nil {
			return err
		}
	}
	// Bytes that came in behind the handshake belong to the stream.
	for rest := c.r.buffered(); len(rest) > 0; {
		k := copy(c.ib.Space(), rest)
		if _, err := c.ib.Fill(k); err != nil {
			return err
		}
		rest = rest[k:]
	}
	c.r = rbuf{}

	idle, invoker := h.Mode()
	if idle != core.IdleBlock || invoker {
		if err, ok := c.runAgent(ctx); ok {
			return err
		}
	}
	return c.runBlocking(ctx)
}

// closeGracefully ends a connection whose socket is closing. Where the
// transport can half-close, it sends end-of-stream and lets the reader run
// until the peer closes too (or the grace period ends), so everything
// written is read before the connection goes: closing a Unix socket with
// data still queued towards a peer that is slow to read makes some peers
// (libzmq over ipc) drop that data. Elsewhere it closes at once.
//
// keepFD ends the connection without releasing its descriptor (shutdown
// instead of close, where the transport can), for a connection that a
// worker or an invoker drives through the raw descriptor: it may be inside
// a read or write on it until the engine has taken the agent back, and by
// then the kernel could have given a closed descriptor's number to another
// file. Serve's deferred Close releases it.
func closeGracefully(nc net.Conn, grace time.Duration, keepFD bool) {
	hc, ok := nc.(interface{ CloseWrite() error })
	if ok && grace > 0 && hc.CloseWrite() == nil {
		nc.SetWriteDeadline(time.Now()) // a write stuck on a dead peer gives up now
		nc.SetReadDeadline(time.Now().Add(grace))
		return
	}
	if rc, canRead := nc.(interface{ CloseRead() error }); keepFD && ok && canRead {
		hc.CloseWrite() // (again, if it failed above)
		rc.CloseRead()  // the drain in runAgent ends at once
		return
	}
	nc.Close()
}

// closing is what a closing socket does to the connection (ctx's
// AfterFunc): end, with what is left of the socket's linger period as the
// grace. A transport that delivers a closed connection's bytes itself
// rather than through the kernel (the AF_XDP engine: its CloseWithin) is
// given that for the delivery instead.
func (c *conn) closing() {
	if !c.closeWithin() {
		c.end(c.h.Grace(maxGrace))
	}
}

// closeWithin closes a connection whose transport has CloseWithin with
// what is left of the socket's linger period, and reports whether it has.
func (c *conn) closeWithin() bool {
	c.endMu.Lock()
	cw, ok := c.c.(interface{ CloseWithin(time.Duration) error })
	c.endMu.Unlock()
	if ok {
		cw.CloseWithin(c.h.Grace(maxDrain))
	}
	return ok
}

// end is closeGracefully, keeping the descriptor of a connection that an
// agent drives (see runAgent).
func (c *conn) end(grace time.Duration) {
	c.endMu.Lock()
	defer c.endMu.Unlock()
	closeGracefully(c.c, grace, c.rawDriven)
}

// close releases the connection once Serve is done with it: nc, or what
// runAgent replaced it with (unpoll), which end may still be using.
func (c *conn) close() {
	c.endMu.Lock()
	nc := c.c
	c.endMu.Unlock()
	nc.Close()
}

// maxGrace bounds how long a closing connection waits for its peer.
const maxGrace = time.Second

// maxDrain bounds the linger period a CloseWithin is given: the AF_XDP
// engine's own bound on delivering what closed connections hold.
const maxDrain = 10 * time.Second

// Agents reports whether connections can be driven by workers and invokers
// on this OS (non-blocking raw file descriptors).
func (Engine) Agents() bool { return rawio.Supported }

func (c *conn) handshakeConfig(ctx context.Context) zmtp.HandshakeConfig {
	cfg := zmtp.HandshakeConfig{SocketType: c.h.SocketType().String(), Identity: c.o.RoutingID}
	switch {
	case c.o.PlainAuth != nil:
		cfg.Mechanism, cfg.AsServer, cfg.Authenticate = zmtp.MechPlain, true, c.o.PlainAuth
	case c.o.PlainServer:
		cfg.Mechanism, cfg.AsServer = zmtp.MechPlain, true
		cfg.Authorize = c.h.Authorizer(ctx, zmtp.MechPlain)
	case c.o.PlainUsername != "" || c.o.PlainPassword != "":
		cfg.Mechanism, cfg.Username, cfg.Password = zmtp.MechPlain, c.o.PlainUsername, c.o.PlainPassword
	case c.o.CurveServer:
		cfg.Mechanism, cfg.AsServer, cfg.CurveSecretKey = zmtp.MechCurve, true, c.o.CurveSecretKey
		cfg.Authorize = c.h.Authorizer(ctx, zmtp.MechCurve)
	case !c.o.CurveSecretKey.IsZero():
		cfg.Mechanism = zmtp.MechCurve
		cfg.CurveSecretKey, cfg.CurvePublicKey, cfg.CurveServerKey = c.o.CurveSecretKey, c.o.CurvePublicKey, c.o.CurveServerKey
	default:
		cfg.Authorize = c.h.Authorizer(ctx, zmtp.MechNull)
	}
	return cfg
}

// handshake exchanges greetings and runs the security mechanism, all under
// the handshake timeout.
func (c *conn) handshake(ctx context.Context) error {
	if c.o.HandshakeTimeout > 0 {
		c.c.SetDeadline(time.Now().Add(c.o.HandshakeTimeout))
		defer c.c.SetDeadline(time.Time{})
	}
	hctx := ctx
	if c.o.HandshakeTimeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, c.o.HandshakeTimeout)
		defer cancel()
	}
	cfg := c.handshakeConfig(hctx)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := c.write(zmtp.AppendGreeting(nil, cfg.Greeting())); err != nil {
		return fmt.Errorf("zmtp: sending greeting: %w", err)
	}
	// Judge the signature as soon as it is in, like libzmq, so a peer
	// speaking something else is dropped without waiting for 64 bytes.
	sig, err := c.r.need(zmtp.SignatureLen)
	if err != nil {
		return fmt.Errorf("zmtp: reading greeting: %w", err)
	}
	if err := zmtp.CheckSignature(sig); err != nil {
		return err
	}
	g, err := c.r.need(zmtp.GreetingLen)
	if err != nil {
		return fmt.Errorf("zmtp: reading greeting: %w", err)
	}
	if c.peer, err = zmtp.ParseGreeting(g); err != nil {
		return err
	}
	c.r.skip(zmtp.GreetingLen)
	c.hs = zmtp.NewHandshake(cfg)
	out, err := c.hs.Start(c.peer)
	if werr := c.write(out); err == nil {
		err = werr
	}
	for err == nil && !c.hs.Done() {
		var body []byte
		var h zmtp.Header
		if h, body, _, err = c.readFrame(0); err != nil {
			break
		}
		if !h.Command() {
			err = errors.New("zmtp: message frame during handshake")
			break
		}
		var cmd zmtp.Command
		if cmd, err = zmtp.ParseCommand(body); err != nil {
			break
		}
		out, _, err = c.hs.OnCommand(cmd)
		if werr := c.write(out); err == nil {
			err = werr
		}
	}
	return err
}

// handshakeMax bounds one handshake command; metadata is small.
const handshakeMax = 64 << 10

// willWrite returns the bytes in iov and reports them to the Writes hook,
// before the write, so a test cannot see the write before the count.
func (c *conn) willWrite(iov [][]byte) int {
	n := 0
	for _, b := range iov {
		n += len(b)
	}
	if c.eng.Writes != nil {
		c.eng.Writes(n)
	}
	return n
}

func (c *conn) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if c.eng.Writes != nil {
		c.eng.Writes(len(b))
	}
	_, err := c.c.Write(b)
	return err
}

// readFrame reads one whole frame. Message frames may take what is left of
// MaxMsgSize after the used bytes of their message; command frames may be
// as large as a maximal message plus its command name. Nothing is allocated
// before the declared size has passed that check. The body aliases the read
// buffer (valid until the next read) unless owned is true.
func (c *conn) readFrame(used int64) (h zmtp.Header, body []byte, owned bool, err error) {
	for {
		h, err = zmtp.ParseHeader(c.r.buffered(), 0)
		if err != zmtp.ErrShort {
			break
		}
		if err = c.r.more(); err != nil {
			return h, nil, false, err
		}
	}
	if err != nil {
		return h, nil, false, err
	}
	limit := int64(maxFrame)
	if max := c.o.MaxMsgSize; max > 0 {
		limit = max - used
		if h.Command() {
			limit = max + 256
		}
	}
	if c.hs == nil || !c.hs.Done() {
		limit = min(limit, handshakeMax)
	}
	if h.Size > uint64(limit) {
		if used > 0 && !h.Command() && limit == c.o.MaxMsgSize-used {
			return h, nil, false, zmtp.MessageTooLarge(h.Size, used, c.o.MaxMsgSize)
		}
		return h, nil, false, fmt.Errorf("%w: %d bytes declared, limit %d", zmtp.ErrTooLarge, h.Size, limit)
	}
	c.r.skip(h.Len)
	body, owned, err = c.r.body(int(h.Size))
	return h, body, owned, err
}

// maxFrame bounds frames even when MaxMsgSize is unlimited, so a declared
// size can always be allocated as an int.
const maxFrame = 1 << 40

var errUnexpectedCommand = errors.New("zmtp: unexpected command")

// rbuf is the receive buffer. Frames that fit are decoded in place; larger
// ones are read into an allocation of exactly their (already bounded) size.
type rbuf struct {
	rd   io.Reader
	buf  []byte
	r, w int
}

const rbufSize = 64 << 10

func (b *rbuf) init(r io.Reader) { b.rd, b.buf = r, make([]byte, rbufSize) }

func (b *rbuf) buffered() []byte { return b.buf[b.r:b.w] }

func (b *rbuf) skip(n int) { b.r += n }

// more reads at least one more byte from the connection.
func (b *rbuf) more() error {
	if b.r > 0 && b.w == len(b.buf) || b.r == b.w {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	n, err := b.rd.Read(b.buf[b.w:])
	b.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// need returns the first n buffered bytes, reading until they are there.
func (b *rbuf) need(n int) ([]byte, error) {
	for b.w-b.r < n {
		if err := b.more(); err != nil {
			return nil, err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// body returns the next n bytes and consumes them; owned reports a fresh
// allocation rather than a view of the buffer.
func (b *rbuf) body(n int) (p []byte, owned bool, err error) {
	if n <= len(b.buf) {
		p, err = b.need(n)
		if err == nil {
			b.r += n
		}
		return p, false, err
	}
	p = make([]byte, n)
	k := copy(p, b.buf[b.r:b.w])
	b.r, b.w = 0, 0
	if _, err := io.ReadFull(b.rd, p[k:]); err != nil {
		return nil, false, err
	}
	return p, true, nil
}
