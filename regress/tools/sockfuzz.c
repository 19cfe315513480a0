/*
 * sockfuzz: hostile clients for the sandboxed workers (issue 18).  Many
 * non-blocking connections at once, each following a small script: bytes
 * to send, at a pace, maybe cut short, maybe waiting for the response
 * header before the rest (WebSocket frames after the 101).  What comes
 * back is read and dropped.  Test tool: it mallocs freely.
 *
 *	sockfuzz bigreq PORT [-n N]
 *		N times (default 20) each, one after the other: a 5,000-byte
 *		header line, an 8 KiB URI and 500 headers; prints how each
 *		kind was answered.  Then GET /healthz must answer 200.
 *	sockfuzz hold PORT N [-t SECONDS]
 *		N connections that send nothing (those the backlog cannot
 *		take keep trying), held until SECONDS (default 60) or
 *		SIGUSR1; prints "holding N" once all are connected.
 *	sockfuzz loris PORT [-a FIRST-LAST] [-p POSTS] [-w UPGRADES]
 *	    [-t SECONDS]
 *		from source addresses 127.0.0.FIRST..LAST (default 2-41):
 *		POSTS connections (default 64) that declare a 1 MiB body and
 *		send one byte a second, and UPGRADES (default 32) WebSocket
 *		upgrades that never send a hello; each is opened again when
 *		the exit closes it, until SECONDS (default 60) or SIGUSR1.
 *	sockfuzz http PORT [-s SEED] [-t SECONDS] [-c CONC] [-k KEYHEX]
 *	    [-T TARGETPORT] [-a FIRST-LAST]
 *		malformed and oversized HTTP requests, WebSocket handshakes
 *		and frames, garbage and (with -k) authenticated garbage
 *		batches against the exit, CONC (default 24) at a time,
 *		from source addresses 127.0.0.FIRST..LAST if -a is given
 *		(authenticated garbage from the lower half only).
 *	sockfuzz socks PORT [-s SEED] [-t SECONDS] [-c CONC] [-T TARGETPORT]
 *		malformed SOCKS5 against the carrier.
 *
 * -r RATE caps new connections a second (the carrier refuses more than
 * 80/s: its storm guard would also refuse the liveness probe).
 *
 * http and socks print the seed first (-s 0 or none: from the clock), so
 * a failure can be replayed (-g N: generator N only; SOCKFUZZ_DUMP=DIR
 * keeps every connection's bytes).  Every 2 s a liveness probe (GET
 * /healthz, or a SOCKS5 greeting) must be answered within 10 s.
 * TARGETPORT is where well-formed connects go (a local sink); other
 * targets are closed local ports or names under .invalid.  Exit status
 * 0, or 1 with a reason.
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

#include "wire.h"

#define FZ_MAXCONN	2048
#define FZ_CONN_LIFE	5.0	/* seconds, a fuzz connection at most */
#define FZ_PROBE_EVERY	2.0
#define FZ_PROBE_WAIT	10.0
#define FZ_NOLIMIT	((size_t)-1)

enum fz_kind {
	FK_FUZZ = 0,
	FK_PROBE,
	FK_HOLD,
	FK_LORIS_POST,
	FK_LORIS_WS
};

struct fc {
	int		 fd;		/* -1: slot free */
	enum fz_kind	 kind;
	int		 gen;		/* generator, for the summary */
	uint32_t	 src;		/* source address, host order; 0 any */
	int		 connected;
	struct wbuf	 out;
	size_t		 off;
	size_t		 hold_at;	/* wait for the response header here */
	size_t		 close_at;	/* close once this much was sent */
	size_t		 pace;		/* bytes per step; 0 all at once */
	double		 step;
	double		 next;
	double		 linger;	/* read this long after the last byte */
	double		 end;		/* hard end */
	int		 halfclose;
	int		 got_hdr;
	uint32_t	 tail;		/* last 4 bytes read */
	char		 resp[16];
	size_t		 nresp;
	double		 born;
};

static struct fc	 fz_conns[FZ_MAXCONN];
static int		 fz_nconns;
static int		 fz_port;
static uint64_t		 fz_rng;
static struct wire_aead	*fz_aead;
static int		 fz_target = 9;	/* discard: nothing listens */
static int		 fz_dead_port;
static uint64_t		 fz_opened, fz_refused, fz_answered[6];
static uint64_t		 fz_gen_count[32];
static double		 fz_probe_sent = -1;
static int		 fz_probe_ok;
static uint64_t		 fz_probes;
static int		 fz_socks;
static int		 fz_only = -1;		/* -g: one generator only */
static double		 fz_rate = 1e9;		/* -r: connections/s */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "sockfuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* xorshift64*: reproducible from the printed seed. */
static uint64_t
rnd(void)
{
	fz_rng ^= fz_rng >> 12;
	fz_rng ^= fz_rng << 25;
	fz_rng ^= fz_rng >> 27;
	return (fz_rng * 0x2545F4914F6CDD1DULL);
}

/* Uniform in [lo, hi]. */
static uint64_t
rr(uint64_t lo, uint64_t hi)
{
	return (lo + rnd() % (hi - lo + 1));
}

static int
chance(int percent)
{
	return ((int)(rnd() % 100) < percent);
}

static void
rbytes(uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = rnd() >> 32;
}

/* --- building the bytes to send --- */

static void
put(struct wbuf *b, const void *p, size_t n)
{
	if (n > 0 && wbuf_append(b, p, n) == -1)
		die("out of memory");
}

static void __attribute__((format(printf, 2, 3)))
putf(struct wbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	put(b, s, n);
	free(s);
}

static void
putrep(struct wbuf *b, int c, size_t n)
{
	if (wbuf_reserve(b, n) == -1)
		die("out of memory");
	memset(b->wb_data + b->wb_len, c, n);
	b->wb_len += n;
}

static void
putrand(struct wbuf *b, size_t n)
{
	if (wbuf_reserve(b, n) == -1)
		die("out of memory");
	rbytes(b->wb_data + b->wb_len, n);
	b->wb_len += n;
}

