package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/xdp"
)

// The AF_XDP engine's pool sizes (engine/afxdp): 256 RX frames and 2 048
// TX frames a queue, 4 KiB each.
const (
	thrRxFrames = 256
	thrTxFrames = 2048
	frameSize   = 4096
	// rxHeadroom is XDP_PACKET_HEADROOM: the kernel writes a received
	// frame this far into its UMEM frame.
	rxHeadroom = 256
)

func cpuTimes() (user, sys time.Duration) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

type xdpThr struct {
	xdpPinger
	payload []byte
	batch   []xdp.Desc
	pend    []xdp.Desc // written, not yet taken by the TX ring
	rx      []xdp.Desc
	bad     int // received frames that did not parse
}

// openXDPThr opens the socket as openXDP does (steering program attached,
// one socket on queue 0), with the engine's pool sizes.
func openXDPThr(c *config) (thrEnd, error) {
	if c.size+udpframe.HeaderLen > frameSize-rxHeadroom {
		return nil, fmt.Errorf("-size %d: a frame of %d bytes does not fit in a %d-byte UMEM frame after the kernel's %d bytes of headroom",
			c.size, c.size+udpframe.HeaderLen, frameSize, rxHeadroom)
	}
	ifc, err := net.InterfaceByName(c.iface)
	if err != nil {
		return nil, err
	}
	mode := bpf.AttachGeneric
	if c.attach == "native" {
		mode = bpf.AttachNative
	}
	p := &xdpThr{
		xdpPinger: xdpPinger{hdr: udpframe.Header{
			DstMAC: [6]byte(c.peerMAC), SrcMAC: [6]byte(ifc.HardwareAddr), Src: c.local, Dst: c.peer,
		}},
		payload: make([]byte, c.size),
		batch:   make([]xdp.Desc, c.batch),
		rx:      make([]xdp.Desc, 64),
	}
	if p.steer, err = bpf.Attach(ifc.Index, bpf.Options{Mode: mode}); err != nil {
		return nil, err
	}
	if p.umem, err = xdp.NewUmem(xdp.UmemOptions{FrameSize: frameSize, FrameCount: thrRxFrames + thrTxFrames}); err != nil {
		p.close()
		return nil, err
	}
	if p.s, err = p.umem.Open(ifc.Index, 0, xdp.SocketOptions{RxFrames: thrRxFrames, TxFrames: thrTxFrames}); err != nil {
		p.close()
		return nil, err
	}
	if err := errors.Join(p.steer.RegisterSocket(0, p.s.FD()), p.steer.RegisterPort(c.local.Port())); err != nil {
		p.close()
		return nil, err
	}
	fmt.Printf("transport: AF_XDP, %s attach, %s mode, MTU %d\n", p.steer.Mode(), p.s.Mode(), ifc.MTU)
	return p, nil
}

func (p *xdpThr) unit() string { return "datagrams" }

// send writes a batch of datagrams into free TX frames and transmits them
// with one Transmit (which kicks the kernel once when it asks, as the
// engine's transmit does).
func (p *xdpThr) send() (int, int, error) {
	if len(p.pend) == 0 {
		n := p.s.NextTx(p.batch)
		for i := range n {
			f, err := udpframe.Append(p.s.Frame(p.batch[i])[:0], &p.hdr, p.payload)
			if err != nil {
				return 0, 0, err
			}
			p.batch[i].Len = uint32(len(f))
		}
		p.pend = p.batch[:n]
		if n == 0 {
			return 0, 0, nil
		}
	}
	m, err := p.s.Transmit(p.pend)
	p.pend = p.pend[m:]
	return m, m * len(p.payload), err
}

func (p *xdpThr) recv() (int, int, error) {
	n, err := p.s.Receive(p.rx)
	if err != nil || n == 0 {
		return 0, 0, err
	}
	got, bytes := 0, 0
	for _, d := range p.rx[:n] {
		if _, pl, err := udpframe.Parse(p.s.Frame(d)); err == nil {
			got++
			bytes += len(pl)
		} else {
			p.bad++
		}
	}
	return got, bytes, p.s.Release(p.rx[:n])
}

func (p *xdpThr) report() string {
	st, err := p.s.Stats()
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("socket: tx kicks %d, tx stalls %d, rx wakeups %d, rx ring full %d, fill ring empty %d, rx dropped %d, tx invalid %d, unparsed %d",
		st.TxKicks, st.TxStalls, st.RxWakeups, st.RxRingFull, st.RxFillRingEmptyDescs, st.RxDropped, st.TxInvalidDescs, p.bad)
}

// kernelThr is a kernel UDP or TCP socket driven with non-blocking raw
// syscalls, spinning: one datagram (UDP) or one write of -size bytes
// (TCP) a sendto, reads of up to 256 KiB.
type kernelThr struct {
	fd     int
	tcp    bool
	reader bool // the counting end
	buf    []byte
	sent   int // TCP: bytes of the current write already sent
}

func openKernelThr(c *config) (thrEnd, error) {
	p, err := openKernel(c)
	if err != nil {
		return nil, err
	}
	k := &kernelThr{fd: p.(*kernelPinger).fd, tcp: c.transport == "tcp", reader: c.role == "server"}
	if c.role == "server" {
		k.buf = make([]byte, 256<<10)
		if !k.tcp {
			// Room for bursts, so the count is of what the receiver can take.
			unix.SetsockoptInt(k.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		}
	} else {
		k.buf = make([]byte, c.size)
	}
	return k, nil
}

func (k *kernelThr) unit() string {
	switch {
	case !k.tcp:
		return "datagrams"
	case k.reader:
		return "reads"
	}
	return "writes"
}

func (k *kernelThr) send() (int, int, error) {
	b := k.buf[k.sent:]
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(k.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	switch e {
	case 0:
	case unix.EAGAIN, unix.ENOBUFS:
		return 0, 0, nil
	default:
		return 0, 0, os.NewSyscallError("sendto", e)
	}
	if !k.tcp {
		return 1, int(n), nil
	}
	// A TCP write counts once it is all taken.
	if k.sent += int(n); k.sent < len(k.buf) {
		return 0, int(n), nil
	}
	k.sent = 0
	return 1, int(n), nil
}

func (k *kernelThr) recv() (int, int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(k.fd), uintptr(unsafe.Pointer(&k.buf[0])), uintptr(len(k.buf)),
		unix.MSG_DONTWAIT, 0, 0)
	switch {
	case e == unix.EAGAIN:
		return 0, 0, nil
	case e != 0:
		return 0, 0, os.NewSyscallError("recvfrom", e)
	case n == 0 && k.tcp:
		return 0, 0, errors.New("peer closed")
	}
	return 1, int(n), nil
}

func (k *kernelThr) report() string { return "" }

func (k *kernelThr) close() error { return unix.Close(k.fd) }
