package tcp

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"github.com/zmqx/zmqx/core"
)

var _ core.OptionChecker = TCP{}

// CheckOptions reports the options this system cannot apply.
func (TCP) CheckOptions(o *core.Options) error {
	if !platformOptions && (o.TOS != 0 || o.BindToDevice != "" || o.TCPMaxRT != 0) {
		return fmt.Errorf("%w: TOS, BindToDevice and TCPMaxRT are Linux only", core.ErrNotSupported)
	}
	return nil
}

// Listen binds a TCP address, with the socket's options on the listening
// socket (accepted connections get theirs as they come, in tune). o may be
// nil.
func (TCP) Listen(addr string, o *core.Options) (core.Listener, error) {
	if o == nil {
		o = &core.Options{}
	}
	a, err := tcpAddr(addr, true)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: control(o), KeepAlive: -1} // keepalive: tune, as asked
	l, err := lc.Listen(context.Background(), "tcp", a)
	if err != nil {
		return nil, listenErr(err)
	}
	return &listener{Listener: l, tcp: true, o: o}, nil
}

// Dial connects to a TCP address with Nagle's algorithm off and the
// socket's options: device, buffers and TOS set before the connection is
// made, keepalive and the retransmission limit after. o may be nil.
func (TCP) Dial(ctx context.Context, addr string, o *core.Options) (net.Conn, error) {
	if o == nil {
		o = &core.Options{}
	}
	a, src, err := tcpAddrSrc(addr, false)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Control: control(o), KeepAlive: -1} // keepalive: tune, as asked
	if src != nil {
		d.LocalAddr = src
	}
	c, err := d.DialContext(ctx, "tcp", a)
	if err != nil {
		return nil, err
	}
	if err := noDelay(c); err != nil {
		return nil, err
	}
	if err := tune(c, o); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// control sets what must be set before bind or connect.
func control(o *core.Options) func(network, address string, c syscall.RawConn) error {
	if o.SendBuffer == 0 && o.RecvBuffer == 0 && o.TOS == 0 && o.BindToDevice == "" {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = setPreConnect(fd, o) })
		if err != nil {
			return err
		}
		return serr
	}
}

// tune sets what applies to a connected socket: keepalive and the
// retransmission limit.
func tune(c net.Conn, o *core.Options) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	if !platformOptions {
		// Elsewhere the buffers are set on the connected socket.
		if o.SendBuffer > 0 {
			if err := tc.SetWriteBuffer(o.SendBuffer); err != nil {
				return err
			}
		}
		if o.RecvBuffer > 0 {
			if err := tc.SetReadBuffer(o.RecvBuffer); err != nil {
				return err
			}
		}
	}
	switch o.TCPKeepAlive {
	case 1:
		if err := tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: o.TCPKeepAliveIdle,
			Interval: o.TCPKeepAliveInterval, Count: o.TCPKeepAliveCount}); err != nil {
			return fmt.Errorf("tcp keepalive: %w", err)
		}
	case -1:
		if err := tc.SetKeepAlive(false); err != nil {
			return fmt.Errorf("tcp keepalive: %w", err)
		}
	}
	if o.TCPMaxRT > 0 {
		raw, err := tc.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := raw.Control(func(fd uintptr) { serr = setMaxRT(fd, o.TCPMaxRT) }); err != nil {
			return err
		}
		return serr
	}
	return nil
}