/* A few random edits: flips, insertions, deletions, truncation. */
static void
mutate(struct wbuf *b, size_t from)
{
	size_t	 n, i, k, pos;
	uint8_t	 c;

	if (b->wb_len <= from)
		return;
	n = rr(1, 8);
	for (k = 0; k < n && b->wb_len > from; k++) {
		pos = rr(from, b->wb_len - 1);
		switch (rnd() % 5) {
		case 0:
			b->wb_data[pos] ^= 1 << (rnd() % 8);
			break;
		case 1:
			b->wb_data[pos] = rnd() >> 24;
			break;
		case 2:		/* insert a byte */
			c = rnd() >> 24;
			put(b, &c, 1);
			memmove(b->wb_data + pos + 1, b->wb_data + pos,
			    b->wb_len - pos - 1);
			b->wb_data[pos] = c;
			break;
		case 3:		/* delete a run */
			i = rr(1, 16);
			if (pos + i > b->wb_len)
				i = b->wb_len - pos;
			memmove(b->wb_data + pos, b->wb_data + pos + i,
			    b->wb_len - pos - i);
			b->wb_len -= i;
			break;
		default:
			b->wb_len = pos;
			break;
		}
	}
}

/* --- connections --- */

static struct fc *
fc_new(enum fz_kind kind, uint32_t src)
{
	struct sockaddr_in	 sin;
	struct fc		*c = NULL;
	int			 i, fd, one = 1;

	for (i = 0; i < fz_nconns; i++)
		if (fz_conns[i].fd == -1) {
			c = &fz_conns[i];
			break;
		}
	if (c == NULL) {
		if (fz_nconns == FZ_MAXCONN)
			return (NULL);
		c = &fz_conns[fz_nconns++];
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			return (NULL);
		die("socket: %s", strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (src != 0) {
		sin.sin_addr.s_addr = htonl(src);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			die("bind %s: %s", inet_ntoa(sin.sin_addr),
			    strerror(errno));
	}
	sin.sin_port = htons(fz_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		fz_refused++;
		return (NULL);
	}
	wbuf_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->kind = kind;
	c->src = src;
	c->hold_at = FZ_NOLIMIT;
	c->close_at = FZ_NOLIMIT;
	c->born = now_s();
	c->end = c->born + FZ_CONN_LIFE;
	c->linger = 0.2;
	fz_opened++;
	return (c);
}

static void	fz_closed(struct fc *);

static void
fc_close(struct fc *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	fz_closed(c);
}

/* The status code of the first response, as an answer class. */
static void
fc_classify(struct fc *c)
{
	int	 st = 0;

	if (c->nresp >= 12 && memcmp(c->resp, "HTTP/1.", 7) == 0)
		st = atoi(c->resp + 9);
	if (c->kind == FK_PROBE && st == 200)
		fz_probe_ok = 1;
	if (c->kind == FK_PROBE && fz_socks && c->nresp >= 2 &&
	    c->resp[0] == 5 && c->resp[1] == 0)
		fz_probe_ok = 1;
	if (c->kind != FK_FUZZ)
		return;
	if (c->nresp == 0)
		fz_answered[0]++;		/* closed, nothing */
	else if (st >= 100 && st < 600)
		fz_answered[st / 100]++;
	else
		fz_answered[1]++;		/* not HTTP (SOCKS, WS) */
}

static void
fc_read(struct fc *c)
{
	uint8_t		 buf[65536];
	ssize_t		 r, i;

	for (;;) {
		r = read(c->fd, buf, sizeof(buf));
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			fc_classify(c);
			fc_close(c);
			return;
		}
		for (i = 0; i < r && c->nresp < sizeof(c->resp); i++)
			c->resp[c->nresp++] = buf[i];
		for (i = 0; i < r && !c->got_hdr; i++) {
			c->tail = c->tail << 8 | buf[i];
			if (c->tail == 0x0d0a0d0a)
				c->got_hdr = 1;
		}
		/* A SOCKS reply has no blank line: any two bytes do. */
		if (fz_socks && c->nresp >= 2)
			c->got_hdr = 1;
		if (c->kind == FK_PROBE && (c->got_hdr || (fz_socks &&
		    c->nresp >= 2))) {
			fc_classify(c);
			fc_close(c);
			return;
		}
	}
}

static void
fc_write(struct fc *c, double now)
{
	size_t	 n, lim;
	ssize_t	 w;

	lim = c->out.wb_len;
	if (c->close_at < lim)
		lim = c->close_at;
	if (c->hold_at < lim && !c->got_hdr)
		lim = c->hold_at;
	if (c->off >= lim || now < c->next)
		return;
	n = lim - c->off;
	if (c->pace > 0 && n > c->pace)
		n = c->pace;
	w = write(c->fd, c->out.wb_data + c->off, n);
	if (w == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fc_classify(c);
		fc_close(c);
		return;
	}
	c->off += w;
	if (c->pace > 0)
		c->next = now + c->step;
	if (c->off == c->close_at) {
		fc_classify(c);
		fc_close(c);
		return;
	}
	if (c->off == c->out.wb_len) {
		if (c->halfclose)
			shutdown(c->fd, SHUT_WR);
		if (c->end > now + c->linger && c->kind == FK_FUZZ)
			c->end = now + c->linger;
	}
}

/* One round: poll everything, up to maxwait seconds. */
static void
fz_io(double maxwait)
{
	static struct pollfd	 pfd[FZ_MAXCONN];
	static int		 idx[FZ_MAXCONN];
	struct fc		*c;
	double			 now = now_s(), wake = now + maxwait;
	int			 i, n = 0, err;
	socklen_t		 sl;

	for (i = 0; i < fz_nconns; i++) {
		c = &fz_conns[i];
		if (c->fd == -1)
			continue;
		if (now >= c->end) {
			fc_classify(c);
			fc_close(c);
			continue;
		}
		if (c->end < wake)
			wake = c->end;
		pfd[n].fd = c->fd;
		pfd[n].events = POLLIN;
		if (!c->connected)
			pfd[n].events = POLLOUT;
		else if (c->off < c->out.wb_len && c->off < c->close_at &&
		    (c->off < c->hold_at || c->got_hdr)) {
			if (c->next <= now)
				pfd[n].events |= POLLOUT;
			else if (c->next < wake)
				wake = c->next;
		}
		idx[n++] = i;
	}
	if (poll(pfd, n, (int)((wake - now) * 1000) + 1) == -1 &&
	    errno != EINTR)
		die("poll: %s", strerror(errno));
	now = now_s();
	for (i = 0; i < n; i++) {
		c = &fz_conns[idx[i]];
		if (c->fd == -1 || pfd[i].revents == 0)
			continue;
		if (!c->connected) {
			sl = sizeof(err);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &sl) == -1 || err != 0) {
				fz_refused++;
				fc_close(c);
				continue;
			}
			c->connected = 1;
			continue;
		}
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			fc_read(c);
		if (c->fd != -1 && (pfd[i].revents & POLLOUT))
			fc_write(c, now);
	}
}

