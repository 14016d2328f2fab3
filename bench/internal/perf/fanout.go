package perf

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// The end-of-run protocol of pub_thr and sub_thr (both in bench/cmd and in
// bench/peers/zmqperf.c).
//
// An XPUB, zmqx's as libzmq's by default, hands the user only the first
// subscription to a topic and only the cancellation that leaves a topic
// without subscribers: ten SUB sockets subscribed to "" show up as one
// subscribe message and, when they leave, one unsubscribe. (libzmq's
// ZMQ_XPUB_VERBOSER would report every one, as zmqx's XPubVerboser does, but this
// protocol works without either.) So
// each SUB socket also subscribes to a topic of its own, HelloPrefix
// followed by its process id and index, after "" (on the wire "" goes
// first, so the publisher has matched a subscriber to "" before it sees
// that subscriber's hello). The publisher counts the hello subscriptions to
// know that every subscriber is in, and the hello cancellations, which the
// XPUB reports when a subscriber's connection goes away, to know that every
// subscriber has left. A hello topic starts with 's' and so matches neither
// data messages, which start with 'd', nor the end marker "e".
const HelloPrefix = "sub_thr "

// IsHello reports whether msg is a subscription (on true) or cancellation
// (on false) of a hello topic.
func IsHello(msg []byte, on bool) bool {
	want := byte(0)
	if on {
		want = 1
	}
	return len(msg) > 1+len(HelloPrefix) && msg[0] == want && bytes.HasPrefix(msg[1:], []byte(HelloPrefix))
}

// Hello is the hello topic of subscriber i of process pid.
func Hello(pid, i int) string { return fmt.Sprintf("%s%d %d", HelloPrefix, pid, i) }

// EndMarker is what pub_thr sends, repeatedly, after the data.
const EndMarker = 'e'

// FanOut prints sub_thr's lines: the messages delivered to all subscribers
// together, the rate from the first data message on any subscriber to the
// last on any, and the share of subscribers × sent.
func FanOut(w io.Writer, size, count, subscribers, delivered int, elapsed time.Duration) {
	us := float64(elapsed.Nanoseconds()) / 1e3
	if us <= 0 {
		us = 1
	}
	thr := float64(delivered) * 1e6 / us
	fmt.Fprintf(w, "message size: %d [B]\n", size)
	fmt.Fprintf(w, "message count: %d\n", delivered)
	fmt.Fprintf(w, "subscribers: %d\n", subscribers)
	fmt.Fprintf(w, "mean throughput: %d [msg/s]\n", int64(thr))
	fmt.Fprintf(w, "mean throughput: %.3f [Mb/s]\n", thr*float64(size)*8/1e6)
	fmt.Fprintf(w, "delivered: %.2f %%\n", float64(delivered)*100/float64(count*subscribers))
}
