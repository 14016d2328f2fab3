package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// behavior is what a socket type adds to the common machinery. Every method
// runs under Socket.mu and never blocks: send and recv report false when
// they would have to wait.
type behavior interface {
	attach(p *Pipe) error
	send(msg []Msg) (bool, error)
	// recv appends one whole message to dst.
	recv(dst []Msg) ([]Msg, bool, error)
}

// Socket is the common part of every socket type: the pipes to its peers,
// the endpoints it owns, and the blocking logic around a non-blocking core.
//
// A Socket is safe for concurrent use. Each Send or Recv takes a mutex only
// for its non-blocking step (never while waiting), so every pipe keeps a
// single writer and a single reader at any instant; concurrent senders each
// get whole messages through, in an order the caller cannot predict.
type Socket struct {
	rt  *Runtime
	typ Type
	// opts changes under mu (SetOption); code outside mu reads it through
	// optsNow, or takes a copy that a connection keeps (Host.Options).
	opts     Options
	lingerNs atomic.Int64 // opts.Linger, for Host.Grace
	used     bool         // under mu: Bind or Connect was called
	log      *slog.Logger

	mu     sync.Mutex
	b      behavior
	pipes  []*Pipe // every attached socket-side pipe end
	closed bool
	// Goroutines waiting in Recv and Send. One wake-up wakes one of them;
	// whoever succeeds passes the wake-up on while others still wait, so
	// concurrent callers cannot strand each other.
	waiters     atomic.Int32
	sendWaiters atomic.Int32

	closeBy atomic.Int64 // Close's deadline (Unix ns): connections end by then

	recvSig signal // a pipe we read got data, or a peer attached or left
	sendSig signal // a pipe we write has room, or a peer attached

	ctx     context.Context // cancelled at the end of Close: stops children
	cancel  context.CancelFunc
	closing chan struct{} // closed at the start of Close: wakes blocked calls
	wg      sync.WaitGroup
	epMu    sync.Mutex
	eps     []*endpoint
	nextID  uint32  // generated routing ids (ROUTER)
	subs    *trie   // SUB/XSUB: our subscriptions, re-sent after reconnects
	agents  []Agent // invoker mode: the connections this socket's callers drive
	scratch []Msg   // SendBytes's frames, under mu
	xbuf    []byte  // sendExpress's encoding, under mu
	xin     uint64  // messages received on the express path, under mu
	xout    uint64  // ... and sent
	// sendCtx is the context of the Send in progress, under mu (nil
	// outside one): how long a large frame may wait to be written from the
	// caller's memory (see Through).
	sendCtx context.Context
	// Conflate, under mu: the pipes whose slot holds a message, and
	// whether the conflater goroutine runs.
	slotted    []*Pipe
	conflating bool
	// prefetched is a whole message Poll took for PollIn, under mu: the
	// next Recv returns it.
	prefetched []Msg
	monMu      sync.Mutex // serialises Monitor's changes to monitors
	monitors   atomic.Pointer[[]chan<- Event]
}

func newSocket(rt *Runtime, t Type, o Options) (*Socket, error) {
	o, err := o.resolved()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOption, err) // as SetOption reports it
	}
	if err := o.checkType(t); err != nil {
		return nil, err
	}
	s := &Socket{rt: rt, typ: t, opts: o, recvSig: newSignal(), sendSig: newSignal(), closing: make(chan struct{})}
	s.lingerNs.Store(int64(o.Linger))
	s.log = o.Logger
	if s.log == nil {
		s.log = rt.log
	}
	s.log = s.log.With("socket", t.String())
	s.ctx, s.cancel = context.WithCancel(context.Background())
	switch t {
	case PAIR:
		s.b = &pair{s: s}
	case PUB:
		s.b = &pub{s: s, noRecv: true}
	case XPUB:
		s.b = &pub{s: s}
	case SUB:
		s.subs = newTrie()
		s.b = &sub{s: s, filter: true}
	case XSUB:
		s.subs = newTrie()
		s.b = &sub{s: s}
	case REQ:
		s.b = &req{dealer: dealer{s: s}}
	case REP:
		s.b = &rep{s: s}
	case DEALER:
		s.b = &dealer{s: s}
	case ROUTER:
		s.b = &router{peerTable{s: s, byID: map[string]*Pipe{}}}
	case PUSH:
		s.b = &push{s: s}
	case PULL:
		s.b = &pull{s: s}
	case STREAM:
		s.b = &stream{peerTable{s: s, byID: map[string]*Pipe{}}}
	default:
		return nil, fmt.Errorf("zmqx: unknown socket type %d", t)
	}
	return s, nil
}

