package xdp

import (
	"errors"
	"time"
)

// ErrNotSupported is returned where AF_XDP does not exist; errors from
// refused kernel features wrap it too.
var ErrNotSupported = errors.New("xdp: AF_XDP not supported")

// ErrForeignFrame is returned when a descriptor handed to Release or
// Transmit does not belong to that call's frame pool.
var ErrForeignFrame = errors.New("xdp: descriptor outside this socket's frame pool")

// ErrTxStalled is returned by Transmit when TX completions have not
// progressed for several watchdog periods despite kicks.
var ErrTxStalled = errors.New("xdp: TX completions stalled")

// ErrClosed is returned by calls on a closed Socket or Umem.
var ErrClosed = errors.New("xdp: closed")

// Mode is how the kernel moves frames between the driver and the UMEM.
type Mode int

const (
	// ModeAuto asks for zero-copy and falls back to copy.
	ModeAuto Mode = iota
	// ModeZeroCopy requires zero-copy (driver DMA into the UMEM).
	ModeZeroCopy
	// ModeCopy requires copy mode (works with every driver, including veth).
	ModeCopy
)

func (m Mode) String() string {
	switch m {
	case ModeZeroCopy:
		return "zero-copy"
	case ModeCopy:
		return "copy"
	}
	return "auto"
}

// UmemOptions configures a Umem. The zero value means the defaults.
type UmemOptions struct {
	// FrameSize is the size of one frame in bytes: a power of two from 2048
	// to the page size. 0 means 4096.
	FrameSize int
	// FrameCount is the number of frames in the area, shared out among the
	// sockets opened on it. 0 means 4096.
	FrameCount int
	// Headroom is how many bytes the kernel leaves free before each
	// received frame. 0 means none.
	Headroom int
	// NoHugepages skips the attempt to back the area with huge pages
	// (MAP_HUGETLB); by default they are tried and ordinary pages used when
	// none are available.
	NoHugepages bool
}

// BusyPoll configures the socket's busy-poll options; the zero value leaves
// them all off.
type BusyPoll struct {
	// Usecs is SO_BUSY_POLL: how long a receive may busy-poll the driver.
	Usecs int
	// Budget is SO_BUSY_POLL_BUDGET: packets per busy-poll round; 0 keeps
	// the kernel's default.
	Budget int
	// Prefer is SO_PREFER_BUSY_POLL: let busy polling pre-empt softirq
	// processing of the queue.
	Prefer bool
}

// SocketOptions configures one Socket. The zero value means the defaults.
type SocketOptions struct {
	// RxFrames is the size of the socket's RX frame pool, taken from the
	// Umem; the FILL ring is kept topped up from it. 0 means 1024.
	RxFrames int
	// TxFrames is the size of the socket's TX frame pool. 0 means 1024.
	TxFrames int
	// FillRingSize, CompletionRingSize, RxRingSize and TxRingSize are the
	// ring sizes in descriptors (powers of two). 0 means the next power of
	// two at or above the pool feeding the ring.
	FillRingSize, CompletionRingSize, RxRingSize, TxRingSize int
	// Mode selects zero-copy, copy, or zero-copy with fallback (the
	// default). Sockets sharing a Umem inherit the first socket's mode.
	Mode Mode
	// NoNeedWakeup turns off XDP_USE_NEED_WAKEUP, making the kernel poll
	// the rings itself and every transmit a syscall.
	NoNeedWakeup bool
	// BusyPoll sets the busy-poll socket options.
	BusyPoll BusyPoll
	// TxStallTimeout is how long TX completions may be outstanding without
	// progress before the watchdog kicks the kernel and counts a stall.
	// 0 means 100ms; negative disables the watchdog.
	TxStallTimeout time.Duration
	// MultiBuffer binds with XDP_USE_SG: a packet larger than a frame
	// arrives as several descriptors, every one but the last with
	// PktContd in its Options, and is transmitted the same way (one
	// descriptor a frame, all but the last marked PktContd, a packet's
	// descriptors in one Transmit). The steering program must be loaded
	// frags-aware (bpf.Options.Frags). In copy mode a packet takes at
	// most 18 descriptors. Sockets sharing a Umem inherit the first's.
	MultiBuffer bool
}

// PktContd is XDP_PKT_CONTD, the Desc.Options bit saying that the packet
// continues in the next descriptor (MultiBuffer sockets only).
const PktContd = 1

// Desc is one descriptor: a frame's offset in the Umem and its length. It
// has the kernel's struct xdp_desc layout.
type Desc struct {
	Addr    uint64
	Len     uint32
	Options uint32
}

// Stats are a socket's counters: the kernel's XDP_STATISTICS and this
// package's own.
type Stats struct {
	RxDropped            uint64 // dropped by the kernel for other reasons than below
	RxInvalidDescs       uint64 // invalid descriptors in the FILL ring
	TxInvalidDescs       uint64 // invalid descriptors in the TX ring
	RxRingFull           uint64 // frames dropped because the RX ring was full
	RxFillRingEmptyDescs uint64 // times the FILL ring was found empty
	TxRingEmptyDescs     uint64 // times the TX ring was found empty

	TxKicks   uint64 // sendto wake-ups made
	RxWakeups uint64 // recvfrom wake-ups made
	TxStalls  uint64 // watchdog periods without TX completion progress
}
