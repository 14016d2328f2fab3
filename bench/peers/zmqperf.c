// zmqperf: libzmq's side of zmqx's benchmark pairs, written for zmqx. It
// takes the same arguments and prints the same lines as the bench/cmd tools
// (and libzmq's own perf tools), so either side of a pair can be libzmq:
//
//   zmqperf local_lat  <bind-to>    <message-size> <roundtrip-count>   (REP)
//   zmqperf remote_lat <connect-to> <message-size> <roundtrip-count>   (REQ)
//   zmqperf local_thr  <bind-to>    <message-size> <message-count>     (PULL)
//   zmqperf remote_thr <connect-to> <message-size> <message-count>     (PUSH)
//
// remote_lat also prints the round-trip percentile and tail lines of zmqx's
// tools (exact nearest-rank values here; zmqx's come from a histogram with
// 3 significant digits).
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(const double *s, int n, double q) {
	int i = (int)(q * n + 0.5) - 1;
	if (i < 0) i = 0;
	if (i > n - 1) i = n - 1;
	return s[i];
}

static void die(const char *what) {
	fprintf(stderr, "zmqperf: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: zmqperf local_lat|remote_lat|local_thr|remote_thr <endpoint> <message-size> <count>\n");
		return 2;
	}
	const char *mode = argv[1], *ep = argv[2];
	int size = atoi(argv[3]), count = atoi(argv[4]);
	void *ctx = zmq_ctx_new();
	int lat = strstr(mode, "lat") != NULL, local = strncmp(mode, "local", 5) == 0;
	int type = lat ? (local ? ZMQ_REP : ZMQ_REQ) : (local ? ZMQ_PULL : ZMQ_PUSH);
	void *s = zmq_socket(ctx, type);
	if ((local ? zmq_bind(s, ep) : zmq_connect(s, ep)) != 0) die(local ? "bind" : "connect");
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (lat && local) {
		for (int i = 0; i < count; i++) {
			if (zmq_msg_recv(&msg, s, 0) != size) die("recv");
			if (zmq_msg_send(&msg, s, 0) != size) die("send");
		}
	} else if (lat) {
		double *rtt = malloc(sizeof(double) * count);
		char *buf = calloc(1, size ? size : 1);
		double start = now_us();
		for (int i = 0; i < count; i++) {
			double t0 = now_us();
			if (zmq_send(s, buf, size, 0) != size) die("send");
			if (zmq_msg_recv(&msg, s, 0) != size) die("recv");
			rtt[i] = now_us() - t0;
		}
		double total = now_us() - start;
		qsort(rtt, count, sizeof(double), cmp);
		printf("message size: %d [B]\n", size);
		printf("roundtrip count: %d\n", count);
		printf("average latency: %.3f [us]\n", total / (count * 2));
		printf("latency percentiles [us]: p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
		       quantile(rtt, count, 0.5), quantile(rtt, count, 0.9), quantile(rtt, count, 0.99),
		       quantile(rtt, count, 0.999), rtt[count - 1]);
		printf("latency tail [us]: p99.99=%.2f p99.999=%.2f\n",
		       quantile(rtt, count, 0.9999), quantile(rtt, count, 0.99999));
	} else if (local) {
		double start = 0;
		for (int i = 0; i < count; i++) {
			if (zmq_msg_recv(&msg, s, 0) != size) die("recv");
			if (i == 0) start = now_us();
		}
		double elapsed = now_us() - start;
		if (elapsed <= 0) elapsed = 1;
		double thr = count * 1e6 / elapsed;
		printf("message size: %d [B]\n", size);
		printf("message count: %d\n", count);
		printf("mean throughput: %d [msg/s]\n", (int)thr);
		printf("mean throughput: %.3f [Mb/s]\n", thr * size * 8 / 1e6);
	} else {
		for (int i = 0; i < count; i++) {
			zmq_msg_t m;
			zmq_msg_init_size(&m, size);
			memset(zmq_msg_data(&m), 0, size);
			if (zmq_msg_send(&m, s, 0) != size) die("send");
		}
	}
	zmq_msg_close(&msg);
	zmq_close(s); // default linger: waits until everything is sent
	zmq_ctx_term(ctx);
	return 0;
}