// Type returns the socket type.
func (s *Socket) Type() Type { return s.typ }

// Options returns the socket's options with defaults filled in.
func (s *Socket) Options() Options { return s.optsNow() }

// optsNow is a copy of the options as they are now, for code outside mu.
func (s *Socket) optsNow() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// end is the socket's side of a new inproc pipe (not under mu).
func (s *Socket) end() pipeEnd {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pipeEnd{recv: s.recvSig, send: s.sendSig, sndhwm: s.opts.SendHWM, rcvhwm: s.opts.RecvHWM}
}

// attachPipe hands a new socket-side pipe end to the socket type.
func (s *Socket) attachPipe(p *Pipe) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.b.attach(p); err != nil {
		return err
	}
	if s.opts.ProbeRouter && (s.typ == DEALER || s.typ == ROUTER) {
		// ZMQ_PROBE_ROUTER: an empty message, so a ROUTER peer learns our
		// routing id before we have anything to say.
		p.Write(Msg{})
		p.Flush()
	}
	s.pipes = append(s.pipes, p)
	s.recvSig.notify()
	s.sendSig.notify()
	return nil
}

// forget lets go of a pipe whose peer has gone and whose input is drained;
// called under mu. It may be called more than once for the same pipe.
func (s *Socket) forget(p *Pipe) {
	for i, q := range s.pipes {
		if q == p {
			s.pipes = append(s.pipes[:i], s.pipes[i+1:]...)
			break
		}
	}
	p.Detach()
	s.dropSlot(p)
	if f, ok := s.b.(interface{ forgot(*Pipe) }); ok {
		f.forgot(p)
	}
}

// Send sends one message, frames in order, as a unit. It blocks while the
// pattern has no peer able to take it (PUSH, DEALER, REQ, PAIR) until ctx is
// done; sockets that drop at the HWM (PUB, XPUB, ROUTER) never block. The
// frames are consumed: pooled and zero-copy payloads are released by zmqx.
func (s *Socket) Send(ctx context.Context, msg []Msg) error {
	if len(msg) == 0 {
		return ErrEmptyMessage
	}
	for i := range msg {
		msg[i].More = i < len(msg)-1
	}
	return s.send(ctx, msg, nil)
}

// sendAsIs is one try of send, under mu, for the socket types that take
// the caller's message as it is: msg with no copy into the socket's scratch
// slice, or frames with no Msg made for them. A type switch, not an
// interface method, so that neither escapes to the heap. Other types get
// sendMsgs.
func (s *Socket) sendAsIs(msg []Msg, frames [][]byte) (bool, error) {
	switch b := s.b.(type) {
	case *push:
		return b.sendAny(msg, frames)
	case *dealer:
		return b.sendAny(msg, frames)
	case *req:
		return b.sendAny(msg, frames)
	case *rep:
		return b.sendAny(msg, frames)
	}
	return s.sendMsgs(msg, frames)
}

