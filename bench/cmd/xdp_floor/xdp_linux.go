package main

import (
	"fmt"
	"net"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/xdpping"
)

// xdpPinger is the raw AF_XDP end (package xdpping).
type xdpPinger struct{ *xdpping.End }

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
	e, err := xdpping.Open(ifc, mode, hdr)
	if err != nil {
		return nil, err
	}
	fmt.Printf("transport: AF_XDP, %s attach, %s mode\n", e.Steer.Mode(), e.S.Mode())
	return xdpPinger{e}, nil
}

func (p xdpPinger) send(b []byte) error        { return p.Send(b) }
func (p xdpPinger) recv(b []byte) (int, error) { return p.Recv(b) }
func (p xdpPinger) close() error               { return p.Close() }