static int
fz_count(enum fz_kind kind)
{
	int	 i, n = 0;

	for (i = 0; i < fz_nconns; i++)
		if (fz_conns[i].fd != -1 && fz_conns[i].kind == kind)
			n++;
	return (n);
}

/* --- HTTP requests and WebSocket frames --- */

static const char *const fz_paths[] = {
	"/tunnel", "/stream", "/healthz", "/", "/tunnel?x=1", "/stream/",
	"//tunnel", "/%00", "/../../etc/passwd", "*", "http://x/tunnel",
	"/tunnel#f", "/TUNNEL", "/healthz?" };
static const char *const fz_methods[] = {
	"GET", "POST", "HEAD", "PUT", "OPTIONS", "CONNECT", "DELETE", "PRI",
	"get", "POST ", "G\tT", "TRACE", "PATCH", "" };
static const char *const fz_versions[] = {
	"HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/9.9", "HTTP/1.",
	"", "HTTP/1.1 extra", "http/1.1" };
static const char *const fz_clens[] = {
	"-1", "abc", "99999999999999999999999", "1e3", " 12", "12, 12",
	"0x10", "4294967296", "18446744073709551615", "+5", "", "0",
	"13000000", "1 2" };
static const char *const fz_ctypes[] = {
	"text/plain", "application/octet-stream", "application/octet-stream;"
	" x=y", "APPLICATION/OCTET-STREAM", "", "multipart/form-data; "
	"boundary=x", "application/x-www-form-urlencoded" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define PICK(a)		((a)[rnd() % NELEM(a)])

static void
http_line(struct wbuf *b, const char *method, const char *path)
{
	putf(b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", method, path,
	    fz_port);
}

static void
ws_handshake(struct wbuf *b, const char *path)
{
	http_line(b, "GET", path);
	putf(b, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n");
}

/* One client frame: any opcode, any length field, masked or not. */
static void
ws_frame(struct wbuf *b, int fin, int rsv, int op, int mask,
    const uint8_t *p, size_t n, uint64_t claimed)
{
	uint8_t	 h[14], key[4];
	size_t	 hl = 0, i;

	h[hl++] = (fin ? 0x80 : 0) | (rsv & 7) << 4 | (op & 15);
	if (claimed < 126)
		h[hl++] = (mask ? 0x80 : 0) | claimed;
	else if (claimed < 65536) {
		h[hl++] = (mask ? 0x80 : 0) | 126;
		h[hl++] = claimed >> 8;
		h[hl++] = claimed;
	} else {
		h[hl++] = (mask ? 0x80 : 0) | 127;
		for (i = 0; i < 8; i++)
			h[hl++] = claimed >> (56 - 8 * i);
	}
	put(b, h, hl);
	if (mask) {
		rbytes(key, 4);
		put(b, key, 4);
	}
	if (wbuf_reserve(b, n) == -1)
		die("out of memory");
	for (i = 0; i < n; i++)
		b->wb_data[b->wb_len + i] = p[i] ^ (mask ? key[i & 3] : 0);
	b->wb_len += n;
}

/* A sealed batch of random frames (the key is known: -k). */
static void
auth_batch(struct wbuf *b, int text)
{
	static const char *const targets[] = { "127.0.0.1:0", "x.invalid:80",
	    ":", "127.0.0.1", "256.1.1.1:80", "127.0.0.1:99999", "a:b:c",
	    "[::1", "127.0.0.1:-1", "x.invalid:" };
	struct wire_frame	 f[8];
	struct wire_encopts	 eo;
	struct wbuf		 sc = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	uint8_t			 cid[WIRE_CID_LEN], pay[8][512];
	char			 tg[8][300];
	const char		*err;
	size_t			 i, n;

	memset(f, 0, sizeof(f));
	memset(cid, 0, sizeof(cid));
	cid[0] = rnd() % 4;		/* a few clients, over and over */
	n = rr(0, 8);
	for (i = 0; i < n; i++) {
		f[i].f_sid[0] = rnd() % 8;
		f[i].f_seq = chance(70) ? rr(0, 4) : rnd();
		f[i].f_flags = chance(60) ? 1U << (rnd() % 4) : rnd() >> 56;
		if (f[i].f_flags & WIRE_F_SYN) {
			switch (rnd() % 4) {
			case 0:
				snprintf(tg[i], sizeof(tg[i]), "%s:%d",
				    chance(50) ? "127.0.0.1" : "[::1]",
				    chance(50) ? fz_target : fz_dead_port);
				break;
			case 1:
				memset(tg[i], 'a', 255);
				tg[i][255] = '\0';
				break;
			default:
				snprintf(tg[i], sizeof(tg[i]), "%s",
				    PICK(targets));
				break;
			}
			f[i].f_target = tg[i];
			f[i].f_tlen = strlen(tg[i]);
		}
		f[i].f_len = rr(0, sizeof(pay[i]));
		rbytes(pay[i], f[i].f_len);
		if ((f[i].f_flags & WIRE_F_ACK) && chance(50)) {
			wire_gack_encode(pay[i], rnd());
			f[i].f_len = WIRE_GACK_LEN;
		}
		f[i].f_payload = pay[i];
	}
	eo.eo_layout = chance(80) ? WIRE_LAYOUT_V16 : WIRE_LAYOUT_V15;
	eo.eo_compress = chance(50);
	if (chance(15)) {
		/* Sealed, but the plaintext is not a batch. */
		uint8_t	 junk[600];

		n = rr(0, sizeof(junk));
		rbytes(junk, n);
		if (wire_aead_seal(fz_aead, junk, n, &out, &err) == -1)
			die("seal: %s", err);
	} else if (wire_body_seal(fz_aead, cid, f, n, &eo, 0, &out, &sc,
	    &err) == -1) {
		/* Frames the encoder refuses: seal an empty batch. */
		wbuf_reset(&out);
		if (wire_body_seal(fz_aead, cid, NULL, 0, &eo, 0, &out, &sc,
		    &err) == -1)
			die("seal: %s", err);
	}
	if (chance(15))
		mutate(&out, 0);
	if (text) {
		char	*t = malloc(wire_b64_enclen(out.wb_len) + 1);

		if (t == NULL)
			die("out of memory");
		n = wire_b64_encode(t, out.wb_data, out.wb_len);
		wbuf_reset(b);
		put(b, t, n);
		free(t);
	} else {
		wbuf_reset(b);
		put(b, out.wb_data, out.wb_len);
	}
	wbuf_free(&out);
	wbuf_free(&sc);
}

/* Random WebSocket frames after a good handshake. */
static void
gen_ws_frames(struct fc *c)
{
	static const uint16_t codes[] = { 1000, 1001, 1002, 1003, 1005, 1006,
	    1007, 1009, 1011, 1015, 0, 999, 2999, 3000, 4999, 5000, 65535 };
	struct wbuf	*b = &c->out, body = { NULL, 0, 0 };
	uint8_t		 p[1024];
	size_t		 n, k, nf;
	uint64_t	 claimed;
	int		 op, fin, mask, rsv;

	ws_handshake(b, "/stream");
	c->hold_at = b->wb_len;
	nf = rr(1, 12);
	for (k = 0; k < nf; k++) {
		op = chance(60) ? PICK(((const int[]){ 0, 1, 2, 8, 9, 10 })) :
		    (int)rr(0, 15);
		fin = chance(80);
		mask = chance(90);
		rsv = chance(10) ? (int)rr(1, 7) : 0;
		n = rr(0, chance(10) ? (uint64_t)sizeof(p) : 140);
		rbytes(p, n);
		claimed = n;
		if (op == 8 && n >= 2 && chance(80)) {
			uint16_t code = PICK(codes);

			p[0] = code >> 8;
			p[1] = code;
			n = chance(50) ? 2 : n;
			claimed = n;
		}
		if (op == 2 && fz_aead != NULL && chance(50)) {
			auth_batch(&body, 0);
			if (body.wb_len > 0 && body.wb_len <= sizeof(p)) {
				memcpy(p, body.wb_data, body.wb_len);
				n = claimed = body.wb_len;
			}
		}
		if (chance(8)) {
			/* A length the bytes never match. */
			claimed = PICK(((const uint64_t[]){ 126, 65535, 65536,
			    0x7fffffffffffffffULL, 0xffffffffffffffffULL,
			    (64 << 20) + 1, 12 << 20 }));
			if (claimed > n)
				n = n > 64 ? 64 : n;
		}
		ws_frame(b, fin, rsv, op, mask, p, n, claimed);
	}
	if (chance(20))
		mutate(b, c->hold_at);
	wbuf_free(&body);
}

static void
gen_http(struct fc *c, int g)
{
	struct wbuf	*b = &c->out, body = { NULL, 0, 0 };
	size_t		 n, i;

	switch (g) {
	case 0:		/* one long header line */
		http_line(b, PICK(fz_methods), PICK(fz_paths));
		putf(b, "X-Long: ");
		/* Sometimes past pt_serv_buf_size (128 KiB) too. */
		putrep(b, 'a', rr(1000, chance(10) ? 300000 : 70000));
		putf(b, "\r\n\r\n");
		break;
	case 1:		/* a long URI */
		putf(b, "GET /");
		putrep(b, chance(50) ? 'a' : '/', rr(1000, chance(10) ?
		    300000 : 70000));
		putf(b, " HTTP/1.1\r\nHost: x\r\n\r\n");
		break;
	case 2:		/* many headers, unknown or known ones repeated */
		http_line(b, PICK(fz_methods), PICK(fz_paths));
		n = rr(50, 3000);
		for (i = 0; i < n; i++) {
			if (chance(50))
				putf(b, "X-%zu: v\r\n", i);
			else
				putf(b, "%s: %zu\r\n", PICK(((const char *[]){
				    "Host", "Cookie", "Origin", "Content-Type",
				    "Upgrade", "Connection", "Accept" })), i);
		}
		putf(b, "\r\n");
		break;
	case 3:		/* bad Content-Length */
		http_line(b, "POST", "/tunnel");
		putf(b, "Content-Length: %s\r\n", PICK(fz_clens));
		if (chance(40))
			putf(b, "Content-Length: %s\r\n", PICK(fz_clens));
		if (chance(30))
			putf(b, "Transfer-Encoding: chunked\r\n");
		putf(b, "\r\n");
		putrand(b, rr(0, 200));
		break;
	case 4:		/* chunked garbage */
		http_line(b, "POST", PICK(fz_paths));
		putf(b, "Transfer-Encoding: %s\r\n\r\n", chance(80) ?
		    "chunked" : "gzip, chunked");
		n = rr(1, 6);
		for (i = 0; i < n; i++) {
			if (chance(50))
				putf(b, "%llx\r\n", (unsigned long long)(chance(
				    70) ? rr(0, 64) : rnd()));
			else
				putrand(b, rr(1, 20));
			putrand(b, rr(0, 64));
			putf(b, "\r\n");
		}
		if (chance(50))
			putf(b, "0\r\n\r\n");
		break;
	case 5:		/* random bytes */
		putrand(b, rr(1, 8192));
		break;
	case 6:		/* a mutated well-formed POST */
		http_line(b, "POST", "/tunnel");
		n = rr(0, 300);
		putf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    PICK(fz_ctypes), n);
		putrand(b, n);
		mutate(b, 0);
		break;
	case 7:		/* a well-formed POST, slowly */
		http_line(b, "POST", "/tunnel");
		n = rr(1, 400);
		putf(b, "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %zu\r\n\r\n", n);
		putrand(b, n);
		c->pace = rr(1, 50);
		c->step = rr(20, 400) / 1000.0;
		break;
	case 8:		/* a premature close */
		http_line(b, "POST", "/tunnel");
		n = rr(1, 100000);
		putf(b, "Content-Length: %zu\r\n\r\n", n);
		putrand(b, n);
		c->close_at = rr(0, b->wb_len - 1);
		break;
	case 9:		/* a broken WebSocket handshake */
		http_line(b, chance(80) ? "GET" : PICK(fz_methods),
		    chance(70) ? "/stream" : PICK(fz_paths));
		if (chance(80))
			putf(b, "Upgrade: %s\r\n", PICK(((const char *[]){
			    "websocket", "WebSocket", "h2c", "", "websocket, "
			    "h2c", "tls/1.0" })));
		if (chance(80))
			putf(b, "Connection: %s\r\n", PICK(((const char *[]){
			    "Upgrade", "upgrade, keep-alive", "close", "",
			    "Upgrade, HTTP2-Settings" })));
		if (chance(70))
			putf(b, "Sec-WebSocket-Key: %s\r\n", PICK(((const char
			    *[]){ "dGhlIHNhbXBsZSBub25jZQ==", "", "x",
			    "dGhlIHNhbXBsZSBub25jZQ",
			    "!!!!!!!!!!!!!!!!!!!!!!!=",
			    "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ=="
			    })));
		if (chance(70))
			putf(b, "Sec-WebSocket-Version: %s\r\n", PICK(((const
			    char *[]){ "13", "8", "14", "abc", "", "13, 8" })));
		if (chance(30))
			putf(b, "Sec-WebSocket-Protocol: %s\r\n", PICK(((const
			    char *[]){ "tunnel", "x", "tunnel, x", ",,," })));
		if (chance(30))
			putf(b, "Sec-WebSocket-Extensions: %s\r\n", PICK(((
			    const char *[]){ "permessage-deflate",
			    "permessage-deflate; client_max_window_bits=99",
			    "x-webkit-deflate-frame", ";;;" })));
		if (chance(20))
			putf(b, "Origin: http://%s\r\n", chance(50) ?
			    "evil.example" : "127.0.0.1");
		if (chance(20))
			putf(b, "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n");
		putf(b, "\r\n");
		if (chance(50))
			putrand(b, rr(0, 64));
		break;
	case 10:	/* WebSocket frames after a good handshake */
		gen_ws_frames(c);
		break;
	case 11:	/* an unauthenticated body, well framed */
		http_line(b, "POST", "/tunnel");
		n = chance(80) ? rr(1, 2000) : rr(2000, 200000);
		putf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    PICK(fz_ctypes), n);
		putrand(b, n);
		break;
	case 12:	/* authenticated garbage over POST */
		if (fz_aead == NULL) {
			gen_http(c, 11);
			return;
		}
		i = chance(50);		/* text */
		auth_batch(&body, i);
		http_line(b, "POST", "/tunnel");
		putf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    i ? "text/plain" : "application/octet-stream",
		    body.wb_len);
		put(b, body.wb_data, body.wb_len);
		wbuf_free(&body);
		break;
	case 13:	/* pipelined requests */
		n = rr(2, 20);
		for (i = 0; i < n; i++) {
			http_line(b, PICK(fz_methods), PICK(fz_paths));
			if (chance(30))
				putf(b, "Content-Length: %d\r\n\r\nxyz",
				    (int)rr(0, 3));
			else
				putf(b, "\r\n");
		}
		break;
	case 14:	/* HTTP/2 */
		if (chance(50)) {
			putf(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
			putrand(b, rr(0, 300));
		} else {
			http_line(b, "GET", PICK(fz_paths));
			putf(b, "Connection: Upgrade, HTTP2-Settings\r\n"
			    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAA"
			    "AAIAAAAA\r\n\r\n");
			putrand(b, rr(0, 300));
		}
		break;
	case 15:	/* odd request lines */
		putf(b, "%s %s %s\r\n", PICK(fz_methods), PICK(fz_paths),
		    PICK(fz_versions));
		if (chance(50))
			putf(b, "Host: x\r\n");
		if (chance(30))
			putf(b, "Expect: 100-continue\r\nContent-Length: "
			    "100\r\n");
		if (chance(30))
			putf(b, " folded: header\r\n\tcontinued\r\n");
		if (chance(20))
			putf(b, "Bad Header Name: x\r\nNoColon\r\n");
		putf(b, chance(80) ? "\r\n" : "\n\n");
		break;
	default:	/* headers one byte at a time, then stop */
		http_line(b, "GET", "/healthz");
		putf(b, "X-Slow: ");
		putrep(b, 'b', rr(10, 200));
		c->pace = 1;
		c->step = rr(50, 300) / 1000.0;
		break;
	}
	if (g != 8 && g != 10 && chance(15))
		c->close_at = rr(0, b->wb_len);
	c->halfclose = chance(20);
}

