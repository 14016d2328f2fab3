package xdp

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket is an AF_XDP socket bound to one queue of one device. It is not
// safe for concurrent use: give each queue its own goroutine.
type Socket struct {
	queue
	fd      int
	umem    *Umem
	ifindex int
	queueID int
	mode    Mode
	first   int // first frame of this socket's slice of the Umem
	count   int
	maps    [4][]byte
}

func (o *SocketOptions) resolve() error {
	if o.RxFrames == 0 {
		o.RxFrames = 1024
	}
	if o.TxFrames == 0 {
		o.TxFrames = 1024
	}
	if o.RxFrames < 1 || o.TxFrames < 1 {
		return fmt.Errorf("xdp: RxFrames %d, TxFrames %d: want at least one of each", o.RxFrames, o.TxFrames)
	}
	for _, r := range []struct {
		p    *int
		pool int
	}{{&o.FillRingSize, o.RxFrames}, {&o.RxRingSize, o.RxFrames}, {&o.CompletionRingSize, o.TxFrames}, {&o.TxRingSize, o.TxFrames}} {
		if *r.p == 0 {
			*r.p = roundPow2(r.pool)
		}
		if !pow2(*r.p) {
			return fmt.Errorf("xdp: ring size %d is not a power of two", *r.p)
		}
	}
	if o.TxStallTimeout == 0 {
		o.TxStallTimeout = 100e6
	}
	return nil
}

// Open creates a socket bound to queue of the device ifindex (in the
// calling thread's network namespace) with its own RX and TX frame pools
// from u. The first socket on u registers it and chooses the copy mode;
// later ones share it and inherit that mode. One socket per (device,
// queue) per Umem.
func (u *Umem) Open(ifindex, queue int, o SocketOptions) (*Socket, error) {
	if err := o.resolve(); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, ErrClosed
	}
	for _, s := range u.sockets {
		if s.ifindex == ifindex && s.queueID == queue {
			return nil, fmt.Errorf("xdp: this Umem already has a socket on device %d queue %d", ifindex, queue)
		}
	}
	first, err := u.take(o.RxFrames + o.TxFrames)
	if err != nil {
		return nil, err
	}
	s, err := u.open(ifindex, queue, first, &o)
	if err != nil {
		u.give(first, o.RxFrames+o.TxFrames)
		return nil, err
	}
	u.sockets = append(u.sockets, s)
	return s, nil
}

