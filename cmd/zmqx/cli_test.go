package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqx/zmqx"
)

func TestHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"zmqx send", "zmqx proxy", "standard input", `"-" on its own is an empty frame`, "base64"}},
		{[]string{"--help"}, []string{"zmqx recv"}},
		{[]string{"help"}, []string{"zmqx doctor"}},
		{[]string{"help", "send"}, []string{"Usage: zmqx send"}},
		{[]string{"send", "-h"}, []string{"Usage: zmqx send", "standard input", "Empty input", `"-" on its own is an empty frame`,
			"--wait-subscribers", "XPUB under the hood", "--delay", "-format", "-timeout", "ROUTER", "base64", `\n`}},
		{[]string{"send", "--help"}, []string{"Usage: zmqx send"}},
		{[]string{"send", "--type", "REP", "-h"}, []string{"Usage: zmqx send"}},
		{[]string{"recv", "-h"}, []string{"Usage: zmqx recv", "Ctrl-C", "-count", "base64"}},
		{[]string{"proxy", "-h"}, []string{"Usage: zmqx proxy", "TYPE@bind:ENDPOINT", "-frontend", "-backend"}},
		{[]string{"doctor", "-h"}, []string{"Usage: zmqx doctor IFACE"}},
		{[]string{"doctor", "--help"}, []string{"Usage: zmqx doctor IFACE"}},
	} {
		out, _, err := runCLI(t, "", c.args...)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: help lacks %q", c.args, w)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "say what to do"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--type", "PUSH"}, "flags come after the command"},
		{[]string{"send", "x"}, "need at least one --bind or --connect"},
		{[]string{"send", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"recv", "--bind", "tcp://127.0.0.1:0", "--format", "xml"}, "--format must be text, hex or json"},
		{[]string{"recv", "--type", "PUSHY", "--bind", "tcp://127.0.0.1:0"}, `unknown socket type "PUSHY"`},
		{[]string{"send", "--type", "PUSH", "--subscribe", "x", "--connect", "tcp://127.0.0.1:1"}, "--subscribe needs"},
		{[]string{"send", "--count", "-1", "--connect", "tcp://127.0.0.1:1"}, "--count must not be negative"},
		{[]string{"recv", "--count", "-3", "--bind", "tcp://127.0.0.1:0"}, "--count must not be negative"},
		{[]string{"send", "--type", "PUB", "--wait-subscribers", "-1", "--bind", "tcp://127.0.0.1:0"}, "must not be negative"},
		{[]string{"send", "--type", "PUSH", "--wait-subscribers", "1", "--bind", "tcp://127.0.0.1:0"}, "--wait-subscribers needs"},
		{[]string{"send", "--delay", "-1s", "--bind", "tcp://127.0.0.1:0"}, "--delay must not be negative"},
		{[]string{"send", "--timeout", "-1s", "--bind", "tcp://127.0.0.1:0"}, "--timeout must not be negative"},
		{[]string{"send", "--type", "SUB", "--connect", "tcp://127.0.0.1:1", "x"}, "SUB socket cannot send"},
		{[]string{"recv", "--type", "PUSH", "--bind", "tcp://127.0.0.1:0"}, "PUSH socket cannot receive"},
		{[]string{"recv", "--type", "REQ", "--bind", "tcp://127.0.0.1:0"}, "a REQ sends first"},
		{[]string{"recv", "--type", "rep", "--bind", "tcp://127.0.0.1:0"}, "a REP must answer"},
		{[]string{"recv", "--bind", "tcp://127.0.0.1:0", "frame"}, "recv takes no FRAME arguments"},
		{[]string{"send", "--format", "hex", "--bind", "tcp://127.0.0.1:0", "xyz"}, `hex frame "xyz"`},
		{[]string{"proxy", "--frontend", "ROUTER@bind:tcp://127.0.0.1:0"}, "need --backend"},
		{[]string{"proxy", "--frontend", "ROUTER@tcp://127.0.0.1:0", "--backend", "DEALER@bind:tcp://127.0.0.1:0"}, "say bind: or connect:"},
		{[]string{"proxy", "--frontend", "bind:tcp://127.0.0.1:0", "--backend", "DEALER@bind:tcp://127.0.0.1:0"}, "want TYPE@bind:ENDPOINT"},
		{[]string{"proxy", "--frontend", "PUB@bind:tcp://127.0.0.1:0", "--backend", "PUSH@bind:tcp://127.0.0.1:0"}, "nothing can flow"},
		{[]string{"proxy", "--frontend", "XSUB@bind:tcp://127.0.0.1:0", "--frontend", "SUB@bind:tcp://127.0.0.1:0", "--backend", "XPUB@bind:tcp://127.0.0.1:0"}, "both XSUB and SUB"},
		{[]string{"doctor"}, "usage: zmqx doctor IFACE"},
	} {
		_, _, err := runCLI(t, "", c.args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a usage error with %q", c.args, err, c.want)
			continue
		}
		var stderr strings.Builder
		if code := (&cli{stderr: &stderr}).exit(err); code != 2 {
			t.Errorf("%q: exit status %d, want 2", c.args, code)
		}
	}
}

// Errors print once, with one "zmqx:" in front, however the library
// words them.
func TestErrorsPrintOnce(t *testing.T) {
	busy := socket(t, zmqx.PULL, zmqx.SocketOptions{})
	if err := busy.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"send", "--bind", busy.LastEndpoint(), "hi"},
		{"send", "--connect", "nosuch://x", "hi"},
		{"send", "--type", "nosuch", "--connect", "tcp://127.0.0.1:1", "hi"},
		{"send", "--bind", "tcp://127.0.0.1:99999", "hi"},
		{"send", "--routing-id", strings.Repeat("x", 300), "--connect", "tcp://127.0.0.1:1", "hi"},
	} {
		_, _, err := runCLI(t, "", args...)
		if err == nil {
			t.Fatalf("%q: no error", args)
		}
		var stderr strings.Builder
		if code := (&cli{stderr: &stderr}).exit(err); code == 0 {
			t.Fatalf("%q: exit status 0", args)
		}
		got := stderr.String()
		if strings.Count(got, "zmqx:") != 1 || !strings.HasPrefix(got, "zmqx: ") || strings.Count(got, "\n") != 1 {
			t.Errorf("%q printed %q", args, got)
		}
	}
	if got := tidy("zmqx: connect x: zmqx: invalid endpoint"); got != "connect x: invalid endpoint" {
		t.Errorf("tidy: %q", got)
	}
}
