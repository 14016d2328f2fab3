//go:build linux

package afxdp

import (
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/xdp"
)

const batch = 64

var epoch = time.Now()

// nowNs is the engine's clock: monotonic nanoseconds.
func nowNs() int64 { return int64(time.Since(epoch)) }

// queue is one NIC queue: its AF_XDP socket and the worker that owns it.
// The worker receives and demultiplexes datagrams, drives the channels
// whose home this queue is (their writes, acknowledgements and timers),
// and transmits what they produce, one kick per batch.
type queue struct {
	h   *host
	idx int
	xsk *xdp.Socket
	efd int // eventfd: wakes the worker
	tfd int // timerfd: the worker's next timer, to the microsecond
	// The worker parks in the Go netpoller (so a sleeping worker holds no
	// P, and waking it is a goroutine wake-up), on an epoll instance
	// watching the socket, the eventfd and the timerfd. The netpoller's
	// own deadlines have millisecond resolution; retransmission timers
	// here are a hundred microseconds.
	ep        *os.File
	epc       syscall.RawConn
	events    [3]unix.EpollEvent
	armed     int64 // when the timerfd fires (nowNs), math.MaxInt64: not set
	rxWatched bool  // the socket is in the epoll set (the worker's)

	stop       atomic.Bool
	sleeping   atomic.Bool
	sleepUntil atomic.Int64 // while parked: when its timer fires; else 0
	pending    atomic.Int32
	dmu        sync.Mutex
	dirty      []*channel // channels kicked since the worker last looked

	// mu owns the socket and what follows: the worker holds it for a
	// round, and a writer takes it, when free, to send at once itself.
	mu     sync.Mutex
	owned  []*channel // channels whose timers this queue runs
	work   []*channel // channels to service in this round
	spare  []*channel
	rx     []xdp.Desc
	rxHeld []xdp.Desc // received by a driver's round, their FILL release deferred
	txFree []xdp.Desc // free TX frames taken from the socket
	txOut  []xdp.Desc // frames written and not yet on the ring
	polls  uint32     // pollRound calls
	// Counters for the debug log: plain, since whoever counts holds mu.
	rxCount uint64   // frames received on this queue
	txCount uint64   // frames put on its TX ring
	lastIn  *channel // the channel of the last datagram input found
	// The driver running this round (host.pollFor) and its read buffer:
	// DATA for its channel is read into rbuf[rn:] by input, under the
	// channel lock Input took, and the driver returns it at once.
	reader *channel
	rbuf   []byte
	rn     int
	// A driver's await: the clock it last read, and whether the round
	// that follows it uses that reading.
	spinNow   int64
	spinFresh bool
}

func newQueue(h *host, idx int, s *xdp.Socket) (q *queue, err error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	q = &queue{h: h, idx: idx, xsk: s, efd: efd, rx: make([]xdp.Desc, batch), rxHeld: make([]xdp.Desc, 0, batch),
		txFree: make([]xdp.Desc, 0, batch), txOut: make([]xdp.Desc, 0, batch)}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		unix.Close(efd)
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	q.tfd, q.armed = tfd, math.MaxInt64
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Close(efd)
		unix.Close(tfd)
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	for _, fd := range []int{s.FD(), efd, tfd} {
		if err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			break
		}
	}
	if err == nil {
		err = unix.SetNonblock(epfd, true)
	}
	if err != nil {
		unix.Close(epfd)
		unix.Close(efd)
		unix.Close(tfd)
		return nil, os.NewSyscallError("epoll", err)
	}
	q.rxWatched = true
	q.ep = os.NewFile(uintptr(epfd), "afxdp-queue")
	if q.epc, err = q.ep.SyscallConn(); err != nil {
		q.ep.Close()
		unix.Close(efd)
		unix.Close(tfd)
		return nil, err
	}
	return q, nil
}

// release closes the queue under its lock: a goroutine still driving a
// channel (host.pollFor) looks at the socket's rings only with the lock
// held, and after the close the socket answers that it is closed instead.
func (q *queue) release() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.close()
}

func (q *queue) close() error {
	q.ep.Close()
	unix.Close(q.efd)
	unix.Close(q.tfd)
	return q.xsk.Close()
}

// kick asks the worker to service c (data written, closed, window
// opened). It wakes the worker only if it sleeps.
func (q *queue) kick(c *channel) {
	if !c.dirty.CompareAndSwap(false, true) {
		return
	}
	q.dmu.Lock()
	q.dirty = append(q.dirty, c)
	q.dmu.Unlock()
	q.pending.Add(1)
	if q.sleeping.Load() {
		q.wake()
	}
}

