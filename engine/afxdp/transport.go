package afxdp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/engine/tcp"
)

// ErrUnavailable is wrapped by the reason an xdp:// endpoint could not use
// AF_XDP (other OS, missing privileges, a driver that refuses, a peer on
// this host).
var ErrUnavailable = errors.New("afxdp: AF_XDP unavailable")

// Config configures the engine for one runtime. The zero value means the
// defaults: fall back to TCP when AF_XDP cannot be used, listen on TCP
// beside every xdp:// bind, block when idle.
type Config struct {
	// NoFallback makes an xdp:// endpoint fail when AF_XDP cannot be used,
	// instead of carrying it over TCP.
	NoFallback bool
	// NoTCPListen stops Bind on xdp://…:PORT from also listening on TCP
	// PORT for peers without AF_XDP.
	NoTCPListen bool
	// Idle is how the queue workers wait: IdleBlock parks them in the
	// network poller, IdleSpin never yields, IdleBackoff spins a while,
	// then parks. A spinning worker, or one pinned to a CPU, has an OS
	// thread of its own; a parking one that is not pinned is a plain
	// goroutine, which wakes faster.
	Idle core.Idle
	// DriversPoll says that the goroutines driving connections as agents
	// (the stream engine's I/O workers or invokers) poll, and sleep at
	// most briefly (zmqx's IdleSpin, and IdleBackoff, whose longest sleep
	// is about 1ms). Their channels then defer acknowledgements for an
	// answer to carry them, and a parked queue worker leaves their frames
	// and timers to them (it looks every 10ms). A frame that arrives while
	// a backoff driver sleeps waits for it, as a TCP segment does for a
	// driver of an unpolled socket; an acknowledgement it owed then comes
	// late, and the peer may probe or retransmit once in vain. Before
	// IdleBackoff's drivers were given this, its REQ/REP round trips over
	// xdp:// took 2.4x as long with an invoker (bench/RESULTS.md).
	DriversPoll bool
	// Queues caps the number of NIC queues used per interface (0: all).
	Queues int
	// Attach selects the steering program's attach mode: "" or "auto"
	// (native, then generic), "native" or "generic".
	Attach string
	// CPUs pins the queue workers, in turn; empty means Place.
	CPUs []int
	// Place returns the CPUs near an interface (its NUMA node), or nil to
	// leave the workers unpinned.
	Place func(iface string) []int
	// Pin pins the calling (locked) thread to a CPU.
	Pin func(cpu int) error
	// LeaveCoalescing leaves the NIC's interrupt coalescing as it is; by
	// default the engine turns it off while it runs and restores it.
	LeaveCoalescing bool
	// Loss, when set, is asked about every datagram the engine is about to
	// transmit and drops it when it returns true: the engine-level loss
	// hook for tests and experiments. It is called from queue workers.
	Loss func() bool
	// OnRecovered, when set, is given the recovery time of every datagram
	// that needed retransmission: from its first transmission to its
	// acknowledgement. It is called from queue workers.
	OnRecovered func(time.Duration)
	// OnRepair, when set, is given where the recovery time of every such
	// datagram went (rel.Repair). It is called from queue workers.
	OnRepair func(rel.Repair)
	// OnHole, when set, is given how long every hole in a received
	// sequence held back in-order delivery (rel.Config.OnHole). It is
	// called from queue workers.
	OnHole func(time.Duration)
	// Logger receives the engine's reports (fallbacks, attach modes).
	Logger *slog.Logger
}

// Transport is the xdp:// transport.
type Transport struct {
	c     Config
	tcp   tcp.TCP
	mu    sync.Mutex
	hosts map[int]*host // by ifindex
	// polled is hosts' values for PollIdle, replaced (never changed in
	// place) under mu.
	polled atomic.Pointer[[]*host]
}

// New makes the transport for one runtime; Close releases what it holds.
func New(c Config) *Transport {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Transport{c: c, hosts: map[int]*host{}}
}

// CheckDial validates an xdp:// address for connecting.
func (t *Transport) CheckDial(addr string) error {
	e, err := parseEndpoint(addr, false)
	if err != nil {
		return err
	}
	return e.checkIface()
}

// Listen binds an xdp:// endpoint: UDP PORT steered into AF_XDP sockets on
// the interface, and TCP PORT beside it (unless Config.NoTCPListen). Where
// AF_XDP cannot be used it listens on TCP alone and says why, unless
// Config.NoFallback.
func (t *Transport) Listen(addr string, o *core.Options) (core.Listener, error) {
	e, err := parseEndpoint(addr, true)
	if err == nil {
		err = e.checkIface()
	}
	if err != nil {
		return nil, err
	}
	l, err := t.listen(e, o)
	if err == nil {
		return l, nil
	}
	if t.c.NoFallback || !errors.Is(err, ErrUnavailable) {
		return nil, err
	}
	tl, terr := t.tcp.Listen(e.TCP(), o)
	if terr != nil {
		return nil, terr
	}
	t.c.Logger.Warn("xdp:// endpoint served over TCP", "endpoint", "xdp://"+addr, "reason", err)
	return &fallbackListener{Listener: tl, why: err}, nil
}

// Dial connects to an xdp:// endpoint over AF_XDP, or over TCP with the
// reason reported where AF_XDP cannot be used (unless Config.NoFallback).
func (t *Transport) Dial(ctx context.Context, addr string, o *core.Options) (net.Conn, error) {
	e, err := parseEndpoint(addr, false)
	if err != nil {
		return nil, err
	}
	c, err := t.dial(ctx, e, o)
	if err == nil {
		return c, nil
	}
	if t.c.NoFallback || !errors.Is(err, ErrUnavailable) {
		return nil, err
	}
	tc, terr := t.tcp.Dial(ctx, e.TCP(), o)
	if terr != nil {
		return nil, fmt.Errorf("%w (and over TCP: %w)", err, terr)
	}
	t.c.Logger.Warn("xdp:// connection carried over TCP", "endpoint", "xdp://"+addr, "reason", err)
	return &fallbackConn{Conn: tc, why: err}, nil
}

// Close stops the engine: every interface's steering program is detached,
// then its sockets and packet memory are released. Connections still open
// fail.
func (t *Transport) Close() error {
	t.mu.Lock()
	hs := t.hosts
	t.hosts = map[int]*host{}
	t.polled.Store(nil)
	t.mu.Unlock()
	var errs []error
	for _, h := range hs {
		errs = append(errs, h.close())
	}
	return errors.Join(errs...)
}

// fallbackListener is a TCP listener standing in for an xdp:// bind.
type fallbackListener struct {
	core.Listener
	why error
}

// Fallback says why the endpoint is not served over AF_XDP.
func (l *fallbackListener) Fallback() error { return l.why }

// fallbackConn is a TCP connection standing in for an xdp:// connect.
type fallbackConn struct {
	net.Conn
	why error
}

// Fallback says why the connection is not carried over AF_XDP.
func (c *fallbackConn) Fallback() error { return c.why }

// SyscallConn gives the engine the TCP socket's descriptor, for its
// vectored writes and raw-syscall modes.
func (c *fallbackConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// CloseWrite half-closes the TCP connection, for the engine's linger.
func (c *fallbackConn) CloseWrite() error {
	hc, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return errors.ErrUnsupported
	}
	return hc.CloseWrite()
}
