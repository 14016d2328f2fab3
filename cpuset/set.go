package cpuset

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCPUs is one more than the highest CPU number a Set can hold. It matches
// the 1024-CPU mask that glibc's cpu_set_t and golang.org/x/sys/unix use, so
// any mask the affinity calls can return fits in a Set.
const MaxCPUs = 1024

// Set is a set of CPU numbers in [0, MaxCPUs). The zero value is the empty
// set. Set is a comparable value type: two Sets holding the same CPUs are ==,
// and copying a Set copies its contents.
type Set struct {
	words [MaxCPUs / 64]uint64
}

// Of returns the set holding cpus. It panics if a CPU is outside
// [0, MaxCPUs), because a CPU number in source code that cannot exist is a
// programming error; use Parse for numbers that come from input.
func Of(cpus ...int) Set {
	var s Set
	for _, c := range cpus {
		s.Add(c)
	}
	return s
}

// Add puts cpu in s. It panics if cpu is outside [0, MaxCPUs), like Of.
func (s *Set) Add(cpu int) {
	if cpu < 0 || cpu >= MaxCPUs {
		panic(fmt.Sprintf("cpuset: cpu %d outside [0, %d)", cpu, MaxCPUs))
	}
	s.words[cpu/64] |= 1 << (cpu % 64)
}

// Contains reports whether cpu is in s. Numbers outside [0, MaxCPUs) are
// never in a Set.
func (s Set) Contains(cpu int) bool {
	if cpu < 0 || cpu >= MaxCPUs {
		return false
	}
	return s.words[cpu/64]&(1<<(cpu%64)) != 0
}

// Len returns the number of CPUs in s.
func (s Set) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether s holds no CPU.
func (s Set) IsEmpty() bool { return s == Set{} }

// CPUs returns the CPUs in s in increasing order.
func (s Set) CPUs() []int {
	out := make([]int, 0, s.Len())
	for i, w := range s.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}

// Union returns the CPUs in s or o.
func (s Set) Union(o Set) Set {
	for i := range s.words {
		s.words[i] |= o.words[i]
	}
	return s
}

// Intersect returns the CPUs in both s and o.
func (s Set) Intersect(o Set) Set {
	for i := range s.words {
		s.words[i] &= o.words[i]
	}
	return s
}

// Difference returns the CPUs in s that are not in o.
func (s Set) Difference(o Set) Set {
	for i := range s.words {
		s.words[i] &^= o.words[i]
	}
	return s
}

// String returns s in the kernel's canonical list form, the one sysfs files
// such as cpulist use: increasing, comma-separated, with every run of two or
// more consecutive CPUs written as a range ("0-3,8,10-11"). The empty set is
// "". Parse accepts everything String returns.
func (s Set) String() string {
	var b strings.Builder
	cpus := s.CPUs()
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}

// MarshalText returns String's form, so a Set can be used with
// flag.TextVar and encoding packages.
func (s Set) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText sets s to Parse(string(text)).
func (s *Set) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// Parse reads a CPU list in the syntax of the kernel's bitmap_parselist,
// which sysfs files (cpulist, cpu/online) and boot parameters such as
// isolcpus= use: comma-separated elements, each a CPU ("8"), an inclusive
// range ("0-3"), or a range with a group pattern "a-b:used/group" that takes
// the first used CPUs of every group of group CPUs starting at a
// ("0-15:2/8" is 0,1,8,9). The stride form "a-b:s" of taskset -c is
// accepted too, as "a-b:1/s" ("0-7:2" is 0,2,4,6). Space around elements
// and a trailing newline, as sysfs files end with, are ignored; the empty
// string is the empty set.
//
// The kernel's "N" (last CPU) and "all" are not accepted, because their
// meaning depends on the machine's CPU count, not on the text.
func Parse(s string) (Set, error) {
	var set Set
	if strings.TrimSpace(s) == "" {
		return set, nil
	}
	for elem := range strings.SplitSeq(s, ",") {
		if err := parseElem(&set, strings.TrimSpace(elem)); err != nil {
			return Set{}, fmt.Errorf("cpuset: parsing %q: %w", s, err)
		}
	}
	return set, nil
}

// parseElem adds one comma-separated element of a list to set.
func parseElem(set *Set, elem string) error {
	if elem == "" {
		return fmt.Errorf("empty element")
	}
	if strings.HasPrefix(elem, "-") {
		return fmt.Errorf("%q is negative or a range without a start", elem)
	}
	rng, pattern, hasPattern := strings.Cut(elem, ":")
	lo, hi, isRange := strings.Cut(rng, "-")
	first, err := parseCPU(lo, elem)
	if err != nil {
		return err
	}
	last := first
	if isRange {
		if last, err = parseCPU(hi, elem); err != nil {
			return err
		}
		if last < first {
			return fmt.Errorf("range %q ends before it starts", elem)
		}
	}
	used, group := 1, 1
	if hasPattern {
		if !isRange {
			return fmt.Errorf("group pattern in %q needs a range before the colon", elem)
		}
		u, g, ok := strings.Cut(pattern, "/")
		if !ok {
			// taskset's "a-b:stride" is the kernel's "a-b:1/stride".
			u, g = "1", pattern
		}
		if used, err = parseNumber(u, elem); err != nil {
			return err
		}
		if group, err = parseNumber(g, elem); err != nil {
			return err
		}
		if used == 0 || group == 0 || used > group {
			return fmt.Errorf("group pattern in %q needs 0 < used <= group", elem)
		}
		// No range spans more than MaxCPUs, so larger values act like
		// MaxCPUs; capping them keeps start+group from overflowing.
		used, group = min(used, MaxCPUs), min(group, MaxCPUs)
	}
	for start := first; start <= last; start += group {
		for c := start; c < start+used && c <= last; c++ {
			set.Add(c)
		}
	}
	return nil
}

// parseCPU parses a CPU number and checks that a Set can hold it.
func parseCPU(s, elem string) (int, error) {
	n, err := parseNumber(s, elem)
	if err != nil {
		return 0, err
	}
	if n >= MaxCPUs {
		return 0, fmt.Errorf("cpu %d in %q is above the highest supported cpu %d", n, elem, MaxCPUs-1)
	}
	return n, nil
}

// parseNumber parses an unsigned decimal number. It is stricter than
// strconv.Atoi, which would take "+3" and "-3"; a leading "-" here is always
// a mistake ("-1", or a range with no start) and gets its own message.
func parseNumber(s, elem string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing number in %q", elem)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q in %q is not a cpu number", s, elem)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("cpu number %s in %q is too large", s, elem)
	}
	return n, nil
}
