// Command reqrep is the smallest complete zmqx program: a REP server and a
// REQ client in one process, talking over TCP on loopback.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zmqx/zmqx"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()

	server, err := rt.Socket(zmqx.REP)
	if err != nil {
		log.Fatal(err)
	}
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("REP bound to", server.LastEndpoint())

	go func() {
		for {
			req, err := server.Recv(ctx)
			if err != nil {
				return // runtime closed
			}
			if err := server.Send(ctx, append([]byte("hello, "), req[0]...)); err != nil {
				return
			}
		}
	}()

	client, err := rt.Socket(zmqx.REQ)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Connect(server.LastEndpoint()); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"world", "zmqx", "libzmq"} {
		start := time.Now()
		if err := client.Send(ctx, []byte(name)); err != nil {
			log.Fatal(err)
		}
		reply, err := client.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("REQ sent %q, got %q in %v\n", name, reply[0], time.Since(start).Round(time.Microsecond))
	}
}
