package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/xdpping"
)

func open(mode, attach string) (func() error, error) {
	switch mode {
	case "zmqx":
		return openZmqx(attach)
	case "raw":
		return openRaw(attach)
	}
	return nil, fmt.Errorf("-mode %q: want zmqx or raw", mode)
}

// openZmqx connects a REQ to a REP over xdp:// and returns one round trip.
// The process exits after the run: nothing is closed.
func openZmqx(attach string) (func() error, error) {
	rt := zmqx.NewRuntime(zmqx.Config{Idle: zmqx.IdleSpin, Invoker: true,
		XDP: zmqx.XDPConfig{Attach: attach, NoFallback: true}})
	rep, err := rt.Socket(zmqx.REP)
	if err != nil {
		return nil, err
	}
	req, err := rt.Socket(zmqx.REQ)
	if err != nil {
		return nil, err
	}
	if err := rep.Bind("xdp://vb/10.78.0.2:5600"); err != nil {
		return nil, err
	}
	if err := req.Connect("xdp://va/10.78.0.2:5600"); err != nil {
		return nil, err
	}
	ctx := context.Background()
	body := make([]byte, 64)
	var in, out []zmqx.Msg
	echo := func() error {
		var err error
		if in, err = rep.RecvMsg(ctx, in[:0]); err != nil {
			return err
		}
		return rep.SendMsg(ctx, in[0])
	}
	// The first round trip: the REP is driven by a goroutine of its own
	// while the connection comes up.
	up, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		m, err := rep.RecvMsg(up, nil)
		if err == nil {
			err = rep.SendMsg(up, m...)
		}
		first <- err
	}()
	if err := req.Send(up, body); err != nil {
		return nil, fmt.Errorf("the first request: %w", err)
	}
	if out, err = req.RecvMsg(up, out[:0]); err != nil {
		return nil, fmt.Errorf("the first reply: %w", err)
	}
	if err := <-first; err != nil {
		return nil, fmt.Errorf("the first echo: %w", err)
	}
	return func() error {
		if err := req.Send(ctx, body); err != nil {
			return err
		}
		if err := echo(); err != nil {
			return err
		}
		var err error
		if out, err = req.RecvMsg(ctx, out[:0]); err != nil {
			return err
		}
		if len(out) != 1 || out[0].Len() != len(body) {
			return errors.New("a reply of the wrong shape")
		}
		out[0].Close()
		return nil
	}, nil
}

func openRaw(attach string) (func() error, error) {
	mode := bpf.AttachGeneric
	if attach == "native" {
		mode = bpf.AttachNative
	}
	ia, err := net.InterfaceByName("va")
	if err != nil {
		return nil, err
	}
	ib, err := net.InterfaceByName("vb")
	if err != nil {
		return nil, err
	}
	src, dst := netip.MustParseAddrPort("10.78.0.1:5601"), netip.MustParseAddrPort("10.78.0.2:5601")
	a, err := xdpping.Open(ia, mode, udpframe.Header{SrcMAC: [6]byte(ia.HardwareAddr), DstMAC: [6]byte(ib.HardwareAddr), Src: src, Dst: dst})
	if err != nil {
		return nil, err
	}
	b, err := xdpping.Open(ib, mode, udpframe.Header{SrcMAC: [6]byte(ib.HardwareAddr), DstMAC: [6]byte(ia.HardwareAddr), Src: dst, Dst: src})
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 64)
	in := make([]byte, 2048)
	return func() error {
		if err := a.Send(buf); err != nil {
			return err
		}
		n, err := b.Recv(in)
		if err != nil {
			return err
		}
		if err := b.Send(in[:n]); err != nil {
			return err
		}
		_, err = a.Recv(in)
		return err
	}, nil
}
