package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSendRecvFormats(t *testing.T) {
	for _, c := range []struct {
		format, want string
		args         []string
	}{
		{"text", "hello\t\tworld\n", []string{"hello", "", "world"}},
		{"hex", "68656c6c6f - 776f726c64\n", []string{"68656c6c6f", "", "776f726c64"}},
		{"json", `["hello","","world"]` + "\n", []string{"hello", "", "world"}},
	} {
		t.Run(c.format, func(t *testing.T) {
			ep := "ipc://" + t.TempDir() + "/s"
			var out bytes.Buffer
			var wg sync.WaitGroup
			var recvErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				recvErr = run([]string{"recv", "--type", "PULL", "--bind", ep, "--count", "2", "--format", c.format, "--timeout", "20s"}, nil, &out)
			}()
			args := append([]string{"send", "--type", "PUSH", "--connect", ep, "--count", "2", "--format", c.format, "--timeout", "20s"}, c.args...)
			if c.format == "json" {
				args = args[:len(args)-3]
			}
			var in *strings.Reader
			if c.format == "json" {
				in = strings.NewReader(`["hello","","world"]` + "\n" + `["hello","","world"]` + "\n")
			} else {
				in = strings.NewReader("")
			}
			if err := run(args, in, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			if recvErr != nil {
				t.Fatal(recvErr)
			}
			if out.String() != c.want+c.want {
				t.Fatalf("got %q, want %q twice", out.String(), c.want)
			}
		})
	}
}

func TestRoutingID(t *testing.T) {
	ep := "ipc://" + t.TempDir() + "/r"
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"recv", "--type", "ROUTER", "--bind", ep, "--count", "1", "--timeout", "20s"}, nil, &out)
	}()
	if err := run([]string{"send", "--type", "DEALER", "--routing-id", "me", "--connect", ep, "--timeout", "20s", "hi"}, nil, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out.String() != "me\thi\n" {
		t.Fatalf("got %q", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"send", "x"},
		{"recv", "--bind", "tcp://127.0.0.1:0", "--format", "xml"},
		{"recv", "--type", "PUSHY", "--bind", "tcp://127.0.0.1:0"},
		{"send", "--type", "PUSH", "--subscribe", "x", "--connect", "tcp://127.0.0.1:1"},
	} {
		if err := run(args, strings.NewReader(""), &bytes.Buffer{}); err == nil {
			t.Fatalf("%q: no error", args)
		}
	}
}
