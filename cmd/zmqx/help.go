package main

import (
	"flag"
	"fmt"
	"io"
)

// commands maps each subcommand to its one-line summary.
var commands = map[string]string{
	"send":   "send messages; as REQ print the replies; as REP or ROUTER answer requests",
	"recv":   "print the messages that arrive, one per line",
	"proxy":  "forward messages both ways between two sockets, like zmq_proxy",
	"doctor": "tell whether xdp:// endpoints can work on a network interface",
	"keygen": "print a new CURVE key pair (Z85): public: and secret: lines",
}

const mainHelp = `zmqx sends, receives, serves and forwards ØMQ messages from the shell, against
zmqx or any libzmq peer.

Usage:
  zmqx send   [flags] [FRAME...]   %s
  zmqx recv   [flags]              %s
  zmqx proxy  --frontend SPEC --backend SPEC
                                   %s
  zmqx keygen                      %s
  zmqx doctor IFACE                %s
  zmqx help   [COMMAND]            this help, or a command's (same as zmqx COMMAND -h)

Examples:
  zmqx recv --type PULL --bind tcp://*:5555
  zmqx send --type PUSH --connect tcp://127.0.0.1:5555 hello world
  zmqx send --type REP --bind tcp://*:5557 --count 10 pong
  zmqx send --type REQ --connect tcp://127.0.0.1:5557 ping
  zmqx send --type PUB --bind tcp://*:5556 --wait-subscribers 1 news.sport goal
  zmqx recv --type SUB --connect tcp://127.0.0.1:5556 --subscribe news.
  zmqx proxy --frontend ROUTER@bind:tcp://*:5559 --backend DEALER@bind:tcp://*:5560

Security (send and recv): --curve-server SECRET makes the socket a CURVE server;
--curve-secret SECRET --curve-public PUBLIC --curve-server-key SERVERKEY a CURVE
client. Keys are Z85 text, as zmqx keygen prints them (quote them: Z85 uses
characters the shell interprets):
  zmqx keygen        # the server's pair: public: S-PUB, secret: S-SEC
  zmqx recv --type PULL --bind tcp://*:5555 --curve-server 'S-SEC'
  zmqx send --type PUSH --connect tcp://127.0.0.1:5555 --curve-secret 'C-SEC' \
      --curve-public 'C-PUB' --curve-server-key 'S-PUB' hello
`

const messagesHelp = `Messages:
  One message is one line. --format says how its frames are written, on standard
  output, on standard input and in FRAME arguments (the same notation everywhere,
  so what recv prints can be piped into send):
    text  the frames separated by a tab. Inside a frame a backslash, tab, newline and
          carriage return are written \\ \t \n \r, and other control bytes and bytes
          that are not UTF-8 as \xNN, so that a message always stays on one line.
          Input understands the same escapes (any other backslash is kept as it is).
          An input line is one frame; with --multipart, tabs separate frames.
    hex   each frame in hexadecimal, separated by spaces.
    json  an array with one element per frame: a JSON string when the frame is valid
          UTF-8, otherwise {"base64": "..."} holding the frame's exact bytes (a JSON
          string could not: bytes are never replaced by U+FFFD).
  A frame written "-" on its own is an empty frame, in text, in hex and in FRAME
  arguments (text writes a frame that is one dash as \-; in json it is "").
  FRAME arguments are in hex with --format hex, in the text notation otherwise.
  In hex and json, blank input lines are skipped; in text, a blank line is a message
  of one empty frame.
`