#define FZ_HTTP_GENS	17

/* --- SOCKS5 --- */

static void
socks_greeting(struct wbuf *b)
{
	uint8_t	 g[3] = { 5, 1, 0 };

	put(b, g, 3);
}

static void
socks_connect(struct wbuf *b, int kind)
{
	uint8_t		 r[300];
	size_t		 n = 0;
	const char	*name;
	int		 port = chance(60) ? fz_target : fz_dead_port;

	r[n++] = 5;
	r[n++] = 1;
	r[n++] = 0;
	switch (kind) {
	case 0:
		r[n++] = 1;
		r[n++] = 127; r[n++] = 0; r[n++] = 0; r[n++] = 1;
		break;
	case 1:
		name = chance(50) ? "127.0.0.1" : "x.invalid";
		r[n++] = 3;
		r[n++] = strlen(name);
		memcpy(r + n, name, strlen(name));
		n += strlen(name);
		break;
	default:
		r[n++] = 4;
		memset(r + n, 0, 15);
		n += 15;
		r[n++] = 1;		/* ::1 */
		break;
	}
	r[n++] = port >> 8;
	r[n++] = port;
	put(b, r, n);
}

static void
gen_socks(struct fc *c, int g)
{
	struct wbuf	*b = &c->out;
	uint8_t		 x[600];
	size_t		 n, i;

	switch (g) {
	case 0:		/* random bytes */
		putrand(b, rr(1, 4096));
		break;
	case 1:		/* odd greetings */
		x[0] = PICK(((const uint8_t[]){ 5, 4, 0, 'G', 'C', 0xff, 1 }));
		x[1] = chance(50) ? rr(0, 255) : rr(0, 3);
		n = chance(50) ? x[1] : rr(0, x[1]);
		rbytes(x + 2, n);
		put(b, x, n + 2);
		if (chance(50))
			putrand(b, rr(0, 64));
		break;
	case 2:		/* RFC 1929 sub-negotiation */
		x[0] = 5; x[1] = 1; x[2] = 2;
		put(b, x, 3);
		x[0] = chance(80) ? 1 : rr(0, 255);
		x[1] = rr(0, 255);
		put(b, x, 2);
		putrand(b, chance(50) ? x[1] : rr(0, x[1]));
		x[0] = rr(0, 255);
		put(b, x, 1);
		putrand(b, rr(0, 255));
		break;
	case 3:		/* odd requests */
		socks_greeting(b);
		x[0] = chance(80) ? 5 : rr(0, 255);
		x[1] = chance(50) ? rr(1, 3) : rr(0, 255);
		x[2] = chance(80) ? 0 : rr(0, 255);
		x[3] = chance(80) ? PICK(((const uint8_t[]){ 1, 3, 4 })) :
		    rr(0, 255);
		put(b, x, 4);
		if (x[3] == 3) {
			x[0] = PICK(((const uint8_t[]){ 0, 1, 255, 128 }));
			put(b, x, 1);
			n = chance(70) ? x[0] : rr(0, x[0]);
			for (i = 0; i < n; i++)
				x[i] = chance(90) ? 'a' + rnd() % 26 :
				    rnd() >> 24;
			put(b, x, n);
		} else
			putrand(b, rr(0, 20));
		putrand(b, rr(0, 2));
		break;
	case 4:		/* a good connect, then data and maybe a cut */
		socks_greeting(b);
		c->hold_at = b->wb_len;
		socks_connect(b, rr(0, 2));
		if (chance(70)) {
			putf(b, "GET /%llx HTTP/1.0\r\n\r\n",
			    (unsigned long long)rnd());
			putrand(b, rr(0, 20000));
		}
		if (chance(40))
			c->close_at = rr(0, b->wb_len);
		c->linger = 1.0;
		break;
	case 5:		/* a slow trickle */
		socks_greeting(b);
		socks_connect(b, rr(0, 2));
		c->pace = 1;
		c->step = rr(50, 500) / 1000.0;
		break;
	case 6:		/* oversized */
		socks_greeting(b);
		if (chance(50))
			socks_connect(b, 1);
		putrand(b, rr(4096, 70000));
		break;
	default:	/* a mutated good exchange */
		socks_greeting(b);
		socks_connect(b, rr(0, 2));
		mutate(b, 0);
		break;
	}
	c->halfclose = chance(20);
}

