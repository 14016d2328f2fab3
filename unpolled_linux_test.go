package zmqx_test

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
	"github.com/zmqx/zmqx/internal/ztest/epollset"
)

// connFDs returns this process's descriptors of the established TCP
// connections to or from port.
func connFDs(t *testing.T, port int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		peer, err := unix.Getpeername(fd)
		if err != nil {
			continue // not a connected socket (or gone)
		}
		local, err := unix.Getsockname(fd)
		if err != nil {
			continue
		}
		p4, ok1 := peer.(*unix.SockaddrInet4)
		l4, ok2 := local.(*unix.SockaddrInet4)
		if ok1 && ok2 && (p4.Port == port || l4.Port == port) {
			fds = append(fds, fd)
		}
	}
	return fds
}

// TestDrivenConnectionsLeaveThePoller: a connection that workers or
// invokers drive is taken out of Go's poller (nobody waits there for it,
// and being watched costs every arriving segment an epoll wake-up), while
// one that blocking goroutines serve stays in it.
func TestDrivenConnectionsLeaveThePoller(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := zmqx.NewRuntime(m.cfg)
			defer rt.Close()
			rep := mustSocket(t, rt, zmqx.REP)
			if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			req := mustSocket(t, rt, zmqx.REQ)
			if err := req.Connect(rep.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				msg, err := rep.Recv(ctx)
				if err == nil {
					err = rep.Send(ctx, msg...)
				}
				done <- err
			}()
			if err := req.Send(ctx, []byte("ping")); err != nil {
				t.Fatal(err)
			}
			if _, err := req.Recv(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			// Both ends have exchanged a message through their engines,
			// so both are past the handshake and driven as they will be.
			port, err := strconv.Atoi(rep.LastEndpoint()[len("tcp://127.0.0.1:"):])
			if err != nil {
				t.Fatal(err)
			}
			fds := connFDs(t, port)
			if len(fds) != 2 {
				t.Fatalf("found %d descriptors of the connection (%v), want its 2 ends", len(fds), fds)
			}
			driven := m.cfg.Idle != zmqx.IdleBlock
			for _, fd := range fds {
				in, err := epollset.Watches(fd)
				if err != nil {
					t.Fatal(err)
				}
				if in == driven {
					t.Errorf("descriptor %d: in the poller %v, want %v", fd, in, !driven)
				}
			}
		})
	}
}
