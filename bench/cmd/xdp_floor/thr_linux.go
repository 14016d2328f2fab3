package main

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/xdpping"
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
	// maxFrags is the most descriptors a packet may take in copy mode
	// on any kernel (MAX_SKB_FRAGS + 1 with the smallest MAX_SKB_FRAGS).
	maxFrags = 18
)

func cpuTimes() (user, sys time.Duration) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

type xdpThr struct {
	xdpping.End
	payload []byte
	batch   []xdp.Desc
	pend    []xdp.Desc // written, not yet taken by the TX ring
	rx      []xdp.Desc
	bad     int // received frames that did not parse

	// -sg: a datagram is need frames of wire, chained with PktContd.
	sg    bool
	need  int
	wire  []byte     // the whole frame, built once
	spare []xdp.Desc // free TX frames short of a whole datagram
	cont  bool       // the RX ring's last descriptor continued a packet
}

// openXDPThr opens the socket as openXDP does (steering program attached,
// one socket on queue 0), with the engine's pool sizes.
func openXDPThr(c *config) (thrEnd, error) {
	need := (c.size + udpframe.HeaderLen + frameSize - 1) / frameSize
	switch {
	case !c.sg && c.size+udpframe.HeaderLen > frameSize-rxHeadroom:
		return nil, fmt.Errorf("-size %d: a frame of %d bytes does not fit in a %d-byte UMEM frame after the kernel's %d bytes of headroom (-sg chains frames)",
			c.size, c.size+udpframe.HeaderLen, frameSize, rxHeadroom)
	case c.sg && need > maxFrags:
		return nil, fmt.Errorf("-size %d: more than %d frames a packet", c.size, maxFrags)
	}
	ifc, mode, hdr, err := c.xdpEnds()
	if err != nil {
		return nil, err
	}
	p := &xdpThr{
		End:     xdpping.End{Hdr: hdr},
		payload: make([]byte, c.size),
		batch:   make([]xdp.Desc, c.batch),
		rx:      make([]xdp.Desc, 64),
		sg:      c.sg,
		need:    need,
	}
	if c.sg {
		p.batch = make([]xdp.Desc, c.batch*need)
		p.spare = make([]xdp.Desc, 0, need)
		if p.wire, err = udpframe.Append(nil, &p.Hdr, p.payload); err != nil {
			return nil, err
		}
	}
	if p.Steer, err = bpf.Attach(ifc.Index, bpf.Options{Mode: mode, Frags: c.sg}); err != nil {
		return nil, err
	}
	// With -sg, as many RX frames a datagram takes as many times: the
	// same number of datagrams in flight.
	rxFrames := thrRxFrames * need
	if p.Umem, err = xdp.NewUmem(xdp.UmemOptions{FrameSize: frameSize, FrameCount: rxFrames + thrTxFrames}); err != nil {
		p.Close()
		return nil, err
	}
	if p.S, err = p.Umem.Open(ifc.Index, 0, xdp.SocketOptions{RxFrames: rxFrames, TxFrames: thrTxFrames, MultiBuffer: c.sg}); err != nil {
		p.Close()
		return nil, err
	}
	if err := errors.Join(p.Steer.RegisterSocket(0, p.S.FD()), p.Steer.RegisterPort(c.local.Port())); err != nil {
		p.Close()
		return nil, err
	}
	sg := ""
	if c.sg {
		sg = fmt.Sprintf(", multi-buffer (%d frames a datagram)", need)
	}
	fmt.Printf("transport: AF_XDP, %s attach, %s mode, MTU %d%s\n", p.Steer.Mode(), p.S.Mode(), ifc.MTU, sg)
	return p, nil
}

func (p *xdpThr) unit() string { return "datagrams" }

func (p *xdpThr) close() error { return p.Close() }

// send writes a batch of datagrams into free TX frames and transmits them
// with one Transmit (which kicks the kernel once when it asks, as the
// engine's transmit does).
func (p *xdpThr) send() (int, int, error) {
	if p.sg {
		return p.sendChained()
	}
	if len(p.pend) == 0 {
		n := p.S.NextTx(p.batch)
		for i := range n {
			f, err := udpframe.Append(p.S.Frame(p.batch[i])[:0], &p.Hdr, p.payload)
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
	m, err := p.S.Transmit(p.pend)
	p.pend = p.pend[m:]
	return m, m * len(p.payload), err
}

// sendChained is send for -sg: each datagram is need frames, all but the
// last marked PktContd, whole datagrams a Transmit.
func (p *xdpThr) sendChained() (int, int, error) {
	if len(p.pend) == 0 {
		have := copy(p.batch, p.spare)
		n := have + p.S.NextTx(p.batch[have:])
		k := n / p.need
		for i := range k * p.need {
			d := &p.batch[i]
			off := i % p.need * frameSize
			d.Len = uint32(copy(p.S.Frame(*d)[:min(frameSize, len(p.wire)-off)], p.wire[off:]))
			d.Options = 0
			if i%p.need < p.need-1 {
				d.Options = xdp.PktContd
			}
		}
		p.spare = append(p.spare[:0], p.batch[k*p.need:n]...)
		p.pend = p.batch[:k*p.need]
		if k == 0 {
			return 0, 0, nil
		}
	}
	m, err := p.S.Transmit(p.pend)
	if m%p.need != 0 {
		// The TX ring is as large as the pool, so it never splits one.
		return 0, 0, fmt.Errorf("the TX ring took %d descriptors, not whole datagrams of %d", m, p.need)
	}
	p.pend = p.pend[m:]
	return m / p.need, m / p.need * len(p.payload), err
}

func (p *xdpThr) recv() (int, int, error) {
	n, err := p.S.Receive(p.rx)
	if err != nil || n == 0 {
		return 0, 0, err
	}
	if p.sg {
		// A packet is complete at a descriptor without PktContd; its
		// payload is its bytes less the headers.
		got, bytes := 0, 0
		for _, d := range p.rx[:n] {
			if !p.cont && len(p.S.Frame(d)) < udpframe.HeaderLen {
				p.bad++
			}
			bytes += int(d.Len)
			p.cont = d.Options&xdp.PktContd != 0
			if !p.cont {
				got++
				bytes -= udpframe.HeaderLen
			}
		}
		return got, bytes, p.S.Release(p.rx[:n])
	}
	got, bytes := 0, 0
	for _, d := range p.rx[:n] {
		if _, pl, err := udpframe.Parse(p.S.Frame(d)); err == nil {
			got++
			bytes += len(pl)
		} else {
			p.bad++
		}
	}
	return got, bytes, p.S.Release(p.rx[:n])
}

func (p *xdpThr) wait() error {
	_, err := p.S.Wait(100)
	return err
}

func (p *xdpThr) report() string {
	st, err := p.S.Stats()
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

func (k *kernelThr) wait() error {
	fds := []unix.PollFd{{Fd: int32(k.fd), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, 100); err != nil && err != unix.EINTR {
		return os.NewSyscallError("poll", err)
	}
	return nil
}

func (k *kernelThr) close() error { return unix.Close(k.fd) }
