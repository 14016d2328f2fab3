package cpuset_test

import (
	"encoding"
	"slices"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/cpuset"
)

// The text/encoding interfaces are what flag.TextVar needs.
var (
	_ encoding.TextMarshaler   = cpuset.Set{}
	_ encoding.TextUnmarshaler = (*cpuset.Set)(nil)
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		cpus []int
		want string // canonical String form
	}{
		{"", nil, ""},
		{" \n", nil, ""},
		{"0", []int{0}, "0"},
		{"0-3,8,10-11", []int{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{"0-3,8,10-11\n", []int{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{" 0-1 , 4 ", []int{0, 1, 4}, "0-1,4"},
		{"3,1,2", []int{1, 2, 3}, "1-3"},
		{"1,1,1-2", []int{1, 2}, "1-2"},
		{"5-5", []int{5}, "5"},
		{"0,2,4", []int{0, 2, 4}, "0,2,4"},
		{"007", []int{7}, "7"},
		{"1023", []int{1023}, "1023"},
		{"0-15:2/8", []int{0, 1, 8, 9}, "0-1,8-9"},
		{"0-7:1/2", []int{0, 2, 4, 6}, "0,2,4,6"},
		{"0-8:3/4", []int{0, 1, 2, 4, 5, 6, 8}, "0-2,4-6,8"},
		{"2-3:4/4", []int{2, 3}, "2-3"},
		{"0-7:2", []int{0, 2, 4, 6}, "0,2,4,6"},
		{"1-10:3", []int{1, 4, 7, 10}, "1,4,7,10"},
		{"0-9:1/99999999999", []int{0}, "0"},
		{"1020-1023,0", []int{0, 1020, 1021, 1022, 1023}, "0,1020-1023"},
	}
	for _, tt := range tests {
		s, err := cpuset.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := s.CPUs(); !slices.Equal(got, tt.cpus) {
			t.Errorf("Parse(%q).CPUs() = %v, want %v", tt.in, got, tt.cpus)
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if s.Len() != len(tt.cpus) {
			t.Errorf("Parse(%q).Len() = %d, want %d", tt.in, s.Len(), len(tt.cpus))
		}
		if s != cpuset.Of(tt.cpus...) {
			t.Errorf("Parse(%q) != Of(%v)", tt.in, tt.cpus)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // substring of the error message
	}{
		{"3-1", `range "3-1" ends before it starts`},
		{"a", `"a" in "a" is not a cpu number`},
		{"-1", `"-1" is negative or a range without a start`},
		{"1-", `missing number in "1-"`},
		{"0,,1", "empty element"},
		{"0,", "empty element"},
		{"+3", "not a cpu number"},
		{"1024", "cpu 1024 in \"1024\" is above the highest supported cpu 1023"},
		{"0-4096", "above the highest supported cpu"},
		{"99999999999999999999999", "too large"},
		{"1-2-3", "not a cpu number"},
		{"0 1", "not a cpu number"},
		{"0x1", "not a cpu number"},
		{"4:1/2", "needs a range before the colon"},
		{"0-7:0", "needs 0 < used <= group"},
		{"0-7:2/", "missing number"},
		{"0-7:0/2", "needs 0 < used <= group"},
		{"0-7:3/2", "needs 0 < used <= group"},
		{"0-7:1/0", "needs 0 < used <= group"},
		{"0-7:/2", "missing number"},
		{"all", "not a cpu number"},
		{"N", "not a cpu number"},
	}
	for _, tt := range tests {
		s, err := cpuset.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error", tt.in, s)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "cpuset: parsing ") {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.want)
		}
		if !s.IsEmpty() {
			t.Errorf("Parse(%q) returned %v with its error, want the empty set", tt.in, s)
		}
	}
}

func TestSetOperations(t *testing.T) {
	a := cpuset.Of(0, 1, 2, 64, 1023)
	b := cpuset.Of(2, 3, 64)
	if got, want := a.Union(b), cpuset.Of(0, 1, 2, 3, 64, 1023); got != want {
		t.Errorf("Union = %v, want %v", got, want)
	}
	if got, want := a.Intersect(b), cpuset.Of(2, 64); got != want {
		t.Errorf("Intersect = %v, want %v", got, want)
	}
	if got, want := a.Difference(b), cpuset.Of(0, 1, 1023); got != want {
		t.Errorf("Difference = %v, want %v", got, want)
	}
	if a != cpuset.Of(0, 1, 2, 64, 1023) {
		t.Error("Union/Intersect/Difference modified their receiver")
	}
	for _, c := range []int{-1, 3, 63, 65, 1024, 1 << 40} {
		if a.Contains(c) {
			t.Errorf("%v.Contains(%d) = true", a, c)
		}
	}
	for _, c := range []int{0, 1, 2, 64, 1023} {
		if !a.Contains(c) {
			t.Errorf("%v.Contains(%d) = false", a, c)
		}
	}
	if !(cpuset.Set{}).IsEmpty() || a.IsEmpty() {
		t.Error("IsEmpty wrong")
	}
	if got := (cpuset.Set{}).CPUs(); len(got) != 0 {
		t.Errorf("empty CPUs() = %v", got)
	}
}

func TestAddPanicsOutOfRange(t *testing.T) {
	for _, c := range []int{-1, cpuset.MaxCPUs} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Of(%d) did not panic", c)
				}
			}()
			cpuset.Of(c)
		}()
	}
}

func TestText(t *testing.T) {
	var s cpuset.Set
	if err := s.UnmarshalText([]byte("0-3,8\n")); err != nil {
		t.Fatal(err)
	}
	b, err := s.MarshalText()
	if err != nil || string(b) != "0-3,8" {
		t.Errorf("MarshalText = %q, %v; want \"0-3,8\"", b, err)
	}
	if err := s.UnmarshalText([]byte("3-1")); err == nil {
		t.Error("UnmarshalText(3-1) succeeded")
	}
	if s != cpuset.Of(0, 1, 2, 3, 8) {
		t.Errorf("failed UnmarshalText changed the set to %v", s)
	}
}

// TestRoundTrip checks String's output parses back to the same set for sets
// with runs, gaps and both ends of the range.
func TestRoundTrip(t *testing.T) {
	var s cpuset.Set
	for c := 0; c < cpuset.MaxCPUs; c += 1 + c%7 {
		s.Add(c)
		back, err := cpuset.Parse(s.String())
		if err != nil || back != s {
			t.Fatalf("Parse(%q) = %v, %v; want %v", s.String(), back, err, s.CPUs())
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "0", "0-3,8,10-11\n", "3-1", "-1", "a", "0-15:2/8", "1023", "1024", " 1 , 2 ", "0-1023:1/3", "0-9:4"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := cpuset.Parse(in)
		if err != nil {
			return
		}
		out := s.String()
		back, err := cpuset.Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse of its String %q: %v", in, out, err)
		}
		if back != s {
			t.Fatalf("Parse(%q) = %q, Parse of that = %q", in, out, back)
		}
		if back.String() != out {
			t.Fatalf("String not canonical: %q then %q", out, back.String())
		}
	})
}
