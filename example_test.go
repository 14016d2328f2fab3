package zmqx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/zmqx/zmqx"
)

// Each example runs over inproc so its output is exact; swap in
// "tcp://127.0.0.1:5555" or "ipc:///tmp/x" and nothing else changes.

func Example_reqRep() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	rep, _ := rt.Socket(zmqx.REP)
	rep.Bind("inproc://reqrep")
	req, _ := rt.Socket(zmqx.REQ)
	req.Connect("inproc://reqrep")

	req.Send(ctx, []byte("2+2"))
	q, _ := rep.Recv(ctx)
	rep.Send(ctx, []byte("4"))
	a, _ := req.Recv(ctx)
	fmt.Printf("%s = %s\n", q[0], a[0])
	// Output: 2+2 = 4
}

func Example_pubSub() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	pub, _ := rt.Socket(zmqx.PUB)
	pub.Bind("inproc://quotes")
	sub, _ := rt.Socket(zmqx.SUB)
	sub.Subscribe("EUR")
	sub.Connect("inproc://quotes")

	pub.Send(ctx, []byte("USDJPY 151.2")) // filtered out
	pub.Send(ctx, []byte("EURUSD 1.0842"))
	m, _ := sub.Recv(ctx)
	fmt.Println(string(m[0]))
	// Output: EURUSD 1.0842
}

func Example_pushPull() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	push, _ := rt.Socket(zmqx.PUSH)
	push.Bind("inproc://work")
	w1, _ := rt.Socket(zmqx.PULL)
	w1.Connect("inproc://work")
	w2, _ := rt.Socket(zmqx.PULL)
	w2.Connect("inproc://work")

	for _, job := range []string{"a", "b", "c", "d"} {
		push.Send(ctx, []byte(job))
	}
	for i := 0; i < 2; i++ {
		j1, _ := w1.Recv(ctx)
		j2, _ := w2.Recv(ctx)
		fmt.Println(string(j1[0]), string(j2[0]))
	}
	// Output:
	// a b
	// c d
}

func Example_dealerRouter() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	router, _ := rt.Socket(zmqx.ROUTER)
	router.Bind("inproc://broker")
	dealer, _ := rt.Socket(zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("desk-7")})
	dealer.Connect("inproc://broker")

	dealer.Send(ctx, []byte("BUY"), []byte("100"))
	m, _ := router.Recv(ctx) // the routing id comes first
	fmt.Printf("%s wants %s %s\n", m[0], m[1], m[2])
	router.Send(ctx, m[0], []byte("FILLED"))
	r, _ := dealer.Recv(ctx)
	fmt.Println(string(r[0]))
	// Output:
	// desk-7 wants BUY 100
	// FILLED
}

func Example_pair() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	a, _ := rt.Socket(zmqx.PAIR)
	a.Bind("inproc://pair")
	b, _ := rt.Socket(zmqx.PAIR)
	b.Connect("inproc://pair")
	b.Send(ctx, []byte("ready"))
	m, _ := a.Recv(ctx)
	fmt.Println(string(m[0]))
	// Output: ready
}

func Example_xpubXsub() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	xpub, _ := rt.Socket(zmqx.XPUB)
	xpub.Bind("inproc://proxy")
	xsub, _ := rt.Socket(zmqx.XSUB)
	xsub.Connect("inproc://proxy")

	xsub.Send(ctx, []byte("\x01news")) // subscribe, as a message
	s, _ := xpub.Recv(ctx)             // the publisher sees it
	fmt.Printf("subscribe=%v topic=%s\n", s[0][0] == 1, s[0][1:])
	xpub.Send(ctx, []byte("news: markets open"))
	m, _ := xsub.Recv(ctx)
	fmt.Println(string(m[0]))
	// Output:
	// subscribe=true topic=news
	// news: markets open
}

func ExampleNewZeroCopyMsg() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	pull, _ := rt.Socket(zmqx.PULL)
	pull.Bind("inproc://zc")
	push, _ := rt.Socket(zmqx.PUSH)
	push.Connect("inproc://zc")

	buf := make([]byte, 4096) // e.g. from the application's own pool
	released := make(chan struct{})
	push.SendMsg(ctx, zmqx.NewZeroCopyMsg(buf, func() { close(released) }))
	m, _ := pull.Recv(ctx) // Recv copies zero-copy payloads out, then releases them
	<-released
	fmt.Println(len(m[0]), "bytes; buffer handed back")
	// Output: 4096 bytes; buffer handed back
}

func ExampleSocket_SetOption() {
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	s, _ := rt.Socket(zmqx.DEALER)
	s.SetOption(zmqx.Linger, 250*time.Millisecond) // as zmq_setsockopt(ZMQ_LINGER, 250)
	s.SetOption(zmqx.SendHWM, -1)                  // unlimited, for pipes made from now on
	linger, _ := s.GetOption(zmqx.Linger)
	hwm, _ := s.GetOption(zmqx.SendHWM)
	err := s.SetOption(zmqx.Linger, 250) // not a time.Duration
	fmt.Println(linger, hwm, errors.Is(err, zmqx.ErrInvalidOption))
	// Output: 250ms -1 true
}

func Example_stream() {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	srv, _ := rt.Socket(zmqx.STREAM) // raw TCP: here, a tiny HTTP server
	srv.Bind("tcp://127.0.0.1:*")
	c, _ := net.Dial("tcp", strings.TrimPrefix(srv.LastEndpoint(), "tcp://"))
	defer c.Close()

	hello, _ := srv.Recv(ctx) // [id, ""]: a peer connected
	id := hello[0]
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	req, _ := srv.Recv(ctx) // [id, bytes]
	srv.Send(ctx, id, []byte("HTTP/1.0 200 OK\r\n\r\nhi"))
	srv.Send(ctx, id, nil) // [id, ""]: close the connection
	resp, _ := io.ReadAll(c)
	fmt.Printf("%q\n%q\n", req[1], resp)
	// Output:
	// "GET / HTTP/1.0\r\n\r\n"
	// "HTTP/1.0 200 OK\r\n\r\nhi"
}
