// Package netns runs a function on an OS thread that has entered a named
// network namespace (one made with `ip netns add`), then puts the thread
// back. Sockets, XDP attachments and netlink requests made inside the
// function belong to that namespace; the descriptors they return can be used
// from any goroutine afterwards.
//
// All namespace switching in zmqx goes through Do, so that restoring the
// thread is done in one place: when the thread cannot be put back it is
// never unlocked, and the Go runtime ends it instead of reusing it.
package netns