func (q *queue) wake() {
	var one = [8]byte{1}
	unix.Write(q.efd, one[:])
}

// run is the queue's worker. It has an OS thread of its own when it is
// pinned to cpu or spins. One that parks with no CPU to be pinned to is a
// plain goroutine: on a locked thread every wake-up from the network
// poller would hand the processor to that thread and back, two thread
// switches that made a REQ/REP round trip over xdp:// in the default
// blocking mode 1.45x as long on the veth bench (bench/RESULTS.md).
func (q *queue) run(cpu int) {
	defer q.h.wg.Done()
	if cpu >= 0 || q.h.t.c.Idle != core.IdleBlock {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	if cpu >= 0 && q.h.t.c.Pin != nil {
		if err := q.h.t.c.Pin(cpu); err != nil {
			q.h.t.c.Logger.Warn("afxdp: worker not pinned", "queue", q.idx, "cpu", cpu, "err", err)
		}
	}
	idle := q.h.t.c.Idle
	spins := 0
	for !q.stop.Load() {
		q.mu.Lock()
		did := q.round(false)
		q.mu.Unlock()
		if did {
			spins = 0
			continue
		}
		spins++
		switch {
		case idle == core.IdleSpin:
			continue
		case idle == core.IdleBackoff && spins < 2000:
			if spins > 1000 {
				runtime.Gosched()
			}
			continue
		}
		q.sleep()
		spins = 0
	}
	for _, c := range q.owned {
		c.fail(os.ErrClosed)
	}
}

// sleep parks the worker until a frame arrives, a channel is kicked, or the
// earliest timer of its channels is due.
func (q *queue) sleep() {
	q.sleeping.Store(true)
	defer q.sleeping.Store(false)
	next := int64(math.MaxInt64)
	q.mu.Lock()
	now := nowNs()
	polled := false
	for _, c := range q.owned {
		next = min(next, c.deadline)
		if c.polledA.Load() {
			// Its writers do not wake us for its timers (see send).
			next = min(next, now+int64(polledSlack))
			polled = true
		}
	}
	q.watchRx(!polled)
	if len(q.txOut) > 0 || q.xsk.Outstanding() > 0 {
		// Completions and a full ring are not wake-ups the socket
		// gives: look again soon.
		next = min(next, nowNs()+int64(50*time.Microsecond))
	}
	// Published before q.mu is released: a writer that takes it next
	// (send) must see what we sleep on, or it would not wake us for an
	// earlier timer of its channel (a retransmission timer then waited
	// for our old one, a keepalive's, if the datagram was lost).
	q.sleepUntil.Store(next)
	q.mu.Unlock()
	defer q.sleepUntil.Store(0)
	if q.pending.Load() > 0 || q.stop.Load() {
		return
	}
	// The timer is set only when it must fire earlier than it is set to:
	// one that fires early costs a look, and most sleeps (a request-reply
	// exchange's, between two requests) would otherwise pay a system call
	// to move it a little later.
	if next < q.armed {
		d := next - nowNs()
		if d <= 0 {
			return
		}
		its := unix.ItimerSpec{Value: unix.NsecToTimespec(d)}
		unix.TimerfdSettime(q.tfd, 0, &its, nil)
		q.armed = next
	}
	nev := 0
	q.epc.Read(func(fd uintptr) bool {
		n, _ := unix.EpollWait(int(fd), q.events[:], 0)
		nev = max(n, 0)
		return n != 0
	})
	// Only what fired is read (level-triggered, what is not read now
	// wakes the next sleep at once).
	var buf [8]byte
	for _, e := range q.events[:nev] {
		switch int(e.Fd) {
		case q.efd:
			unix.Read(q.efd, buf[:])
		case q.tfd:
			unix.Read(q.tfd, buf[:])
			q.armed = math.MaxInt64
		}
	}
}

// send is a writer's way to put c's new data on the wire at once (now: the
// time of the write, one clock read for both): when the
// worker is not using the socket, the writer services c itself, and wakes
// the worker only if c now needs a timer earlier than the one it sleeps on
// (and c is not polled by a driver, which runs its timers).
func (q *queue) send(c *channel, now int64) {
	if !c.ownedA.Load() || !q.mu.TryLock() {
		q.kick(c)
		return
	}
	q.service(c, now)
	q.sent(c)
}

// sent ends a writer's send of c (with q.mu held, released here): it
// transmits what is left and wakes the worker if c now needs a timer
// earlier than the one it sleeps on.
func (q *queue) sent(c *channel) {
	if len(q.txOut) > 0 {
		q.flush()
	}
	q.releaseHeld()
	wake := !c.polledA.Load() && c.deadline < q.sleepUntil.Load()
	q.mu.Unlock()
	if wake {
		q.wake()
	}
}

// watchRx adds the socket to the worker's epoll set or takes it out. It
// is out while a driver polls a channel of this queue: a frame arriving
// for a socket that someone waits on in epoll costs its sender's transmit
// the wake-up callbacks, and the driver takes the frame anyway. The worker
// then looks every polledSlack, for SYNs and for traffic nobody polls.
func (q *queue) watchRx(on bool) {
	if on == q.rxWatched {
		return
	}
	op := unix.EPOLL_CTL_DEL
	if on {
		op = unix.EPOLL_CTL_ADD
	}
	fd := q.xsk.FD()
	q.epc.Control(func(epfd uintptr) {
		if unix.EpollCtl(int(epfd), op, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}) == nil {
			q.rxWatched = on
		}
	})
}

