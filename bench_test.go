package zmqx_test

import (
	"context"
	"testing"

	"github.com/zmqx/zmqx"
)

// BenchmarkPushPull measures one-way throughput of 64-byte messages.
func BenchmarkPushPull(b *testing.B) {
	for _, ep := range []string{"inproc://bench", "tcp://127.0.0.1:*"} {
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
					if _, err := pull.Recv(ctx); err != nil {
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

// BenchmarkPushPullMsg is BenchmarkPushPull on the copy-free receive path.
func BenchmarkPushPullMsg(b *testing.B) {
	for _, ep := range []string{"inproc://benchmsg", "tcp://127.0.0.1:*"} {
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
				var msg []zmqx.Msg
				for i := 0; i < b.N; i++ {
					var err error
					if msg, err = pull.RecvMsg(ctx, msg[:0]); err != nil {
						done <- err
						return
					}
					for j := range msg {
						msg[j].Close()
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
