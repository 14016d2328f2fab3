package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// endpoint is one Bind or Connect of a socket: a node of the ownership tree
// under the socket, owning its listener or its reconnecting session.
type endpoint struct {
	name     string // as the user gave it, or resolved for binds
	given    string
	bind     bool
	cancel   context.CancelFunc
	listener Listener
	done     chan struct{}
	inproc   func() // inproc: undo the registration
}

func (ep *endpoint) stop() {
	ep.cancel()
	if ep.listener != nil {
		ep.listener.Close()
	}
	if ep.inproc != nil {
		ep.inproc()
	}
}

// Bind listens on an endpoint ("tcp://*:5555", "ipc:///tmp/x", "inproc://x")
// and returns the endpoint as bound, with wildcard ports resolved.
func (s *Socket) Bind(ep string) (string, error) {
	scheme, addr, err := splitEndpoint(ep)
	if err != nil {
		return "", err
	}
	if s.isClosed() {
		return "", ErrClosed
	}
	if scheme == "inproc" {
		if s.typ == STREAM {
			return "", fmt.Errorf("%w: STREAM is for tcp:// and ipc:// peers", ErrNotSupported)
		}
		return s.bindInproc(ep, addr)
	}
	tr, err := s.rt.transport(scheme)
	if err != nil {
		return "", err
	}
	o := s.use() // the listener keeps these for the connections it accepts
	if oc, ok := tr.(OptionChecker); ok {
		if err := oc.CheckOptions(&o); err != nil {
			return "", fmt.Errorf("zmqx: bind %s: %w", ep, err)
		}
	}
	l, err := tr.Listen(addr, &o)
	if err != nil {
		err = fmt.Errorf("zmqx: bind %s: %w", ep, err)
		s.event(EventBindFailed, ep, "", err)
		return "", err
	}
	ctx, cancel := context.WithCancel(s.ctx)
	e := &endpoint{name: scheme + "://" + l.Endpoint(), given: ep, bind: true, cancel: cancel, listener: l, done: make(chan struct{})}
	if !s.addEndpoint(e) {
		cancel()
		l.Close()
		return "", ErrClosed
	}
	s.event(EventListening, e.name, "", nil)
	if why := fallbackOf(l); why != nil {
		s.event(EventFallback, e.name, "", why)
	}
	s.wg.Add(1)
	go s.acceptLoop(ctx, e)
	return e.name, nil
}

// Connect starts connecting to an endpoint; it returns at once and the
// connection is made (and remade) in the background. Messages sent before
// it is up are queued up to the HWM, except on ROUTER, which routes only to
// peers whose identity it knows.
func (s *Socket) Connect(ep string) error {
	scheme, addr, err := splitEndpoint(ep)
	if err != nil {
		return err
	}
	if s.isClosed() {
		return ErrClosed
	}
	if scheme == "inproc" {
		if s.typ == STREAM {
			return fmt.Errorf("%w: STREAM is for tcp:// and ipc:// peers", ErrNotSupported)
		}
		return s.connectInproc(ep, addr)
	}
	tr, err := s.rt.transport(scheme)
	if err != nil {
		return err
	}
	if err := tr.CheckDial(addr); err != nil {
		return fmt.Errorf("zmqx: connect %s: %w", ep, err)
	}
	o := s.use()
	if oc, ok := tr.(OptionChecker); ok {
		if err := oc.CheckOptions(&o); err != nil {
			return fmt.Errorf("zmqx: connect %s: %w", ep, err)
		}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	e := &endpoint{name: ep, given: ep, cancel: cancel, done: make(chan struct{})}
	// A pipe that outlives connections queues messages before the first
	// one is up: not for ROUTER (it routes only to known peers) and not
	// with Immediate (only completed connections take messages).
	ss := s.newSession(ep, s.typ != ROUTER && s.typ != STREAM && !o.Immediate)
	ss.routingID = s.takeConnectRoutingID()
	if ss.persistent {
		if err := s.attachPipe(ss.pipe); err != nil {
			cancel()
			return err
		}
	}
	if !s.addEndpoint(e) {
		cancel()
		ss.finish()
		return ErrClosed
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(e.done)
		ss.connectLoop(ctx, tr, addr)
	}()
	return nil
}

// Unbind stops listening on ep (as Bind returned it or as given) and closes
// the connections accepted through it.
func (s *Socket) Unbind(ep string) error { return s.removeEndpoint(ep, true) }

// Disconnect stops connecting to ep and closes its connection.
func (s *Socket) Disconnect(ep string) error { return s.removeEndpoint(ep, false) }

func (s *Socket) removeEndpoint(ep string, bind bool) error {
	s.epMu.Lock()
	var found *endpoint
	for i, e := range s.eps {
		if e.bind == bind && (e.name == ep || e.given == ep) {
			found = e
			s.eps = append(s.eps[:i], s.eps[i+1:]...)
			break
		}
	}
	s.epMu.Unlock()
	if found == nil {
		return fmt.Errorf("%w: %s is not %s", ErrEndpoint, ep, map[bool]string{true: "bound", false: "connected"}[bind])
	}
	found.stop()
	<-found.done
	return nil
}

// use marks the socket as having endpoints (Conflate is fixed from now)
// and returns its options as they are.
func (s *Socket) use() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used = true
	return s.opts
}