// polledSlack is how long a parked worker may leave the timers of a
// polled channel alone: its driver runs them while it polls, so a writer
// does not pay a wake-up (an eventfd write) per datagram for them, and the
// worker looks every polledSlack for a driver that stopped polling (a
// program that stopped calling Send and Recv in invoker mode). Go's own
// scheduler looks at the same period.
const polledSlack = 10 * time.Millisecond

// pollFor runs a round of every queue that no one else is running: the
// receive path for a goroutine that drives its channels itself. In-order
// bytes that arrive in it for c, the driver's channel, are read into p at
// once (see input); it returns how many.
func (h *host) pollFor(c *channel, p []byte, spin bool) int {
	n := 0
	spin = spin && len(h.qs) == 1
	for _, q := range h.qs {
		if q.mu.TryLock() {
			q.reader, q.rbuf, q.rn = c, p[n:], 0
			q.pollRound(spin)
			n += q.rn
			q.reader, q.rbuf = nil, nil
			q.mu.Unlock()
		}
	}
	return n
}

// pollRound is round for a driver that polls in a tight loop: when nothing
// arrived, nothing was kicked and nothing waits to be transmitted or
// completed, it returns at once, without reading the clock, and runs the
// timers only every pollTimers calls (a few microseconds of spinning;
// the channels' timers are ten microseconds and up). A driver that idles
// by sleeping (IdleBackoff) spins thousands of times after its last work
// before it sleeps, so what that work left due (a deferred ack) is run
// first; later timers are the parked worker's, every polledSlack. With
// spin (a driver spinning on the queue's only channel it reads), a quiet
// queue is first awaited (await) and the round runs if it stops being
// quiet. With q.mu held.
func (q *queue) pollRound(spin bool) {
	q.polls++
	if q.polls%pollTimers != 0 && q.quiet() {
		q.releaseHeld() // (round does it otherwise)
		if !spin || !q.await() {
			return
		}
	}
	q.round(true)
}

const pollTimers = 32

// quiet reports whether a round would find nothing to do but timers:
// nothing on the RX ring, nothing kicked, nothing to transmit or complete.
func (q *queue) quiet() bool {
	return !q.xsk.RxReady() && q.pending.Load() == 0 && len(q.txOut) == 0 && q.xsk.Outstanding() == 0
}

// await spins on a quiet queue for up to spinChecks checks, and reports
// whether it stopped being quiet meanwhile: a spinning driver then looks at
// its ring in a loop of a few instructions, not through the layers above,
// so it sees a datagram sooner. It reads the clock while it waits, every
// spinClock checks, and leaves the latest reading for the round that
// follows (spinNow), which then reads none before it takes the datagram:
// the input's time is then up to spinClock checks (about 0.15 µs) early,
// which only makes the round trip the channel samples that much longer.
// Every spinPerPoll checks count as a poll, so the timers still run every
// pollTimers polls: await then ends as if the queue had work.
func (q *queue) await() bool {
	for i := range spinChecks {
		if i%spinClock == 0 {
			q.spinNow = nowNs()
		}
		if !q.quiet() {
			q.spinFresh = true
			return true
		}
		if i%spinPerPoll == spinPerPoll-1 {
			if q.polls++; q.polls%pollTimers == 0 {
				q.spinFresh = true
				return true
			}
		}
	}
	return false
}

