// Command pathtrace counts the instructions, and the distinct 64-byte lines
// of code they come from, that one process runs between taking a datagram
// off its AF_XDP RX ring and its next TX kick: the turnaround that
// bench/xdp.sh's LEGS=1 times, counted instead of timed. A count has no
// noise, so a change to the path shows at once, where the ping-pong's
// p50 needs tens of interleaved rounds (bench/xdp_ab.sh).
//
//	pathtrace [-at K] [-top N] [-lines N] [-o FILE] -- COMMAND [ARGS...]
//
// COMMAND must be built with the zmqxlegs tag (package internal/legs),
// whose K-th Received (ZMQX_TRACE_AT, which pathtrace sets) raises a
// SIGTRAP in its own thread. pathtrace runs COMMAND under ptrace, waits for
// that signal, single-steps the thread until it enters internal/legs.Kick
// (called just before the kick) and lets COMMAND run on. It prints the
// totals by package and the functions (and with -lines the source lines)
// that ran most, and with -o writes the instruction addresses, one a line.
// Single-stepping takes a few milliseconds for a turnaround, so the peer
// sees this one answer late (its channel may retransmit); what is counted
// is the path itself, which no clock read changes.
//
// bench/pathtrace.sh runs it on either end of a REQ/REP ping-pong over
// xdp://. Linux on amd64 only; needs the right to trace (root).
package main

import (
	"debug/elf"
	"debug/gosym"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	at := flag.Int("at", 50000, "the datagram batch (counting from 1) whose turnaround is traced")
	top := flag.Int("top", 30, "functions listed")
	lines := flag.Int("lines", 0, "source lines listed")
	out := flag.String("o", "", "write the instruction addresses here")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pathtrace [-at K] [-top N] [-lines N] [-o FILE] -- COMMAND [ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *at < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *at, *top, *lines, *out); err != nil {
		fmt.Fprintln(os.Stderr, "pathtrace:", err)
		os.Exit(1)
	}
}

func run(args []string, at, top, nlines int, out string) error {
	sym, err := openSymbols(args[0])
	if err != nil {
		return err
	}
	kick, ok := sym.funcRange("github.com/zmqx/zmqx/internal/legs.Kick")
	if !ok {
		return fmt.Errorf("%s has no internal/legs.Kick: build it with -tags zmqxlegs", args[0])
	}
	// runtime.morestack_noctxt jumps to runtime.morestack, which the
	// linker places right before it.
	more, ok := sym.funcRange("runtime.morestack")
	noctxt, ok2 := sym.funcRange("runtime.morestack_noctxt")
	if !ok || !ok2 || noctxt[0] != more[1] {
		return fmt.Errorf("%s: runtime.morestack and morestack_noctxt not found together", args[0])
	}
	more[1] = noctxt[1]
	// Reported as soon as it is taken: a ping-pong's server may be
	// stopped rather than end.
	return trace(args, at, sym.text, kick, more, sym.entry, func(pcs []uint64, calls int) error {
		if out != "" {
			var b strings.Builder
			for _, pc := range pcs {
				fmt.Fprintf(&b, "%x\n", pc)
			}
			if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
		report(os.Stdout, sym, pcs, calls, top, nlines)
		return nil
	})
}

// symbols maps addresses to functions and source lines (the Go line table).
type symbols struct {
	tab  *gosym.Table
	text [2]uint64 // the program's code
	root string    // the module's directory where the program was built
}

func openSymbols(path string) (*symbols, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil, errors.New(path + ": no Go line table")
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, err
	}
	s := &symbols{tab: tab, text: [2]uint64{text.Addr, text.Addr + text.Size}}
	if f := tab.LookupFunc("github.com/zmqx/zmqx/internal/legs.Kick"); f != nil {
		file, _, _ := tab.PCToLine(f.Entry)
		if dir, ok := strings.CutSuffix(file, "internal/legs/on.go"); ok {
			s.root = dir
		}
	}
	return s, nil
}

// funcRange is the address range [lo, hi) of the function called name.
func (s *symbols) funcRange(name string) ([2]uint64, bool) {
	f := s.tab.LookupFunc(name)
	if f == nil {
		return [2]uint64{}, false
	}
	return [2]uint64{f.Entry, f.End}, true
}

