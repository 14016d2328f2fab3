// zmqpeer: a libzmq socket driven line by line over stdin/stdout, so Go tests
// can script a real libzmq peer. Written for zmqx's interop tests.
//
//   socket TYPE                      create the socket (REQ, PUB, ...)
//   opt routing_id HEX | router_mandatory | xpub_verbose | req_correlate | req_relaxed |
//       plain_client USER PASS |
//       plain_server USER PASS | sndhwm N | rcvhwm N | rcvtimeo MS
//   sub HEX | unsub HEX              ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE
//   bind EP                          -> ok LAST_ENDPOINT
//   connect EP                       -> ok
//   send F1 F2 ...                   frames in hex, "-" for empty -> ok | err
//   recv                             -> msg F1 F2 ... | err REASON
//   poke                             process pending commands (ZMQ_EVENTS) -> ok
//   quit
#include <zmq.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static void *ctx;
static void *sock;
static char zap_user[256], zap_pass[256];

static int type_of(const char *s) {
	static const struct { const char *n; int t; } types[] = {
		{"PAIR", ZMQ_PAIR}, {"PUB", ZMQ_PUB}, {"SUB", ZMQ_SUB}, {"REQ", ZMQ_REQ},
		{"REP", ZMQ_REP}, {"DEALER", ZMQ_DEALER}, {"ROUTER", ZMQ_ROUTER},
		{"PULL", ZMQ_PULL}, {"PUSH", ZMQ_PUSH}, {"XPUB", ZMQ_XPUB}, {"XSUB", ZMQ_XSUB},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].n, s) == 0) return types[i].t;
	return -1;
}

static int nibble(char c) {
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static size_t unhex(const char *h, unsigned char *out) {
	if (strcmp(h, "-") == 0) return 0;
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)(nibble(h[2 * i]) << 4 | nibble(h[2 * i + 1]));
	return n;
}

static void put_hex(const unsigned char *b, size_t n) {
	if (n == 0) { fputs(" -", stdout); return; }
	fputc(' ', stdout);
	for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static void ok(void) { puts("ok"); fflush(stdout); }
static void fail(void) { printf("err %s\n", zmq_strerror(errno)); fflush(stdout); }

// The ZAP handler checks PLAIN credentials for a plain_server socket.
static void *zap(void *arg) {
	void *rep = arg;
	for (;;) {
		char f[8][256];
		size_t len[8];
		int n = 0, more = 1;
		while (more) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, rep, 0) < 0) return NULL;
			more = zmq_msg_more(&m);
			if (n < 8) {
				len[n] = zmq_msg_size(&m) < 255 ? zmq_msg_size(&m) : 255;
				memcpy(f[n], zmq_msg_data(&m), len[n]);
				f[n][len[n]] = 0;
				n++;
			}
			zmq_msg_close(&m);
		}
		// version, request id, domain, address, identity, mechanism, user, password
		int good = n == 8 && strcmp(f[5], "PLAIN") == 0 &&
		           strcmp(f[6], zap_user) == 0 && strcmp(f[7], zap_pass) == 0;
		zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(rep, f[1], n > 1 ? len[1] : 0, ZMQ_SNDMORE);
		zmq_send(rep, good ? "200" : "400", 3, ZMQ_SNDMORE);
		zmq_send(rep, good ? "OK" : "bad credentials", good ? 2 : 15, ZMQ_SNDMORE);
		zmq_send(rep, good ? f[6] : "", good ? strlen(f[6]) : 0, ZMQ_SNDMORE);
		zmq_send(rep, "", 0, 0);
	}
	return NULL;
}

static unsigned char *buf;
static size_t bufcap;

static void need(size_t n) {
	if (n > bufcap) {
		bufcap = n;
		buf = realloc(buf, bufcap);
	}
}

