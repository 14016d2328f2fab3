package xdp_test

import (
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	asavie "github.com/asavie/xdp"
	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// BenchmarkPingPong measures a one-frame UDP ping-pong over the veth with
// this package at both ends and, in the same run, with asavie/xdp at both
// ends, steered by the same program: the comparison the floor in
// bench/RESULTS.md is held to. Client and server spin on threads pinned to
// CPUs 0 and 1. ns/op is the mean round trip; p50-ns and p99-ns too.
//
//	go test -run '^$' -bench PingPong -benchtime 100000x -count 3 ./xdp
//
// Do not set GODEBUG=asyncpreemptoff=1 here: both ends spin in this one
// process, and a garbage collection then waits for ever to stop them.
func BenchmarkPingPong(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs two CPUs: client and server spin on one each")
	}
	for _, mode := range []bpf.AttachMode{bpf.AttachGeneric, bpf.AttachNative} {
		for _, impl := range []string{"zmqx", "asavie"} {
			b.Run(mode.String()+"/"+impl, func(b *testing.B) { benchPingPong(b, mode, impl) })
		}
	}
}

// end is one side of the ping-pong: send a frame, spin until one arrives.
type end interface {
	send(f []byte)
	recv(stop *atomic.Bool) []byte // nil when stopped
	done()                         // the frame recv returned is no longer used
}

type ourEnd struct {
	s      *xdp.Socket
	rx, tx [1]xdp.Desc
}

func (e *ourEnd) send(f []byte) {
	for e.s.NextTx(e.tx[:]) == 0 {
	}
	e.tx[0].Len = uint32(copy(e.s.Frame(e.tx[0])[:len(f)], f))
	for {
		if n, err := e.s.Transmit(e.tx[:]); err != nil || n == 1 {
			return
		}
	}
}

func (e *ourEnd) recv(stop *atomic.Bool) []byte {
	for {
		if n, _ := e.s.Receive(e.rx[:]); n == 1 {
			return e.s.Frame(e.rx[0])
		}
		if stop.Load() {
			return nil
		}
	}
}

func (e *ourEnd) done() { e.s.Release(e.rx[:]) }

type asavieEnd struct {
	s  *asavie.Socket
	rx []asavie.Desc
}

func (e *asavieEnd) send(f []byte) {
	if n := e.s.NumCompleted(); n > 0 {
		e.s.Complete(n)
	}
	d := e.s.GetDescs(1)
	d[0].Len = uint32(copy(e.s.GetFrame(d[0]), f))
	e.s.Transmit(d)
}

func (e *asavieEnd) recv(stop *atomic.Bool) []byte {
	for {
		if e.s.NumReceived() > 0 {
			e.rx = e.s.Receive(1)
			return e.s.GetFrame(e.rx[0])
		}
		if stop.Load() {
			return nil
		}
	}
}

func (e *asavieEnd) done() {
	// asavie shares one frame list between FILL and TX: keep FILL at half.
	if free := e.s.NumFreeFillSlots(); free > 32 {
		e.s.Fill(e.s.GetDescs(free - 32))
	}
}

func benchPingPong(b *testing.B, mode bpf.AttachMode, impl string) {
	p := vethtest.New(b, 1)
	p.Neigh(b)
	var ends [2]end
	for i, side := range []*vethtest.Side{&p.A, &p.B} {
		err := netns.Do(side.NS, func() error {
			st, err := bpf.Attach(side.Index, bpf.Options{Mode: mode})
			if err != nil {
				return err
			}
			b.Cleanup(func() { st.Close() })
			if err := st.RegisterPort(testPort); err != nil {
				return err
			}
			var fd int
			if impl == "zmqx" {
				u, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 256})
				if err != nil {
					return err
				}
				s, err := u.Open(side.Index, 0, xdp.SocketOptions{RxFrames: 128, TxFrames: 128})
				if err != nil {
					u.Close()
					return err
				}
				b.Cleanup(func() { s.Close(); u.Close() })
				ends[i], fd = &ourEnd{s: s}, s.FD()
			} else {
				s, err := asavie.NewSocket(side.Index, 0, nil)
				if err != nil {
					return err
				}
				b.Cleanup(func() { s.Close() })
				s.Fill(s.GetDescs(asavie.DefaultSocketOptions.NumFrames / 2))
				ends[i], fd = &asavieEnd{s: s}, s.FD()
			}
			return st.RegisterSocket(0, fd)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ha := header(&p.A, &p.B, testPort, testPort)
	hb := header(&p.B, &p.A, testPort, testPort)
	ping, _ := udpframe.Append(nil, &ha, make([]byte, 64))
	pong, _ := udpframe.Append(nil, &hb, make([]byte, 64))

	var stop atomic.Bool
	served := make(chan struct{})
	go func() {
		defer close(served)
		defer pin(1)()
		for {
			f := ends[1].recv(&stop)
			if f == nil {
				return
			}
			ends[1].done()
			ends[1].send(pong)
		}
	}()
	unpin := pin(0)
	rtts := make([]time.Duration, 0, b.N)
	for range 1000 { // warm up
		ends[0].send(ping)
		ends[0].recv(&stop)
		ends[0].done()
	}
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		ends[0].send(ping)
		ends[0].recv(&stop)
		rtts = append(rtts, time.Since(t0))
		ends[0].done()
	}
	b.StopTimer()
	unpin()
	stop.Store(true)
	<-served
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Nanoseconds()), "p99-ns")
}

// pin locks the goroutine to its thread and the thread to cpu; the
// returned function undoes both.
func pin(cpu int) func() {
	runtime.LockOSThread()
	var old, set unix.CPUSet
	unix.SchedGetaffinity(0, &old)
	set.Set(cpu)
	unix.SchedSetaffinity(0, &set)
	return func() {
		unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}
}
