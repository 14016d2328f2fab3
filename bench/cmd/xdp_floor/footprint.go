package main

//go:generate go run gen_footprint.go

// footprintSink keeps the footprint functions' results alive.
var footprintSink uint64

// footprint runs n of the generated functions (footprint_gen.go), each
// distinct code of about 35 bytes laid out 64 bytes apart (about a cache
// line each), as a messaging layer runs its own code between taking a
// datagram and sending the next: -footprint N measures what that much code
// costs the transport's legs. With same, it makes n calls to only two of
// them: time spent with almost no code touched (the control).
func footprint(n int, same bool) {
	x := footprintSink
	for i := range n {
		if same {
			x = footprintFns[i&1](x)
		} else {
			x = footprintFns[i](x)
		}
	}
	footprintSink = x
}

// footprintLimit is the most calls -footprint takes: one per generated
// function, or with same, 100 times that.
func footprintLimit(same bool) int {
	if same {
		return 100 * footprintMax
	}
	return footprintMax
}

// touchData writes one byte in each 64-byte line of b: data the server
// touches between two datagrams, for -footprint-data.
func touchData(b []byte) {
	for i := 0; i < len(b); i += 64 {
		b[i]++
	}
}