// sendMsgs is one try of send through the behaviour, under mu: msg, or
// frames borrowed into Msgs.
func (s *Socket) sendMsgs(msg []Msg, frames [][]byte) (ok bool, err error) {
	// The frames go to the behaviour from the socket's own slice, so the
	// caller's (often a variadic argument) never escapes to the heap.
	m := s.scratch[:0]
	if frames != nil {
		for i, f := range frames {
			m = append(m, Msg{})
			BorrowInto(&m[i], f)
			m[i].More = i < len(frames)-1
		}
	} else {
		m = append(m, msg...)
	}
	if s.opts.Conflate && len(m) > 1 {
		err = fmt.Errorf("%w: Conflate takes single-part messages only", ErrNotSupported)
	} else {
		ok, err = s.b.send(m)
	}
	clear(m) // consumed, or still the caller's
	s.scratch = m[:0]
	return ok, err
}

// throughCtx is the context under which a large frame's write-through may
// wait (see Through): the Send's, or nil (no waiting: only what the
// connection takes at once goes from the caller's memory) outside a Send
// and for the sockets whose Send never blocks (PUB, XPUB, ROUTER drop at
// the HWM instead). Under mu.
func (s *Socket) throughCtx() context.Context {
	switch s.typ {
	case PUB, XPUB, ROUTER:
		return nil
	}
	return s.sendCtx
}

// SendBytes is Send for frames the caller keeps: they are copied (into a
// connection's outbound bytes, or into messages for inproc) before it
// returns, with no Msg made for them outside the socket's lock.
func (s *Socket) SendBytes(ctx context.Context, frames [][]byte) error {
	if len(frames) == 0 {
		return ErrEmptyMessage
	}
	return s.send(ctx, nil, frames)
}

// send is Send's loop: msg, or frames borrowed into the socket's scratch
// slice under the lock on each try.
func (s *Socket) send(ctx context.Context, msg []Msg, frames [][]byte) error {
	d := idler{kind: s.rt.idle}
	for try := 0; ; try++ {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			closeAll(msg)
			return ErrClosed
		}
		if try > 0 && s.rt.invoker {
			s.drive()
		}
		var ok bool
		var err error
		s.sendCtx = ctx
		if s.opts.Conflate {
			ok, err = s.sendMsgs(msg, frames)
		} else if s.rt.invoker && s.sendExpress(msg, frames) {
			ok = true
		} else {
			ok, err = s.sendAsIs(msg, frames)
		}
		s.sendCtx = nil
		idle := len(s.agents) == 0
		s.mu.Unlock()
		if ok || err != nil {
			if err != nil {
				closeAll(msg)
			} else if s.sendWaiters.Load() > 0 {
				s.sendSig.notify()
			}
			return err
		}
		if try == 0 && ctx.Err() != nil {
			closeAll(msg)
			return wouldBlock{ctx.Err()}
		}
		if s.rt.invoker {
			if err := s.checkDone(ctx); err != nil {
				closeAll(msg)
				return err
			}
			if idle {
				// No connection to drive yet: take in what a connection
				// being made receives, and let the goroutines making it
				// (dial, handshake) have the processor.
				s.rt.pollIdle()
				runtime.Gosched()
			} else {
				d.idle()
			}
			continue
		}
		s.sendWaiters.Add(1)
		select {
		case <-s.sendSig:
		case <-ctx.Done():
			s.sendWaiters.Add(-1)
			closeAll(msg)
			return ctx.Err()
		case <-s.closing:
		}
		s.sendWaiters.Add(-1)
	}
}

