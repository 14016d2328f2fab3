package zmqx_test

import (
	"fmt"
	"net"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a test leaves goroutines or file descriptors
// behind.
func TestMain(m *testing.M) {
	// The runtime's network poller opens its descriptors on first use and
	// keeps them; open it before counting.
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
	before := openFDs()
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
		if after := openFDs(); before >= 0 && after > before {
			fmt.Fprintf(os.Stderr, "fd leak: %d open before the tests, %d after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

// openFDs counts this process's open descriptors, or -1 where /proc is absent.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}
