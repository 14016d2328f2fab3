// Command pubsub is the README's "Use it" example as a program: a publisher
// and a subscriber in one process over TCP on loopback. The publisher is an
// XPUB so it can wait for the subscription before publishing: a PUB drops
// what it publishes before a subscriber's subscription has arrived (the
// "slow joiner").
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zmqx/zmqx"
)

func main() {
	// README begin
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt := zmqx.NewRuntime(zmqx.Config{}) // what libzmq calls a context
	defer rt.Close()

	pub, err := rt.Socket(zmqx.XPUB) // a PUB that also reports subscriptions
	if err != nil {
		log.Fatal(err)
	}
	if err := pub.Bind("tcp://127.0.0.1:*"); err != nil { // * picks a free port
		log.Fatal(err)
	}

	sub, err := rt.Socket(zmqx.SUB)
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Subscribe("quotes."); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect(pub.LastEndpoint()); err != nil {
		log.Fatal(err)
	}

	// Wait for the subscription ("\x01quotes."): what is published before
	// it arrives is not sent to this subscriber.
	if _, err := pub.Recv(ctx); err != nil {
		log.Fatal(err)
	}
	if err := pub.Send(ctx, []byte("quotes.EURUSD 1.0842")); err != nil {
		log.Fatal(err)
	}
	msg, err := sub.Recv(ctx) // [][]byte: all frames of one message
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", msg[0])
	// README end
}
