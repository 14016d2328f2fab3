package xdp

import (
	"time"

	"github.com/zmqx/zmqx/internal/legs"
)

// kernel is what a queue needs from the socket under it: the two wake-up
// syscalls. Tests substitute a fake that plays the kernel's part.
type kernel interface {
	kickTx() error // sendto(MSG_DONTWAIT): process the TX ring
	wakeRx() error // recvfrom(MSG_DONTWAIT): process the FILL ring / busy-poll
}

// queue is the ring and frame-pool logic of one socket, kept apart from the
// syscalls so that it can be tested without a kernel.
type queue struct {
	fill, comp ring[uint64]
	rx, tx     ring[Desc]
	k          kernel

	mem       []byte // the Umem area
	frameSize uint64
	rxLo      uint64 // RX pool: frames [rxLo, rxHi)
	rxHi      uint64
	txLo      uint64 // TX pool: frames [txLo, txHi)
	txHi      uint64
	rxFree    []uint64 // RX frames neither in FILL/RX nor with the caller
	txFree    []uint64 // TX frames neither in TX/COMPLETION nor with the caller

	needWakeup bool
	copyMode   bool
	busyPoll   bool
	closed     bool

	outstanding  uint32 // TX descriptors submitted and not yet completed
	stallTimeout int64  // ns; <= 0: watchdog off
	stallSince   int64  // ns on now's clock when completions were first seen stuck; 0: not stuck
	stallStreak  int    // consecutive watchdog periods without progress
	now          func() int64
	stats        Stats
}

var epoch = time.Now()

func monotonicNanos() int64 { return int64(time.Since(epoch)) + 1 }

// stalledAfter is how many silent watchdog periods make Transmit report
// ErrTxStalled.
const stalledAfter = 3

func pow2(n int) bool { return n > 0 && n&(n-1) == 0 }

func roundPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// initPools assigns the frames [first, first+rx) to RX and the next tx to TX.
func (q *queue) initPools(first, rx, tx int) {
	fs := q.frameSize
	q.rxLo, q.rxHi = uint64(first)*fs, uint64(first+rx)*fs
	q.txLo, q.txHi = q.rxHi, q.rxHi+uint64(tx)*fs
	q.rxFree = make([]uint64, 0, rx)
	for a := q.rxLo; a < q.rxHi; a += fs {
		q.rxFree = append(q.rxFree, a)
	}
	q.txFree = make([]uint64, 0, tx)
	for a := q.txHi; a > q.txLo; a -= fs {
		q.txFree = append(q.txFree, a-fs)
	}
}

// Frame returns the bytes of d's frame: length d.Len, capacity up to the
// end of the frame, so a TX frame is written as Frame(d)[:n].
func (q *queue) Frame(d Desc) []byte {
	end := d.Addr&^(q.frameSize-1) + q.frameSize
	return q.mem[d.Addr : d.Addr+uint64(d.Len) : end]
}

// Receive moves up to len(descs) received frames into descs and returns how
// many. The frames belong to the caller until it hands them back with
// Release. A syscall is made only when no frame is ready and the kernel
// asked to be woken (or busy polling is on).
func (q *queue) Receive(descs []Desc) (int, error) {
	if q.closed {
		return 0, ErrClosed
	}
	q.refill()
	want := uint32(len(descs))
	n := q.rx.avail(want)
	if n == 0 {
		if !(q.busyPoll || (q.needWakeup && q.fill.needsWakeup())) {
			return 0, nil
		}
		q.stats.RxWakeups++
		if err := q.k.wakeRx(); err != nil {
			return 0, err
		}
		if n = q.rx.avail(want); n == 0 {
			return 0, nil
		}
	}
	legs.Received(n) // nothing, unless built for bench/xdp.sh's LEGS
	cons := q.rx.cachedCons
	for i := range n {
		descs[i] = q.rx.entries[(cons+i)&q.rx.mask]
	}
	q.rx.release(n)
	return int(n), nil
}

// Release returns received frames to the FILL ring. It checks every
// descriptor first and returns ErrForeignFrame, releasing none, if one is
// not from this socket's RX pool.
func (q *queue) Release(descs []Desc) error {
	if q.closed {
		return ErrClosed
	}
	for _, d := range descs {
		if d.Addr < q.rxLo || d.Addr >= q.rxHi {
			return ErrForeignFrame
		}
	}
	for _, d := range descs {
		q.rxFree = append(q.rxFree, d.Addr&^(q.frameSize-1))
	}
	q.refill()
	return nil
}

