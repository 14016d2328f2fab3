// zmqperf: libzmq's side of zmqx's benchmark pairs, written for zmqx. It
// takes the same arguments and prints the same lines as the bench/cmd tools
// (and libzmq's own perf tools), so either side of a pair can be libzmq:
//
//   zmqperf local_lat  <bind-to>    <message-size> <roundtrip-count>   (REP)
//   zmqperf remote_lat [--hgrm FILE] <connect-to> <message-size> <roundtrip-count>   (REQ)
//   zmqperf local_thr  <bind-to>    <message-size> <message-count>     (PULL)
//   zmqperf remote_thr <connect-to> <message-size> <message-count>     (PUSH)
//   zmqperf pub_thr    <bind-to>    <message-size> <message-count> <subscribers>  (XPUB)
//   zmqperf sub_thr    <connect-to> <message-size> <message-count> <subscribers>  (SUBs)
//
// sub_thr runs one thread per SUB socket, all in one context. pub_thr and
// sub_thr follow the hello/end-marker protocol described in
// bench/internal/perf/fanout.go: each SUB subscribes to "" and then to
// "sub_thr <pid> <index>"; the XPUB starts sending once it has seen that
// many hello subscriptions and sends the end marker "e" about every 100 us
// until it has seen as many hello cancellations (reported when a
// subscriber's connection goes away). Build with -lpthread.
//
// remote_lat also prints the round-trip percentile and tail lines of zmqx's
// tools (exact nearest-rank values here; zmqx's come from a histogram with
// 3 significant digits), and takes --hgrm FILE before its endpoint:
//
//   zmqperf remote_lat --hgrm FILE <connect-to> <message-size> <roundtrip-count>
//
// which writes the round trips' percentile distribution in the text format
// of HdrHistogram's tools (the .hgrm zmqx's remote_lat --hgrm writes, in
// microseconds, 5 ticks per half distance), computed from the exact
// samples: each row is the smallest round trip at or below which at least
// that percentile of them fell. With no histogram behind it, the footer's
// Buckets and SubBuckets are 0.
#include <zmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

// write_hgrm writes the percentile distribution of the n sorted round
// trips s (microseconds) to path, row for row as HdrHistogram's percentile
// iterator (hdrhistogram-go's PercentilesPrint) does with the exact values
// as its buckets: percentiles to report step by 100 / (5 * 2^(k+1)) where
// 2^k <= 100 / (100 - percentile) (finer towards the tail); a value is
// reported for every step it reaches; the maximum ends the table at 100 %.
//
// It needs no libm (so the link lines stay as they were): the step's power
// of two is found by doubling, and the standard deviation's square root by
// Newton's method.
static int write_hgrm(const char *path, const double *s, int n) {
	FILE *f = fopen(path, "w");
	if (f == NULL) return -1;
	fprintf(f, " Value\tPercentile\tTotalCount\t1/(1-Percentile)\n\n");
	double target = 0, sum = 0, sq = 0;
	for (int i = 0; i < n;) {
		int j = i;
		while (j < n && s[j] == s[i]) j++; // s[i..j) are one value
		double reached = 100.0 * j / n;
		while (target <= reached) {
			double p = target / 100;
			fprintf(f, "%12.3f %12f %12d %12.2f\n", s[i], p, j, 1 / (1 - p));
			double half = 2; // 2^(floor(log2(100 / (100 - target))) + 1)
			while (half <= 100 / (100 - target)) half *= 2;
			target += 100 / (5 * half);
			if (j == n) break; // the last value is reported once, then the 100 % row
		}
		i = j;
	}
	for (int i = 0; i < n; i++) sum += s[i];
	double mean = sum / n;
	for (int i = 0; i < n; i++) sq += (s[i] - mean) * (s[i] - mean);
	fprintf(f, "%12.3f %12f %12d %12s\n", s[n - 1], 1.0, n, "inf");
	double var = sq / n, sd = var > 1 ? var : 1;
	for (int i = 0; i < 200; i++) sd = (sd + var / sd) / 2;
	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean, var > 0 ? sd : 0);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12d]\n", s[n - 1], n);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", 0, 0);
	return fclose(f);
}

