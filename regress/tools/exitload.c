/*
 * exitload: drives one exit over a WebSocket /stream with many sessions
 * at once, non-blocking (grdrv is the scripted, one-session-at-a-time
 * driver).  Test and benchmark tool: it mallocs freely.
 *
 *	exitload -u http://127.0.0.1:PORT -k KEYHEX slowup STUCKPORT SHAPORT
 *	    [-s MiB] [-m MiB] [-x] [-U]
 *		session A sends -s MiB (default 24) to STUCKPORT, whose
 *		upstream never reads; session B meanwhile sends -m MiB
 *		(default 16) to a sha256 sink (grdrv sink) on SHAPORT and
 *		checks the digest it answers.  WebSocket pings go out every
 *		50 ms and every one must be answered.  -x: A must be reset
 *		by the exit (its queue went over the exit's caps).  -U: ask
 *		for upstream_ack_v1 in the hello; the exit must acknowledge
 *		all of B but hold back A's GACKs once A's upstream lags.
 *	exitload -u URL -k KEY churn ECHOPORT [-n N] [-c C] [-b BYTES]
 *		N sessions (default 20000), at most C (default 256) open
 *		at once: SYN with BYTES (default 32) of data and FIN in one
 *		batch, to an echo sink that closes after EOF; a session is
 *		complete when its echo and the exit's FIN came back.
 *		Prints sessions/s.
 *	exitload -u URL -k KEY hol SOURCEPORT QUICKPORT [-n N]
 *		while one session downloads without end from bench/sink's
 *		source port, open N (default 200) fresh sessions one at a
 *		time to its quick port (one byte, then close) and print the
 *		time from SYN sent to first byte back (p50, p90, max).
 *	exitload -u URL -k KEY hold [-n N] [-t SECONDS] GREETPORT
 *		open N sessions (default 1100) to a listener that greets
 *		each connection with one byte (exitload stuck -g), wait
 *		until every greeting came back, print "holding N sessions",
 *		then keep the stream up (answering pings) until SIGUSR1
 *		or SECONDS (default 120) passed; then print "held N
 *		sessions" if the stream and every session are still up.
 *	exitload stuck PORT [-g]
 *		a listener that accepts and never reads (until killed or
 *		300 s passed); -g: it writes one byte to each connection.
 *
 * Exit status 0 on success, 1 on failure.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wire.h"

#define LD_FRAME	(128 * 1024)
#define LD_OUT_LOW	(256 * 1024)	/* queue more below this */
#define LD_PING_EVERY	0.05
#define LD_PINGS_MAX	100000

