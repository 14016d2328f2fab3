//go:build linux && amd64

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// maxSteps bounds a trace: a turnaround is a few thousand instructions.
// A thread that has not reached its kick by then has handed its datagram
// on (a send left to the queue's worker, which held the queue's lock when
// the marker stopped everything): that trace is dropped and the next
// marker tried, up to maxTries.
const (
	maxSteps = 100_000
	maxTries = 20
)

// trace runs args under ptrace with ZMQX_TRACE_AT=at, waits for a SIGTRAP
// that Received raises (every at-th single datagram), single-steps the
// thread that raised it until its instruction pointer enters end, and
// passes the addresses stepped through to taken, with the number of calls
// out of text (the program's code) it ran through unstepped. The command
// then runs on to its end, its later markers ignored. morestack and entry
// serve to leave the Go scheduler's preemptions out (see tracer).
func trace(args []string, at int, text, end, morestack [2]uint64, entry func(uint64) uint64, taken func(pcs []uint64, calls int) error) error {
	// Every ptrace request must come from the thread that attached.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// No preemption signals into the stepped thread's path.
	cmd.Env = append(os.Environ(), "ZMQX_TRACE_AT="+strconv.Itoa(at), "GODEBUG=asyncpreemptoff=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	// The stop at exec.
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return err
	}
	if !ws.Stopped() {
		return fmt.Errorf("%s did not start: %v", args[0], ws)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACECLONE); err != nil {
		cmd.Process.Kill()
		return err
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		cmd.Process.Kill()
		return err
	}
	t := &tracer{pid: pid, text: text, end: end, morestack: morestack, entry: entry, stepping: -1,
		live: map[int]bool{pid: true}, pending: map[int]bool{}, held: map[int]bool{}}
	for {
		tid, err := syscall.Wait4(-1, &ws, syscall.WALL, nil)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return err
		}
		wasTaken := t.taken
		done, err := t.event(tid, ws)
		if err == nil && t.taken && !wasTaken {
			err = taken(t.pcs, t.calls)
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return err
		}
		if done {
			switch {
			case t.taken:
				return nil
			case t.tries > 0:
				return fmt.Errorf("%s ended (%v); none of the %d turnarounds stepped reached the kick within %d instructions", args[0], ws, t.tries, maxSteps)
			}
			return fmt.Errorf("%s ended (%v) before its Received call %d: too few datagrams, or not built with -tags zmqxlegs", args[0], ws, at)
		}
	}
}

// tracer is the state of a trace: every thread of the command is traced
// (PTRACE_O_TRACECLONE). While one is stepped the others are held stopped,
// so that nothing but the path runs: the queue's worker, woken by a timer
// that the slow stepping let expire, would otherwise take the queue's lock
// and the datagram with it, and the Go scheduler would preempt the stepped
// goroutine.
type tracer struct {
	pid      int
	end      [2]uint64 // the trace ends when the stepped thread enters it
	stepping int       // the thread being single-stepped; -1 before and after
	taken    bool      // a trace reached the kick
	tries    int       // turnarounds stepped
	pcs      []uint64
	regs     syscall.PtraceRegs

	// Stepping takes milliseconds, so the Go scheduler preempts the
	// stepped goroutine at a function's stack check (runtime.morestack),
	// which is not the path's: from there until the goroutine is back at
	// the entry of that function (resume), nothing is recorded.
	morestack [2]uint64
	entry     func(pc uint64) uint64 // the entry of the function at pc
	resume    uint64
	skipped   int

	// Calls out of the program's code (text) run to their return at
	// full speed: a breakpoint at bp (bpOrig its bytes) stops them.
	text   [2]uint64
	bp     uint64
	bpOrig [8]byte
	calls  int

	live    map[int]bool // the command's threads
	pending map[int]bool // threads sent a SIGSTOP to hold them, not stopped yet
	held    map[int]bool // threads held stopped while one is stepped
}

// hold stops every thread but tid; stepping starts once they all have.
func (t *tracer) hold(tid int) error {
	for u := range t.live {
		if u != tid && !t.held[u] {
			if syscall.Tgkill(t.pid, u, syscall.SIGSTOP) == nil {
				t.pending[u] = true
			}
		}
	}
	if len(t.pending) == 0 {
		return t.step(tid, 0)
	}
	return nil
}

// release lets the held threads run again.
func (t *tracer) release() {
	for u := range t.held {
		syscall.RawSyscall6(syscall.SYS_PTRACE, syscall.PTRACE_CONT, uintptr(u), 0, 0, 0, 0)
	}
	clear(t.held)
}

