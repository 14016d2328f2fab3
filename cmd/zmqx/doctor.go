package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// zmqx doctor IFACE: can an xdp:// endpoint work on IFACE, and what would
// zmqx do there? Every fact is found by asking the kernel or trying the
// feature (attaching a pass-everything XDP program for a moment, binding an
// AF_XDP socket to queue 0), never guessed from versions. Prints one fact
// per line, then a verdict; exits non-zero with the reasons when xdp://
// cannot work.

var errDoctorUsage = errors.New("usage: zmqx doctor IFACE")

// finding is one line of the report; a non-empty problem makes xdp://
// unusable on the interface.
type finding struct {
	key, value string
	problem    string
}

type report struct {
	iface    string
	findings []finding
	plan     []string
}

func (r *report) add(key, format string, args ...any) {
	r.findings = append(r.findings, finding{key: key, value: fmt.Sprintf(format, args...)})
}

func (r *report) fail(key, problem, format string, args ...any) {
	r.findings = append(r.findings, finding{key: key, value: fmt.Sprintf(format, args...), problem: problem})
}

func (r *report) problems() []string {
	var p []string
	for _, f := range r.findings {
		if f.problem != "" {
			p = append(p, f.problem)
		}
	}
	return p
}

func doctor(args []string, stdout io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errDoctorUsage
	}
	r := &report{iface: args[0]}
	examine(r)
	for _, f := range r.findings {
		fmt.Fprintf(stdout, "%s: %s\n", f.key, f.value)
	}
	if p := r.problems(); len(p) > 0 {
		fmt.Fprintf(stdout, "verdict: xdp:// cannot work on %s: %s; zmqx would fall back to tcp://\n", r.iface, strings.Join(p, "; "))
		return fmt.Errorf("doctor: xdp:// cannot work on %s: %s", r.iface, strings.Join(p, "; "))
	}
	for _, p := range r.plan {
		fmt.Fprintf(stdout, "plan: %s\n", p)
	}
	fmt.Fprintf(stdout, "verdict: xdp:// can work on %s\n", r.iface)
	return nil
}
