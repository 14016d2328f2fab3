package tcp

import (
	"os"
	"syscall"
	"time"

	"github.com/zmqx/zmqx/core"
)

const platformOptions = true

// tcpUserTimeout is TCP_USER_TIMEOUT (linux/tcp.h), which package syscall
// does not name.
const tcpUserTimeout = 18

func setPreConnect(fd uintptr, o *core.Options) error {
	s := int(fd)
	if o.BindToDevice != "" {
		if err := syscall.SetsockoptString(s, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, o.BindToDevice); err != nil {
			return os.NewSyscallError("setsockopt SO_BINDTODEVICE", err)
		}
	}
	if o.SendBuffer > 0 {
		if err := syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_SNDBUF, o.SendBuffer); err != nil {
			return os.NewSyscallError("setsockopt SO_SNDBUF", err)
		}
	}
	if o.RecvBuffer > 0 {
		if err := syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.RecvBuffer); err != nil {
			return os.NewSyscallError("setsockopt SO_RCVBUF", err)
		}
	}
	if o.TOS > 0 {
		// IPv4 and IPv6 sockets: set both, where they apply.
		err4 := syscall.SetsockoptInt(s, syscall.IPPROTO_IP, syscall.IP_TOS, o.TOS)
		err6 := syscall.SetsockoptInt(s, syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, o.TOS)
		if err4 != nil && err6 != nil {
			return os.NewSyscallError("setsockopt IP_TOS", err4)
		}
	}
	return nil
}

func setMaxRT(fd uintptr, d time.Duration) error {
	if err := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d/time.Millisecond)); err != nil {
		return os.NewSyscallError("setsockopt TCP_USER_TIMEOUT", err)
	}
	return nil
}
