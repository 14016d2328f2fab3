package xdpping

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/xdp"
)

// End is a socket on queue 0 of an interface, with the steering program
// attached there for its port.
type End struct {
	Steer *bpf.Steering
	Umem  *xdp.Umem
	S     *xdp.Socket
	Hdr   udpframe.Header // the datagrams' addressing: this end → the peer
	rx    [1]xdp.Desc
	tx    [1]xdp.Desc
}

// Open attaches the steering program to ifc in the given mode for
// hdr.Src's port and binds a socket to queue 0 (512 frames: 256 for RX,
// 256 for TX).
func Open(ifc *net.Interface, mode bpf.AttachMode, hdr udpframe.Header) (*End, error) {
	e := &End{Hdr: hdr}
	var err error
	if e.Steer, err = bpf.Attach(ifc.Index, bpf.Options{Mode: mode}); err != nil {
		return nil, err
	}
	if e.Umem, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: 512}); err != nil {
		e.Close()
		return nil, err
	}
	if e.S, err = e.Umem.Open(ifc.Index, 0, xdp.SocketOptions{RxFrames: 256, TxFrames: 256}); err != nil {
		e.Close()
		return nil, err
	}
	if err := errors.Join(e.Steer.RegisterSocket(0, e.S.FD()), e.Steer.RegisterPort(hdr.Src.Port())); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Send transmits b as one datagram to the peer.
func (e *End) Send(b []byte) error {
	for e.S.NextTx(e.tx[:]) == 0 {
	}
	f, err := udpframe.Append(e.S.Frame(e.tx[0])[:0], &e.Hdr, b)
	if err != nil {
		return err
	}
	e.tx[0].Len = uint32(len(f))
	for {
		n, err := e.S.Transmit(e.tx[:])
		if err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
	}
}

// Recv spins until a datagram arrives and copies its payload into b; after
// two seconds without one it returns ErrNoReply.
func (e *End) Recv(b []byte) (int, error) {
	n, _, err := e.recv(b, nil)
	return n, err
}

// RecvClocked is Recv for a driver that reads the clock while it waits, as
// zmqx's spinning drivers do (engine/afxdp's queue.await), so that none is
// read between the datagram's arrival and the answer: clock is called every
// clockSpins checks of the ring, the first before the first check, and the
// last reading before the datagram was seen is returned with it.
func (e *End) RecvClocked(b []byte, clock func() int64) (n int, at int64, err error) {
	return e.recv(b, clock)
}

// clockSpins is how many checks of the ring RecvClocked makes between two
// clock readings (as the engine's await).
const clockSpins = 32

func (e *End) recv(b []byte, clock func() int64) (int, int64, error) {
	var deadline time.Time
	var at int64
	for spins := 0; ; spins++ {
		if clock != nil && spins%clockSpins == 0 {
			at = clock()
		}
		n, err := e.S.Receive(e.rx[:])
		if err != nil {
			return 0, at, err
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
				st, _ := e.S.Stats()
				return 0, at, fmt.Errorf("%w (socket stats %+v)", ErrNoReply, st)
			}
		}
	}
	_, payload, err := udpframe.Source(e.S.Frame(e.rx[0]))
	n := copy(b, payload)
	if rerr := e.S.Release(e.rx[:]); err == nil {
		err = rerr
	}
	return n, at, err
}

// Close detaches the steering program first, then closes the socket, then
// its memory.
func (e *End) Close() error {
	var errs []error
	if e.Steer != nil {
		errs = append(errs, e.Steer.Close())
	}
	if e.S != nil {
		errs = append(errs, e.S.Close())
	}
	if e.Umem != nil {
		errs = append(errs, e.Umem.Close())
	}
	return errors.Join(errs...)
}