const sendHelp = `Usage: zmqx send [flags] [FRAME...]

Sends the message made of the FRAME arguments (one frame each; --count times). With
no FRAME arguments it reads standard input instead: one message per line until the
input ends (or --count messages). Empty input is not an error: send says so on
standard error and exits 0. Flags come before the FRAMEs.

What happens depends on --type:
  PUSH, DEALER, PAIR, XSUB  send; a bound socket waits for a peer to send to, a
             connecting one queues until its peer is there. An XSUB subscribes
             only to the --subscribe topics (or by sending "\x01topic").
  PUB, XPUB  send to the subscribers connected at that moment; nobody else gets the
             message. A subscriber that has just connected has often not subscribed
             yet (the slow joiner), so wait first:
             --wait-subscribers N  waits until N subscribers are connected (counted
                       from the socket's connection events) and N subscriptions have
                       arrived (the PUB is a verbose XPUB under the hood to see them:
                       a subscriber with no subscription is not counted).
             --delay D  waits D after binding and connecting (any socket type).
  REQ        send each message as a request and print the reply.
  REP        serve: receive a request, print it (as recv would), answer it with the
             message (the FRAMEs, or the next line of standard input, which is read
             before the request is awaited); --count requests, default one with
             FRAMEs, one per input line without.
  ROUTER     serve like REP. The request is printed with the routing id as its first
             frame; the reply goes to that id: the id, then (as a REP keeps it) the
             request's envelope up to the empty delimiter if there is one, then the
             message. Replies to a peer that has left fail.

The exit status is 0 when the messages went out to a peer, 1 when nothing could be
delivered (no peer before the --timeout; a PUB with no subscriber connected; a
connecting socket whose peer never came: it waits for one until the --timeout or
Ctrl-C) or on another error, 2 for a command line that cannot be used. --timeout
bounds the whole run: the wait for peers, replies and requests, and the linger that
lets queued messages leave at the end (5s without --timeout).

`

const recvHelp = `Usage: zmqx recv [flags]

Prints each message that arrives, one per line in --format, until --count messages
have arrived. With --count 0 (the default) it runs until Ctrl-C or the --timeout and
then exits 0 if anything arrived (always 0 on Ctrl-C); with --count N, fewer than N
messages is an error. A SUB or XSUB subscribes to everything unless --subscribe says
otherwise. A ROUTER prints the sender's routing id as the first frame; an XPUB
prints subscriptions as messages whose first byte is 1 (subscribe) or 0 (cancel).

`

const proxyHelp = `Usage: zmqx proxy --frontend SPEC --backend SPEC [--timeout D]

Like zmq_proxy: every message received on either socket is sent, whole, on the other,
until Ctrl-C or the --timeout (then it exits 0). SPEC is TYPE@bind:ENDPOINT or
TYPE@connect:ENDPOINT; repeat the flag to bind or connect one socket at more endpoints.
Messages go each way the two types allow (PULL to PUSH one way; ROUTER and DEALER,
XSUB and XPUB, PAIR and PAIR both ways). A SUB frontend subscribes to everything;
behind an XSUB frontend the subscriptions that an XPUB backend receives go upstream.

  zmqx proxy --frontend ROUTER@bind:tcp://*:5559 --backend DEALER@bind:tcp://*:5560
      REQ clients connect to 5559, REP workers to 5560.
  zmqx proxy --frontend XSUB@bind:tcp://*:6000 --backend XPUB@bind:tcp://*:6001
      publishers connect to 6000, subscribers to 6001.
  zmqx proxy --frontend PULL@bind:ipc:///tmp/in --backend PUSH@connect:tcp://10.0.0.2:7000

Flags:
`

const doctorHelp = `Usage: zmqx doctor IFACE

Tells whether an xdp:// endpoint can work on the network interface IFACE and what zmqx
would do there. Every fact is found by asking the kernel or trying the feature (for a
moment attaching a pass-everything XDP program, binding an AF_XDP socket to queue 0),
never guessed from versions. Prints one fact per line, then a verdict; exits 1 with
the reasons when xdp:// cannot work.
`

// help prints the help for cmd ("" for zmqx itself) to standard output;
// fs, when given, supplies the flags.
func (c *cli) help(cmd string, fs *flag.FlagSet) {
	w := c.stdout
	switch cmd {
	case "":
		fmt.Fprintf(w, mainHelp, commands["send"], commands["recv"], commands["proxy"], commands["keygen"], commands["doctor"])
		fmt.Fprintln(w)
		fmt.Fprint(w, messagesHelp)
		return
	case "send":
		fmt.Fprint(w, sendHelp)
		fmt.Fprint(w, messagesHelp)
		fmt.Fprint(w, "\nFlags:\n")
	case "recv":
		fmt.Fprint(w, recvHelp)
		fmt.Fprint(w, messagesHelp)
		fmt.Fprint(w, "\nFlags:\n")
	case "proxy":
		fmt.Fprint(w, proxyHelp)
	case "doctor":
		fmt.Fprint(w, doctorHelp)
		return
	case "keygen":
		fmt.Fprint(w, keygenHelp)
		return
	}
	if fs != nil {
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}
