package core

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// Config wires a Runtime. The root package fills it with the engines and
// transports it was built with.
type Config struct {
	// Logger receives what sockets report; nil discards.
	Logger *slog.Logger
	// Engine runs the wire protocol over stream connections.
	Engine Engine
	// Transports by endpoint scheme ("tcp", "ipc"). inproc is built in.
	Transports map[string]Transport
	// Idle is how connections wait for work: IdleBlock (the default)
	// parks in the network poller; IdleBackoff and IdleSpin drive the
	// connections from I/O workers that poll non-blocking sockets, or, with
	// Invoker, from the goroutines calling Send and Recv.
	Idle Idle
	// Invoker makes the goroutine that calls Send or Recv do the
	// connection's system calls itself, with no hand-off to another
	// goroutine (Aeron's invoker mode). Needs IdleSpin or IdleBackoff.
	// Connections then make progress only while the application calls
	// Send, Recv or Invoke on their socket.
	Invoker bool
	// Workers is the number of I/O workers for IdleSpin and IdleBackoff
	// without Invoker; 0 means 1. Each wants a CPU of its own.
	Workers int
	// CPUs lists the CPUs the workers are pinned to, in turn; empty
	// leaves them unpinned.
	CPUs []int
	// PinThread pins the calling, locked OS thread to a CPU; the root
	// package supplies it where the OS can.
	PinThread func(cpu int) error
	// Place, when CPUs is empty, picks the CPUs for the I/O workers from
	// the local address of the first connection they serve: the CPUs of the
	// NUMA node of the network interface it goes through. nil, or an empty
	// answer (no NUMA information), leaves the workers unpinned.
	Place func(local net.Addr) []int
	// Auth is the ZAP handler (RFC 27) of the runtime's sockets; see
	// Authenticator. nil: CURVE servers accept every client, and PLAIN
	// servers need PlainAuth.
	Auth Authenticator
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Idle > IdleSpin:
		return fmt.Errorf("zmqx: unknown idle strategy %d", c.Idle)
	case c.Invoker && c.Idle == IdleBlock:
		return errors.New("zmqx: invoker mode needs the spin or backoff idle strategy: a Recv that blocks in the poller cannot watch several connections")
	case c.Workers < 0:
		return errors.New("zmqx: Workers must not be negative")
	case (c.Invoker || c.Idle != IdleBlock) && !agentsOK(c.Engine):
		return errors.New("zmqx: the spin and backoff idle strategies and invoker mode need non-blocking sockets this OS does not offer here; use IdleBlock")
	case len(c.CPUs) > 0 && c.PinThread == nil:
		return errors.New("zmqx: CPUs given, but this platform cannot pin threads")
	}
	for _, cpu := range c.CPUs {
		if cpu < 0 {
			return fmt.Errorf("zmqx: CPU %d is negative", cpu)
		}
	}
	return nil
}

func agentsOK(e Engine) bool {
	a, ok := e.(interface{ Agents() bool })
	return ok && a.Agents()
}

// Runtime holds everything that would otherwise be global: sockets, the
// inproc namespace, engines and transports. Closing it closes its sockets.
type Runtime struct {
	log        *slog.Logger
	engine     Engine
	transports map[string]Transport
	pollers    []Poller // the transports that are Pollers

	idle     Idle
	invoker  bool
	nworkers int
	cpus     []int
	pin      func(int) error
	place    func(net.Addr) []int
	cfgErr   error
	auth     Authenticator

	wmu        sync.Mutex
	workers    []*worker
	nextWorker int

	mu      sync.Mutex
	closed  bool
	sockets map[*Socket]struct{}
	inproc  map[string]*Socket
	pending map[string][]*inprocConnect
}