#define FZ_SOCKS_GENS	8

/* --- commands --- */

static uint64_t	 fz_loris_renewed;
static uint32_t	 fz_src_first = (127U << 24) | 2;
static uint32_t	 fz_src_last = (127U << 24) | 41;
static uint32_t	 fz_src_next;
static int	 fz_src_set;
static int	 fz_want_posts, fz_want_ws;

static uint32_t
fz_next_src(void)
{
	if (fz_src_next < fz_src_first || fz_src_next > fz_src_last)
		fz_src_next = fz_src_first;
	return (fz_src_next++);
}

static void
fz_loris_open(enum fz_kind kind)
{
	struct fc	*c;

	if ((c = fc_new(kind, fz_next_src())) == NULL)
		return;
	c->end = now_s() + 3600;
	if (kind == FK_LORIS_POST) {
		http_line(&c->out, "POST", "/tunnel");
		putf(&c->out, "Content-Type: application/octet-stream\r\n"
		    "Content-Length: 1048576\r\n\r\n");
		c->hold_at = FZ_NOLIMIT;
		/* The header at once, then one body byte a second. */
		c->pace = c->out.wb_len;
		putrep(&c->out, 'x', 1048576);
		c->step = 1.0;
		c->next = 0;
	} else
		ws_handshake(&c->out, "/stream");
}

