//go:build !linux

package afxdp

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/zmqx/zmqx/core"
)

// host does not exist outside Linux.
type host struct{}

func (h *host) close() error { return nil }

// PollIdle implements core.Poller: there is nothing to poll.
func (t *Transport) PollIdle() {}

func (t *Transport) listen(e endpoint, o *core.Options) (core.Listener, error) {
	return nil, fmt.Errorf("%w: AF_XDP exists on Linux only, not %s", ErrUnavailable, runtime.GOOS)
}

func (t *Transport) dial(ctx context.Context, e endpoint, o *core.Options) (net.Conn, error) {
	return nil, fmt.Errorf("%w: AF_XDP exists on Linux only, not %s", ErrUnavailable, runtime.GOOS)
}
