package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zmqx/zmqx"
)

// awkward frames: everything that could break a line, a column or a byte.
var awkward = [][]byte{
	[]byte("plain"),
	{},
	[]byte("-"),
	[]byte("--"),
	[]byte("two\nlines"),
	[]byte("a\ttab"),
	[]byte("cr\r\n"),
	[]byte(`back\slash \n not a newline \x41`),
	[]byte("trailing\\"),
	{0x00, 0x01, 0x7f, 0x1b},
	{0xff, 0xfe, 0x80, 'x'},
	[]byte("é ü ✓ 😀"),
	{0xe2, 0x82}, // a UTF-8 sequence cut short
	[]byte(`{"base64":"AA=="}`),
}

func roundTrip(t *testing.T, fm format, msg [][]byte) {
	t.Helper()
	line, err := fm.appendMsg(nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(line, '\n') != len(line)-1 {
		t.Fatalf("%s: %q is not one line", fm, line)
	}
	got, err := fm.parseLine(string(line[:len(line)-1]), true)
	if err != nil {
		t.Fatalf("%s: %q: %v", fm, line, err)
	}
	if !framesEqual(got, msg) {
		t.Fatalf("%s: %q read back as %q, want %q", fm, line, got, msg)
	}
}

func TestFormatsRoundTrip(t *testing.T) {
	for _, fm := range []format{formatText, formatHex, formatJSON} {
		roundTrip(t, fm, awkward)
		for _, f := range awkward {
			roundTrip(t, fm, [][]byte{f})
			if fm != formatJSON {
				arg := strings.TrimSuffix(string(must(fm.appendMsg(nil, [][]byte{f}))), "\n")
				if got, err := fm.parseArg(arg); err != nil || !bytes.Equal(got, f) {
					t.Fatalf("%s: argument %q read as %q, %v; want %q", fm, arg, got, err, f)
				}
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestFormatsShow(t *testing.T) {
	for _, c := range []struct {
		fm   format
		msg  [][]byte
		want string
	}{
		{formatText, [][]byte{[]byte("a\nb"), []byte("c\td"), {}, []byte("-")}, `a\nb` + "\t" + `c\td` + "\t\t" + `\-` + "\n"},
		{formatText, [][]byte{{0xff, 'x', 0x01}}, `\xffx\x01` + "\n"},
		{formatHex, [][]byte{{0xff}, {}}, "ff -\n"},
		{formatJSON, [][]byte{[]byte("é<&>"), {0xff, 0x00, 0xfe}, {}}, `["é<&>",{"base64":"/wD+"},""]` + "\n"},
	} {
		if got := string(must(c.fm.appendMsg(nil, c.msg))); got != c.want {
			t.Errorf("%s %q: got %q, want %q", c.fm, c.msg, got, c.want)
		}
	}
}

func TestFormatsRefuse(t *testing.T) {
	for _, c := range []struct {
		fm   format
		line string
	}{
		{formatJSON, `"not an array"`},
		{formatJSON, `[]`},
		{formatJSON, `[1]`},
		{formatJSON, `[{"base64":"!!"}]`},
		{formatJSON, `[{"b64":"AA=="}]`},
		{formatHex, `zz`},
		{formatHex, ``},
	} {
		if _, err := c.fm.parseLine(c.line, false); err == nil {
			t.Errorf("%s %q: no error", c.fm, c.line)
		}
	}
}

func FuzzTextRoundTrip(f *testing.F) {
	for _, a := range awkward {
		f.Add(a, []byte("x"))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, fm := range []format{formatText, formatHex, formatJSON} {
			roundTrip(t, fm, [][]byte{a, b})
		}
		if line := appendText(nil, a); !utf8.Valid(line) {
			t.Fatalf("text %q is not UTF-8", line)
		}
	})
}

// The FRAME arguments and the stdin lines of send carry every byte, and
// recv prints one line per message whatever the frames hold.
func TestBinaryFramesEndToEnd(t *testing.T) {
	for _, fm := range []string{"text", "hex", "json"} {
		t.Run(fm, func(t *testing.T) {
			ep := ipc(t, "b")
			pull := socket(t, zmqx.PULL, zmqx.SocketOptions{})
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			args := []string{"send", "--connect", ep, "--format", fm, "--timeout", "20s"}
			for _, f := range awkward {
				args = append(args, strings.TrimSuffix(string(must(formatHex.appendMsg(nil, [][]byte{f}))), "\n"))
			}
			if fm != "hex" {
				// The text notation, also for --format json arguments.
				for i, f := range awkward {
					args[len(args)-len(awkward)+i] = strings.TrimSuffix(string(appendText(nil, f)), "\n")
				}
			}
			if _, _, err := runCLI(t, "", args...); err != nil {
				t.Fatal(err)
			}
			got, err := pull.Recv(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if !framesEqual(got, awkward) {
				t.Fatalf("got %q, want %q", got, awkward)
			}
			// And back through recv.
			recv := start(t, "", "recv", "--bind", ep+"2", "--format", fm, "--count", "1", "--timeout", "20s")
			push := socket(t, zmqx.PUSH, zmqx.SocketOptions{})
			if err := push.Connect(ep + "2"); err != nil {
				t.Fatal(err)
			}
			if err := push.Send(testCtx(t), awkward...); err != nil {
				t.Fatal(err)
			}
			if err := recv.wait(t); err != nil {
				t.Fatal(err)
			}
			out := recv.stdout.String()
			if strings.Count(out, "\n") != 1 {
				t.Fatalf("one message printed as %q", out)
			}
			back, err := format(fm).parseLine(strings.TrimSuffix(out, "\n"), true)
			if err != nil || !framesEqual(back, awkward) {
				t.Fatalf("printed %q, read back %q, %v", out, back, err)
			}
		})
	}
}