static void
fz_closed(struct fc *c)
{
	if (c->kind == FK_LORIS_POST || c->kind == FK_LORIS_WS)
		fz_loris_renewed++;
}

static volatile sig_atomic_t	 fz_sigstop;

static void
fz_sigusr1(int sig)
{
	fz_sigstop = 1;
}

/* SIGUSR1 (the case is done with us) or the time is up. */
static int
fz_stop(double end)
{
	return (fz_sigstop || now_s() >= end);
}

static int
cmd_loris(double secs)
{
	struct fc	*c;
	double		 end = now_s() + secs, last = 0, now;
	double		 budget = 50, tick = now_s(), tick0 = tick;
	int		 i;

	while (!fz_stop(end)) {
		/* Renewed at once, but at most 200 connections a second. */
		now = now_s();
		budget += (now - tick) * 200;
		tick = now;
		if (budget > 50)
			budget = 50;
		while (fz_count(FK_LORIS_POST) < fz_want_posts && budget >= 1) {
			fz_loris_open(FK_LORIS_POST);
			budget--;
		}
		while (fz_count(FK_LORIS_WS) < fz_want_ws && budget >= 1) {
			fz_loris_open(FK_LORIS_WS);
			budget--;
		}
		/* After the 1st byte, one body byte per step. */
		for (i = 0; i < fz_nconns; i++) {
			c = &fz_conns[i];
			if (c->fd != -1 && c->kind == FK_LORIS_POST &&
			    c->off > 0)
				c->pace = 1;
		}
		fz_io(0.2);
		now = now_s();
		if (now - last >= 5 || (last == 0 && now - tick0 >= 1)) {
			printf("loris: %d POSTs and %d upgrades open, %llu "
			    "renewed\n", fz_count(FK_LORIS_POST),
			    fz_count(FK_LORIS_WS),
			    (unsigned long long)fz_loris_renewed);
			fflush(stdout);
			last = now;
		}
	}
	printf("loris: done, %llu connections opened, %llu renewed\n",
	    (unsigned long long)fz_opened,
	    (unsigned long long)fz_loris_renewed);
	return (0);
}