// takeConnectRoutingID uses up ConnectRoutingID for a Connect.
func (s *Socket) takeConnectRoutingID() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.opts.ConnectRoutingID
	s.opts.ConnectRoutingID = nil
	return id
}

func (s *Socket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Socket) addEndpoint(e *endpoint) bool {
	s.epMu.Lock()
	defer s.epMu.Unlock()
	if s.isClosed() {
		return false
	}
	s.eps = append(s.eps, e)
	return true
}

func (s *Socket) acceptLoop(ctx context.Context, e *endpoint) {
	defer s.wg.Done()
	var conns sync.WaitGroup
	defer func() {
		conns.Wait()
		s.event(EventClosed, e.name, "", nil)
		close(e.done)
	}()
	delay := time.Millisecond
	for {
		c, err := e.listener.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of fds and the like: back off instead of spinning.
			s.log.Warn("accept failed", "endpoint", e.name, "err", err)
			s.event(EventAcceptFailed, e.name, "", err)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = time.Millisecond
		remote := c.RemoteAddr().String()
		s.event(EventAccepted, e.name, remote, nil)
		ss := s.newSession(e.name, false)
		conns.Add(1)
		go func() {
			defer conns.Done()
			err := ss.serve(ctx, c)
			s.event(EventDisconnected, e.name, remote, err)
			ss.finish()
		}()
	}
}

// session owns one peer relationship: an accepted connection, or a
// connected endpoint across its reconnections. Its stream pipe's byte
// streams are consumed (outbound) and produced (inbound) by the engine of
// the current connection only, and by the session between connections.
type session struct {
	sock       *Socket
	endpoint   string
	persistent bool   // the pipe outlives connections (connect side)
	pipe       *Pipe  // nil until the handshake for !persistent
	attached   bool   // the current connection completed its handshake
	routingID  []byte // ConnectRoutingID given to this Connect's peer
}

func (s *Socket) newSession(ep string, persistent bool) *session {
	ss := &session{sock: s, endpoint: ep, persistent: persistent}
	if persistent {
		o := s.optsNow()
		ss.pipe = newStreamPipe(s, &o)
	}
	return ss
}

// serve runs one connection through the engine.
func (ss *session) serve(ctx context.Context, c net.Conn) error {
	ss.attached = false
	h := &Host{ss: ss, remote: c.RemoteAddr().String(), local: c.LocalAddr(), opts: ss.sock.optsNow()}
	// The socket may end this connection alone (Pipe.kill).
	cctx, kill := context.WithCancel(ctx)
	defer kill()
	h.kill = kill
	var err error
	if ss.sock.typ == STREAM {
		err = ss.serveRaw(cctx, c, h)
	} else {
		err = ss.sock.rt.engine.Serve(cctx, c, h)
	}
	if ctx.Err() != nil {
		return nil
	}
	if !ss.attached {
		ss.sock.event(EventHandshakeFailed, ss.endpoint, h.remote, err)
		ss.sock.log.Warn("peer dropped during handshake", "endpoint", ss.endpoint, "peer", h.remote, "err", err)
	} else {
		ss.sock.log.Info("peer disconnected", "endpoint", ss.endpoint, "peer", h.remote, "err", err)
	}
	if ss.pipe != nil {
		if ss.persistent {
			// The pipe waits for the next connection. The rest of a message
			// cut by this one is dropped, never sent as a message of its own
			// (libzmq: session_base_t::clean_pipes).
			ss.sock.mu.Lock()
			ss.pipe.live = false
			ss.sock.mu.Unlock()
			ss.pipe.ob.DropPartial()
		} else {
			ss.pipe.End()
			ss.pipe = nil
		}
	}
	return err
}