// refill moves free RX frames into the FILL ring.
func (q *queue) refill() {
	n := uint32(len(q.rxFree))
	if n == 0 {
		return
	}
	n = min(n, q.fill.free(n))
	prod := q.fill.cachedProd
	top := len(q.rxFree)
	for i := range n {
		q.fill.entries[(prod+i)&q.fill.mask] = q.rxFree[top-1-int(i)]
	}
	q.rxFree = q.rxFree[:top-int(n)]
	q.fill.submit(n)
}

// RxReady reports, without a system call or a clock read, whether
// Receive has something to do: frames on the RX ring, or a kernel that
// asked to be woken to refill from the FILL ring. For a caller polling in
// a tight loop that only wants to call Receive when it is worth it.
func (q *queue) RxReady() bool {
	if q.closed {
		return false
	}
	return q.rx.avail(1) > 0 || q.busyPoll || (q.needWakeup && q.fill.needsWakeup())
}

// NextTx fills descs with free TX frames (Len 0) and returns how many it
// found, after collecting completed transmissions.
func (q *queue) NextTx(descs []Desc) int {
	if q.closed {
		return 0
	}
	q.reap()
	n := min(len(descs), len(q.txFree))
	top := len(q.txFree)
	for i := range n {
		descs[i] = Desc{Addr: q.txFree[top-1-i]}
	}
	q.txFree = q.txFree[:top-n]
	return n
}

// Transmit puts descs on the TX ring and returns how many it took; the rest
// (when the ring is full) still belong to the caller. Frames taken return
// to the TX pool when the kernel completes them. The kernel is kicked when
// it asks to be, or without need_wakeup always, and in copy mode also when
// the ring was full, since copy mode transmits only from the syscall.
func (q *queue) Transmit(descs []Desc) (int, error) {
	if q.closed {
		return 0, ErrClosed
	}
	for _, d := range descs {
		if d.Addr < q.txLo || d.Addr >= q.txHi || uint64(d.Len) > q.frameSize-d.Addr&(q.frameSize-1) {
			return 0, ErrForeignFrame
		}
	}
	q.reap()
	want := uint32(len(descs))
	n := min(want, q.tx.free(want))
	prod := q.tx.cachedProd
	for i := range n {
		q.tx.entries[(prod+i)&q.tx.mask] = descs[i]
	}
	if n > 0 {
		q.tx.submit(n)
		q.outstanding += n
	}
	full := n < want
	var err error
	if (n > 0 || full) && (!q.needWakeup || q.tx.needsWakeup() || (full && q.copyMode)) {
		legs.Kick()
		err = q.kick()
	}
	q.reap()
	if err == nil && q.stallStreak >= stalledAfter {
		err = ErrTxStalled
	}
	return int(n), err
}

// Complete collects completed transmissions into the TX pool and returns
// how many it collected. NextTx and Transmit do this too; call it when
// neither has been called for a while, so the watchdog keeps running.
func (q *queue) Complete() int {
	if q.closed {
		return 0
	}
	return q.reap()
}

// Outstanding reports how many transmitted frames await completion.
func (q *queue) Outstanding() int { return int(q.outstanding) }

func (q *queue) kick() error {
	q.stats.TxKicks++
	return q.k.kickTx()
}

// reap moves completed TX frames back to the pool and runs the watchdog.
func (q *queue) reap() int {
	n := q.comp.avail(q.comp.size())
	cons := q.comp.cachedCons
	for i := range n {
		q.txFree = append(q.txFree, q.comp.entries[(cons+i)&q.comp.mask]&^(q.frameSize-1))
	}
	if n > 0 {
		q.comp.release(n)
		q.outstanding -= min(n, q.outstanding)
		q.stallSince, q.stallStreak = 0, 0
		return int(n)
	}
	if q.outstanding == 0 || q.stallTimeout <= 0 {
		q.stallSince, q.stallStreak = 0, 0
		return 0
	}
	now := q.now()
	switch {
	case q.stallSince == 0:
		q.stallSince = now
	case now-q.stallSince >= q.stallTimeout:
		// Recover by kicking, which is all the kernel needs when a wake-up
		// was lost; count it so a driver that lost completions shows.
		q.stats.TxStalls++
		q.stallStreak++
		q.stallSince = now
		q.kick()
	}
	return 0
}