static int
cmd_hold(int n, double secs)
{
	double	 end = now_s() + secs;
	int	 said = 0, i, up;
	struct fc *c;

	while (!fz_stop(end)) {
		while (fz_count(FK_HOLD) < n) {
			if ((c = fc_new(FK_HOLD, 0)) == NULL)
				break;
			c->end = end + 1;
		}
		fz_io(0.1);
		for (up = 0, i = 0; i < fz_nconns; i++)
			if (fz_conns[i].fd != -1 && fz_conns[i].connected)
				up++;
		if (!said && up >= n) {
			printf("holding %d\n", up);
			fflush(stdout);
			said = 1;
		}
	}
	return (0);
}

/* bigreq: the three requests that used to kill the exit (issue 18). */
static int
cmd_bigreq(int n)
{
	static const char *const names[3] = { "5000-byte header", "8 KiB URI",
	    "500 headers" };
	struct fc	*c;
	int		 i, k, j;
	double		 end;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 3; k++) {
			if ((c = fc_new(FK_FUZZ, 0)) == NULL)
				die("connect to %d refused", fz_port);
			if (k == 1) {
				putf(&c->out, "GET /");
				putrep(&c->out, 'a', 8192);
				putf(&c->out, " HTTP/1.1\r\nHost: x\r\n");
			} else
				http_line(&c->out, "GET", "/");
			if (k == 0) {
				putf(&c->out, "X-Long: ");
				putrep(&c->out, 'a', 5000);
				putf(&c->out, "\r\n");
			} else if (k == 2)
				for (j = 0; j < 500; j++)
					putf(&c->out, "X-H%d: v\r\n", j);
			putf(&c->out, "\r\n");
			c->linger = 5;
			end = now_s() + 10;
			while (c->fd != -1 && now_s() < end)
				fz_io(0.5);
			if (i == 0)
				printf("%s: %.12s\n", names[k], c->nresp == 0 ?
				    "closed" : c->nresp >= 12 ? c->resp :
				    "answered");
			if (c->fd != -1)
				fc_close(c);
		}
	}
	if ((c = fc_new(FK_PROBE, 0)) == NULL)
		die("healthz: connect refused");
	putf(&c->out, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	c->end = now_s() + 10;
	while (c->fd != -1)
		fz_io(0.5);
	if (!fz_probe_ok)
		die("GET /healthz was not answered 200 after %d rounds", n);
	printf("bigreq: %d rounds, then /healthz 200\n", n);
	return (0);
}

static void
fz_probe(double now)
{
	struct fc	*c;

	if (fz_probe_sent >= 0 && !fz_probe_ok && now - fz_probe_sent >
	    FZ_PROBE_WAIT)
		die("liveness probe %llu unanswered for %.0f s (seed printed "
		    "above)", (unsigned long long)fz_probes, FZ_PROBE_WAIT);
	if (fz_probe_sent >= 0 && !fz_probe_ok)
		return;
	if (fz_probe_sent >= 0 && now - fz_probe_sent < FZ_PROBE_EVERY)
		return;
	if ((c = fc_new(FK_PROBE, 0)) == NULL)
		return;		/* counted as refused; tried again */
	if (fz_socks)
		socks_greeting(&c->out);
	else
		putf(&c->out, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	c->end = now + FZ_PROBE_WAIT;
	fz_probe_ok = 0;
	fz_probe_sent = now;
	fz_probes++;
}

static int
fz_slow(void)
{
	int	 i, n = 0;

	for (i = 0; i < fz_nconns; i++)
		if (fz_conns[i].fd != -1 && fz_conns[i].kind == FK_FUZZ &&
		    fz_conns[i].pace > 0)
			n++;
	return (n);
}

/* SOCKFUZZ_DUMP=DIR: every connection's bytes in DIR/N (debugging). */
static void
fz_dump(const struct fc *c)
{
	static const char	*dir;
	static int		 init;
	char			 path[1024];
	FILE			*f;

	if (!init) {
		dir = getenv("SOCKFUZZ_DUMP");
		init = 1;
	}
	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%06llu", dir,
	    (unsigned long long)fz_opened);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fwrite(c->out.wb_data, 1, c->out.wb_len, f);
	fclose(f);
}

