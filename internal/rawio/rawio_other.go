//go:build !unix

package rawio

import (
	"syscall"
	"time"
)

// Supported reports whether this OS has the raw paths.
const Supported = false

// EAGAIN is the errno of a non-blocking call that would block.
const EAGAIN = syscall.EAGAIN

// Read is not available here.
func Read(fd int, p []byte) (int, syscall.Errno) { return -1, syscall.EWINDOWS }

// Vec is a reusable vector of buffers for Writev.
type Vec struct{}

// Writev is not available here.
func (v *Vec) Writev(fd int, bufs [][]byte, blocking bool) (int, syscall.Errno) {
	return -1, syscall.EWINDOWS
}

// Writable reports true: the raw paths do not exist here.
func Writable(fd int) bool { return true }

// AwaitWritable reports true: the raw paths do not exist here.
func AwaitWritable(fd int, d time.Duration) bool { return true }