// Recv receives one whole message, appending its frames to dst (which may
// be nil, or a slice reused from the last call). It blocks until a message
// arrives or ctx is done. The caller owns the frames and closes them.
func (s *Socket) Recv(ctx context.Context, dst []Msg) ([]Msg, error) {
	d := idler{kind: s.rt.idle}
	first := true
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if len(s.prefetched) > 0 {
			dst = append(dst, s.prefetched...)
			clear(s.prefetched)
			s.prefetched = s.prefetched[:0]
			s.mu.Unlock()
			return dst, nil
		}
		var msg []Msg
		var ok bool
		var err error
		if x, p := s.recvReady(); x != nil {
			msg, ok, err = s.recvExpress(x, p, dst)
		} else {
			msg, ok, err = s.b.recv(dst)
			if !ok && err == nil && s.rt.invoker && s.driveIn() > 0 {
				msg, ok, err = s.b.recv(dst)
			}
		}
		idle := len(s.agents) == 0
		s.mu.Unlock()
		if ok || err != nil {
			if ok && s.waiters.Load() > 0 {
				// Another goroutine may be waiting for what is left.
				s.recvSig.notify()
			}
			return msg, err
		}
		if first && ctx.Err() != nil {
			return nil, wouldBlock{ctx.Err()}
		}
		first = false
		if s.rt.invoker {
			if err := s.checkDone(ctx); err != nil {
				return nil, err
			}
			if idle {
				// No connection to drive yet: take in what a connection
				// being made receives, and let the goroutines making it
				// (dial, handshake) have the processor.
				s.rt.pollIdle()
				runtime.Gosched()
			} else {
				d.idle()
			}
			continue
		}
		s.waiters.Add(1)
		select {
		case <-s.recvSig:
		case <-ctx.Done():
			s.waiters.Add(-1)
			return nil, ctx.Err()
		case <-s.closing:
		}
		s.waiters.Add(-1)
	}
}

// drive runs every connection this socket's callers drive (invoker mode),
// under mu; it returns how much work they did.
func (s *Socket) drive() int {
	work := 0
	for _, a := range s.agents {
		work += a.DoWork()
	}
	return work
}

// driveIn is drive for a caller waiting for input: a spinning caller with
// one connection lets it spin on its reads (see Spinner).
func (s *Socket) driveIn() int {
	if len(s.agents) == 1 && s.rt.idle == IdleSpin {
		if sp, ok := s.agents[0].(Spinner); ok {
			return sp.SpinWork(spinReads)
		}
	}
	return s.drive()
}

// Invoke drives the socket's connections once, in invoker mode: reads,
// writes, heartbeats. Send and Recv do this themselves; a program that
// calls neither for a while calls Invoke instead, so heartbeats are
// answered. It returns how much work was done (0 outside invoker mode).
func (s *Socket) Invoke() int {
	if !s.rt.invoker {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	return s.drive()
}

// yieldToWriters lets the connection writers run before a socket that
// never blocks (PUB, XPUB, ROUTER) drops a message at a peer's HWM. With
// the blocking strategy those writers are goroutines; on a process pinned
// to one CPU they share its only P with the sender, and a sender that never
// blocks would keep them off it until preemption (10 ms): every queue
// would fill and nearly everything would be dropped, where libzmq's I/O
// thread gets its share from the kernel. It reports whether it yielded
// (not with workers or in invoker mode, where nothing waits for the P).
func (s *Socket) yieldToWriters() bool {
	if s.rt.invoker || s.rt.idle != IdleBlock {
		return false
	}
	runtime.Gosched()
	return true
}

// checkDone is the non-blocking check a spinning caller makes each round.
func (s *Socket) checkDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.closing:
		return ErrClosed
	default:
		return nil
	}
}

func closeAll(msg []Msg) {
	for i := range msg {
		msg[i].Close()
	}
}

// Subscribe adds a topic prefix (SUB and XSUB). An empty topic matches all.
func (s *Socket) Subscribe(topic []byte) error { return s.subscribe(topic, true) }

// Unsubscribe removes one Subscribe of the same topic.
func (s *Socket) Unsubscribe(topic []byte) error { return s.subscribe(topic, false) }

