"""pypeer: one pyzmq socket driven line by line over stdin/stdout, so the Go
tests in this directory can script a real pyzmq (libzmq) peer.

It speaks the C peer's protocol (peer/zmqpeer.c), plus a few lines of its own:

  (on start)                 -> ready LIBZMQ_VERSION PYZMQ_VERSION
  socket TYPE                create the socket (REQ, PUB, ...) -> ok
  opt routing_id HEX | router_mandatory | xpub_verbose | plain_client USER PASS |
      plain_server USER PASS | curve_server SECRET |
      curve_client SECRET PUBLIC SERVERKEY | sndhwm N | rcvhwm N | rcvtimeo MS |
      monitor | int NAME N | bytes NAME HEX
                             int and bytes set any option by its zmq name
                             (int PROBE_ROUTER 1, bytes XPUB_WELCOME_MSG 6869);
                             curve keys are Z85 text (40 characters);
                             plain_server starts pyzmq's ThreadAuthenticator
                             (a ZAP handler) that knows one USER and PASS;
                             monitor records the socket's events -> ok
  sub HEX | unsub HEX        ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE -> ok
  bind EP                    -> ok LAST_ENDPOINT
  connect EP                 -> ok
  send F1 F2 ...             frames in hex, "-" for an empty one -> ok | err REASON
  recv [MS]                  -> msg F1 F2 ... | err REASON (after MS, default
                             rcvtimeo)
  poke                       process pending commands (ZMQ_EVENTS) -> ok
  close                      close the socket with an infinite linger, so
                             libzmq writes out what it queued before it
                             closes the connection -> ok
  event NAME[|NAME...] [MS]  wait for a monitor event of one of these names,
                             e.g. HANDSHAKE_SUCCEEDED (other events are kept
                             for later asks) -> ok NAME VALUE | err timeout
  quit
"""

import sys

import zmq

TIMEOUT_MS = 10000


def unhex(s):
    return b"" if s == "-" else bytes.fromhex(s)


def enhex(frames):
    return " ".join(f.hex() if f else "-" for f in frames)


class Peer:
    def __init__(self):
        self.ctx = zmq.Context()
        self.sock = None
        self.auth = None
        self.mon = None
        self.seen = []  # monitor events not yet asked for: (name, value)

    def out(self, line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def cmd_socket(self, args):
        self.sock = self.ctx.socket(getattr(zmq, args[0]))
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
        self.sock.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
        return "ok"

    def cmd_opt(self, args):
        name, rest = args[0], args[1:]
        s = self.sock
        if name == "routing_id":
            s.setsockopt(zmq.ROUTING_ID, unhex(rest[0]))
        elif name == "router_mandatory":
            s.setsockopt(zmq.ROUTER_MANDATORY, 1)
        elif name == "xpub_verbose":
            s.setsockopt(zmq.XPUB_VERBOSE, 1)
        elif name == "plain_client":
            s.setsockopt(zmq.PLAIN_USERNAME, rest[0].encode())
            s.setsockopt(zmq.PLAIN_PASSWORD, rest[1].encode())
        elif name == "plain_server":
            from zmq.auth.thread import ThreadAuthenticator

            self.auth = ThreadAuthenticator(self.ctx)
            self.auth.start()
            self.auth.configure_plain(domain="*", passwords={rest[0]: rest[1]})
            s.setsockopt(zmq.PLAIN_SERVER, 1)
        elif name == "curve_server":
            s.setsockopt(zmq.CURVE_SERVER, 1)
            s.setsockopt(zmq.CURVE_SECRETKEY, rest[0].encode())
        elif name == "curve_client":
            s.setsockopt(zmq.CURVE_SECRETKEY, rest[0].encode())
            s.setsockopt(zmq.CURVE_PUBLICKEY, rest[1].encode())
            s.setsockopt(zmq.CURVE_SERVERKEY, rest[2].encode())
        elif name == "sndhwm":
            s.setsockopt(zmq.SNDHWM, int(rest[0]))
        elif name == "rcvhwm":
            s.setsockopt(zmq.RCVHWM, int(rest[0]))
        elif name == "rcvtimeo":
            s.setsockopt(zmq.RCVTIMEO, int(rest[0]))
        elif name == "monitor":
            self.mon = s.get_monitor_socket()
        elif name == "int":
            s.setsockopt(getattr(zmq, rest[0]), int(rest[1]))
        elif name == "bytes":
            s.setsockopt(getattr(zmq, rest[0]), unhex(rest[1]))
        else:
            return "err unknown option " + name
        return "ok"

    def cmd_sub(self, args):
        self.sock.setsockopt(zmq.SUBSCRIBE, unhex(args[0]))
        return "ok"

    def cmd_unsub(self, args):
        self.sock.setsockopt(zmq.UNSUBSCRIBE, unhex(args[0]))
        return "ok"

    def cmd_bind(self, args):
        self.sock.bind(args[0])
        return "ok " + self.sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def cmd_connect(self, args):
        self.sock.connect(args[0])
        return "ok"

    def cmd_send(self, args):
        self.sock.send_multipart([unhex(a) for a in args], copy=True)
        return "ok"

    def cmd_recv(self, args):
        if args:
            if not self.sock.poll(int(args[0]), zmq.POLLIN):
                return "err timeout"
        return "msg " + enhex(self.sock.recv_multipart())

    def cmd_close(self, args):
        if self.mon is not None:
            self.sock.disable_monitor()
            self.mon.close(0)
            self.mon = None
        self.sock.close(linger=-1)
        self.sock = None
        return "ok"

    def cmd_poke(self, args):
        self.sock.getsockopt(zmq.EVENTS)
        return "ok"

    def cmd_event(self, args):
        from zmq.utils.monitor import recv_monitor_message

        want = {getattr(zmq, "EVENT_" + n): n for n in args[0].split("|")}
        wait = int(args[1]) if len(args) > 1 else TIMEOUT_MS
        while True:
            for i, (ev, value) in enumerate(self.seen):
                if ev in want:
                    del self.seen[i]
                    return "ok %s %d" % (want[ev], value)
            if not self.mon.poll(wait, zmq.POLLIN):
                return "err timeout"
            m = recv_monitor_message(self.mon)
            self.seen.append((m["event"], m["value"]))

    def run(self):
        self.out("ready %s %s" % (zmq.zmq_version(), zmq.pyzmq_version()))
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            handler = getattr(self, "cmd_" + words[0], None)
            if handler is None:
                self.out("err unknown command " + words[0])
                continue
            try:
                self.out(handler(words[1:]))
            except zmq.Again:
                self.out("err timeout")
            except zmq.ZMQError as e:
                self.out("err " + str(e))
        if self.mon is not None:
            self.sock.disable_monitor()
            self.mon.close(0)
        if self.sock is not None:
            self.sock.close(0)
        if self.auth is not None:
            self.auth.stop()
        self.ctx.term()


if __name__ == "__main__":
    Peer().run()