int main(void) {
	ctx = zmq_ctx_new();
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int timeo = 10000;
	while ((got = getline(&line, &cap, stdin)) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		char *cmd = strtok(line, " ");
		if (!cmd) continue;
		if (strcmp(cmd, "socket") == 0) {
			sock = zmq_socket(ctx, type_of(strtok(NULL, " ")));
			int linger = 0;
			zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
			zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeo, sizeof timeo);
			zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeo, sizeof timeo);
			sock ? ok() : fail();
		} else if (strcmp(cmd, "opt") == 0) {
			char *name = strtok(NULL, " ");
			char *a = strtok(NULL, " "), *b = a ? strtok(NULL, " ") : NULL;
			int rc = 0, one = 1, v = a ? atoi(a) : 0;
			if (strcmp(name, "routing_id") == 0) {
				need(strlen(a));
				rc = zmq_setsockopt(sock, ZMQ_ROUTING_ID, buf, unhex(a, buf));
			} else if (strcmp(name, "router_mandatory") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
			} else if (strcmp(name, "xpub_verbose") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_XPUB_VERBOSE, &one, sizeof one);
			} else if (strcmp(name, "req_correlate") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_REQ_CORRELATE, &one, sizeof one);
			} else if (strcmp(name, "req_relaxed") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_REQ_RELAXED, &one, sizeof one);
			} else if (strcmp(name, "plain_client") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_PLAIN_USERNAME, a, strlen(a));
				if (rc == 0) rc = zmq_setsockopt(sock, ZMQ_PLAIN_PASSWORD, b, strlen(b));
			} else if (strcmp(name, "plain_server") == 0) {
				snprintf(zap_user, sizeof zap_user, "%s", a);
				snprintf(zap_pass, sizeof zap_pass, "%s", b);
				void *rep = zmq_socket(ctx, ZMQ_REP);
				rc = zmq_bind(rep, "inproc://zeromq.zap.01");
				pthread_t th;
				if (rc == 0) pthread_create(&th, NULL, zap, rep);
				if (rc == 0) rc = zmq_setsockopt(sock, ZMQ_PLAIN_SERVER, &one, sizeof one);
			} else if (strcmp(name, "sndhwm") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_SNDHWM, &v, sizeof v);
			} else if (strcmp(name, "rcvhwm") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_RCVHWM, &v, sizeof v);
			} else if (strcmp(name, "rcvtimeo") == 0) {
				rc = zmq_setsockopt(sock, ZMQ_RCVTIMEO, &v, sizeof v);
			} else {
				errno = EINVAL;
				rc = -1;
			}
			rc == 0 ? ok() : fail();
		} else if (strcmp(cmd, "sub") == 0 || strcmp(cmd, "unsub") == 0) {
			char *h = strtok(NULL, " ");
			need(strlen(h) + 1);
			size_t n = unhex(h, buf);
			int rc = zmq_setsockopt(sock, cmd[0] == 's' ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, buf, n);
			rc == 0 ? ok() : fail();
		} else if (strcmp(cmd, "bind") == 0) {
			if (zmq_bind(sock, strtok(NULL, " ")) != 0) { fail(); continue; }
			char ep[256];
			size_t n = sizeof ep;
			zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &n);
			printf("ok %s\n", ep);
			fflush(stdout);
		} else if (strcmp(cmd, "connect") == 0) {
			zmq_connect(sock, strtok(NULL, " ")) == 0 ? ok() : fail();
		} else if (strcmp(cmd, "send") == 0) {
			char *frames[64];
			int n = 0;
			for (char *t = strtok(NULL, " "); t && n < 64; t = strtok(NULL, " ")) frames[n++] = t;
			int rc = 0;
			for (int i = 0; i < n && rc >= 0; i++) {
				need(strlen(frames[i]) + 1);
				size_t len = unhex(frames[i], buf);
				rc = zmq_send(sock, buf, len, i < n - 1 ? ZMQ_SNDMORE : 0);
			}
			rc >= 0 ? ok() : fail();
		} else if (strcmp(cmd, "recv") == 0) {
			zmq_msg_t m;
			int more = 1, first = 1;
			while (more) {
				zmq_msg_init(&m);
				if (zmq_msg_recv(&m, sock, 0) < 0) {
					zmq_msg_close(&m);
					if (first) { fail(); break; }
					puts(""); break;
				}
				if (first) fputs("msg", stdout);
				first = 0;
				put_hex(zmq_msg_data(&m), zmq_msg_size(&m));
				more = zmq_msg_more(&m);
				zmq_msg_close(&m);
			}
			if (!first) { putchar('\n'); fflush(stdout); }
		} else if (strcmp(cmd, "poke") == 0) {
			// libzmq attaches new peers of a bound socket only when the
			// application thread enters the library; this does.
			int ev;
			size_t n = sizeof ev;
			zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &n) == 0 ? ok() : fail();
		} else if (strcmp(cmd, "quit") == 0) {
			break;
		} else {
			puts("err unknown command");
			fflush(stdout);
		}
	}
	if (sock) zmq_close(sock);
	// The ZAP thread blocks in recv; exiting ends it with the process.
	exit(0);
}