func (s *Socket) subscribe(topic []byte, on bool) error {
	if s.typ != SUB && s.typ != XSUB && s.typ != XPUB {
		return fmt.Errorf("%w: Subscribe on %s", ErrNotSupported, s.typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.typ == XPUB {
		if !s.opts.XPubManual {
			return fmt.Errorf("%w: Subscribe on XPUB needs XPubManual", ErrNotSupported)
		}
		b := s.b.(*pub)
		b.prune()
		b.manual(topic, on)
		return nil
	}
	s.b.(*sub).apply(topic, on)
	return nil
}

// Close stops the socket: blocked calls return ErrClosed, queued output is
// given up to Linger to reach peers, then every connection, listener and
// goroutine the socket owns is stopped before Close returns.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	if s.opts.Linger > 0 {
		s.closeBy.Store(time.Now().Add(s.opts.Linger).UnixNano())
	} else {
		s.closeBy.Store(time.Now().UnixNano())
	}
	close(s.closing)
	s.mu.Unlock()

	s.linger()
	s.cancel()
	s.epMu.Lock()
	for _, ep := range s.eps {
		ep.stop()
	}
	s.eps = nil
	s.epMu.Unlock()
	s.wg.Wait()

	s.mu.Lock()
	for _, p := range s.pipes {
		p.Detach()
		s.dropSlot(p)
	}
	s.pipes = nil
	closeAll(s.prefetched)
	s.prefetched = nil
	s.mu.Unlock()
	s.rt.forget(s)
	return nil
}

// linger waits until every queued message has been taken by the engines or
// the linger period runs out.
func (s *Socket) linger() {
	if s.opts.Linger < 0 {
		return
	}
	timer := time.NewTimer(s.opts.Linger)
	defer timer.Stop()
	for {
		s.mu.Lock()
		s.drive() // invoker mode: nobody else writes
		pending := len(s.slotted) > 0 && s.flushSlots() > 0
		for _, p := range s.pipes {
			if p.PeerGone() {
				continue
			}
			if p.Pending() > 0 {
				p.waitDrain()
				pending = true
			} else if p.express != nil && p.express.ExpressPending() {
				pending = true // the invoker's poll below drives it out
			}
		}
		s.mu.Unlock()
		if !pending {
			return
		}
		var poll <-chan time.Time
		if s.rt.invoker {
			poll = time.After(50 * time.Microsecond)
		}
		select {
		case <-s.sendSig:
		case <-poll:
		case <-timer.C:
			return
		}
	}
}

// event reports an event to Options.Events and every monitor, never
// blocking: a full channel misses the event.
func (s *Socket) event(t EventType, ep, remote string, err error) {
	e := Event{Type: t, Endpoint: ep, Remote: remote, Err: err}
	if t == EventHandshakeFailed {
		e.Failure = classifyHandshake(err)
	}
	if s.opts.Events != nil {
		select {
		case s.opts.Events <- e:
		default:
		}
	}
	if ms := s.monitors.Load(); ms != nil {
		for _, ch := range *ms {
			select {
			case ch <- e:
			default:
			}
		}
	}
}

// Monitor starts sending the socket's events to ch (as Options.Events
// does, never blocking the socket: a full channel misses events) until
// stop is called; stop sends EventMonitorStopped last, if ch has room.
func (s *Socket) Monitor(ch chan<- Event) (stop func()) {
	s.monMu.Lock()
	var list []chan<- Event
	if ms := s.monitors.Load(); ms != nil {
		list = append(list, *ms...)
	}
	list = append(list, ch)
	s.monitors.Store(&list)
	s.monMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.monMu.Lock()
			var rest []chan<- Event
			for _, c := range *s.monitors.Load() {
				if c != ch {
					rest = append(rest, c)
				}
			}
			s.monitors.Store(&rest)
			s.monMu.Unlock()
			select {
			case ch <- Event{Type: EventMonitorStopped}:
			default:
			}
		})
	}
}

// splitEndpoint separates "scheme://address".
func splitEndpoint(ep string) (scheme, addr string, err error) {
	scheme, addr, ok := strings.Cut(ep, "://")
	if !ok || scheme == "" || addr == "" {
		return "", "", fmt.Errorf("%w: %q (want scheme://address)", ErrEndpoint, ep)
	}
	return scheme, addr, nil
}

var errRefused = errors.New("zmqx: peer refused by socket type")