// A driver's await makes up to spinChecks checks before it goes back
// through the layers above (the socket's other inputs, Close: SpinWork's
// reads make that every ~10 µs), reads the clock every spinClock checks,
// and counts spinPerPoll checks as one poll. A check takes about 4 ns here
// and the way up and back down about 0.2 µs, during which a datagram waits:
// with 64 checks that was 40 % of a spinning read's time, with 256 it is
// 14 % (a quiet SpinRead 0.45 µs and 1.25 µs), which took ~1 % off the
// round trip (bench/RESULTS.md, eighth session).
const (
	spinChecks  = 256
	spinClock   = 32
	spinPerPoll = 16
)

// round does one pass: receive, service, transmit. It reports whether it
// did anything. A driver's round (driver) leaves the frames it received
// off the FILL ring until its next look at the queue (releaseHeld): giving
// a frame back writes the FILL ring's entry and producer index, which the
// kernel last touched on the sender's CPU, and that is two cache misses
// the message it carried need not wait for. A driver's round that read
// bytes for its reader, and whose input left no channel to service,
// returns right after the input: the rest of the pass (the dirty list, the
// timers, TX completions) then runs at the driver's next look, after the
// reader's message is on its way, and none of its code runs between the
// datagram's arrival and the answer's kick. What it defers has wake-ups of
// its own for a worker that sleeps meanwhile: a kick for the dirty list,
// the channels' deadlines, the recheck of completions.
func (q *queue) round(driver bool) bool {
	q.releaseHeld()
	var now int64
	if q.spinFresh {
		// A driver's await read it while it waited (see await).
		now, q.spinFresh = q.spinNow, false
	} else {
		now = nowNs()
	}
	q.work = q.work[:0]
	did := false

	n, _ := q.xsk.Receive(q.rx)
	if n > 0 {
		did = true
		q.rxCount += uint64(n)
		chans := *q.h.chans.Load()
		for _, d := range q.rx[:n] {
			q.input(chans, q.xsk.Frame(d), now)
		}
		if driver {
			for _, d := range q.rx[:n] {
				q.rxHeld = append(q.rxHeld, d) // (one at a time: no call to memmove for the usual one)
			}
			if q.rn > 0 && len(q.work) == 0 {
				return true
			}
		} else {
			q.xsk.Release(q.rx[:n])
		}
	}

	if q.pending.Load() > 0 {
		q.dmu.Lock()
		q.dirty, q.spare = q.spare[:0], q.dirty
		q.pending.Store(0)
		q.dmu.Unlock()
		for _, c := range q.spare {
			c.dirty.Store(false)
			q.queueWork(c)
		}
		did = did || len(q.spare) > 0
		clear(q.spare)
	}

	// Timers, and channels that ended.
	live := q.owned[:0]
	for _, c := range q.owned {
		if c.gone.Load() {
			continue
		}
		live = append(live, c)
		if c.deadline <= now {
			q.queueWork(c)
		}
	}
	clear(q.owned[len(live):])
	q.owned = live

	for _, c := range q.work {
		c.queued = false
		if q.service(c, now) {
			did = true
		}
	}
	clear(q.work) // (a channel that ended is not kept alive by the list's spare capacity)
	q.work = q.work[:0]
	if len(q.txOut) > 0 {
		q.flush()
		did = true
	} else if q.xsk.Outstanding() > 0 {
		q.xsk.Complete()
	}
	return did
}

// releaseHeld gives the frames a driver's round kept back to the FILL
// ring. With q.mu held.
func (q *queue) releaseHeld() {
	if len(q.rxHeld) > 0 {
		q.xsk.Release(q.rxHeld)
		q.rxHeld = q.rxHeld[:0]
	}
}

// queueWork adds c, a channel of this queue, to this round's work, and to
// the channels whose timers the queue runs.
func (q *queue) queueWork(c *channel) {
	if !c.owned {
		c.owned = true
		c.ownedA.Store(true)
		q.owned = append(q.owned, c)
	}
	if !c.queued {
		c.queued = true
		q.work = append(q.work, c)
	}
}

