//go:build zmqxlegs

package legs

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// limit bounds the samples kept (16 MB of them).
const limit = 1 << 20

var (
	// traceAt is ZMQX_TRACE_AT: every traceAt-th Received of a single
	// datagram raises the marker bench/pathtrace waits for; 0: none.
	traceAt, received int

	word       *atomic.Int64 // the last kick, in shared memory
	lastDetect int64
	legs, own  []int64 // kick → detect, detect → kick
)

func init() {
	if k, err := strconv.Atoi(os.Getenv("ZMQX_TRACE_AT")); err == nil && k > 0 {
		traceAt = k
		// The main goroutine (the bench tools' invoker) keeps its thread,
		// the one the tracer steps, when the scheduler preempts it.
		runtime.LockOSThread()
	}
	name := os.Getenv("ZMQX_LEGS")
	if name == "" {
		return
	}
	path := filepath.Join("/dev/shm", "zmqx-legs-"+filepath.Base(name))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "legs:", err)
		return
	}
	defer f.Close()
	if err := f.Truncate(4096); err != nil {
		fmt.Fprintln(os.Stderr, "legs:", err)
		return
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		fmt.Fprintln(os.Stderr, "legs:", err)
		return
	}
	word = (*atomic.Int64)(unsafe.Pointer(&b[0]))
	legs = make([]int64, 0, 1<<16)
	own = make([]int64, 0, 1<<16)
	// A ping-pong server that is stopped (bench/xdp.sh stops the floor's)
	// reports on its way out.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		Report(os.Stderr, filepath.Base(os.Args[0])+" (stopped)")
		os.Exit(0)
	}()
}

// Kick is called just before a TX kick.
func Kick() {
	if word == nil {
		return
	}
	now := nanotime()
	if lastDetect != 0 && len(own) < limit {
		own = append(own, now-lastDetect)
	}
	lastDetect = 0
	word.Store(now)
}

// Received is called when Receive returns n datagrams (n > 0). Every
// traceAt-th call with one datagram (a ping-pong's) raises SIGTRAP in its
// own thread: the marker at which bench/pathtrace, the process's tracer,
// starts single-stepping that thread (without a tracer the signal ends the
// process, so ZMQX_TRACE_AT is for pathtrace alone).
func Received(n uint32) {
	if traceAt > 0 && n == 1 {
		if received++; received%traceAt == 0 {
			syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(syscall.Getpid()), uintptr(syscall.Gettid()), uintptr(syscall.SIGTRAP))
		}
	}
	if word == nil {
		return
	}
	now := nanotime()
	if k := word.Load(); k != 0 && k < now && len(legs) < limit {
		legs = append(legs, now-k)
	}
	lastDetect = now
}

// Report writes the legs measured, if any, to w.
func Report(w io.Writer, who string) {
	if word == nil || len(legs) == 0 && len(own) == 0 {
		return
	}
	fmt.Fprintf(w, "legs %s: kick->detect %s; detect->kick %s\n", who, quartiles(legs), quartiles(own))
}

func quartiles(a []int64) string {
	if len(a) == 0 {
		return "n 0"
	}
	s := slices.Clone(a)
	slices.Sort(s)
	return fmt.Sprintf("n %d p25 %d p50 %d p75 %d ns", len(s), s[len(s)/4], s[len(s)/2], s[3*len(s)/4])
}