func (u *Umem) open(ifindex, queue, first int, o *SocketOptions) (s *Socket, err error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EAFNOSUPPORT) {
			err = fmt.Errorf("%w: %w", ErrNotSupported, err)
		}
		return nil, os.NewSyscallError("socket(AF_XDP)", err)
	}
	sock := &Socket{fd: fd, umem: u, ifindex: ifindex, queueID: queue, first: first, count: o.RxFrames + o.TxFrames}
	s = sock
	defer func() {
		if err != nil {
			sock.unmap()
			unix.Close(fd)
		}
	}()
	var owner *Socket
	if len(u.sockets) > 0 {
		owner = u.sockets[0]
	} else {
		reg := unix.XDPUmemReg{
			Addr:     uint64(uintptr(unsafe.Pointer(&u.area[0]))),
			Len:      uint64(len(u.area)),
			Size:     uint32(u.frameSize),
			Headroom: uint32(u.headroom),
		}
		memlockErr := raiseMemlock(uint64(len(u.area)))
		if err := setsockopt(fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
			if memlockErr != nil && (errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EPERM)) {
				return nil, fmt.Errorf("xdp: registering %d bytes of UMEM (RLIMIT_MEMLOCK could not be raised: %v): %w", len(u.area), memlockErr, err)
			}
			return nil, fmt.Errorf("xdp: registering UMEM: %w", err)
		}
	}
	for _, r := range []struct {
		opt  int
		size int
	}{{unix.XDP_UMEM_FILL_RING, o.FillRingSize}, {unix.XDP_UMEM_COMPLETION_RING, o.CompletionRingSize},
		{unix.XDP_RX_RING, o.RxRingSize}, {unix.XDP_TX_RING, o.TxRingSize}} {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, r.opt, r.size); err != nil {
			return nil, fmt.Errorf("xdp: ring size %d: %w", r.size, os.NewSyscallError("setsockopt", err))
		}
	}
	var off unix.XDPMmapOffsets
	if err := getsockopt(fd, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off)); err != nil {
		return nil, fmt.Errorf("xdp: ring offsets: %w", err)
	}
	if err := s.mapRings(&off, o); err != nil {
		return nil, err
	}
	if err := setBusyPoll(fd, o.BusyPoll); err != nil {
		return nil, err
	}
	if err := s.bind(owner, o); err != nil {
		return nil, err
	}
	var opts uint32
	if err := getsockopt(fd, unix.XDP_OPTIONS, unsafe.Pointer(&opts), unsafe.Sizeof(opts)); err != nil {
		return nil, fmt.Errorf("xdp: reading back the mode: %w", err)
	}
	s.mode = ModeCopy
	if opts&unix.XDP_OPTIONS_ZEROCOPY != 0 {
		s.mode = ModeZeroCopy
	}
	s.queue.k = s
	s.queue.mem = u.area
	s.queue.frameSize = uint64(u.frameSize)
	s.queue.copyMode = s.mode == ModeCopy
	s.queue.needWakeup = !o.NoNeedWakeup
	if owner != nil {
		s.queue.needWakeup = owner.queue.needWakeup
	}
	s.queue.busyPoll = o.BusyPoll.Usecs > 0
	s.queue.stallTimeout = int64(o.TxStallTimeout)
	s.queue.now = monotonicNanos
	s.queue.initPools(first, o.RxFrames, o.TxFrames)
	s.queue.refill()
	return s, nil
}

func (s *Socket) mapRings(off *unix.XDPMmapOffsets, o *SocketOptions) error {
	type spec struct {
		off   *unix.XDPRingOffset
		pgoff int64
		n     int
		esize uintptr
	}
	specs := [4]spec{
		{&off.Fr, unix.XDP_UMEM_PGOFF_FILL_RING, o.FillRingSize, 8},
		{&off.Cr, unix.XDP_UMEM_PGOFF_COMPLETION_RING, o.CompletionRingSize, 8},
		{&off.Rx, unix.XDP_PGOFF_RX_RING, o.RxRingSize, unsafe.Sizeof(Desc{})},
		{&off.Tx, unix.XDP_PGOFF_TX_RING, o.TxRingSize, unsafe.Sizeof(Desc{})},
	}
	for i, sp := range specs {
		m, err := unix.Mmap(s.fd, sp.pgoff, int(sp.off.Desc)+sp.n*int(sp.esize),
			unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return fmt.Errorf("xdp: mapping ring %d: %w", i, os.NewSyscallError("mmap", err))
		}
		s.maps[i] = m
	}
	idx := func(m []byte, o uint64) *uint32 { return (*uint32)(unsafe.Pointer(&m[o])) }
	fr, cr, rx, tx := s.maps[0], s.maps[1], s.maps[2], s.maps[3]
	s.queue.fill = newRing(idx(fr, off.Fr.Producer), idx(fr, off.Fr.Consumer), idx(fr, off.Fr.Flags),
		unsafe.Slice((*uint64)(unsafe.Pointer(&fr[off.Fr.Desc])), o.FillRingSize))
	s.queue.comp = newRing(idx(cr, off.Cr.Producer), idx(cr, off.Cr.Consumer), idx(cr, off.Cr.Flags),
		unsafe.Slice((*uint64)(unsafe.Pointer(&cr[off.Cr.Desc])), o.CompletionRingSize))
	s.queue.rx = newRing(idx(rx, off.Rx.Producer), idx(rx, off.Rx.Consumer), idx(rx, off.Rx.Flags),
		unsafe.Slice((*Desc)(unsafe.Pointer(&rx[off.Rx.Desc])), o.RxRingSize))
	s.queue.tx = newRing(idx(tx, off.Tx.Producer), idx(tx, off.Tx.Consumer), idx(tx, off.Tx.Flags),
		unsafe.Slice((*Desc)(unsafe.Pointer(&tx[off.Tx.Desc])), o.TxRingSize))
	return nil
}

