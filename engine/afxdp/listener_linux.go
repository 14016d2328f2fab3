//go:build linux

package afxdp

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
)

// listener is a bound xdp:// endpoint: connection requests to its UDP port
// become channels, and (unless Config.NoTCPListen) TCP connections to the
// same port are accepted beside them.
type listener struct {
	h    *host
	e    endpoint // with the port resolved
	resv *reservation
	relc rel.Config // its channels' (host.relFor)
	tcp  core.Listener

	pending atomic.Int32 // channels made from SYNs, not yet established
	accepts chan net.Conn
	errs    chan error
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func (h *host) listen(e endpoint, o *core.Options) (core.Listener, error) {
	for tries := 0; ; tries++ {
		l, err := h.listenOnce(e, o)
		// Port 0: the UDP port the kernel picked may be taken for TCP.
		if err == nil || e.Addr.Port() != 0 || !errors.Is(err, core.ErrAddrInUse) || tries == 10 {
			return l, err
		}
	}
}

// listenOnce steers the UDP port first, so that a connect finding the TCP
// port open finds the AF_XDP one answering too.
func (h *host) listenOnce(e endpoint, o *core.Options) (core.Listener, error) {
	l := &listener{h: h, e: e, relc: h.relFor(o), accepts: make(chan net.Conn, 256), errs: make(chan error, 1), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, net.ErrClosed
	}
	r, err := h.serve(e.Addr)
	if err != nil {
		h.mu.Unlock()
		return nil, err
	}
	l.resv = r
	l.e.Addr = netip.AddrPortFrom(e.Addr.Addr(), r.port)
	if l.e.Iface == "" {
		l.e.Iface = h.iface
	}
	h.listeners[r.port] = l
	h.mu.Unlock()
	if !h.t.c.NoTCPListen {
		tl, err := h.t.tcp.Listen(l.e.TCP(), o)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.tcp = tl
		l.wg.Add(1)
		go l.acceptTCP()
	}
	return l, nil
}

func (l *listener) acceptTCP() {
	defer l.wg.Done()
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			case l.errs <- err:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		select {
		case l.accepts <- c:
		case <-l.done:
			c.Close()
			return
		}
	}
}

// offer hands an established channel to Accept; a listener whose backlog
// is full refuses it.
func (l *listener) offer(c *channel) bool {
	select {
	case l.accepts <- c:
		return true
	case <-l.done:
	default:
	}
	return false
}

// Accept returns the next connection: an AF_XDP channel or a TCP one.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accepts:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections already accepted go on.
func (l *listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.h.mu.Lock()
		if l.h.listeners[l.resv.port] == l {
			delete(l.h.listeners, l.resv.port)
		}
		l.h.unreserve(l.resv)
		l.h.mu.Unlock()
		if l.tcp != nil {
			l.tcp.Close()
		}
		l.wg.Wait()
		for {
			select {
			case c := <-l.accepts:
				c.Close()
			default:
				return
			}
		}
	})
	return nil
}

// Endpoint is IFACE/IP:PORT with the port resolved.
func (l *listener) Endpoint() string {
	return l.e.Iface + "/" + l.e.Addr.Addr().String() + ":" + strconv.Itoa(int(l.e.Addr.Port()))
}
