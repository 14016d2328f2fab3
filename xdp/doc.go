// Package xdp is zmqx's AF_XDP socket layer, written directly on
// golang.org/x/sys/unix: a UMEM (the packet memory shared with the kernel),
// sockets bound to one NIC queue each, and the four descriptor rings between
// them. It knows nothing of ZMTP or of the steering program; package bpf
// decides which frames reach a socket.
//
// Shape of use, one goroutine per Socket (a Socket is not safe for
// concurrent use; give each queue its own Socket and worker):
//
//	u, _ := xdp.NewUmem(xdp.UmemOptions{})
//	s, _ := u.Open(ifindex, queue, xdp.SocketOptions{})
//	// register s.FD() in the steering program's XSKMAP slot for queue
//	n, _ := s.Receive(descs)       // frames now belong to the caller
//	... s.Frame(descs[i]) ...
//	s.Release(descs[:n])           // back to the FILL ring
//	m := s.NextTx(tx)              // free TX frames
//	... write s.Frame(tx[i])[:size], set tx[i].Len ...
//	s.Transmit(tx[:m])
//
// What it takes care of, after the kernel's af_xdp.rst and the failures
// other projects met:
//   - RX and TX frames come from separate pools, so a frame is never in the
//     FILL and TX rings at once; Release and Transmit refuse foreign frames.
//   - Ring indices are read and published through sync/atomic, with cached
//     copies so the shared cache lines are touched only when needed.
//   - need_wakeup: a syscall is made only when the kernel sets the flag, and
//     in copy mode TX is kicked even when the TX ring is full.
//   - bind tries zero-copy first and falls back to copy; the mode obtained is
//     read back with XDP_OPTIONS (Socket.Mode).
//   - A TX completion watchdog kicks the kernel when completions stop and
//     reports the stall (Stats.TxStalls, ErrTxStalled).
//   - Close order: detach the steering program (close its link) first, then
//     close the sockets, then the Umem.
//
// Kernel facts the tests pin down: a queue takes sockets from one Umem only
// (EBUSY otherwise); a queue closed a moment ago stays busy until a kernel
// workqueue releases it, so bind retries EBUSY for about 100ms; veth grants
// copy mode only, and in generic attach mode every frame a veth receives
// reports RX queue 0, whatever queue the peer sent it on. With
// SocketOptions.MultiBuffer (XDP_USE_SG) a packet larger than a frame
// crosses a veth in copy mode as a chain of frames (PktContd) in both
// attach modes; native attach then needs the program loaded frags-aware
// (bpf.Options.Frags), and a socket without it drops such packets.
//
// Outside Linux every constructor returns ErrNotSupported.
package xdp
