package stream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zmqx/zmqx/internal/rawio"
	"github.com/zmqx/zmqx/internal/ztest/epollset"
)

func pollerWatches(t *testing.T, fd int) bool {
	t.Helper()
	in, err := epollset.Watches(fd)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestUnpoll: a connection taken out of the poller is no longer in any
// epoll set, still carries the stream both ways, keeps its deadlines,
// and refuses every use once closed.
func TestUnpoll(t *testing.T) {
	local, peer := tcpPair(t)
	fd := rawFD(t, local)
	if !pollerWatches(t, fd) {
		t.Fatalf("descriptor %d of a fresh connection is in no epoll set: the check below proves nothing", fd)
	}
	nc, rc, nfd, err := unpoll(local, fd)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if pollerWatches(t, nfd) || pollerWatches(t, fd) {
		t.Fatalf("after unpoll, descriptor %d or %d is still in an epoll set", fd, nfd)
	}
	if _, err := local.Write([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the original connection after unpoll: write %v, want net.ErrClosed", err)
	}
	if nc.LocalAddr().String() != local.LocalAddr().String() || nc.RemoteAddr().String() != local.RemoteAddr().String() {
		t.Fatalf("addresses %v -> %v, want %v -> %v", nc.LocalAddr(), nc.RemoteAddr(), local.LocalAddr(), local.RemoteAddr())
	}

	// Both ways, blocking.
	out := bytes.Repeat([]byte("x"), 1<<20) // more than the socket takes at once
	werr := make(chan error, 1)
	go func() { _, err := nc.Write(out); werr <- err }()
	got := make([]byte, len(out))
	peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, out) {
		t.Fatalf("peer read: %v (equal %v)", err, bytes.Equal(got, out))
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	go peer.Write([]byte("pong"))
	b := make([]byte, 4)
	if _, err := io.ReadFull(nc, b); err != nil || string(b) != "pong" {
		t.Fatalf("read %q, %v", b, err)
	}

	// Raw access and waits.
	if err := rc.Write(func(fd uintptr) bool { return rawio.Writable(int(fd)) }); err != nil {
		t.Fatalf("RawConn.Write: %v", err)
	}
	var seen uintptr
	if err := rc.Control(func(fd uintptr) { seen = fd }); err != nil || int(seen) != nfd {
		t.Fatalf("Control gave %d (%v), want %d", seen, err, nfd)
	}

	// A read deadline that passes with nothing to read.
	nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := nc.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	nc.SetReadDeadline(time.Time{})

	// End of stream from the peer.
	peer.CloseWrite()
	if _, err := nc.Read(b); err != io.EOF {
		t.Fatalf("read after the peer's end: %v, want EOF", err)
	}

	if err := nc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Read(b); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
	if err := rc.Control(func(uintptr) { t.Error("Control ran after Close") }); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Control after Close: %v", err)
	}
	if err := nc.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}