struct ld {
	char			 host[64];
	int			 port;
	struct wire_aead	*aead;
	uint8_t			 cid[WIRE_CID_LEN];
	int			 fd;
	struct wbuf		 out;		/* WS bytes to write */
	size_t			 out_off;
	struct wbuf		 in;		/* WS bytes read */
	struct wbuf		 msg;		/* message being assembled */
	struct wbuf		 body;
	struct wbuf		 scratch;
	struct wire_batch	 batch;
	int			 closed;
	/* pings */
	double			*ping_at;
	uint64_t		 pings;
	uint64_t		 pongs;
	double			 pong_max;
	double			 last_ping;
	double			 deadline;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "exitload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static int	 ld_debug;

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
ld_connect(struct ld *d)
{
	struct sockaddr_in	 sin;
	char			 req[512], hdr[4096];
	size_t			 n = 0;
	ssize_t			 r;
	int			 one = 1, len;

	if ((d->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	/* A smaller receive window: how much bulk can queue in the kernel. */
	if (getenv("EXITLOAD_RCVBUF") != NULL) {
		int	 rb = atoi(getenv("EXITLOAD_RCVBUF"));

		setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(d->port);
	if (inet_pton(AF_INET, d->host, &sin.sin_addr) != 1)
		die("bad host %s", d->host);
	if (connect(d->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect: %s", strerror(errno));
	setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	len = snprintf(req, sizeof(req), "GET /stream HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", d->host, d->port);
	if (write(d->fd, req, len) != len)
		die("upgrade write");
	/* Byte by byte up to the blank line: nothing else is read. */
	while (n + 1 < sizeof(hdr)) {
		if ((r = read(d->fd, hdr + n, 1)) != 1)
			die("upgrade: connection closed");
		n++;
		if (n >= 4 && memcmp(hdr + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	hdr[n] = '\0';
	if (strncmp(hdr, "HTTP/1.1 101", 12) != 0)
		die("upgrade refused: %.40s", hdr);
	if (fcntl(d->fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
}

/* One masked (key 0) client frame appended to the output. */
static void
ld_ws_frame(struct ld *d, int op, const uint8_t *p, size_t n)
{
	uint8_t	 h[14];
	size_t	 hl = 0;
	int	 i;

	h[hl++] = 0x80 | op;
	if (n < 126)
		h[hl++] = 0x80 | n;
	else if (n < 65536) {
		h[hl++] = 0x80 | 126;
		h[hl++] = n >> 8;
		h[hl++] = n;
	} else {
		h[hl++] = 0x80 | 127;
		for (i = 7; i >= 0; i--)
			h[hl++] = (uint64_t)n >> (i * 8);
	}
	memset(h + hl, 0, 4);
	hl += 4;
	if (wbuf_append(&d->out, h, hl) == -1 ||
	    (n > 0 && wbuf_append(&d->out, p, n) == -1))
		die("out of memory");
}

static void
ld_send_batch(struct ld *d, const struct wire_frame *f, size_t n)
{
	struct wire_encopts	 eo = { WIRE_LAYOUT_V16, 0 };
	const char		*err;

	wbuf_reset(&d->body);
	if (wire_body_seal(d->aead, d->cid, f, n, &eo, 0, &d->body,
	    &d->scratch, &err) == -1)
		die("seal: %s", err);
	ld_ws_frame(d, 2, d->body.wb_data, d->body.wb_len);
}

static size_t
ld_out_pending(const struct ld *d)
{
	return (d->out.wb_len - d->out_off);
}

static void
ld_ping(struct ld *d, double now)
{
	uint8_t	 p[8];
	uint64_t v = d->pings;
	int	 i;

	if (d->pings >= LD_PINGS_MAX)
		return;
	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
	d->ping_at[d->pings++] = now;
	d->last_ping = now;
	ld_ws_frame(d, 9, p, sizeof(p));
}

typedef void (*ld_batch_cb)(void *, const struct wire_batch *);

/* A complete WS frame sits at the start of d->in: consume it. */
static int
ld_ws_parse(struct ld *d, ld_batch_cb cb, void *arg)
{
	uint8_t		*h = d->in.wb_data;
	size_t		 avail = d->in.wb_len, hl = 2, i;
	uint64_t	 len, v;
	const char	*err;
	int		 op, fin;

	if (avail < 2)
		return (0);
	fin = h[0] & 0x80;
	op = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (h[1] & 0x80)
		die("masked server frame");
	if (len == 126) {
		if (avail < 4)
			return (0);
		len = (h[2] << 8) | h[3];
		hl = 4;
	} else if (len == 127) {
		if (avail < 10)
			return (0);
		for (len = 0, i = 0; i < 8; i++)
			len = (len << 8) | h[2 + i];
		hl = 10;
	}
	if (len > 64 * 1024 * 1024)
		die("frame too big");
	if (avail < hl + len)
		return (0);
	if (ld_debug > 1)
		fprintf(stderr, "%.3f ws op %d fin %d len %llu\n", now_s(),
		    op, fin != 0, (unsigned long long)len);
	switch (op) {
	case 8:
		d->closed = 1;
		break;
	case 9:
		ld_ws_frame(d, 10, h + hl, len);
		break;
	case 10:
		if (len == 8) {
			for (v = 0, i = 0; i < 8; i++)
				v = (v << 8) | h[hl + i];
			if (v < d->pings) {
				double lat = now_s() - d->ping_at[v];

				if (lat > d->pong_max)
					d->pong_max = lat;
				d->pongs++;
				if (ld_debug)
					fprintf(stderr, "%.3f pong %llu "
					    "%.3f s\n", now_s(),
					    (unsigned long long)v, lat);
			}
		}
		break;
	case 0:
	case 2:
		if (wbuf_append(&d->msg, h + hl, len) == -1)
			die("out of memory");
		if (!fin)
			break;
		if (wire_body_open(d->aead, d->msg.wb_data, d->msg.wb_len, 0,
		    &d->batch, &err) == -1)
			die("undecryptable message: %s", err);
		wbuf_reset(&d->msg);
		cb(arg, &d->batch);
		break;
	default:
		die("unexpected opcode %d", op);
	}
	memmove(d->in.wb_data, d->in.wb_data + hl + len, avail - hl - len);
	d->in.wb_len -= hl + len;
	return (1);
}

/* One round of I/O: write what is queued, read and dispatch messages. */
static void
ld_io(struct ld *d, int timeout_ms, ld_batch_cb cb, void *arg)
{
	struct pollfd	 pfd;
	ssize_t		 r;

	if (now_s() > d->deadline)
		die("deadline passed");
	pfd.fd = d->fd;
	pfd.events = POLLIN | (ld_out_pending(d) ? POLLOUT : 0);
	if (poll(&pfd, 1, timeout_ms) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if ((pfd.revents & POLLOUT) && ld_out_pending(d)) {
		r = write(d->fd, d->out.wb_data + d->out_off,
		    ld_out_pending(d));
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			die("write: %s", strerror(errno));
		if (r > 0)
			d->out_off += r;
		if (d->out_off == d->out.wb_len) {
			wbuf_reset(&d->out);
			d->out_off = 0;
		}
	}
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		if (wbuf_reserve(&d->in, 256 * 1024) == -1)
			die("out of memory");
		r = read(d->fd, d->in.wb_data + d->in.wb_len, 256 * 1024);
		if (r == 0) {
			d->closed = 1;
			return;
		}
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			die("read: %s", strerror(errno));
		if (r > 0)
			d->in.wb_len += r;
		while (ld_ws_parse(d, cb, arg))
			;
	}
}

static void
ld_sid(uint8_t *sid, uint32_t tag, uint32_t idx)
{
	RAND_bytes(sid, WIRE_SID_LEN);
	sid[0] = tag >> 24;
	sid[1] = tag >> 16;
	sid[2] = tag >> 8;
	sid[3] = tag;
	sid[4] = idx >> 24;
	sid[5] = idx >> 16;
	sid[6] = idx >> 8;
	sid[7] = idx;
}

/* Deterministic data: xorshift64. */
static void
ld_fill(uint64_t *state, uint8_t *p, size_t n)
{
	uint64_t	 x = *state;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((i & 7) == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		p[i] = x >> ((i & 7) * 8);
	}
	*state = x;
}

/* --- slowup --- */

struct slowup {
	uint8_t		 sid_a[WIRE_SID_LEN];
	uint8_t		 sid_b[WIRE_SID_LEN];
	int		 rst_a, rst_b, fin_b;
	uint64_t	 acked_a, acked_b;	/* GACK next_seq */
	char		 reply[128];
	size_t		 nreply;
};

static void
slowup_batch(void *arg, const struct wire_batch *b)
{
	struct slowup		*su = arg;
	const struct wire_frame	*f;
	const char		*err;
	uint64_t		 next;
	size_t			 i, n;

	for (i = 0; i < b->b_nframes; i++) {
		f = &b->b_frames[i];
		if ((f->f_flags & WIRE_F_ACK) &&
		    wire_gack_decode(f->f_payload, f->f_len, &next,
		    &err) == 0) {
			if (memcmp(f->f_sid, su->sid_a, WIRE_SID_LEN) == 0 &&
			    next > su->acked_a)
				su->acked_a = next;
			if (memcmp(f->f_sid, su->sid_b, WIRE_SID_LEN) == 0 &&
			    next > su->acked_b)
				su->acked_b = next;
			continue;
		}
		if (memcmp(f->f_sid, su->sid_a, WIRE_SID_LEN) == 0) {
			if ((f->f_flags & WIRE_F_RST) && !su->rst_a &&
			    ld_debug)
				fprintf(stderr, "%.3f A reset\n", now_s());
			if (f->f_flags & WIRE_F_RST)
				su->rst_a = 1;
			continue;
		}
		if (memcmp(f->f_sid, su->sid_b, WIRE_SID_LEN) != 0)
			continue;
		if (f->f_flags & WIRE_F_RST)
			su->rst_b = 1;
		n = f->f_len;
		if (n > sizeof(su->reply) - 1 - su->nreply)
			n = sizeof(su->reply) - 1 - su->nreply;
		if (n > 0)
			memcpy(su->reply + su->nreply, f->f_payload, n);
		su->nreply += n;
		if (f->f_flags & WIRE_F_FIN)
			su->fin_b = 1;
	}
}

static int
cmd_slowup(struct ld *d, int argc, char **argv)
{
	struct slowup		 su;
	struct wire_frame	 f[3];
	char			 ta[32], tb[32], hex[65];
	uint8_t			*pa, *pb, md[32];
	uint64_t		 sa = 0x9e3779b97f4a7c15ULL, sb = 0x1234567ULL;
	uint64_t		 left_a, left_b, seq_a = 1, seq_b = 1;
	unsigned int		 mdlen;
	EVP_MD_CTX		*ctx;
	size_t			 nf, n;
	double			 t0, now, end_wait;
	int			 ch, expect_reset = 0, i, fin_sent = 0;
	int			 upack = 0;
	struct wire_probe	 probe;
	struct wbuf		 pl = { NULL, 0, 0 };

	left_a = 24ULL << 20;
	left_b = 16ULL << 20;
	optind = 1;
	while ((ch = getopt(argc, argv, "s:m:xU")) != -1) {
		switch (ch) {
		case 's':
			left_a = strtoull(optarg, NULL, 10) << 20;
			break;
		case 'm':
			left_b = strtoull(optarg, NULL, 10) << 20;
			break;
		case 'x':
			expect_reset = 1;
			break;
		case 'U':
			upack = 1;
			break;
		default:
			die("slowup: bad option");
		}
	}
	if (argc - optind != 2)
		die("slowup STUCKPORT SHAPORT");
	snprintf(ta, sizeof(ta), "127.0.0.1:%s", argv[optind]);
	snprintf(tb, sizeof(tb), "127.0.0.1:%s", argv[optind + 1]);
	memset(&su, 0, sizeof(su));
	ld_sid(su.sid_a, 0xa, 0);
	ld_sid(su.sid_b, 0xb, 0);
	if ((pa = malloc(LD_FRAME)) == NULL || (pb = malloc(LD_FRAME)) ==
	    NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		die("out of memory");
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	ld_connect(d);
	memset(f, 0, sizeof(f));
	if (upack) {
		/* The hello: a probe asking for upstream ACKs. */
		memset(&probe, 0, sizeof(probe));
		snprintf(probe.p_client_version,
		    sizeof(probe.p_client_version), "exitload");
		probe.p_protocol = 1;
#ifdef WIRE_FEAT_UPSTREAM_ACK
		probe.p_upstream_ack = 1;
#endif
		if (wire_probe_encode(&probe, &pl) == -1)
			die("probe encode");
		ld_sid(f[0].f_sid, 0xc, 0);
		f[0].f_flags = WIRE_F_ACK;
		f[0].f_payload = pl.wb_data;
		f[0].f_len = pl.wb_len;
		ld_send_batch(d, f, 1);
		memset(f, 0, sizeof(f));
	} else
		ld_send_batch(d, NULL, 0);	/* hello */
	memcpy(f[0].f_sid, su.sid_a, WIRE_SID_LEN);
	f[0].f_flags = WIRE_F_SYN;
	f[0].f_target = ta;
	f[0].f_tlen = strlen(ta);
	memcpy(f[1].f_sid, su.sid_b, WIRE_SID_LEN);
	f[1].f_flags = WIRE_F_SYN;
	f[1].f_target = tb;
	f[1].f_tlen = strlen(tb);
	ld_send_batch(d, f, 2);

	t0 = now_s();
	while (!(su.fin_b && left_a == 0) && !su.rst_b && !d->closed &&
	    !(su.fin_b && su.rst_a)) {
		now = now_s();
		if (now - d->last_ping >= LD_PING_EVERY)
			ld_ping(d, now);
		while (ld_out_pending(d) < LD_OUT_LOW &&
		    (left_a > 0 || left_b > 0 || !fin_sent)) {
			nf = 0;
			memset(f, 0, sizeof(f));
			if (left_a > 0) {
				n = left_a < LD_FRAME ? left_a : LD_FRAME;
				ld_fill(&sa, pa, n);
				memcpy(f[nf].f_sid, su.sid_a, WIRE_SID_LEN);
				f[nf].f_seq = seq_a++;
				f[nf].f_payload = pa;
				f[nf++].f_len = n;
				left_a -= n;
			}
			if (left_b > 0) {
				n = left_b < LD_FRAME ? left_b : LD_FRAME;
				ld_fill(&sb, pb, n);
				EVP_DigestUpdate(ctx, pb, n);
				memcpy(f[nf].f_sid, su.sid_b, WIRE_SID_LEN);
				f[nf].f_seq = seq_b++;
				f[nf].f_payload = pb;
				f[nf++].f_len = n;
				left_b -= n;
			} else if (!fin_sent) {
				memcpy(f[nf].f_sid, su.sid_b, WIRE_SID_LEN);
				f[nf].f_seq = seq_b++;
				f[nf++].f_flags = WIRE_F_FIN;
				fin_sent = 1;
			}
			ld_send_batch(d, f, nf);
		}
		ld_io(d, 20, slowup_batch, &su);
	}
	if (d->closed)
		die("the exit closed the stream");
	if (su.rst_b)
		die("session B was reset");
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (su.nreply < 64 || memcmp(su.reply, hex, 64) != 0)
		die("session B: sha256 mismatch: sent %s, sink saw %.64s",
		    hex, su.reply);
	printf("slowup: B %.1f MiB in %.2f s, sha256 %.16s... ok\n",
	    (seq_b - 2) * (double)LD_FRAME / (1 << 20), now_s() - t0, hex);

	/* Every ping gets its pong (the Go client allows 5 s each). */
	end_wait = now_s() + 10;
	while ((d->pongs < d->pings || (upack && su.acked_b < seq_b)) &&
	    now_s() < end_wait && !d->closed)
		ld_io(d, 20, slowup_batch, &su);
	/* -x: the stuck session must be reset (within the exit's stall cap). */
	if (expect_reset) {
		end_wait = now_s() + 15;
		while (!su.rst_a && now_s() < end_wait && !d->closed) {
			now = now_s();
			if (now - d->last_ping >= LD_PING_EVERY)
				ld_ping(d, now);
			ld_io(d, 20, slowup_batch, &su);
		}
	}
	if (ld_debug)
		fprintf(stderr, "out pending %zu, in %zu, msg %zu\n",
		    ld_out_pending(d), d->in.wb_len, d->msg.wb_len);
	printf("slowup: pings %llu, pongs %llu, slowest pong %.3f s, "
	    "A %s\n", (unsigned long long)d->pings,
	    (unsigned long long)d->pongs, d->pong_max,
	    su.rst_a ? "reset" : "still open");
	if (d->pongs < d->pings)
		die("%llu ping(s) unanswered",
		    (unsigned long long)(d->pings - d->pongs));
	if (expect_reset && !su.rst_a)
		die("session A was not reset");
	if (upack) {
		printf("slowup: GACKs: B %llu of %llu frames, A %llu of "
		    "%llu\n", (unsigned long long)su.acked_b,
		    (unsigned long long)seq_b, (unsigned long long)su.acked_a,
		    (unsigned long long)seq_a);
		if (su.acked_b != seq_b)
			die("session B not fully acknowledged");
		/* A's upstream never reads: its GACKs must have stopped. */
		if (su.acked_a == 0 || su.acked_a >= seq_a)
			die("session A's GACKs were not held back");
	}
	if (!expect_reset && su.rst_a)
		die("session A was reset");
	EVP_MD_CTX_free(ctx);
	return (0);
}

/* --- churn --- */

struct churn {
	uint32_t	 tag;
	uint32_t	 total;
	uint32_t	 done;
	uint32_t	 rst;
	uint32_t	 bad;
	uint32_t	 inflight;
	uint32_t	*got;		/* bytes echoed per session */
	size_t		 bytes;
};

static void
churn_batch(void *arg, const struct wire_batch *b)
{
	struct churn		*c = arg;
	const struct wire_frame	*f;
	uint32_t		 tag, idx;
	size_t			 i;

	for (i = 0; i < b->b_nframes; i++) {
		f = &b->b_frames[i];
		tag = (uint32_t)f->f_sid[0] << 24 | f->f_sid[1] << 16 |
		    f->f_sid[2] << 8 | f->f_sid[3];
		idx = (uint32_t)f->f_sid[4] << 24 | f->f_sid[5] << 16 |
		    f->f_sid[6] << 8 | f->f_sid[7];
		if (tag != c->tag || idx >= c->total)
			continue;
		if (f->f_flags & WIRE_F_RST) {
			c->rst++;
			c->inflight--;
			continue;
		}
		c->got[idx] += f->f_len;
		if (f->f_flags & WIRE_F_FIN) {
			if (c->got[idx] != c->bytes)
				c->bad++;
			c->done++;
			c->inflight--;
		}
	}
}

static int
cmd_churn(struct ld *d, int argc, char **argv)
{
	struct churn		 c;
	struct wire_frame	*f;
	char			 target[32];
	uint8_t			 data[4096];
	uint32_t		 conc = 256, next = 0, k, batch = 32;
	size_t			 nf;
	double			 t0, t;
	int			 ch;

	memset(&c, 0, sizeof(c));
	c.total = 20000;
	c.bytes = 32;
	optind = 1;
	while ((ch = getopt(argc, argv, "n:c:b:")) != -1) {
		switch (ch) {
		case 'n':
			c.total = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			conc = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			c.bytes = strtoul(optarg, NULL, 10);
			break;
		default:
			die("churn: bad option");
		}
	}
	if (argc - optind != 1 || c.total == 0 || conc == 0 ||
	    c.bytes == 0 || c.bytes > sizeof(data))
		die("churn [-n N] [-c C] [-b BYTES] ECHOPORT");
	snprintf(target, sizeof(target), "127.0.0.1:%s", argv[optind]);
	RAND_bytes((uint8_t *)&c.tag, sizeof(c.tag));
	if ((c.got = calloc(c.total, sizeof(*c.got))) == NULL ||
	    (f = calloc(2 * batch, sizeof(*f))) == NULL)
		die("out of memory");
	memset(data, 'x', sizeof(data));

	ld_connect(d);
	ld_send_batch(d, NULL, 0);
	t0 = now_s();
	while (c.done + c.rst < c.total && !d->closed) {
		while (next < c.total && c.inflight < conc &&
		    ld_out_pending(d) < LD_OUT_LOW) {
			memset(f, 0, 2 * batch * sizeof(*f));
			for (nf = 0, k = 0; k < batch && next < c.total &&
			    c.inflight < conc; k++, next++, c.inflight++) {
				ld_sid(f[nf].f_sid, c.tag, next);
				f[nf].f_flags = WIRE_F_SYN;
				f[nf].f_target = target;
				f[nf].f_tlen = strlen(target);
				f[nf].f_payload = data;
				f[nf].f_len = c.bytes;
				memcpy(f[nf + 1].f_sid, f[nf].f_sid,
				    WIRE_SID_LEN);
				f[nf + 1].f_seq = 1;
				f[nf + 1].f_flags = WIRE_F_FIN;
				nf += 2;
			}
			ld_send_batch(d, f, nf);
		}
		ld_io(d, 50, churn_batch, &c);
	}
	t = now_s() - t0;
	printf("churn: %u sessions (%u at once, %zu bytes each) in %.2f s: "
	    "%.0f sessions/s, %u reset, %u short\n", c.done + c.rst, conc,
	    c.bytes, t, (c.done + c.rst) / t, c.rst, c.bad);
	if (d->closed)
		die("the exit closed the stream");
	return (c.rst > 0 || c.bad > 0);
}

/* --- hol: fresh sessions' first byte during a bulk download --- */

struct hol {
	uint8_t		 sid_d[WIRE_SID_LEN];
	uint8_t		 sid_q[WIRE_SID_LEN];
	uint64_t	 bulk;
	int		 got_q, rst;
};

static void
hol_batch(void *arg, const struct wire_batch *b)
{
	struct hol		*h = arg;
	const struct wire_frame	*f;
	size_t			 i;

	for (i = 0; i < b->b_nframes; i++) {
		f = &b->b_frames[i];
		if (memcmp(f->f_sid, h->sid_d, WIRE_SID_LEN) == 0) {
			if (f->f_flags & WIRE_F_RST)
				h->rst = 1;
			h->bulk += f->f_len;
		} else if (memcmp(f->f_sid, h->sid_q, WIRE_SID_LEN) == 0 &&
		    (f->f_len > 0 || (f->f_flags & WIRE_F_RST)))
			h->got_q = 1;
	}
}

static int
hol_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static int
cmd_hol(struct ld *d, int argc, char **argv)
{
	struct hol		 h;
	struct wire_frame	 f;
	char			 td[32], tq[32];
	uint8_t			 len[8] = { 0, 0, 1, 0, 0, 0, 0, 0 };
	double			*lat, t0, tb, t;
	int			 ch, n = 200, i;

	optind = 1;
	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			die("hol: bad option");
		n = atoi(optarg);
	}
	if (argc - optind != 2 || n <= 0)
		die("hol SOURCEPORT QUICKPORT [-n N]");
	snprintf(td, sizeof(td), "127.0.0.1:%s", argv[optind]);
	snprintf(tq, sizeof(tq), "127.0.0.1:%s", argv[optind + 1]);
	if ((lat = calloc(n, sizeof(*lat))) == NULL)
		die("out of memory");
	memset(&h, 0, sizeof(h));
	ld_sid(h.sid_d, 0xd, 0);
	ld_connect(d);
	ld_send_batch(d, NULL, 0);
	/* 2^40 bytes: more than the run can move. */
	memset(&f, 0, sizeof(f));
	memcpy(f.f_sid, h.sid_d, WIRE_SID_LEN);
	f.f_flags = WIRE_F_SYN;
	f.f_target = td;
	f.f_tlen = strlen(td);
	f.f_payload = len;
	f.f_len = sizeof(len);
	ld_send_batch(d, &f, 1);
	tb = now_s();
	while (h.bulk < (64 << 20) && !h.rst && !d->closed)
		ld_io(d, 20, hol_batch, &h);
	for (i = 0; i < n && !h.rst && !d->closed; i++) {
		ld_sid(h.sid_q, 0xe, i);
		memset(&f, 0, sizeof(f));
		memcpy(f.f_sid, h.sid_q, WIRE_SID_LEN);
		f.f_flags = WIRE_F_SYN;
		f.f_target = tq;
		f.f_tlen = strlen(tq);
		ld_send_batch(d, &f, 1);
		h.got_q = 0;
		t0 = now_s();
		while (!h.got_q && !h.rst && !d->closed)
			ld_io(d, 20, hol_batch, &h);
		lat[i] = now_s() - t0;
		memset(&f, 0, sizeof(f));
		memcpy(f.f_sid, h.sid_q, WIRE_SID_LEN);
		f.f_flags = WIRE_F_RST;
		ld_send_batch(d, &f, 1);
		/* Paced: one fresh session per 20 ms of bulk. */
		t = now_s() + 0.02;
		while (now_s() < t && !h.rst && !d->closed)
			ld_io(d, 5, hol_batch, &h);
	}
	if (h.rst || d->closed)
		die("the download was reset or the stream closed");
	qsort(lat, i, sizeof(*lat), hol_cmp);
	printf("hol: %d fresh sessions during a %.0f MiB/s download: first "
	    "byte p50 %.2f ms, p90 %.2f ms, max %.2f ms\n", i,
	    h.bulk / 1048576.0 / (now_s() - tb), lat[i / 2] * 1e3,
	    lat[i * 9 / 10] * 1e3, lat[i - 1] * 1e3);
	return (0);
}

/* --- hold: many open sessions at once --- */

static volatile sig_atomic_t	 hold_stop;

static void
hold_sigusr1(int sig)
{
	hold_stop = 1;
}

struct hold {
	uint32_t	 tag;
	uint32_t	 n;
	uint8_t		*greeted;
	uint32_t	 ngreeted;
	uint32_t	 rst;
};

static void
hold_batch(void *arg, const struct wire_batch *b)
{
	struct hold		*h = arg;
	const struct wire_frame	*f;
	uint32_t		 tag, idx;
	size_t			 i;

	for (i = 0; i < b->b_nframes; i++) {
		f = &b->b_frames[i];
		tag = (uint32_t)f->f_sid[0] << 24 | f->f_sid[1] << 16 |
		    f->f_sid[2] << 8 | f->f_sid[3];
		idx = (uint32_t)f->f_sid[4] << 24 | f->f_sid[5] << 16 |
		    f->f_sid[6] << 8 | f->f_sid[7];
		if (tag != h->tag || idx >= h->n)
			continue;
		if (f->f_flags & (WIRE_F_RST | WIRE_F_FIN))
			h->rst++;
		if (f->f_len > 0 && !h->greeted[idx]) {
			h->greeted[idx] = 1;
			h->ngreeted++;
		}
	}
}

static int
cmd_hold(struct ld *d, int argc, char **argv)
{
	struct hold		 h;
	struct wire_frame	 f[64];
	char			 target[32];
	uint32_t		 next = 0;
	size_t			 nf;
	double			 secs = 120, end, now;
	int			 ch;

	memset(&h, 0, sizeof(h));
	h.n = 1100;
	optind = 1;
	while ((ch = getopt(argc, argv, "n:t:")) != -1) {
		switch (ch) {
		case 'n':
			h.n = strtoul(optarg, NULL, 10);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			die("hold: bad option");
		}
	}
	if (argc - optind != 1 || h.n == 0)
		die("hold GREETPORT [-n N] [-t SECONDS]");
	snprintf(target, sizeof(target), "127.0.0.1:%s", argv[optind]);
	RAND_bytes((uint8_t *)&h.tag, sizeof(h.tag));
	if ((h.greeted = calloc(h.n, 1)) == NULL)
		die("out of memory");
	d->deadline = now_s() + secs + 60;
	signal(SIGUSR1, hold_sigusr1);
	ld_connect(d);
	ld_send_batch(d, NULL, 0);
	while (h.ngreeted < h.n && h.rst == 0 && !d->closed) {
		while (next < h.n && next < h.ngreeted + 256 &&
		    ld_out_pending(d) < LD_OUT_LOW) {
			memset(f, 0, sizeof(f));
			for (nf = 0; nf < 64 && next < h.n; nf++, next++) {
				ld_sid(f[nf].f_sid, h.tag, next);
				f[nf].f_flags = WIRE_F_SYN;
				f[nf].f_target = target;
				f[nf].f_tlen = strlen(target);
			}
			ld_send_batch(d, f, nf);
		}
		ld_io(d, 50, hold_batch, &h);
	}
	if (d->closed)
		die("the exit closed the stream");
	if (h.rst > 0)
		die("%u session(s) reset or closed", h.rst);
	printf("holding %u sessions\n", h.ngreeted);
	fflush(stdout);
	end = now_s() + secs;
	while ((now = now_s()) < end && !d->closed && !hold_stop)
		ld_io(d, 100, hold_batch, &h);
	if (d->closed)
		die("the exit closed the stream while holding");
	if (h.rst > 0)
		die("%u session(s) reset while holding", h.rst);
	printf("held %u sessions\n", h.ngreeted);
	return (0);
}

/* --- stuck: accept, never read --- */

static int
cmd_stuck(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	int			 s, c, one = 1, greet = 0;
	double			 end = now_s() + 300;
	struct pollfd		 pfd;

	if (argc == 3 && strcmp(argv[2], "-g") == 0)
		greet = 1;
	else if (argc != 2)
		die("stuck PORT [-g]");
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1024) == -1)
		die("bind/listen %s: %s", argv[1], strerror(errno));
	pfd.fd = s;
	pfd.events = POLLIN;
	while (now_s() < end) {
		if (poll(&pfd, 1, 1000) > 0 &&
		    (c = accept(s, NULL, NULL)) != -1 && greet)
			(void)write(c, "g", 1);		/* kept, never read */
	}
	return (0);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: exitload -u URL -k KEYHEX "
	    "slowup|churn|hol|hold ARGS...\n       exitload stuck PORT [-g]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct ld	 d;
	uint8_t		 key[WIRE_KEY_LEN];
	const char	*url = NULL, *keyhex = NULL, *err, *p;
	int		 ch;

	signal(SIGPIPE, SIG_IGN);
	if (getenv("EXITLOAD_DEBUG") != NULL)
		ld_debug = atoi(getenv("EXITLOAD_DEBUG"));
	if (argc >= 2 && strcmp(argv[1], "stuck") == 0)
		return (cmd_stuck(argc - 1, argv + 1));
	memset(&d, 0, sizeof(d));
	while ((ch = getopt(argc, argv, "+u:k:")) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'k':
			keyhex = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (url == NULL || keyhex == NULL || argc < 1)
		usage();
	if (strncmp(url, "http://", 7) != 0 ||
	    (p = strrchr(url + 7, ':')) == NULL ||
	    (size_t)(p - url - 7) >= sizeof(d.host))
		die("URL must be http://ADDR:PORT");
	memcpy(d.host, url + 7, p - url - 7);
	d.port = atoi(p + 1);
	if (wire_key_parse(keyhex, key, &err) == -1)
		die("key: %s", err);
	if ((d.aead = wire_aead_new(key)) == NULL)
		die("aead");
	RAND_bytes(d.cid, sizeof(d.cid));
	wire_batch_init(&d.batch);
	if ((d.ping_at = calloc(LD_PINGS_MAX, sizeof(double))) == NULL)
		die("out of memory");
	d.deadline = now_s() + 120;
	if (strcmp(argv[0], "slowup") == 0)
		return (cmd_slowup(&d, argc, argv));
	if (strcmp(argv[0], "churn") == 0)
		return (cmd_churn(&d, argc, argv));
	if (strcmp(argv[0], "hol") == 0)
		return (cmd_hol(&d, argc, argv));
	if (strcmp(argv[0], "hold") == 0)
		return (cmd_hold(&d, argc, argv));
	usage();
}
