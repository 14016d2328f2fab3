package core

import (
	"fmt"
	"log/slog"
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
}

// Runtime holds everything that would otherwise be global: sockets, the
// inproc namespace, engines and transports. Closing it closes its sockets.
type Runtime struct {
	log        *slog.Logger
	engine     Engine
	transports map[string]Transport

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
	}
	for k, v := range c.Transports {
		r.transports[k] = v
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Socket makes a socket of type t.
func (r *Runtime) Socket(t Type, o Options) (*Socket, error) {
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
	return nil
}

// inprocConnect is a connect waiting for its bind.
type inprocConnect struct {
	s  *Socket
	ep string
}

func (s *Socket) bindInproc(ep, name string) (string, error) {
	r := s.rt
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
		joinInproc(c.s, s, c.ep)
	}
	return ep, nil
}

func (s *Socket) connectInproc(ep, name string) error {
	r := s.rt
	r.mu.Lock()
	binder := r.inproc[name]
	c := &inprocConnect{s: s, ep: ep}
	if binder == nil {
		r.pending[name] = append(r.pending[name], c)
	}
	r.mu.Unlock()
	e := &endpoint{name: ep, given: ep, cancel: func() {}, done: make(chan struct{})}
	close(e.done)
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
	}
	if !s.addEndpoint(e) {
		e.inproc()
		return ErrClosed
	}
	if binder != nil {
		return joinInproc(s, binder, ep)
	}
	return nil
}

// joinInproc connects two sockets with a pipe and no engine in between.
func joinInproc(conn, bind *Socket, ep string) error {
	if !compatible(conn.typ, bind.typ) {
		err := fmt.Errorf("%w: %s cannot connect to %s at %s", errRefused, conn.typ, bind.typ, ep)
		conn.log.Warn("inproc connect refused", "endpoint", ep, "err", err)
		return err
	}
	cp, bp := newPipePair(conn.end(), bind.end())
	cp.Peer = PeerInfo{Type: bind.typ.String(), Identity: bind.opts.RoutingID, RemoteAddr: ep}
	bp.Peer = PeerInfo{Type: conn.typ.String(), Identity: conn.opts.RoutingID, RemoteAddr: ep}
	if err := bind.attachPipe(bp); err != nil {
		cp.Detach()
		bp.Detach()
		return err
	}
	if err := conn.attachPipe(cp); err != nil {
		cp.Detach()
		bind.mu.Lock()
		bind.forget(bp)
		bind.mu.Unlock()
		return err
	}
	conn.event(EventConnected, ep, ep, nil)
	bind.event(EventAccepted, ep, ep, nil)
	return nil
}

// compatible applies the ZMTP socket-type table to inproc pairs.
func compatible(a, b Type) bool { return zmtp.Compatible(a.String(), b.String()) }