// NewRuntime makes a runtime from c.
func NewRuntime(c Config) *Runtime {
	r := &Runtime{
		log:        c.Logger,
		engine:     c.Engine,
		transports: map[string]Transport{},
		sockets:    map[*Socket]struct{}{},
		inproc:     map[string]*Socket{},
		pending:    map[string][]*inprocConnect{},
		idle:       c.Idle,
		invoker:    c.Invoker,
		nworkers:   c.Workers,
		cpus:       append([]int(nil), c.CPUs...),
		pin:        c.PinThread,
		place:      c.Place,
		cfgErr:     c.Validate(),
		auth:       c.Auth,
	}
	for k, v := range c.Transports {
		r.transports[k] = v
		if p, ok := v.(Poller); ok {
			r.pollers = append(r.pollers, p)
		}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// pollIdle runs the Pollers' PollIdle: an invoker waiting for a connection.
func (r *Runtime) pollIdle() {
	for _, p := range r.pollers {
		p.PollIdle()
	}
}

// Socket makes a socket of type t.
func (r *Runtime) Socket(t Type, o Options) (*Socket, error) {
	if r.cfgErr != nil {
		return nil, r.cfgErr
	}
	if o.PlainServer && o.PlainAuth == nil && r.auth == nil {
		return nil, errors.New("zmqx: a PLAIN server (PlainServer) needs PlainAuth or the runtime's Authenticator (Config.Auth)")
	}
	s, err := newSocket(r, t, o)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.sockets[s] = struct{}{}
	return s, nil
}

func (r *Runtime) forget(s *Socket) {
	r.mu.Lock()
	delete(r.sockets, s)
	r.mu.Unlock()
}

func (r *Runtime) transport(scheme string) (Transport, error) {
	t, ok := r.transports[scheme]
	if !ok || r.engine == nil {
		return nil, fmt.Errorf("%w: no transport for %q in this build", ErrEndpoint, scheme)
	}
	return t, nil
}

// Close closes every socket of the runtime at once, each within its own
// linger period, and returns when all of them and everything they own
// have stopped. Sockets cannot be made afterwards.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.closed = true
	socks := make([]*Socket, 0, len(r.sockets))
	for s := range r.sockets {
		socks = append(socks, s)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Close()
		}()
	}
	wg.Wait()
	r.stopWorkers()
	// Transports holding resources of their own (the AF_XDP engine's
	// sockets and programs) release them once no socket uses them.
	var errs []error
	for _, t := range r.transports {
		if c, ok := t.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// inprocConnect is a connect waiting for its bind. Its pipe exists from the
// connect on (cp attached to the connecting socket, bp waiting for the
// binder), so messages sent before the bind are queued up to the HWM and
// delivered once it happens, as in libzmq.
type inprocConnect struct {
	s      *Socket
	ep     string
	cp, bp *Pipe
	later  bool // Immediate: cp is attached when the binder comes
}

func (s *Socket) bindInproc(ep, name string) (string, error) {
	r := s.rt
	s.use()
	r.mu.Lock()
	if _, ok := r.inproc[name]; ok {
		r.mu.Unlock()
		return "", fmt.Errorf("%w: %s", ErrAddrInUse, ep)
	}
	r.inproc[name] = s
	waiting := r.pending[name]
	delete(r.pending, name)
	r.mu.Unlock()
	e := &endpoint{name: ep, given: ep, bind: true, cancel: func() {}, done: make(chan struct{})}
	close(e.done)
	e.inproc = func() {
		r.mu.Lock()
		if r.inproc[name] == s {
			delete(r.inproc, name)
		}
		r.mu.Unlock()
	}
	if !s.addEndpoint(e) {
		e.inproc()
		return "", ErrClosed
	}
	for _, c := range waiting {
		joinPending(c, s)
	}
	return ep, nil
}

func (s *Socket) connectInproc(ep, name string) error {
	r := s.rt
	imm := s.use().Immediate
	id := s.takeConnectRoutingID()
	c := &inprocConnect{s: s, ep: ep, later: imm}
	e := &endpoint{name: ep, given: ep, cancel: func() {}, done: make(chan struct{})}
	close(e.done)
	r.mu.Lock()
	binder := r.inproc[name]
	if binder == nil {
		// The binder's end takes the connecting socket's HWMs for now.
		se := s.end()
		c.cp, c.bp = newPipePair(se, pipeEnd{recv: newSignal(), send: newSignal(), sndhwm: se.rcvhwm, rcvhwm: se.sndhwm})
		c.cp.Peer = PeerInfo{RemoteAddr: ep}
		c.cp.assignID = id
		r.pending[name] = append(r.pending[name], c)
	}
	r.mu.Unlock()
	e.inproc = func() {
		r.mu.Lock()
		list := r.pending[name]
		for i, x := range list {
			if x == c {
				r.pending[name] = append(list[:i], list[i+1:]...)
				break
			}
		}
		r.mu.Unlock()
		// Disconnect ends the pipe: nothing more is routed to it, and the
		// binder sees its peer gone.
		s.mu.Lock()
		if c.cp != nil {
			s.forget(c.cp)
		}
		s.mu.Unlock()
	}
	if !s.addEndpoint(e) {
		e.inproc()
		return ErrClosed
	}
	if binder == nil {
		if imm {
			return nil // nothing is queued before the binder comes
		}
		if err := s.attachPipe(c.cp); err != nil {
			e.inproc()
			return err
		}
		return nil
	}
	cp, err := joinInproc(s, binder, ep, id)
	if err == nil {
		s.mu.Lock()
		c.cp = cp
		s.mu.Unlock()
	}
	return err
}

// joinPending gives a connect that came before the bind its binder.
func joinPending(c *inprocConnect, bind *Socket) {
	conn := c.s
	if !compatible(conn.typ, bind.typ) {
		err := fmt.Errorf("%w: %s cannot connect to %s at %s", errRefused, conn.typ, bind.typ, c.ep)
		conn.log.Warn("inproc connect refused", "endpoint", c.ep, "err", err)
		conn.mu.Lock()
		conn.forget(c.cp)
		conn.mu.Unlock()
		c.bp.Detach()
		return
	}
	bindID, connID := bind.optsNow().RoutingID, conn.optsNow().RoutingID
	conn.mu.Lock()
	c.cp.Peer = PeerInfo{Type: bind.typ.String(), Identity: bindID, RemoteAddr: c.ep}
	conn.mu.Unlock()
	c.bp.Peer = PeerInfo{Type: conn.typ.String(), Identity: connID, RemoteAddr: c.ep}
	c.bp.adopt(bind.end())
	if err := bind.attachPipe(c.bp); err != nil {
		c.bp.Detach()
		return
	}
	if c.later {
		if err := conn.attachPipe(c.cp); err != nil {
			c.cp.Detach()
			bind.mu.Lock()
			bind.forget(c.bp)
			bind.mu.Unlock()
			return
		}
	}
	conn.event(EventConnected, c.ep, c.ep, nil)
	bind.event(EventAccepted, c.ep, c.ep, nil)
}

// joinInproc connects two sockets with a pipe and no engine in between, and
// returns the connecting socket's end.
func joinInproc(conn, bind *Socket, ep string, id []byte) (*Pipe, error) {
	if !compatible(conn.typ, bind.typ) {
		err := fmt.Errorf("%w: %s cannot connect to %s at %s", errRefused, conn.typ, bind.typ, ep)
		conn.log.Warn("inproc connect refused", "endpoint", ep, "err", err)
		return nil, err
	}
	cp, bp := newPipePair(conn.end(), bind.end())
	cp.assignID = id
	cp.Peer = PeerInfo{Type: bind.typ.String(), Identity: bind.optsNow().RoutingID, RemoteAddr: ep}
	bp.Peer = PeerInfo{Type: conn.typ.String(), Identity: conn.optsNow().RoutingID, RemoteAddr: ep}
	if err := bind.attachPipe(bp); err != nil {
		cp.Detach()
		bp.Detach()
		return nil, err
	}
	if err := conn.attachPipe(cp); err != nil {
		cp.Detach()
		bind.mu.Lock()
		bind.forget(bp)
		bind.mu.Unlock()
		return nil, err
	}
	conn.event(EventConnected, ep, ep, nil)
	bind.event(EventAccepted, ep, ep, nil)
	return cp, nil
}

// compatible applies the ZMTP socket-type table to inproc pairs.
func compatible(a, b Type) bool { return zmtp.Compatible(a.String(), b.String()) }
