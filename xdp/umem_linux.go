package xdp

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Umem is the packet memory shared with the kernel. It is registered with
// the kernel by the first Socket opened on it; later sockets (on other
// queues, or other devices) share it through XDP_SHARED_UMEM, each with its
// own FILL and COMPLETION rings and its own slice of the frames.
type Umem struct {
	mu        sync.Mutex
	mapping   []byte // what mmap returned (rounded up for huge pages)
	area      []byte // the registered frames
	frameSize int
	frames    int
	headroom  int
	hugepages bool
	holes     []frameRange // frames given back by closed sockets
	next      int          // first frame never given out
	sockets   []*Socket
	closed    bool
}

type frameRange struct{ first, count int }

const hugePageSize = 2 << 20

// NewUmem maps the packet area: huge pages when available (and not
// refused by o.NoHugepages), ordinary pages otherwise.
func NewUmem(o UmemOptions) (*Umem, error) {
	if o.FrameSize == 0 {
		o.FrameSize = 4096
	}
	if o.FrameCount == 0 {
		o.FrameCount = 4096
	}
	if o.FrameSize < 2048 || o.FrameSize > os.Getpagesize() || o.FrameSize&(o.FrameSize-1) != 0 {
		return nil, fmt.Errorf("xdp: frame size %d: want a power of two from 2048 to %d", o.FrameSize, os.Getpagesize())
	}
	if o.FrameCount < 1 || o.Headroom < 0 || o.Headroom > o.FrameSize-1024 {
		return nil, fmt.Errorf("xdp: %d frames with %d bytes of headroom: out of range", o.FrameCount, o.Headroom)
	}
	size := o.FrameSize * o.FrameCount
	u := &Umem{frameSize: o.FrameSize, frames: o.FrameCount, headroom: o.Headroom}
	const prot = unix.PROT_READ | unix.PROT_WRITE
	const flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_POPULATE
	var err error
	if !o.NoHugepages {
		rounded := (size + hugePageSize - 1) &^ (hugePageSize - 1)
		if u.mapping, err = unix.Mmap(-1, 0, rounded, prot, flags|unix.MAP_HUGETLB); err == nil {
			u.hugepages = true
		}
	}
	if !u.hugepages {
		if u.mapping, err = unix.Mmap(-1, 0, size, prot, flags); err != nil {
			return nil, fmt.Errorf("xdp: mapping %d bytes of UMEM: %w", size, err)
		}
	}
	u.area = u.mapping[:size]
	return u, nil
}

// Hugepages reports whether the area is backed by huge pages.
func (u *Umem) Hugepages() bool { return u.hugepages }

// FrameSize is the size of one frame in bytes.
func (u *Umem) FrameSize() int { return u.frameSize }

// Frames is the number of frames in the area.
func (u *Umem) Frames() int { return u.frames }

// take reserves count consecutive frames, reusing a closed socket's slice
// when one is large enough.
func (u *Umem) take(count int) (int, error) {
	for i, h := range u.holes {
		if h.count >= count {
			u.holes[i] = frameRange{h.first + count, h.count - count}
			return h.first, nil
		}
	}
	if u.next+count > u.frames {
		return 0, fmt.Errorf("xdp: socket needs %d frames, Umem has %d unassigned", count, u.frames-u.next)
	}
	first := u.next
	u.next += count
	return first, nil
}

func (u *Umem) give(first, count int) {
	if first+count == u.next {
		u.next = first
		return
	}
	u.holes = append(u.holes, frameRange{first, count})
}

// Close unmaps the area. All sockets on it must be closed first: the kernel
// keeps pages it has pinned, but this process would lose them under a
// socket still in use.
func (u *Umem) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return ErrClosed
	}
	if len(u.sockets) > 0 {
		return fmt.Errorf("xdp: Umem still used by %d sockets", len(u.sockets))
	}
	u.closed = true
	return unix.Munmap(u.mapping)
}

// raiseMemlock lifts RLIMIT_MEMLOCK so that need more bytes can be locked
// (the kernel charges a UMEM to it unless the process has CAP_IPC_LOCK):
// to unlimited when the process may raise its hard limit, else the soft
// limit up to the hard one. It reports an error when the result is still
// short of need.
func raiseMemlock(need uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return err
	}
	// Leave room for what the process has locked already (BPF maps on
	// older kernels are charged here too).
	want := need + 64<<20
	if lim.Cur == unix.RLIM_INFINITY || lim.Cur >= want {
		return nil
	}
	inf := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &inf) == nil {
		return nil
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
			return err
		}
	}
	if lim.Max != unix.RLIM_INFINITY && lim.Max < need {
		return fmt.Errorf("hard RLIMIT_MEMLOCK %d bytes is below the %d the UMEM needs: %w", lim.Max, need, errors.ErrUnsupported)
	}
	return nil
}