func (ss *session) finish() {
	if ss.pipe != nil {
		ss.pipe.End()
		ss.pipe = nil
	}
}

func (ss *session) connectLoop(ctx context.Context, tr Transport, addr string) {
	defer ss.finish()
	ivl := ss.sock.optsNow().ReconnectInterval
	for {
		ss.sock.event(EventConnectDelayed, ss.endpoint, "", nil)
		c, err := ss.dial(ctx, tr, addr)
		if err == nil {
			remote := c.RemoteAddr().String()
			ss.sock.event(EventConnected, ss.endpoint, remote, nil)
			if why := fallbackOf(c); why != nil {
				ss.sock.event(EventFallback, ss.endpoint, remote, why)
			}
			err = ss.serve(ctx, c)
			if ctx.Err() != nil {
				return
			}
			ss.sock.event(EventDisconnected, ss.endpoint, remote, err)
			if ss.attached {
				ivl = ss.sock.optsNow().ReconnectInterval
			}
		} else {
			if ctx.Err() != nil {
				return
			}
			ss.sock.event(EventConnectRetry, ss.endpoint, "", err)
		}
		o := ss.sock.optsNow() // SetOption may have changed them
		if o.ReconnectInterval < 0 {
			return
		}
		select {
		case <-time.After(ivl):
		case <-ctx.Done():
			return
		}
		if o.ReconnectIntervalMax > 0 {
			ivl = min(2*ivl, o.ReconnectIntervalMax)
		}
	}
}

// dial makes one connection attempt, bounded by ConnectTimeout.
func (ss *session) dial(ctx context.Context, tr Transport, addr string) (net.Conn, error) {
	o := ss.sock.optsNow()
	if o.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.ConnectTimeout)
		defer cancel()
	}
	return tr.Dial(ctx, addr, &o)
}

// Host is a session's side of the contract with an engine.
type Host struct {
	ss     *session
	remote string
	local  net.Addr
	opts   Options // the socket's, as the connection started
	kill   func()  // ends this connection
}

// Options are the socket's options as they were when the connection
// started (SetOption changes apply to later connections), defaults
// resolved.
func (h *Host) Options() *Options { return &h.opts }

// SocketType is the type of the socket the connection serves.
func (h *Host) SocketType() Type { return h.ss.sock.typ }

// Endpoint is the endpoint the connection belongs to.
func (h *Host) Endpoint() string { return h.ss.endpoint }

// Grace is how long a connection that is being shut down may wait for its
// peer to read what was written: what is left of the socket's linger period
// when the socket is closing (so Close keeps its bound), otherwise the
// linger period; never more than max, never negative.
func (h *Host) Grace(limit time.Duration) time.Duration {
	s := h.ss.sock
	g := time.Duration(s.lingerNs.Load())
	if by := s.closeBy.Load(); by != 0 {
		g = time.Until(time.Unix(0, by))
	}
	return max(0, min(g, limit))
}

// Mode is how the connection is to be driven once attached: the runtime's
// idle strategy, and whether the socket's callers drive it (invoker).
func (h *Host) Mode() (Idle, bool) { r := h.ss.sock.rt; return r.idle, r.invoker }