// bind binds to the queue: sharing owner's UMEM when there is an owner,
// else zero-copy first and copy after, as o.Mode allows.
func (s *Socket) bind(owner *Socket, o *SocketOptions) error {
	sa := &unix.SockaddrXDP{Ifindex: uint32(s.ifindex), QueueID: uint32(s.queueID)}
	if owner != nil {
		// Mode and need_wakeup are the owner's; the kernel refuses them here.
		sa.Flags = unix.XDP_SHARED_UMEM
		sa.SharedUmemFD = uint32(owner.fd)
		if err := bindRetry(s.fd, sa); err != nil {
			return fmt.Errorf("xdp: binding device %d queue %d to a shared UMEM: %w", s.ifindex, s.queueID, os.NewSyscallError("bind", err))
		}
		return nil
	}
	var wake uint16
	if !o.NoNeedWakeup {
		wake = unix.XDP_USE_NEED_WAKEUP
	}
	if o.MultiBuffer {
		wake |= unix.XDP_USE_SG
	}
	var tries []uint16
	switch o.Mode {
	case ModeZeroCopy:
		tries = []uint16{unix.XDP_ZEROCOPY}
	case ModeCopy:
		tries = []uint16{unix.XDP_COPY}
	default:
		tries = []uint16{unix.XDP_ZEROCOPY, unix.XDP_COPY}
	}
	var errs []error
	for _, f := range tries {
		sa.Flags = f | wake
		err := bindRetry(s.fd, sa)
		if err == nil {
			return nil
		}
		name := "copy"
		if f == unix.XDP_ZEROCOPY {
			name = "zero-copy"
		}
		errs = append(errs, fmt.Errorf("%s: %w", name, os.NewSyscallError("bind", err)))
	}
	err := errors.Join(errs...)
	if (errors.Is(err, unix.EOPNOTSUPP) && o.Mode == ModeZeroCopy) || (errors.Is(err, unix.EINVAL) && o.MultiBuffer) {
		err = fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return fmt.Errorf("xdp: binding device %d queue %d: %w", s.ifindex, s.queueID, err)
}

// bindRetry binds, retrying EBUSY for up to about 100ms: the kernel frees a
// closed socket's hold on its queue from a workqueue, so a queue closed a
// moment ago can still look taken.
func bindRetry(fd int, sa *unix.SockaddrXDP) error {
	var err error
	for range 50 {
		if err = unix.Bind(fd, sa); err != unix.EBUSY {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return err
}

func setBusyPoll(fd int, b BusyPoll) error {
	set := func(opt, v int) error {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, v); err != nil {
			return fmt.Errorf("xdp: busy-poll option %d=%d: %w", opt, v, os.NewSyscallError("setsockopt", err))
		}
		return nil
	}
	if b.Prefer {
		if err := set(unix.SO_PREFER_BUSY_POLL, 1); err != nil {
			return err
		}
	}
	if b.Usecs > 0 {
		if err := set(unix.SO_BUSY_POLL, b.Usecs); err != nil {
			return err
		}
	}
	if b.Budget > 0 {
		if err := set(unix.SO_BUSY_POLL_BUDGET, b.Budget); err != nil {
			return err
		}
	}
	return nil
}

// FD is the socket's descriptor, for the steering program's XSKMAP.
func (s *Socket) FD() int { return s.fd }

// Mode is the mode the kernel granted: ModeZeroCopy or ModeCopy.
func (s *Socket) Mode() Mode { return s.mode }

// Queue is the queue the socket is bound to.
func (s *Socket) Queue() int { return s.queueID }

// Ifindex is the device the socket is bound to.
func (s *Socket) Ifindex() int { return s.ifindex }

// Wait blocks until a frame can be received or timeoutMs passes (-1: no
// limit), for callers that do not spin. It reports whether one is ready.
func (s *Socket) Wait(timeoutMs int) (bool, error) {
	if s.closed {
		return false, ErrClosed
	}
	s.refill()
	if s.rx.avail(1) > 0 {
		return true, nil
	}
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, timeoutMs)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		return n > 0 && s.rx.avail(1) > 0, nil
	}
}