// event handles a wait status of thread tid; done when the command ended.
func (t *tracer) event(tid int, ws syscall.WaitStatus) (done bool, err error) {
	if ws.Exited() || ws.Signaled() {
		delete(t.live, tid)
		delete(t.held, tid)
		if t.pending[tid] {
			delete(t.pending, tid)
			if len(t.pending) == 0 && t.stepping >= 0 {
				return false, t.step(t.stepping, 0)
			}
		}
		if tid == t.stepping {
			t.stepping = -1
			t.release()
		}
		return tid == t.pid, nil
	}
	if !ws.Stopped() {
		return false, nil
	}
	sig := ws.StopSignal()
	if tid == t.stepping {
		if sig == syscall.SIGTRAP {
			sig = 0 // the step's own trap
			if t.bp != 0 {
				return false, t.stepBack(tid)
			}
		}
		return false, t.step(tid, sig)
	}
	t.live[tid] = true
	switch {
	case sig == syscall.SIGTRAP && ws.TrapCause() == syscall.PTRACE_EVENT_CLONE:
		sig = 0 // a new thread
	case sig == syscall.SIGSTOP:
		// A new thread's first stop, or ours (hold): never passed on.
		sig = 0
		if t.stepping >= 0 {
			// Held until the stepping is done.
			t.held[tid] = true
			if t.pending[tid] {
				delete(t.pending, tid)
				if len(t.pending) == 0 {
					return false, t.step(t.stepping, 0)
				}
			}
			return false, nil
		}
	case sig == syscall.SIGTRAP && !t.taken && t.stepping < 0 && t.tries < maxTries:
		// A marker: count this thread's path to the kick, with every
		// other thread held.
		t.stepping, t.tries = tid, t.tries+1
		t.pcs, t.resume, t.skipped, t.calls = t.pcs[:0], 0, 0, 0
		return false, t.hold(tid)
	case sig == syscall.SIGTRAP:
		// A later marker, or a thread the stepped one started, which
		// inherited its trap flag: not passed on (it would end the
		// command).
		sig = 0
	}
	// Other signals (the Go runtime's) go through.
	syscall.RawSyscall6(syscall.SYS_PTRACE, syscall.PTRACE_CONT, uintptr(tid), 0, uintptr(sig), 0, 0)
	return false, nil
}

// stepOver lets the stepped thread, at the first instruction of a function
// outside the program's code, run to its return address (read off the
// stack), where a breakpoint stops it (stepBack).
func (t *tracer) stepOver(tid int, sig syscall.Signal) error {
	var w [8]byte
	if _, err := syscall.PtracePeekData(tid, uintptr(t.regs.Rsp), w[:]); err != nil {
		return err
	}
	ret := binary.LittleEndian.Uint64(w[:])
	if ret < t.text[0] || ret >= t.text[1] {
		return fmt.Errorf("a call out of the program's code at %#x does not return into it", t.regs.Rip)
	}
	if _, err := syscall.PtracePeekData(tid, uintptr(ret), t.bpOrig[:]); err != nil {
		return err
	}
	trap := t.bpOrig
	trap[0] = 0xcc // int3
	if _, err := syscall.PtracePokeData(tid, uintptr(ret), trap[:]); err != nil {
		return err
	}
	t.bp = ret
	t.calls++
	_, _, e := syscall.RawSyscall6(syscall.SYS_PTRACE, syscall.PTRACE_CONT, uintptr(tid), 0, uintptr(sig), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// stepBack takes the breakpoint stepOver set out again and goes on
// stepping from the return address.
func (t *tracer) stepBack(tid int) error {
	if _, err := syscall.PtracePokeData(tid, uintptr(t.bp), t.bpOrig[:]); err != nil {
		return err
	}
	if err := syscall.PtraceGetRegs(tid, &t.regs); err != nil {
		return err
	}
	if t.regs.Rip != t.bp+1 {
		return fmt.Errorf("stopped at %#x, not at the breakpoint at %#x", t.regs.Rip, t.bp)
	}
	t.regs.Rip = t.bp
	t.bp = 0
	if err := syscall.PtraceSetRegs(tid, &t.regs); err != nil {
		return err
	}
	return t.step(tid, 0)
}

// step records where the stepped thread is and steps it once more (with
// sig delivered), or lets it go once it has reached the end.
func (t *tracer) step(tid int, sig syscall.Signal) error {
	if err := syscall.PtraceGetRegs(tid, &t.regs); err != nil {
		return err
	}
	pc := t.regs.Rip
	if pc >= t.end[0] && pc < t.end[1] || len(t.pcs)+t.skipped >= maxSteps {
		// The kick, or a turnaround that did not get there: drop it.
		t.taken = pc >= t.end[0] && pc < t.end[1]
		t.stepping = -1
		syscall.RawSyscall6(syscall.SYS_PTRACE, syscall.PTRACE_CONT, uintptr(tid), 0, uintptr(sig), 0, 0)
		t.release()
		return nil
	}
	if (pc < t.text[0] || pc >= t.text[1]) && t.resume == 0 {
		// A call out of the program's code (the vDSO's clock): run it
		// at full speed to its return, and count it as one call.
		return t.stepOver(tid, sig)
	}
	switch {
	case t.resume != 0 && pc != t.resume:
		t.skipped++
	case pc >= t.morestack[0] && pc < t.morestack[1] && len(t.pcs) > 0:
		t.resume = t.entry(t.pcs[len(t.pcs)-1])
		t.skipped++
	default:
		t.resume = 0
		t.pcs = append(t.pcs, pc)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PTRACE, syscall.PTRACE_SINGLESTEP, uintptr(tid), 0, uintptr(sig), 0, 0); e != 0 {
		return e
	}
	return nil
}
