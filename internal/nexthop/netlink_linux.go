package nexthop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// recvBufLen bounds every read: rtnetlink answers to the requests made
	// here (one route, one link, one neighbour) are a few KB at most; a
	// larger one is reported as an error, never grown into.
	recvBufLen = 32 << 10
	// maxReads bounds how many datagrams one request reads while looking
	// for its answer.
	maxReads = 64
	// replyTimeout bounds the wait for the kernel's answer to a request,
	// which it normally queues before sendto returns.
	replyTimeout = 2 * time.Second
)

// conn is a request socket: one request at a time, answered by the kernel.
type conn struct {
	fd  int
	pid uint32
	seq uint32
	buf []byte
}

func dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("socket", err))
	}
	// Extended acks carry the kernel's reason in words; best effort.
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	tv := unix.NsecToTimeval(int64(replyTimeout))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("setsockopt", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("bind", err))
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("getsockname", err))
	}
	c := &conn{fd: fd, seq: uint32(time.Now().UnixNano()), buf: make([]byte, recvBufLen)}
	if nl, ok := sa.(*unix.SockaddrNetlink); ok {
		c.pid = nl.Pid
	}
	return c, nil
}

func (c *conn) close() { unix.Close(c.fd) }

// kernelError is a request the kernel refused.
type kernelError struct {
	errno unix.Errno
	text  string // the extended ack, when sent
}

func (e *kernelError) Error() string {
	if e.text != "" {
		return e.errno.Error() + " (" + e.text + ")"
	}
	return e.errno.Error()
}

func (e *kernelError) Unwrap() error { return e.errno }

// do sends one request and returns the kernel's answer: the first message
// of the request's sequence, or the zero message for a bare
// acknowledgement. The answer's body aliases c's buffer until the next do.
func (c *conn) do(typ, flags uint16, body []byte) (message, error) {
	c.seq++
	req := appendMessage(nil, typ, flags|nlmFRequest, c.seq, body)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return message{}, os.NewSyscallError("sendto", err)
	}
	for range maxReads {
		n, from, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return message{}, errors.New("no answer from the kernel")
		}
		if err != nil {
			return message{}, os.NewSyscallError("recvfrom", err)
		}
		if n > len(c.buf) {
			return message{}, fmt.Errorf("a %d-byte answer exceeds the %d-byte buffer", n, len(c.buf))
		}
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue // not from the kernel
		}
		msgs, err := splitMessages(c.buf[:n])
		if err != nil {
			return message{}, err
		}
		for _, m := range msgs {
			if m.seq != c.seq || (m.pid != 0 && m.pid != c.pid) {
				continue // an answer to an earlier request
			}
			switch m.typ {
			case nlmsgError:
				errno, text, err := parseError(m)
				if err != nil {
					return message{}, err
				}
				if errno == 0 {
					return message{}, nil
				}
				return message{}, &kernelError{errno: unix.Errno(errno), text: text}
			case nlmsgDone:
				return message{}, nil
			}
			return m, nil
		}
	}
	return message{}, fmt.Errorf("no answer in %d datagrams", maxReads)
}

// link asks for interface ifindex.
func (c *conn) link(ifindex int) (linkMsg, error) {
	m, err := c.do(rtmGetLink, 0, linkRequest(ifindex))
	if err != nil {
		return linkMsg{}, fmt.Errorf("nexthop: interface %d: %w", ifindex, err)
	}
	if m.typ != rtmNewLink {
		return linkMsg{}, fmt.Errorf("nexthop: interface %d: answer of type %d", ifindex, m.typ)
	}
	l, err := parseLink(m.body)
	if err != nil {
		return l, fmt.Errorf("nexthop: interface %d: %w", ifindex, err)
	}
	l.addr = append([]byte(nil), l.addr...) // out of c's buffer
	return l, nil
}

// neigh asks for the neighbour entry of ip on ifindex; found is false when
// there is none.
func (c *conn) neigh(ifindex int, ip string, req []byte) (n neighMsg, found bool, err error) {
	m, err := c.do(rtmGetNeigh, 0, req)
	if errors.Is(err, unix.ENOENT) {
		return n, false, nil
	}
	if err != nil {
		return n, false, fmt.Errorf("nexthop: neighbour %s on interface %d: %w", ip, ifindex, err)
	}
	if m.typ != rtmNewNeigh {
		return n, false, fmt.Errorf("nexthop: neighbour %s on interface %d: answer of type %d", ip, ifindex, m.typ)
	}
	n, err = parseNeigh(m.body)
	if err != nil {
		return n, false, fmt.Errorf("nexthop: neighbour %s on interface %d: %w", ip, ifindex, err)
	}
	n.lladdr = append([]byte(nil), n.lladdr...)
	return n, true, nil
}

// watcher receives the neighbour table's change notifications
// (RTNLGRP_NEIGH) through the runtime's poller, so a wait ends with its
// context.
type watcher struct {
	f   *os.File
	buf []byte
}

func watch() (*watcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("socket", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_NEIGH}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nexthop: %w", os.NewSyscallError("bind", err))
	}
	f := os.NewFile(uintptr(fd), "rtnetlink-neigh")
	// A wait must be able to end with its context: that needs the poller.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("nexthop: netlink socket not pollable: %w", err)
	}
	return &watcher{f: f, buf: make([]byte, recvBufLen)}, nil
}

func (w *watcher) close() { w.f.Close() }

// next returns the messages of the next notification datagram. A datagram
// larger than the buffer arrives cut and fails to split: the caller then
// reads the table again, as after ENOBUFS (notifications were lost).
func (w *watcher) next(ctx context.Context) ([]message, error) {
	n, err := w.f.Read(w.buf)
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return splitMessages(w.buf[:n])
}

// until makes reads on w end when ctx does; call the returned function
// when done waiting.
func (w *watcher) until(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { w.f.SetReadDeadline(time.Unix(1, 0)) })
}
