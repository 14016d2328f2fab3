package perf

import (
	"strings"
	"testing"
	"time"
)

func TestHello(t *testing.T) {
	h := Hello(42, 7)
	on, off := "\x01"+h, "\x00"+h
	if !IsHello([]byte(on), true) || IsHello([]byte(on), false) || !IsHello([]byte(off), false) || IsHello([]byte(off), true) {
		t.Errorf("hello %q not told apart by direction", h)
	}
	for _, m := range []string{"\x01", "\x00", "\x01" + HelloPrefix, "\x01d", "e"} {
		if IsHello([]byte(m), true) || IsHello([]byte(m), false) {
			t.Errorf("%q taken for a hello", m)
		}
	}
	// A hello topic must match neither data nor the end marker.
	if h[0] == 'd' || h[0] == EndMarker {
		t.Errorf("hello topic %q would match data or the end marker", h)
	}
}

func TestFanOutLines(t *testing.T) {
	var b strings.Builder
	FanOut(&b, 64, 1000, 4, 1000, 10*time.Millisecond)
	want := "message size: 64 [B]\nmessage count: 1000\nsubscribers: 4\nmean throughput: 100000 [msg/s]\nmean throughput: 51.200 [Mb/s]\ndelivered: 25.00 %\n"
	if b.String() != want {
		t.Errorf("got\n%swant\n%s", b.String(), want)
	}
}
