package stream_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/zmqx/zmqx/core"
)

// memTransport connects sockets through memory: its connections are
// stream.NonBlockingConns (as the AF_XDP engine's channels are), so a
// worker or an invoker drives them with no system call at all. Benchmarks
// use it to measure the user-space cost of the message path alone.
type memTransport struct {
	mu        sync.Mutex
	listeners map[string]*memListener
	accepted  *memConn // the listening side of the latest connection
}

func (t *memTransport) Listen(addr string, _ *core.Options) (core.Listener, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.listeners == nil {
		t.listeners = map[string]*memListener{}
	}
	if _, ok := t.listeners[addr]; ok {
		return nil, errors.New("mem: address in use")
	}
	l := &memListener{t: t, addr: addr, conns: make(chan net.Conn, 16), done: make(chan struct{})}
	t.listeners[addr] = l
	return l, nil
}

func (t *memTransport) Dial(ctx context.Context, addr string, _ *core.Options) (net.Conn, error) {
	t.mu.Lock()
	l := t.listeners[addr]
	t.mu.Unlock()
	if l == nil {
		return nil, errors.New("mem: connection refused")
	}
	a, b := newMemPipe(), newMemPipe()
	ours := &memConn{in: a, out: b}
	theirs := &memConn{in: b, out: a}
	t.mu.Lock()
	t.accepted = theirs
	t.mu.Unlock()
	select {
	case l.conns <- theirs:
		return ours, nil
	case <-l.done:
		return nil, errors.New("mem: connection refused")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (t *memTransport) CheckDial(string) error { return nil }

type memListener struct {
	t     *memTransport
	addr  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.t.mu.Lock()
		delete(l.t.listeners, l.addr)
		l.t.mu.Unlock()
	})
	return nil
}

func (l *memListener) Endpoint() string { return l.addr }

// memPipe is one direction of a memConn: an unbounded byte queue.
type memPipe struct {
	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	r      int
	closed bool
	// While held, the next write takes short bytes at most and later ones
	// none, each reported on refused (see hold).
	held    bool
	short   int
	refused chan<- struct{}
}

// hold makes p a connection whose peer has stopped reading for a while:
// its next write takes k bytes at most, and the writes after that take
// none, each reported on refused without blocking, until release.
func (p *memPipe) hold(k int, refused chan<- struct{}) {
	p.mu.Lock()
	p.held, p.short, p.refused = true, k, refused
	p.mu.Unlock()
}

func (p *memPipe) release() {
	p.mu.Lock()
	p.held = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

func newMemPipe() *memPipe {
	p := &memPipe{}
	p.cond.L = &p.mu
	return p
}

// read copies what is queued into b; with wait it waits for something.
func (p *memPipe) read(b []byte, wait bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.r == len(p.buf) {
		if p.closed {
			return 0, io.EOF
		}
		if !wait {
			return 0, nil
		}
		p.cond.Wait()
	}
	n := copy(b, p.buf[p.r:])
	if p.r += n; p.r == len(p.buf) {
		p.buf, p.r = p.buf[:0], 0
	}
	return n, nil
}

func (p *memPipe) write(iov ...[]byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, net.ErrClosed
	}
	limit := -1
	if p.held {
		if limit, p.short = p.short, 0; limit == 0 {
			select {
			case p.refused <- struct{}{}:
			default:
			}
			return 0, nil
		}
	}
	n := 0
	for _, b := range iov {
		if limit >= 0 {
			b = b[:min(len(b), limit-n)]
		}
		p.buf = append(p.buf, b...)
		n += len(b)
	}
	p.cond.Broadcast()
	return n, nil
}

func (p *memPipe) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// memConn is a net.Conn (blocking, for the handshake) and a
// stream.NonBlockingConn (for the agent that drives it afterwards).
// Deadlines are not supported: they are accepted and ignored.
type memConn struct {
	in, out *memPipe
}

func (c *memConn) Read(b []byte) (int, error)  { return c.in.read(b, true) }
func (c *memConn) Write(b []byte) (int, error) { return c.out.write(b) }
func (c *memConn) ReadNonBlocking(b []byte) (int, error) {
	return c.in.read(b, false)
}
func (c *memConn) WriteNonBlocking(iov [][]byte) int {
	n, _ := c.out.write(iov...)
	return n
}
func (c *memConn) AwaitWritable() error {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	for c.out.held && !c.out.closed {
		c.out.cond.Wait()
	}
	if c.out.closed {
		return net.ErrClosed
	}
	return nil
}
func (c *memConn) Close() error {
	c.in.close()
	c.out.close()
	return nil
}
func (c *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }
