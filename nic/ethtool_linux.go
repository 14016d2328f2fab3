package nic

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ifreqData is struct ifreq carrying a pointer in its union.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ethtool issues one SIOCETHTOOL request on iface (in the calling thread's
// network namespace); p points at a struct starting with the cmd word.
func ethtool(iface string, p unsafe.Pointer) error {
	if len(iface) >= unix.IFNAMSIZ {
		return fmt.Errorf("nic: interface name %q too long", iface)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	var ifr ifreqData
	copy(ifr.name[:], iface)
	ifr.data = p
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	if e != 0 {
		err := os.NewSyscallError("ioctl(SIOCETHTOOL)", e)
		if e == unix.EOPNOTSUPP {
			return fmt.Errorf("%w: %w", ErrNotSupported, err)
		}
		return err
	}
	return nil
}

// EthtoolCoalesce is the CoalesceIoctl of the running kernel.
func EthtoolCoalesce(iface string, set bool, c *Coalesce) error {
	req := struct {
		cmd uint32
		c   Coalesce
	}{cmd: unix.ETHTOOL_GCOALESCE, c: *c}
	if set {
		req.cmd = unix.ETHTOOL_SCOALESCE
	}
	if err := ethtool(iface, unsafe.Pointer(&req)); err != nil {
		return err
	}
	*c = req.c
	return nil
}

// Driver reports iface's driver.
func Driver(iface string) (DriverInfo, error) {
	v := unix.EthtoolDrvinfo{Cmd: unix.ETHTOOL_GDRVINFO}
	if err := ethtool(iface, unsafe.Pointer(&v)); err != nil {
		return DriverInfo{}, err
	}
	s := func(b []byte) string { return unix.ByteSliceToString(b) }
	return DriverInfo{s(v.Driver[:]), s(v.Version[:]), s(v.Fw_version[:]), s(v.Bus_info[:])}, nil
}

// QueueCounts reports iface's channels.
func QueueCounts(iface string) (Channels, error) {
	req := struct {
		cmd uint32
		c   Channels
	}{cmd: unix.ETHTOOL_GCHANNELS}
	if err := ethtool(iface, unsafe.Pointer(&req)); err != nil {
		return Channels{}, err
	}
	return req.c, nil
}