// input demultiplexes one received frame. A datagram for a channel is
// routed by its destination id alone, read where the header has it, and
// its source compared with the channel's peer as the frame carries it
// (udpframe.Source: no Header built): the channel's Conn checks the rest
// (rel.Conn.Input refuses a malformed one), as rel.Reset does for one that
// has no channel here. The last channel found is tried before the table,
// the usual case (one busy channel per queue). Datagrams with no
// destination (SYNs) are checked in full first.
func (q *queue) input(chans map[uint32]*channel, fr []byte, now int64) {
	from, d, err := udpframe.Source(fr)
	if err != nil {
		return
	}
	if len(d) < rel.HeaderLen || d[0] != rel.Version {
		return
	}
	var c *channel
	if dst := binary.BigEndian.Uint32(d[4:]); dst != 0 {
		if c = q.lastIn; c == nil || c.id != dst || c.gone.Load() {
			c = chans[dst]
			q.lastIn = c
		}
		if c == nil || !c.peerOK || c.peer != from {
			// Not from the channel's peer as the frame carries it: the
			// full header decides (and addresses the RST).
			hdr, _, _ := udpframe.Parse(fr)
			if c == nil || c.hdr.Dst != hdr.Src {
				q.reset(&hdr, d)
				return
			}
		}
	} else if typ, _, src, err := rel.Peek(d); err == nil && typ == rel.SYN {
		hdr, _, _ := udpframe.Parse(fr)
		var fresh, busy bool
		if c, fresh, busy = q.h.onSyn(q, hdr, d, src, now); c == nil {
			// Refused (no listener) is answered at once. Too many
			// connections in their handshake is not: the client sends
			// its SYN again and gets in once one is done, as a TCP
			// client does past a full SYN backlog, instead of taking a
			// RST for "no AF_XDP here" and falling back to TCP.
			if !busy {
				q.reset(&hdr, d)
			}
			return
		}
		if fresh {
			q.queueWork(c)
			return
		}
	} else {
		return
	}
	c.mu.Lock()
	if c == q.reader && q.rn < len(q.rbuf) {
		// The driver reading c runs this round: it takes the bytes now,
		// under this lock, in-order ones straight from the frame (a
		// window this opens is announced by the service below, when it
		// makes the Conn due).
		n, _ := c.rc.InputRead(d, now, q.rbuf[q.rn:])
		q.rn += n
	} else {
		c.rc.Input(d, now)
	}
	if c.home == q && c.est && c.polledA.Load() {
		if dl := c.rc.Deadline(); dl > c.rc.Now() {
			// A driver polls c and it has nothing to send now (a
			// deferred ack waits for the answer to carry it): no
			// service before the driver reads, only its readers and its
			// deadline updated.
			c.updateAt(dl)
			c.mu.Unlock()
			return
		}
	}
	c.mu.Unlock()
	if c.home == q {
		q.queueWork(c)
	} else {
		// Another queue's channel (generic mode reports every frame on
		// queue 0): its own worker answers.
		c.home.kick(c)
	}
}

// reset answers a datagram for no channel of ours with a RST, so the
// peer learns at once (a refused connect, a FIN after its channel ended
// here) instead of after its timers.
func (q *queue) reset(hdr *udpframe.Header, d []byte) {
	payload, ok := q.nextPayload()
	if !ok {
		return
	}
	if n := rel.Reset(payload, d); n > 0 {
		back := udpframe.Header{SrcMAC: hdr.DstMAC, DstMAC: hdr.SrcMAC, Src: hdr.Dst, Dst: hdr.Src}
		q.queueFrame(&back, nil, n)
	}
}

// nextPayload is where the next datagram's payload goes: a free TX frame
// past the room for its headers. The frame stays free until queueFrame.
func (q *queue) nextPayload() ([]byte, bool) {
	if len(q.txFree) < cap(q.txFree) {
		// Frames the kernel has finished with go on top of the free stack
		// (the socket's pool is last in, first out): a datagram is written
		// into the frame the last one used, whose cache lines are still
		// warm, rather than into the next of a batch taken earlier.
		q.refillTx()
		if len(q.txFree) == 0 {
			return nil, false
		}
	}
	frame := q.xsk.Frame(q.txFree[len(q.txFree)-1])
	return frame[udpframe.HeaderLen:cap(frame)], true
}

