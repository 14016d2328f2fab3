package zmqx_test

import (
	"context"
	"testing"

	"github.com/zmqx/zmqx"
)

// BenchmarkPushPull measures one-way throughput of 64-byte messages with
// the copying Recv; BenchmarkPushPullMsg with the copy-free RecvMsg.
func BenchmarkPushPull(b *testing.B) {
	pushPull(b, "pp", func(ctx context.Context, s *zmqx.Socket) error {
		_, err := s.Recv(ctx)
		return err
	})
}

func BenchmarkPushPullMsg(b *testing.B) {
	var msg []zmqx.Msg
	pushPull(b, "ppm", func(ctx context.Context, s *zmqx.Socket) error {
		var err error
		msg, err = s.RecvMsg(ctx, msg[:0])
		for j := range msg {
			msg[j].Close()
		}
		return err
	})
}

func pushPull(b *testing.B, name string, recv func(context.Context, *zmqx.Socket) error) {
	for _, ep := range []string{"inproc://" + name, "tcp://127.0.0.1:*"} {
		b.Run(ep[:3], func(b *testing.B) {
			ctx := context.Background()
			rt := zmqx.NewRuntime(zmqx.Config{})
			defer rt.Close()
			pull, _ := rt.Socket(zmqx.PULL)
			if err := pull.Bind(ep); err != nil {
				b.Fatal(err)
			}
			push, _ := rt.Socket(zmqx.PUSH)
			push.Connect(pull.LastEndpoint())
			body := make([]byte, 64)
			done := make(chan error, 1)
			go func() {
				for i := 0; i < b.N; i++ {
					if err := recv(ctx, pull); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			b.ReportAllocs()
			b.SetBytes(64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := push.Send(ctx, body); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkReqRep measures round trips of 64-byte messages.
func BenchmarkReqRep(b *testing.B) {
	for _, ep := range []string{"inproc://rr", "tcp://127.0.0.1:*"} {
		b.Run(ep[:3], func(b *testing.B) {
			ctx := context.Background()
			rt := zmqx.NewRuntime(zmqx.Config{})
			defer rt.Close()
			rep, _ := rt.Socket(zmqx.REP)
			if err := rep.Bind(ep); err != nil {
				b.Fatal(err)
			}
			req, _ := rt.Socket(zmqx.REQ)
			req.Connect(rep.LastEndpoint())
			go func() {
				for {
					m, err := rep.Recv(ctx)
					if err != nil {
						return
					}
					if rep.Send(ctx, m...) != nil {
						return
					}
				}
			}()
			body := make([]byte, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := req.Send(ctx, body); err != nil {
					b.Fatal(err)
				}
				if _, err := req.Recv(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProxy: messages per second through a PULL/PUSH Proxy over tcp,
// 64-byte messages (one producer, one consumer).
func BenchmarkProxy(b *testing.B) {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	mk := func(t zmqx.SocketType) *zmqx.Socket {
		s, err := rt.Socket(t)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	in, out, producer, consumer := mk(zmqx.PULL), mk(zmqx.PUSH), mk(zmqx.PUSH), mk(zmqx.PULL)
	for _, s := range []*zmqx.Socket{in, out} {
		if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
			b.Fatal(err)
		}
	}
	if err := producer.Connect(in.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	if err := consumer.Connect(out.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- zmqx.Proxy(pctx, in, out, nil) }()
	body := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			if err := producer.Send(ctx, body); err != nil {
				return
			}
		}
	}()
	var msg []zmqx.Msg
	for i := 0; i < b.N; i++ {
		var err error
		if msg, err = consumer.RecvMsg(ctx, msg[:0]); err != nil {
			b.Fatal(err)
		}
		msg[0].Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	cancel()
	<-done
}