// entry is the entry address of the function pc is in (0: none).
func (s *symbols) entry(pc uint64) uint64 {
	if f := s.tab.PCToFunc(pc); f != nil {
		return f.Entry
	}
	return 0
}

// where names the function pc is in, its package, and its source line.
func (s *symbols) where(pc uint64) (fn, pkg, line string) {
	file, ln, f := s.tab.PCToLine(pc)
	if f == nil {
		return "?", "?", "?"
	}
	return f.Name, f.PackageName(), fmt.Sprintf("%s:%d", s.shortFile(file), ln)
}

// shortFile drops the module's or GOROOT's directory from a file name.
func (s *symbols) shortFile(f string) string {
	if s.root != "" {
		if rest, ok := strings.CutPrefix(f, s.root); ok {
			return rest
		}
	}
	if i := strings.LastIndex(f, "/src/"); i >= 0 {
		return f[i+len("/src/"):]
	}
	return f
}

// scheduler reports whether fn is the Go scheduler's. With the other
// threads held (see tracer) the path should have none: any is left for the
// reader to judge.
func scheduler(fn, pkg string) bool {
	if pkg != "runtime" {
		return false
	}
	for _, keep := range []string{"runtime.mem", "runtime.chan", "runtime.selectnb", "runtime.bulkBarrier", "runtime.gcWriteBarrier", "runtime.wbBuf"} {
		if strings.HasPrefix(fn, keep) {
			return false
		}
	}
	return true
}

// group is a count of instructions and of the distinct code lines they came
// from.
type group struct {
	name  string
	instr int
	lines map[uint64]bool
}

func tally(m map[string]*group, key string, pc uint64) {
	g := m[key]
	if g == nil {
		g = &group{name: key, lines: map[uint64]bool{}}
		m[key] = g
	}
	g.instr++
	g.lines[pc>>6] = true
}

func sorted(m map[string]*group) []*group {
	gs := make([]*group, 0, len(m))
	for _, g := range m {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].instr != gs[j].instr {
			return gs[i].instr > gs[j].instr
		}
		return gs[i].name < gs[j].name
	})
	return gs
}

func report(w io.Writer, s *symbols, pcs []uint64, calls, top, nlines int) {
	byPkg, byFn, byLine := map[string]*group{}, map[string]*group{}, map[string]*group{}
	all, path := map[uint64]bool{}, map[uint64]bool{}
	sched := 0
	for _, pc := range pcs {
		fn, pkg, line := s.where(pc)
		tally(byPkg, strings.TrimPrefix(pkg, "github.com/zmqx/zmqx/"), pc)
		tally(byFn, strings.TrimPrefix(fn, "github.com/zmqx/zmqx/"), pc)
		tally(byLine, line, pc)
		all[pc>>6] = true
		if scheduler(fn, pkg) {
			sched++
		} else {
			path[pc>>6] = true
		}
	}
	fmt.Fprintf(w, "RX ring -> TX kick: %d instructions from %d distinct 64-byte lines of code, %d functions\n",
		len(pcs), len(all), len(byFn))
	fmt.Fprintf(w, "without the Go scheduler: %d instructions from %d lines; %d calls out of the program (the vDSO's clock) not counted\n\n",
		len(pcs)-sched, len(path), calls)
	fmt.Fprintf(w, "%-28s %7s %6s\n", "package", "instr", "lines")
	for _, g := range sorted(byPkg) {
		fmt.Fprintf(w, "%-28s %7d %6d\n", g.name, g.instr, len(g.lines))
	}
	fmt.Fprintf(w, "\n%7s %6s  %s\n", "instr", "lines", "function")
	for i, g := range sorted(byFn) {
		if i == top {
			break
		}
		fmt.Fprintf(w, "%7d %6d  %s\n", g.instr, len(g.lines), g.name)
	}
	if nlines > 0 {
		fmt.Fprintf(w, "\n%7s  %s\n", "instr", "source line")
		for i, g := range sorted(byLine) {
			if i == nlines {
				break
			}
			fmt.Fprintf(w, "%7d  %s\n", g.instr, g.name)
		}
	}
}
