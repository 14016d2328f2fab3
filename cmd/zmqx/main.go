package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	interrupt, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first Ctrl-C the run winds down; a second one kills it.
	context.AfterFunc(interrupt, stop)
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, interrupt: interrupt}
	err := c.run(os.Args[1:])
	stop()
	os.Exit(c.exit(err))
}

// exit prints err, if any, once and returns the exit status: 0 for
// success, 2 for a command line zmqx cannot use, 1 for the rest.
func (c *cli) exit(err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(c.stderr, "zmqx:", tidy(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// tidy drops the "zmqx: " with which the library starts its errors, so
// that a message says it once, at the front, where exit puts it.
func tidy(msg string) string {
	msg = strings.TrimPrefix(msg, "zmqx: ")
	return strings.ReplaceAll(msg, ": zmqx: ", ": ")
}

// run is zmqx with stdin and stdout and no way to interrupt it: what the
// tests of doctor use.
func run(args []string, stdin io.Reader, stdout io.Writer) error {
	c := &cli{stdin: stdin, stdout: stdout, stderr: io.Discard, interrupt: context.Background()}
	return c.run(args)
}

func (c *cli) run(args []string) error {
	err := c.dispatch(args)
	if errors.Is(err, errHelped) {
		return nil
	}
	return err
}

func (c *cli) dispatch(args []string) error {
	if len(args) == 0 {
		return usagef("", "say what to do: send, recv, proxy, keygen or doctor")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help":
		c.help("", nil)
		return nil
	case "help":
		if len(rest) == 0 {
			c.help("", nil)
			return nil
		}
		if _, ok := commands[rest[0]]; !ok {
			return usagef("", "no help for unknown command %q", rest[0])
		}
		return c.dispatch([]string{rest[0], "-h"})
	case "send":
		return c.send(rest)
	case "recv":
		return c.recv(rest)
	case "proxy":
		return c.proxy(rest)
	case "keygen":
		return c.keygen(rest)
	case "doctor":
		if len(rest) > 0 && isHelp(rest[0]) {
			c.help("doctor", nil)
			return nil
		}
		err := doctor(rest, c.stdout)
		if errors.Is(err, errDoctorUsage) {
			return &usageError{cmd: "doctor", err: err}
		}
		return err
	}
	if strings.HasPrefix(cmd, "-") {
		return usagef("", "flags come after the command: zmqx COMMAND %s ...", cmd)
	}
	return usagef("", "unknown command %q: want send, recv, proxy, keygen or doctor", cmd)
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "-?":
		return true
	}
	return false
}