// queueFrame writes the headers in front of the n payload bytes
// nextPayload gave (from c's precomputed prefix when it has one) and queues
// the frame for transmission.
func (q *queue) queueFrame(hdr *udpframe.Header, pfx *udpframe.Prefix, n int) {
	d := q.txFree[len(q.txFree)-1]
	frame := q.xsk.Frame(d)
	frame = frame[:cap(frame)]
	if pfx != nil {
		pfx.Put(frame, n)
	} else if _, err := udpframe.Append(frame[:0], hdr, frame[udpframe.HeaderLen:udpframe.HeaderLen+n]); err != nil {
		return
	}
	d.Len = uint32(udpframe.HeaderLen + n)
	q.txFree = q.txFree[:len(q.txFree)-1]
	q.txOut = append(q.txOut, d)
	if len(q.txOut) == cap(q.txOut) {
		q.flush()
	}
}

// service polls c for datagrams into TX frames and signals its readers and
// writers. It reports whether c produced anything. DATA that its channel
// marks as the last it may send (rel.Last: a lone message, the end of a
// burst) is transmitted at once, with whatever the round queued before it:
// the Poll that finds nothing more and the bookkeeping after it then run
// while the datagram travels, not before.
func (q *queue) service(c *channel, now int64) bool {
	c.mu.Lock()
	sent := q.serviceLocked(c, now, false)
	c.mu.Unlock()
	return sent
}

// serviceLocked is service with c.mu held (and q.mu). With stamp (a
// writer's send, now being the Conn's latest time rather than the
// clock's), the clock is read only once the first datagram is transmitted,
// or at the end, and the Conn stamped with it (rel.Conn.Unstamped, Stamp):
// no clock read before the datagram is on its way.
func (q *queue) serviceLocked(c *channel, now int64, stamp bool) bool {
	sent := false
	if stamp {
		now = c.rc.Unstamped()
	}
	for {
		payload, ok := q.nextPayload()
		if !ok {
			// No frame free: come back to c next round. Its readers
			// hear of what Input brought now.
			q.kickLater(c)
			break
		}
		n := c.rc.Poll(payload, now)
		if n == 0 {
			break
		}
		sent = true
		if q.put(c, payload[:n]) && stamp {
			now, stamp = nowNs(), false
			c.rc.Stamp(now)
		}
	}
	if stamp {
		c.rc.Stamp(nowNs())
	}
	c.update()
	return sent
}

// sendNow is serviceLocked's short way for a driver's lone write p (q.mu
// and c.mu held): the Conn's Send makes p's DATA straight into a TX frame,
// with no Write and Poll, and the datagram is transmitted before the clock
// is read (see serviceLocked's stamp). It returns len(p), or 0 having
// done nothing when the Conn wants its Write and Poll (something else is
// due first, or p does not fit one datagram).
func (q *queue) sendNow(c *channel, p []byte) int {
	payload, ok := q.nextPayload()
	if !ok {
		return 0
	}
	now := c.rc.Unstamped()
	n, dn := c.rc.Send(p, payload, now)
	if n == 0 {
		c.rc.Stamp(now) // ends the send begun, changing nothing
		return 0
	}
	q.put(c, payload[:dn])
	c.rc.Stamp(nowNs())
	return n
}

// put queues c's datagram d, written where nextPayload said, for
// transmission (unless the loss hook drops it), and transmits at once
// when d is the last its channel may send (rel.Last: a lone message, the
// end of a burst), with whatever the round queued before it. It reports
// whether it transmitted.
func (q *queue) put(c *channel, d []byte) bool {
	if loss := q.h.t.c.Loss; loss != nil && loss() {
		return false
	}
	q.queueFrame(&c.hdr, c.pfx, len(d))
	if !rel.Last(d) {
		return false
	}
	q.flush()
	return true
}

// kickLater puts c back on the dirty list for the next round.
func (q *queue) kickLater(c *channel) {
	c.dirty.Store(true)
	q.dmu.Lock()
	q.dirty = append(q.dirty, c)
	q.dmu.Unlock()
	q.pending.Add(1)
}

func (q *queue) refillTx() {
	n := q.xsk.NextTx(q.txFree[len(q.txFree):cap(q.txFree)])
	q.txFree = q.txFree[:len(q.txFree)+n]
}

// flush puts the written frames on the TX ring: one kick for the batch.
func (q *queue) flush() {
	for len(q.txOut) > 0 {
		n, err := q.xsk.Transmit(q.txOut)
		if err != nil && n == 0 {
			q.h.t.c.Logger.Warn("afxdp: transmit", "queue", q.idx, "err", err)
			// Frames stay ours; try again next round.
			return
		}
		q.txCount += uint64(n)
		copy(q.txOut, q.txOut[n:])
		q.txOut = q.txOut[:len(q.txOut)-n]
		if n == 0 {
			return
		}
	}
}