static void die(const char *what) {
	fprintf(stderr, "zmqperf: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

static void print_thr(int size, long count, double elapsed) {
	if (elapsed <= 0) elapsed = 1;
	double thr = count * 1e6 / elapsed;
	printf("message size: %d [B]\n", size);
	printf("message count: %ld\n", count);
	printf("mean throughput: %d [msg/s]\n", (int)thr);
	printf("mean throughput: %.3f [Mb/s]\n", thr * size * 8 / 1e6);
}

#define HELLO "sub_thr "
#define HELLO_LEN 8

// is_hello: whether a subscription message of n bytes is the (un)subscribe
// (on 1 / 0) of a hello topic.
static int is_hello(const char *m, int n, int on) {
	return n > 1 + HELLO_LEN && m[0] == on && memcmp(m + 1, HELLO, HELLO_LEN) == 0;
}

static void pub_thr(void *ctx, const char *ep, int size, int count, int subs) {
	void *s = zmq_socket(ctx, ZMQ_XPUB);
	if (zmq_bind(s, ep) != 0) die("bind");
	char buf[256];
	for (int in = 0; in < subs;) {
		int n = zmq_recv(s, buf, sizeof buf, 0);
		if (n < 0) die("recv");
		if (n <= (int)sizeof buf && is_hello(buf, n, 1)) in++;
	}
	double start = now_us();
	for (int i = 0; i < count; i++) {
		zmq_msg_t m;
		zmq_msg_init_size(&m, size);
		memset(zmq_msg_data(&m), 0, size);
		*(char *)zmq_msg_data(&m) = 'd';
		if (zmq_msg_send(&m, s, 0) != size) die("send");
	}
	double elapsed = now_us() - start;
	// Markers may be dropped at a subscriber's HWM as data is: repeat
	// until each subscriber has seen one and gone.
	for (int left = 0; left < subs;) {
		if (zmq_send(s, "e", 1, 0) != 1) die("send");
		for (;;) {
			int n = zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT);
			if (n < 0) {
				if (zmq_errno() == EAGAIN) break;
				die("recv");
			}
			if (n <= (int)sizeof buf && is_hello(buf, n, 0)) left++;
		}
		if (left < subs) nanosleep(&(struct timespec){0, 100000}, NULL);
	}
	print_thr(size, count, elapsed);
	zmq_close(s);
}

struct sub {
	void *ctx;
	const char *ep;
	int size, index;
	long n;
	double first, last;
};

// sub_run: one subscriber, until the end marker; it closes its socket at
// once so that the publisher sees it leave.
static void *sub_run(void *arg) {
	struct sub *a = arg;
	void *s = zmq_socket(a->ctx, ZMQ_SUB);
	char hello[64];
	int hl = snprintf(hello, sizeof hello, HELLO "%d %d", (int)getpid(), a->index);
	if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0) die("subscribe");
	if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, hello, hl) != 0) die("subscribe");
	if (zmq_connect(s, a->ep) != 0) die("connect");
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (;;) {
		int n = zmq_msg_recv(&m, s, 0);
		if (n < 0) die("recv");
		double t = now_us();
		const char *d = zmq_msg_data(&m);
		if (zmq_msg_more(&m)) {
			fprintf(stderr, "zmqperf: multi-frame message\n");
			exit(1);
		}
		if (n == 1 && d[0] == 'e') break;
		if (n != a->size || d[0] != 'd') {
			fprintf(stderr, "zmqperf: message of %d bytes, want %d starting 'd'\n", n, a->size);
			exit(1);
		}
		if (a->n == 0) a->first = t;
		a->last = t;
		a->n++;
	}
	zmq_msg_close(&m);
	zmq_close(s);
	return NULL;
}