// Stats returns the kernel's XDP_STATISTICS and this socket's counters.
func (s *Socket) Stats() (Stats, error) {
	st := s.queue.stats
	if s.closed {
		return st, ErrClosed
	}
	var k unix.XDPStatistics
	if err := getsockopt(s.fd, unix.XDP_STATISTICS, unsafe.Pointer(&k), unsafe.Sizeof(k)); err != nil {
		return st, fmt.Errorf("xdp: statistics: %w", err)
	}
	st.RxDropped, st.RxInvalidDescs, st.TxInvalidDescs = k.Rx_dropped, k.Rx_invalid_descs, k.Tx_invalid_descs
	st.RxRingFull, st.RxFillRingEmptyDescs, st.TxRingEmptyDescs = k.Rx_ring_full, k.Rx_fill_ring_empty_descs, k.Tx_ring_empty_descs
	return st, nil
}

// Close unmaps the rings, closes the socket (which unbinds it and removes
// it from any XSKMAP) and returns its frames to the Umem. Detach the
// steering program before, so the kernel is not redirecting into a socket
// being torn down.
func (s *Socket) Close() error {
	u := s.umem
	u.mu.Lock()
	defer u.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	err := s.unmap()
	if cerr := unix.Close(s.fd); cerr != nil && err == nil {
		err = os.NewSyscallError("close", cerr)
	}
	for i, o := range u.sockets {
		if o == s {
			u.sockets = append(u.sockets[:i], u.sockets[i+1:]...)
			break
		}
	}
	u.give(s.first, s.count)
	return err
}

func (s *Socket) unmap() error {
	var err error
	for i, m := range s.maps {
		if m != nil {
			if e := unix.Munmap(m); e != nil && err == nil {
				err = os.NewSyscallError("munmap", e)
			}
			s.maps[i] = nil
		}
	}
	return err
}

// kickTx asks the kernel to process the TX ring. In copy mode one sendto
// sends a bounded batch and answers EAGAIN when more is left, so it is
// repeated while that happens, up to the ring's size in batches. Errors
// the kernel documents as "try later" are not errors here.
func (s *Socket) kickTx() error {
	for range s.tx.size()/16 + 1 {
		_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0, unix.EBUSY, unix.ENOBUFS, unix.ENETDOWN:
			return nil
		case unix.EAGAIN, unix.EINTR:
			if !s.copyMode {
				return nil
			}
		default:
			return os.NewSyscallError("sendto", e)
		}
	}
	return nil
}

// wakeRx asks the kernel to process the FILL ring (and busy-polls when
// that is configured).
func (s *Socket) wakeRx() error {
	_, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0, unix.EAGAIN, unix.EINTR, unix.EBUSY, unix.ENOBUFS, unix.ENETDOWN:
		return nil
	}
	return os.NewSyscallError("recvfrom", e)
}

func setsockopt(fd, opt int, p unsafe.Pointer, n uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), n, 0)
	if e != 0 {
		return os.NewSyscallError("setsockopt", e)
	}
	return nil
}

func getsockopt(fd, opt int, p unsafe.Pointer, n uintptr) error {
	l := uint32(n)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return os.NewSyscallError("getsockopt", e)
	}
	return nil
}
