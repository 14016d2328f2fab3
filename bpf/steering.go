package bpf

import "errors"

// ErrNotSupported is returned where XDP programs cannot be loaded.
var ErrNotSupported = errors.New("bpf: XDP not supported")

// MaxQueues and MaxOwners size the XSKMAP; they match steer.c.
const (
	MaxQueues = 64
	MaxOwners = 16
)

// AttachMode selects how the program is attached to the device.
type AttachMode int

const (
	// AttachAuto tries native mode, then generic.
	AttachAuto AttachMode = iota
	// AttachNative runs the program in the driver (XDP_FLAGS_DRV_MODE).
	AttachNative
	// AttachGeneric runs it on the kernel's skb path (XDP_FLAGS_SKB_MODE),
	// which every device supports, more slowly on real NICs.
	AttachGeneric
)

func (m AttachMode) String() string {
	switch m {
	case AttachNative:
		return "native"
	case AttachGeneric:
		return "generic"
	}
	return "auto"
}

// Options configures Attach. The zero value means the defaults.
type Options struct {
	// Mode is the attach mode; the default tries native, then generic.
	Mode AttachMode
	// Owner is this process's index (0..MaxOwners-1) among processes
	// sharing the program; see the package documentation.
	Owner uint32
	// Frags loads the program as frags-aware (BPF_F_XDP_HAS_FRAGS, what
	// an "xdp.frags" section asks for): a frame larger than one buffer
	// reaches it as several, of which it reads the headers in the first,
	// and the redirect hands all of them to the AF_XDP socket, which needs
	// xdp.SocketOptions.MultiBuffer to take them (a socket without it
	// drops them). Native attach needs it when frames can exceed one
	// buffer (veth refuses a program without it once the peer's MTU is
	// above about 3 500 bytes); in generic mode the kernel linearises
	// the frame for a program without it. The program is the same.
	Frags bool
}

// Counters are the program's counters summed over CPUs.
type Counters struct {
	Steered   uint64 // redirected into an AF_XDP socket
	Passed    uint64 // handed to the kernel: not UDP, not registered, or no socket on the queue
	Malformed uint64 // too short or inconsistent to parse; handed to the kernel
}
