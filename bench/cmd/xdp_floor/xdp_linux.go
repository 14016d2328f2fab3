package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/xdp"
)

type xdpPinger struct {
	steer *bpf.Steering
	umem  *xdp.Umem
	s     *xdp.Socket
	hdr   udpframe.Header
	rx    [1]xdp.Desc
	tx    [1]xdp.Desc
}

// xdpEnds returns what both AF_XDP modes start from: the interface, the
// attach mode asked for, and the headers of the datagrams to the peer.
func (c *config) xdpEnds() (*net.Interface, bpf.AttachMode, udpframe.Header, error) {
	ifc, err := net.InterfaceByName(c.iface)
	if err != nil {
		return nil, 0, udpframe.Header{}, err
	}
	mode := bpf.AttachGeneric
	if c.attach == "native" {
		mode = bpf.AttachNative
	}
	hdr := udpframe.Header{DstMAC: [6]byte(c.peerMAC), SrcMAC: [6]byte(ifc.HardwareAddr), Src: c.local, Dst: c.peer}
	return ifc, mode, hdr, nil
}

// openXDP attaches the steering program for c.local's port and binds one
// socket to queue 0 (the scripts give the veth one queue).
func openXDP(c *config) (pinger, error) {
	ifc, mode, hdr, err := c.xdpEnds()
	if err != nil {
		return nil, err
	}
	p := &xdpPinger{hdr: hdr}
	if p.steer, err = bpf.Attach(ifc.Index, bpf.Options{Mode: mode}); err != nil {
		return nil, err
	}
	if p.umem, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: 512}); err != nil {
		p.close()
		return nil, err
	}
	if p.s, err = p.umem.Open(ifc.Index, 0, xdp.SocketOptions{RxFrames: 256, TxFrames: 256}); err != nil {
		p.close()
		return nil, err
	}
	if err := errors.Join(p.steer.RegisterSocket(0, p.s.FD()), p.steer.RegisterPort(c.local.Port())); err != nil {
		p.close()
		return nil, err
	}
	fmt.Printf("transport: AF_XDP, %s attach, %s mode\n", p.steer.Mode(), p.s.Mode())
	return p, nil
}

func (p *xdpPinger) send(b []byte) error {
	for p.s.NextTx(p.tx[:]) == 0 {
	}
	f, err := udpframe.Append(p.s.Frame(p.tx[0])[:0], &p.hdr, b)
	if err != nil {
		return err
	}
	p.tx[0].Len = uint32(len(f))
	for {
		n, err := p.s.Transmit(p.tx[:])
		if err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
	}
}

func (p *xdpPinger) recv(b []byte) (int, error) {
	var deadline time.Time
	for spins := 0; ; spins++ {
		n, err := p.s.Receive(p.rx[:])
		if err != nil {
			return 0, err
		}
		if n == 1 {
			break
		}
		if spins&0xffff == 0xffff {
			// Check the time rarely: it is only there to stop a
			// run that lost a frame from spinning for ever.
			if deadline.IsZero() {
				deadline = time.Now().Add(2 * time.Second)
			} else if time.Now().After(deadline) {
				st, _ := p.s.Stats()
				return 0, fmt.Errorf("%w (socket stats %+v)", errNoReply, st)
			}
		}
	}
	_, payload, err := udpframe.Parse(p.s.Frame(p.rx[0]))
	n := copy(b, payload)
	if rerr := p.s.Release(p.rx[:]); err == nil {
		err = rerr
	}
	return n, err
}

func (p *xdpPinger) close() error {
	// Detach first, then the socket, then its memory.
	var errs []error
	if p.steer != nil {
		errs = append(errs, p.steer.Close())
	}
	if p.s != nil {
		errs = append(errs, p.s.Close())
	}
	if p.umem != nil {
		errs = append(errs, p.umem.Close())
	}
	return errors.Join(errs...)
}