// Direct lets REQ and REP sockets in the blocking mode write each message
// out from the goroutine that sends it, through d.PumpOut, when the
// connection's writer is idle: those sockets never have a second message
// to batch, so handing the first to the writer goroutine only costs a
// wake-up. Direct(nil) ends it; after that d is not called any more.
func (h *Host) Direct(d Agent) {
	s := h.ss.sock
	if s.typ != REQ && s.typ != REP {
		return
	}
	s.mu.Lock()
	h.ss.pipe.direct = d
	s.mu.Unlock()
}

// Through lets the socket write a large frame (ThroughMin bytes or more,
// the last of its message) straight from the sender's memory, from the
// goroutine that sends it, when the connection's writer is idle with
// nothing queued: see Through. Through(nil) ends it; after that t is not
// called any more. Engines set it in the blocking mode only.
func (h *Host) Through(t Through) {
	s := h.ss.sock
	s.mu.Lock()
	h.ss.pipe.through = t
	s.mu.Unlock()
}

// Drive hands an agent to whoever runs it in this runtime (an I/O worker,
// or the socket's callers in invoker mode) and waits until done is closed
// or ctx is done; when Drive returns, nobody runs the agent any more.
func (h *Host) Drive(ctx context.Context, a Agent, done <-chan struct{}) {
	s := h.ss.sock
	if s.rt.invoker {
		s.mu.Lock()
		h.ss.pipe.agent = a
		h.ss.pipe.express, _ = a.(Express)
		h.ss.pipe.setSerial(true)
		s.agents = append(s.agents, a)
		a.PumpOut() // what was queued before the connection was up goes now
		s.mu.Unlock()
		s.recvSig.notify()
		s.sendSig.notify()
		// What a send could not write at once (the socket buffer was full)
		// is finished here, in the poller, so it does not wait for the
		// program's next call.
		var backlog <-chan struct{}
		bl, _ := a.(interface {
			Backlog() <-chan struct{}
			AwaitWritable() error
		})
		if bl != nil {
			backlog = bl.Backlog()
		}
	wait:
		for {
			select {
			case <-done:
				break wait
			case <-ctx.Done():
				break wait
			case <-backlog:
				if bl.AwaitWritable() != nil {
					break wait
				}
				s.mu.Lock()
				a.PumpOut()
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		h.ss.pipe.agent = nil
		h.ss.pipe.express = nil
		h.ss.pipe.setSerial(false)
		for i, x := range s.agents {
			if x == a {
				s.agents = append(s.agents[:i], s.agents[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		return
	}
	w := s.rt.pickWorker(h.local)
	w.add(a)
	select {
	case <-done:
	case <-ctx.Done():
	}
	w.remove(a)
}

// Log reports an engine-level problem through the socket's logger.
func (h *Host) Log() interface {
	Warn(string, ...any)
	Info(string, ...any)
	Debug(string, ...any)
} {
	return h.ss.sock.log
}

// Attach is called by the engine when the handshake has succeeded. It
// returns the pipe end to move messages through; an error refuses the peer
// (a second PAIR peer, a ROUTER id already in use).
func (h *Host) Attach(peer PeerInfo) (*Pipe, error) {
	ss := h.ss
	s := ss.sock
	peer.RemoteAddr = h.remote
	if !ss.persistent {
		p := newStreamPipe(s, &h.opts)
		p.ib.meta.Store(peer.Meta)
		p.Peer, p.live, p.downgraded = peer, true, peer.Downgraded
		p.assignID, p.kill = ss.routingID, h.kill
		if err := s.attachPipe(p); err != nil {
			p.End()
			p.Detach()
			return nil, err
		}
		ss.pipe = p
	} else {
		p := ss.pipe
		p.ib.Reset()
		p.ib.meta.Store(peer.Meta)
		s.mu.Lock()
		p.Peer, p.live, p.downgraded = peer, true, peer.Downgraded
		if s.subs != nil {
			// As libzmq does after a reconnect: what was queued for the old
			// connection is stale, the subscriptions are sent afresh (in
			// the form this peer understands).
			p.ob.DiscardAll()
			s.subs.each(func(topic []byte) { p.writeSub(topic, true) })
		}
		s.mu.Unlock()
	}
	ss.attached = true
	ss.sock.event(EventHandshaken, ss.endpoint, h.remote, nil)
	return ss.pipe, nil
}
