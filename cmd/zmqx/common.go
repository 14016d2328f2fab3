package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/zmqx/zmqx"
)

// cli is one invocation: its standard streams and what stops it early.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// interrupt is done when the user asks the run to stop (Ctrl-C).
	interrupt context.Context
}

// note tells the user something that is not an error, on standard error.
func (c *cli) note(format string, args ...any) {
	fmt.Fprintf(c.stderr, "zmqx: "+format+"\n", args...)
}

// usageError is a command line zmqx cannot make sense of (exit status 2).
type usageError struct {
	cmd string // the subcommand whose help applies, or ""
	err error
}

func (e *usageError) Error() string {
	hint := "zmqx -h"
	if e.cmd != "" {
		hint = "zmqx " + e.cmd + " -h"
	}
	return fmt.Sprintf("%v (%s for help)", e.err, hint)
}

func (e *usageError) Unwrap() error { return e.err }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// errHelped means help was asked for and printed: the run succeeds.
var errHelped = errors.New("help printed")

// newFlagSet makes a flag set that reports nothing itself: run prints
// errors once, and help goes to standard output.
func newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet("zmqx "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs; on -h or --help it prints the help for
// cmd and returns errHelped.
func (c *cli) parseFlags(fs *flag.FlagSet, cmd string, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(cmd, fs)
		return errHelped
	}
	if err != nil {
		return &usageError{cmd: cmd, err: err}
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// sockFlags are the flags of send and recv that make the socket.
type sockFlags struct {
	typ       string
	binds     multiFlag
	connects  multiFlag
	subs      multiFlag
	routingID string
	format    string
	timeout   time.Duration
	curve     curveFlags
}

func (f *sockFlags) register(fs *flag.FlagSet, defType string) {
	fs.StringVar(&f.typ, "type", defType, "socket `type`: PAIR PUB SUB XPUB XSUB REQ REP DEALER ROUTER PUSH PULL STREAM")
	fs.Var(&f.binds, "bind", "`endpoint` to bind, e.g. tcp://*:5555 or ipc:///tmp/sock (repeatable)")
	fs.Var(&f.connects, "connect", "`endpoint` to connect to, e.g. tcp://127.0.0.1:5555 (repeatable)")
	fs.Var(&f.subs, "subscribe", "topic `prefix` for SUB or XSUB (repeatable; default: everything)")
	fs.StringVar(&f.routingID, "routing-id", "", "this socket's routing `id`, as a ROUTER peer sees it")
	fs.StringVar(&f.format, "format", "text", "message `format` on standard input and output and of FRAMEs: text, hex or json")
	fs.DurationVar(&f.timeout, "timeout", 0, "bound the whole run, lingering included, to this `duration` (0: no bound)")
	f.curve.register(fs)
}

// check validates what does not need a socket; cmd names the subcommand.
func (f *sockFlags) check(cmd string) (zmqx.SocketType, format, error) {
	if len(f.binds)+len(f.connects) == 0 {
		return 0, "", usagef(cmd, "need at least one --bind or --connect")
	}
	if f.timeout < 0 {
		return 0, "", usagef(cmd, "--timeout must not be negative")
	}
	fm, err := parseFormat(f.format)
	if err != nil {
		return 0, "", &usageError{cmd: cmd, err: err}
	}
	typ, err := zmqx.ParseSocketType(strings.ToUpper(f.typ))
	if err != nil {
		return 0, "", &usageError{cmd: cmd, err: err}
	}
	if len(f.subs) > 0 && typ != zmqx.SUB && typ != zmqx.XSUB {
		return 0, "", usagef(cmd, "--subscribe needs --type SUB or XSUB")
	}
	if err := f.curve.apply(cmd, &zmqx.SocketOptions{}); err != nil {
		return 0, "", err
	}
	return typ, fm, nil
}

// options returns o with the security options of the flags (checked by
// check) added.
func (f *sockFlags) options(o zmqx.SocketOptions) zmqx.SocketOptions {
	f.curve.apply("", &o)
	return o
}

// setup subscribes, binds and connects s as the flags say. A SUB, or an
// XSUB that receives, subscribes to everything unless told otherwise; an
// XSUB that sends (subscriptions, as messages, among others) to nothing.
func (f *sockFlags) setup(s *zmqx.Socket, receiving bool) error {
	if t := s.Type(); t == zmqx.SUB || t == zmqx.XSUB {
		subs := f.subs
		if len(subs) == 0 && (t == zmqx.SUB || receiving) {
			subs = multiFlag{""}
		}
		for _, t := range subs {
			if err := s.Subscribe(t); err != nil {
				return err
			}
		}
	}
	for _, ep := range f.binds {
		if err := s.Bind(ep); err != nil {
			return naming("bind", ep, err)
		}
	}
	for _, ep := range f.connects {
		if err := s.Connect(ep); err != nil {
			return naming("connect", ep, err)
		}
	}
	return nil
}

// naming makes sure an endpoint's error names the endpoint (the library's
// errors do for some transports only).
func naming(op, ep string, err error) error {
	if strings.Contains(err.Error(), ep) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, ep, err)
}

// deadline is the run's context: done on interrupt or when the timeout
// runs out, whichever comes first.
type deadline struct {
	context.Context
	interrupt context.Context
	timeout   time.Duration
}

func (c *cli) deadline(timeout time.Duration) (deadline, context.CancelFunc) {
	var ctx context.Context
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(c.interrupt, timeout)
	} else {
		ctx, cancel = context.WithCancel(c.interrupt)
	}
	return deadline{Context: ctx, interrupt: c.interrupt, timeout: timeout}, cancel
}

func (d deadline) interrupted() bool { return d.interrupt.Err() != nil }

// ended says why d is done, to end a sentence: "no reply came " + ended().
func (d deadline) ended() string {
	if d.interrupted() {
		return "before the interrupt"
	}
	return fmt.Sprintf("within the --timeout of %v", d.timeout)
}

// why says why d is done, as a clause: "interrupted".
func (d deadline) why() string {
	if d.interrupted() {
		return "interrupted"
	}
	return fmt.Sprintf("the --timeout of %v ran out", d.timeout)
}

// stopped reports whether err is d ending (interrupt or timeout) rather
// than a failure of its own.
func (d deadline) stopped(err error) bool { return d.Err() != nil && isContextErr(err) }

// isContextErr reports whether err is how a Send or Recv given a context
// reports that context's end: its error when it ended during the call,
// ErrWouldBlock when it had ended before.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, zmqx.ErrWouldBlock)
}

// linger is how long a socket that sends may wait at close for its queued
// messages to leave: what the timeout allows (the wait is cut at the
// deadline anyway), or a few seconds without one.
func linger(timeout time.Duration) time.Duration {
	if timeout > 0 {
		return timeout
	}
	return 5 * time.Second
}

// lingering counts runtimes still closing after a run has returned
// because its deadline came first; tests wait for them before looking for
// leaked goroutines. The command itself just exits.
var lingering sync.WaitGroup

// closeWithin closes rt (each socket lingers for its queued output) and
// waits until it is closed or ctx is done; it reports whether the close
// finished. Socket options fix the linger when the socket is made, so
// this wait is what keeps --timeout a bound on the whole run.
func closeWithin(ctx context.Context, closeFn func() error) bool {
	done := make(chan struct{})
	lingering.Add(1)
	go func() {
		defer lingering.Done()
		defer close(done)
		closeFn()
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}
