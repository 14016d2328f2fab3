// Command zmqx sends and receives ØMQ messages from the shell, against
// zmqx or any libzmq peer.
//
//	zmqx send --type PUSH --connect tcp://127.0.0.1:5555 hello world
//	zmqx recv --type PULL --bind tcp://*:5555 --count 1 --format json
//	zmqx recv --type SUB --connect tcp://127.0.0.1:5556 --subscribe quotes.
//
// send sends one message made of its arguments (one frame each), --count
// times; with no arguments it sends one message per line of standard input
// (in --format text a line is one frame, or tab-separated frames with
// --multipart; in hex, space-separated hex frames; in json, an array of
// strings). A REQ prints each reply. recv prints one message per line in
// the chosen format until --count messages (0: until interrupted).
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/zmqx/zmqx"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	typ       string
	binds     multiFlag
	connects  multiFlag
	subs      multiFlag
	routingID string
	count     int
	multipart bool
	format    string
	timeout   time.Duration
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "zmqx:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: zmqx send|recv [flags] [frames...] (zmqx send -h for flags)")

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "doctor" {
		return doctor(args[1:], stdout)
	}
	if len(args) == 0 || (args[0] != "send" && args[0] != "recv") {
		return errUsage
	}
	mode := args[0]
	fs := flag.NewFlagSet("zmqx "+mode, flag.ContinueOnError)
	var o options
	defType := map[string]string{"send": "PUSH", "recv": "PULL"}[mode]
	fs.StringVar(&o.typ, "type", defType, "socket type: PAIR PUB SUB XPUB XSUB REQ REP DEALER ROUTER PUSH PULL")
	fs.Var(&o.binds, "bind", "endpoint to bind (repeatable)")
	fs.Var(&o.connects, "connect", "endpoint to connect to (repeatable)")
	fs.Var(&o.subs, "subscribe", "topic prefix for SUB/XSUB (repeatable; default all)")
	fs.StringVar(&o.routingID, "routing-id", "", "this socket's routing id")
	fs.IntVar(&o.count, "count", 0, "messages to send (default 1 with frame arguments) or receive (0: no limit)")
	fs.BoolVar(&o.multipart, "multipart", false, "text input: tab-separated frames make one message")
	fs.StringVar(&o.format, "format", "text", "message format on stdin/stdout: text, hex or json")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this long (0: never)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if len(o.binds)+len(o.connects) == 0 {
		return fmt.Errorf("%w: need at least one --bind or --connect", errUsage)
	}
	if o.format != "text" && o.format != "hex" && o.format != "json" {
		return fmt.Errorf("--format must be text, hex or json, not %q", o.format)
	}
	typ, err := zmqx.ParseSocketType(strings.ToUpper(o.typ))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	s, err := rt.Socket(typ, zmqx.SocketOptions{RoutingID: []byte(o.routingID), Linger: 5 * time.Second})
	if err != nil {
		return err
	}
	if typ == zmqx.SUB {
		if len(o.subs) == 0 {
			o.subs = multiFlag{""}
		}
		for _, t := range o.subs {
			if err := s.Subscribe(t); err != nil {
				return err
			}
		}
	} else if len(o.subs) > 0 {
		return fmt.Errorf("--subscribe needs --type SUB")
	}
	for _, ep := range o.binds {
		if err := s.Bind(ep); err != nil {
			return err
		}
	}
	for _, ep := range o.connects {
		if err := s.Connect(ep); err != nil {
			return err
		}
	}
	if mode == "recv" {
		if len(fs.Args()) > 0 {
			return fmt.Errorf("%w: recv takes no frame arguments", errUsage)
		}
		for n := 0; o.count == 0 || n < o.count; n++ {
			msg, err := s.Recv(ctx)
			if err != nil {
				return err
			}
			if err := printMsg(stdout, o.format, msg); err != nil {
				return err
			}
		}
		return nil
	}
	sendOne := func(frames [][]byte) error {
		if err := s.Send(ctx, frames...); err != nil {
			return err
		}
		if typ == zmqx.REQ {
			reply, err := s.Recv(ctx)
			if err != nil {
				return err
			}
			return printMsg(stdout, o.format, reply)
		}
		return nil
	}
	if fs.NArg() > 0 {
		frames := make([][]byte, fs.NArg())
		for i, a := range fs.Args() {
			if frames[i], err = decodeFrame(o.format, a); err != nil {
				return err
			}
		}
		count := max(o.count, 1)
		for i := 0; i < count; i++ {
			if err := sendOne(frames); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for n := 0; (o.count == 0 || n < o.count) && sc.Scan(); n++ {
		frames, err := parseLine(o.format, o.multipart, sc.Text())
		if err != nil {
			return err
		}
		if err := sendOne(frames); err != nil {
			return err
		}
	}
	return sc.Err()
}

func decodeFrame(format, s string) ([]byte, error) {
	if format == "hex" {
		return hex.DecodeString(s)
	}
	return []byte(s), nil
}

func parseLine(format string, multipart bool, line string) ([][]byte, error) {
	switch format {
	case "json":
		var frames []string
		if err := json.Unmarshal([]byte(line), &frames); err != nil {
			return nil, fmt.Errorf("json input: want an array of strings: %w", err)
		}
		out := make([][]byte, len(frames))
		for i, f := range frames {
			out[i] = []byte(f)
		}
		return out, nil
	case "hex":
		var out [][]byte
		for _, f := range strings.Fields(line) {
			if f == "-" {
				out = append(out, nil)
				continue
			}
			b, err := hex.DecodeString(f)
			if err != nil {
				return nil, fmt.Errorf("hex input: %w", err)
			}
			out = append(out, b)
		}
		return out, nil
	}
	if multipart {
		parts := strings.Split(line, "\t")
		out := make([][]byte, len(parts))
		for i, p := range parts {
			out[i] = []byte(p)
		}
		return out, nil
	}
	return [][]byte{[]byte(line)}, nil
}

// printMsg writes one message per line: text frames are tab-separated, hex
// frames space-separated ("-" for an empty frame), json is an array of
// strings (use hex for binary data: JSON strings are UTF-8).
func printMsg(w io.Writer, format string, msg [][]byte) error {
	var line string
	switch format {
	case "json":
		frames := make([]string, len(msg))
		for i, f := range msg {
			frames[i] = string(f)
		}
		b, err := json.Marshal(frames)
		if err != nil {
			return err
		}
		line = string(b)
	case "hex":
		parts := make([]string, len(msg))
		for i, f := range msg {
			parts[i] = hex.EncodeToString(f)
			if len(f) == 0 {
				parts[i] = "-"
			}
		}
		line = strings.Join(parts, " ")
	default:
		parts := make([]string, len(msg))
		for i, f := range msg {
			parts[i] = string(f)
		}
		line = strings.Join(parts, "\t")
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
