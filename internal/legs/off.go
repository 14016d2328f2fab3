//go:build !zmqxlegs

package legs

import "io"

// Kick is called just before a TX kick.
func Kick() {}

// Received is called when Receive returns n datagrams (n > 0).
func Received(n uint32) {}

// Report writes the legs measured, if any, to w.
func Report(w io.Writer, who string) {}