static int
cmd_fuzz(int socks, int conc, double secs)
{
	struct wire_aead *aead;
	struct fc	*c;
	double		 end = now_s() + secs, now, budget = 0, tick = now_s();
	int		 g, ngen = socks ? FZ_SOCKS_GENS : FZ_HTTP_GENS;

	fz_socks = socks;
	while ((now = now_s()) < end) {
		fz_probe(now);
		/* -r: new connections a second at most (a token bucket). */
		budget += (now - tick) * fz_rate;
		tick = now;
		if (budget > fz_rate / 10 + 1)
			budget = fz_rate / 10 + 1;
		while (fz_count(FK_FUZZ) < conc && budget >= 1) {
			budget--;
			if ((c = fc_new(FK_FUZZ, fz_src_set ? (uint32_t)rr(
			    fz_src_first, fz_src_last) : 0)) == NULL)
				break;
			g = fz_only >= 0 ? fz_only : (int)(rnd() % ngen);
			c->gen = g;
			fz_gen_count[g]++;
			/*
			 * With -a, authenticated garbage comes from the lower
			 * half of the addresses only: the upper half stays
			 * unknown to the exit (admit.c's other rules).
			 */
			aead = fz_aead;
			if (c->src > fz_src_first + (fz_src_last -
			    fz_src_first) / 2)
				fz_aead = NULL;
			if (socks)
				gen_socks(c, g);
			else
				gen_http(c, g);
			fz_aead = aead;
			/* Slow senders may hold a quarter of the slots. */
			if (c->pace > 0 && fz_slow() > conc / 4)
				c->pace = 0;
			fz_dump(c);
		}
		fz_io(0.05);
	}
	/* The last probe must come back too. */
	end = now_s() + FZ_PROBE_WAIT;
	fz_probe_sent = -1;
	fz_probe(now_s());
	while (!fz_probe_ok && now_s() < end && fz_count(FK_PROBE) > 0)
		fz_io(0.1);
	if (!fz_probe_ok)
		die("final liveness probe unanswered");
	printf("%s: %llu connections (%llu refused), %llu probes; answers: "
	    "%llu none, %llu other/1xx, %llu 2xx, %llu 3xx, %llu 4xx, "
	    "%llu 5xx\n", socks ? "socks" : "http",
	    (unsigned long long)fz_opened, (unsigned long long)fz_refused,
	    (unsigned long long)fz_probes,
	    (unsigned long long)fz_answered[0],
	    (unsigned long long)fz_answered[1],
	    (unsigned long long)fz_answered[2],
	    (unsigned long long)fz_answered[3],
	    (unsigned long long)fz_answered[4],
	    (unsigned long long)fz_answered[5]);
	return (0);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sockfuzz bigreq|hold|loris|http|socks PORT "
	    "[options]\n");
	exit(1);
}

static uint32_t
parse_src(const char *s)
{
	unsigned long	 v = strtoul(s, NULL, 10);

	if (v < 1 || v > 254)
		die("-a: host numbers 1..254 in 127.0.0.x");
	return ((127U << 24) | v);
}

int
main(int argc, char *argv[])
{
	const char	*cmd, *keyhex = NULL, *err, *p;
	uint8_t		 key[WIRE_KEY_LEN];
	uint64_t	 seed = 0;
	double		 secs = -1;
	int		 ch, n = -1, conc = 24, i;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, fz_sigusr1);
	if (argc < 3)
		usage();
	cmd = argv[1];
	fz_port = atoi(argv[2]);
	if (fz_port <= 0 || fz_port > 65535)
		usage();
	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "hold") == 0) {
		if (argc < 2)
			usage();
		n = atoi(argv[1]);
		argc--;
		argv++;
	}
	fz_want_posts = 64;
	fz_want_ws = 32;
	optind = 1;
	while ((ch = getopt(argc, argv, "a:c:g:k:n:p:r:s:t:T:w:")) != -1) {
		switch (ch) {
		case 'a':
			fz_src_first = parse_src(optarg);
			p = strchr(optarg, '-');
			fz_src_last = p != NULL ? parse_src(p + 1) :
			    fz_src_first;
			fz_src_set = 1;
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'g':
			fz_only = atoi(optarg);
			break;
		case 'k':
			keyhex = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'p':
			fz_want_posts = atoi(optarg);
			break;
		case 'r':
			fz_rate = atof(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'T':
			fz_target = atoi(optarg);
			break;
		case 'w':
			fz_want_ws = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (conc < 1 || conc > FZ_MAXCONN - 8 || fz_want_posts +
	    fz_want_ws > FZ_MAXCONN - 8 || n > FZ_MAXCONN - 8)
		die("too many connections");
	for (i = 0; i < FZ_MAXCONN; i++)
		fz_conns[i].fd = -1;
	if (seed == 0)
		seed = (uint64_t)time(NULL) * 2654435761ULL ^ getpid();
	fz_rng = seed;
	/* A port nothing listens on: where "dead" targets point. */
	fz_dead_port = 1;
	if (keyhex != NULL) {
		if (wire_key_parse(keyhex, key, &err) == -1)
			die("key: %s", err);
		if ((fz_aead = wire_aead_new(key)) == NULL)
			die("aead");
	}
	if (strcmp(cmd, "bigreq") == 0)
		return (cmd_bigreq(n > 0 ? n : 20));
	if (strcmp(cmd, "hold") == 0)
		return (cmd_hold(n, secs > 0 ? secs : 60));
	if (strcmp(cmd, "loris") == 0)
		return (cmd_loris(secs > 0 ? secs : 60));
	if (strcmp(cmd, "http") == 0 || strcmp(cmd, "socks") == 0) {
		printf("sockfuzz %s: seed %llu (replay with -s %llu), %.0f s, "
		    "%d at a time\n", cmd, (unsigned long long)seed,
		    (unsigned long long)seed, secs > 0 ? secs : 20.0, conc);
		fflush(stdout);
		return (cmd_fuzz(cmd[0] == 's', conc, secs > 0 ? secs : 20));
	}
	usage();
}