static void sub_thr(void *ctx, const char *ep, int size, int count, int subs) {
	struct sub *a = calloc(subs, sizeof *a);
	pthread_t *th = calloc(subs, sizeof *th);
	for (int i = 0; i < subs; i++) {
		a[i] = (struct sub){.ctx = ctx, .ep = ep, .size = size, .index = i};
		if (pthread_create(&th[i], NULL, sub_run, &a[i]) != 0) {
			fprintf(stderr, "zmqperf: pthread_create failed\n");
			exit(1);
		}
	}
	long delivered = 0;
	double first = 0, last = 0;
	for (int i = 0; i < subs; i++) {
		pthread_join(th[i], NULL);
		if (a[i].n == 0) continue;
		if (delivered == 0 || a[i].first < first) first = a[i].first;
		if (a[i].last > last) last = a[i].last;
		delivered += a[i].n;
	}
	double elapsed = last - first;
	if (elapsed <= 0) elapsed = 1;
	double thr = delivered * 1e6 / elapsed;
	printf("message size: %d [B]\n", size);
	printf("message count: %ld\n", delivered);
	printf("subscribers: %d\n", subs);
	printf("mean throughput: %d [msg/s]\n", (int)thr);
	printf("mean throughput: %.3f [Mb/s]\n", thr * size * 8 / 1e6);
	printf("delivered: %.2f %%\n", delivered * 100.0 / ((double)count * subs));
	free(a);
	free(th);
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	const char *hgrm = NULL;
	if (strcmp(mode, "remote_lat") == 0 && argc > 3 && strcmp(argv[2], "--hgrm") == 0) {
		hgrm = argv[3];
		argv[3] = argv[1]; // drop the option: argv[2] is the mode again
		argv += 2;
		argc -= 2;
	}
	int fan = strcmp(mode, "pub_thr") == 0 || strcmp(mode, "sub_thr") == 0;
	if (argc != (fan ? 6 : 5)) {
		fprintf(stderr, "usage: zmqperf local_lat|remote_lat|local_thr|remote_thr <endpoint> <message-size> <count>\n"
		                "       zmqperf remote_lat --hgrm FILE <endpoint> <message-size> <roundtrip-count>\n"
		                "       zmqperf pub_thr|sub_thr <endpoint> <message-size> <message-count> <subscribers>\n");
		return 2;
	}
	const char *ep = argv[2];
	int size = atoi(argv[3]), count = atoi(argv[4]);
	void *ctx = zmq_ctx_new();
	if (fan) {
		int subs = atoi(argv[5]);
		if (size < 1 || count < 1 || subs < 1) {
			fprintf(stderr, "zmqperf: %s needs a message size, count and subscribers of at least 1\n", mode);
			return 2;
		}
		if (mode[0] == 'p')
			pub_thr(ctx, ep, size, count, subs);
		else
			sub_thr(ctx, ep, size, count, subs);
		zmq_ctx_term(ctx);
		return 0;
	}
	int lat = strstr(mode, "lat") != NULL, local = strncmp(mode, "local", 5) == 0;
	int type = lat ? (local ? ZMQ_REP : ZMQ_REQ) : (local ? ZMQ_PULL : ZMQ_PUSH);
	void *s = zmq_socket(ctx, type);
	if (getenv("ZMQX_BENCH_CURVE") != NULL && *getenv("ZMQX_BENCH_CURVE") != 0) {
		// The fixed keys of bench/internal/perf (the binding side serves).
		int one = 1;
		if (local) {
			if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
			    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs", 40) != 0)
				die("curve server");
		} else if (zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, "a@E7Z9!pmzQ=dzgHW0*$v-fC-q6o[gi$9pJBSSCz", 40) != 0 ||
		           zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, "{-QY+0@u1b^<ePy:k}%#iOX$k.=CM+/8)%l<aW7F", 40) != 0 ||
		           zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", 40) != 0)
			die("curve client");
	}
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
		if (hgrm != NULL && write_hgrm(hgrm, rtt, count) != 0) {
			perror(hgrm);
			return 1;
		}
	} else if (local) {
		double start = 0;
		for (int i = 0; i < count; i++) {
			if (zmq_msg_recv(&msg, s, 0) != size) die("recv");
			if (i == 0) start = now_us();
		}
		print_thr(size, count, now_us() - start);
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
