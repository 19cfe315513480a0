/*
 * grdrv: a small GooseRelayVPN protocol driver for the exit's regress
 * cases.  It plays a client over POST /tunnel (text or binary bodies) or
 * a WebSocket /stream, with blocking sockets and scripted subcommands:
 *
 *	grdrv -u http://127.0.0.1:PORT -k KEYHEX [-bwAvU] [-c CIDHEX]
 *	    probe [-U] [-I instance] [-R]	print the probe reply JSON
 *	    fetch TARGET OUT [REQFILE]		open, send REQFILE, save until FIN
 *	    upload TARGET IN OUT		send IN then FIN, save the reply
 *	    collide TARGET			another client's frame gets RST
 *	    maxsess N TARGET			open N sessions, print #RST
 *	    supersede TARGET OUT REQFILE	fetch across a stream takeover
 *	    dropreplay TARGET OUT REQFILE	drop one response, replay fills it
 *	    runreset TARGET			a new run kills the old run's session
 *	    idle N TARGET SECS			open N idle sessions, hold them
 *	    poll				one empty poll, print #frames
 *	    hello-timeout | hello-oversize	stream pre-auth limits
 *	grdrv sink PORT [-e]			sha256-of-input (or echo) server
 *
 * -b binary POST bodies, -w use /stream, -A send GACKs (replay), -v print
 * the payload bytes of each response that carried data, -U ask for
 * upstream_ack_v1 in dropreplay's probe.  Exit
 * status 0 on success, 1 on failure, 2 when the session got an RST, 3
 * when the exit answered 204 (undecryptable).  Test tool: it mallocs
 * freely and trusts nothing it receives beyond what the codec checks.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wire.h"

#define GRDRV_MAXBATCH	(48)
#define GRDRV_CHUNK	WIRE_MAX_PAYLOAD

struct drv {
	char			 host[64];
	int			 port;
	uint8_t			 key[WIRE_KEY_LEN];
	struct wire_aead	*aead;
	uint8_t			 cid[WIRE_CID_LEN];
	int			 binary;
	int			 ws;
	int			 acks;
	int			 verbose;
	int			 upack;
	int			 wsfd;
	int			 last_status;
	struct wire_batch	 batch;
	struct wbuf		 body;
	struct wbuf		 scratch;
	struct wire_frame	 pend[1024];	/* frames for the next POST */
	size_t			 npend;
	uint8_t			*pendbuf[1024];	/* owned payload copies */
};

/* Out-of-order downstream data of one session. */
struct rxs {
	uint8_t		 sid[WIRE_SID_LEN];
	uint64_t	 next;
	FILE		*out;
	int		 fin;
	int		 rst;
	uint64_t	 bytes;
	struct rxo {
		uint64_t	 seq;
		uint8_t		*p;
		size_t		 n;
		int		 fin;
	}		*ooo;
	size_t		 nooo;
};

static double	 grdrv_deadline;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "grdrv: ");
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

static void
check_deadline(void)
{
	if (now_s() > grdrv_deadline)
		die("overall deadline passed");
}

static int
tcp_connect(const char *host, int port, double timeout)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("bad host %s", host);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	tv.tv_sec = (long)timeout;
	tv.tv_usec = (timeout - (long)timeout) * 1e6;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect %s:%d: %s", host, port, strerror(errno));
	return (fd);
}

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 r;

	while (n > 0) {
		if ((r = send(fd, b, n, MSG_NOSIGNAL)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			die("write: %s", r == 0 ? "closed" : strerror(errno));
		}
		b += r;
		n -= r;
	}
}

/* Read exactly n bytes; -1 on EOF/timeout. */
static int
read_all(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = recv(fd, b, n, 0)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return (-1);
		}
		b += r;
		n -= r;
	}
	return (0);
}

/* Read an HTTP header block into buf; returns its length or -1. */
static int
read_headers(int fd, char *buf, size_t cap)
{
	size_t	 n = 0;

	while (n + 1 < cap) {
		if (read_all(fd, buf + n, 1) == -1)
			return (-1);
		n++;
		buf[n] = '\0';
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			return (n);
	}
	return (-1);
}

static void
seal(struct drv *d, const struct wire_frame *f, size_t n, int text)
{
	struct wire_encopts	 eo = { WIRE_LAYOUT_V16, 0 };
	const char		*err;

	wbuf_reset(&d->body);
	if (wire_body_seal(d->aead, d->cid, f, n, &eo, text, &d->body,
	    &d->scratch, &err) == -1)
		die("seal: %s", err);
}

/* --- WebSocket (RFC 6455 client, zero mask key) --- */

static void
ws_open(struct drv *d)
{
	char	 req[512], hdr[4096];
	int	 n;

	d->wsfd = tcp_connect(d->host, d->port, 15);
	n = snprintf(req, sizeof(req), "GET /stream HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", d->host, d->port);
	write_all(d->wsfd, req, n);
	if (read_headers(d->wsfd, hdr, sizeof(hdr)) == -1)
		die("ws: no upgrade response");
	if (strncmp(hdr, "HTTP/1.1 101", 12) != 0) {
		d->last_status = atoi(hdr + 9);
		die("ws: upgrade refused: %.12s", hdr);
	}
}

static void ws_frame(int, int, const uint8_t *, size_t);
static void seal(struct drv *, const struct wire_frame *, size_t, int);

/* The hello: an empty batch that makes this client own the stream. */
static void
ws_hello(struct drv *d)
{
	seal(d, NULL, 0, 0);
	ws_frame(d->wsfd, 2, d->body.wb_data, d->body.wb_len);
}

static void
ws_frame(int fd, int op, const uint8_t *p, size_t n)
{
	uint8_t	 h[14];
	size_t	 hl = 0;

	h[hl++] = 0x80 | op;
	if (n < 126)
		h[hl++] = 0x80 | n;
	else if (n < 65536) {
		h[hl++] = 0x80 | 126;
		h[hl++] = n >> 8;
		h[hl++] = n;
	} else {
		h[hl++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			h[hl++] = (uint64_t)n >> (i * 8);
	}
	memset(h + hl, 0, 4);		/* mask key 0: payload unchanged */
	hl += 4;
	write_all(fd, h, hl);
	if (n > 0)
		write_all(fd, p, n);
}

/* Next binary message into d->body; -1 when the server closed. */
static int
ws_recv(struct drv *d)
{
	uint8_t		 h[2], ext[8], *p;
	uint64_t	 len;
	int		 op, fin, i;

	wbuf_reset(&d->body);
	for (;;) {
		check_deadline();
		if (read_all(d->wsfd, h, 2) == -1)
			return (-1);
		fin = h[0] & 0x80;
		op = h[0] & 0x0f;
		len = h[1] & 0x7f;
		if (len == 126) {
			if (read_all(d->wsfd, ext, 2) == -1)
				return (-1);
			len = (ext[0] << 8) | ext[1];
		} else if (len == 127) {
			if (read_all(d->wsfd, ext, 8) == -1)
				return (-1);
			for (len = 0, i = 0; i < 8; i++)
				len = (len << 8) | ext[i];
		}
		if (len > 64 * 1024 * 1024)
			die("ws: frame too big");
		if (op == 8)
			return (-1);
		if (op == 9 || op == 10) {
			uint8_t	 ctl[125];

			if (len > sizeof(ctl) || read_all(d->wsfd, ctl,
			    len) == -1)
				return (-1);
			if (op == 9)
				ws_frame(d->wsfd, 10, ctl, len);
			continue;
		}
		if (wbuf_reserve(&d->body, len) == -1)
			die("oom");
		p = d->body.wb_data + d->body.wb_len;
		if (read_all(d->wsfd, p, len) == -1)
			return (-1);
		d->body.wb_len += len;
		if (fin)
			return (0);
	}
}

/* --- transport: frames out, batches in --- */

static void
queue_frame(struct drv *d, const struct wire_frame *f)
{
	uint8_t	*copy = NULL;

	if (d->npend >= 1024)
		die("too many pending frames");
	d->pend[d->npend] = *f;
	if (f->f_len > 0) {
		if ((copy = malloc(f->f_len)) == NULL)
			die("oom");
		memcpy(copy, f->f_payload, f->f_len);
		d->pend[d->npend].f_payload = copy;
	}
	d->pendbuf[d->npend++] = copy;
}

static void
flush_pending_clear(struct drv *d)
{
	size_t	 i;

	for (i = 0; i < d->npend; i++)
		free(d->pendbuf[i]);
	d->npend = 0;
}

/* WebSocket: send the queued frames as one message now. */
static void
ws_flush(struct drv *d)
{
	if (d->npend == 0)
		return;
	seal(d, d->pend, d->npend, 0);
	ws_frame(d->wsfd, 2, d->body.wb_data, d->body.wb_len);
	flush_pending_clear(d);
}

/*
 * One exchange: POST the pending frames (possibly none) and decode the
 * reply into d->batch; or on a stream, flush and read one message.
 * Returns 0, or -1 if the stream closed.
 */
static int
exchange(struct drv *d)
{
	char		 hdr[4096], req[512], *cl;
	const char	*err;
	size_t		 blen;
	int		 fd, n, status;

	check_deadline();
	if (d->ws) {
		ws_flush(d);
		if (ws_recv(d) == -1)
			return (-1);
		if (wire_body_open(d->aead, d->body.wb_data, d->body.wb_len, 0,
		    &d->batch, &err) == -1)
			die("stream message: %s", err);
		return (0);
	}
	seal(d, d->pend, d->npend, !d->binary);
	flush_pending_clear(d);
	fd = tcp_connect(d->host, d->port, 30);
	n = snprintf(req, sizeof(req), "POST /tunnel HTTP/1.1\r\n"
	    "Host: %s:%d\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", d->host, d->port, d->binary ?
	    "application/octet-stream" : "text/plain", d->body.wb_len);
	write_all(fd, req, n);
	write_all(fd, d->body.wb_data, d->body.wb_len);
	if (read_headers(fd, hdr, sizeof(hdr)) == -1)
		die("POST: no response headers");
	status = atoi(hdr + 9);
	d->last_status = status;
	if (status == 204) {
		close(fd);
		fprintf(stderr, "grdrv: 204 (undecryptable)\n");
		exit(3);
	}
	if (status != 200)
		die("POST: status %d", status);
	if ((cl = strcasestr(hdr, "\r\ncontent-length:")) == NULL)
		die("POST: no content-length");
	blen = strtoul(cl + 17, NULL, 10);
	if (blen > 64 * 1024 * 1024)
		die("POST: body too big");
	if (d->binary && strcasestr(hdr, "application/octet-stream") == NULL)
		die("POST: binary request, non-binary reply");
	wbuf_reset(&d->body);
	if (wbuf_reserve(&d->body, blen) == -1)
		die("oom");
	if (read_all(fd, d->body.wb_data, blen) == -1)
		die("POST: short body");
	d->body.wb_len = blen;
	close(fd);
	if (wire_body_open(d->aead, d->body.wb_data, blen, !d->binary,
	    &d->batch, &err) == -1)
		die("POST reply: %s", err);
	if (memcmp(d->batch.b_cid, d->cid, WIRE_CID_LEN) != 0)
		die("reply for another client_id");
	return (0);
}

static void
frame_init(struct wire_frame *f, const uint8_t *sid, uint64_t seq,
    uint8_t flags)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->f_sid, sid, WIRE_SID_LEN);
	f->f_seq = seq;
	f->f_flags = flags;
}

static void
queue_syn(struct drv *d, const uint8_t *sid, const char *target,
    const uint8_t *p, size_t n)
{
	struct wire_frame	 f;

	frame_init(&f, sid, 0, WIRE_F_SYN);
	f.f_target = target;
	f.f_tlen = strlen(target);
	f.f_payload = p;
	f.f_len = n;
	queue_frame(d, &f);
}

static void
queue_gack(struct drv *d, const uint8_t *sid, uint64_t next)
{
	struct wire_frame	 f;
	uint8_t			 g[WIRE_GACK_LEN];

	wire_gack_encode(g, next);
	frame_init(&f, sid, 0, WIRE_F_ACK);
	f.f_payload = g;
	f.f_len = sizeof(g);
	queue_frame(d, &f);
}

/* Deliver one downstream frame into a session's output, in order. */
static void
rx_frame(struct drv *d, struct rxs *r, const struct wire_frame *f, int drop)
{
	size_t	 i;
	int	 progressed = 0;

	if (f->f_flags & WIRE_F_RST) {
		r->rst = 1;
		return;
	}
	if (f->f_flags & WIRE_F_ACK)
		return;
	/* GooseRelayVPN exits never send SYN or a target downstream. */
	if ((f->f_flags & WIRE_F_SYN) || f->f_tlen > 0)
		die("downstream frame with SYN or a target");
	if (drop || f->f_seq < r->next)
		return;
	if (f->f_seq > r->next) {
		r->ooo = realloc(r->ooo, (r->nooo + 1) * sizeof(*r->ooo));
		r->ooo[r->nooo].seq = f->f_seq;
		r->ooo[r->nooo].n = f->f_len;
		r->ooo[r->nooo].fin = !!(f->f_flags & WIRE_F_FIN);
		r->ooo[r->nooo].p = malloc(f->f_len + 1);
		memcpy(r->ooo[r->nooo].p, f->f_payload, f->f_len);
		r->nooo++;
		return;
	}
	if (f->f_len > 0 && fwrite(f->f_payload, 1, f->f_len, r->out) !=
	    f->f_len)
		die("write output");
	r->bytes += f->f_len;
	r->next++;
	if (f->f_flags & WIRE_F_FIN)
		r->fin = 1;
	progressed = 1;
	/* Stored frames that are now in order. */
	for (i = 0; i < r->nooo; ) {
		if (r->ooo[i].seq < r->next) {
			free(r->ooo[i].p);
			r->ooo[i] = r->ooo[--r->nooo];
			i = 0;
			continue;
		}
		if (r->ooo[i].seq == r->next) {
			fwrite(r->ooo[i].p, 1, r->ooo[i].n, r->out);
			r->bytes += r->ooo[i].n;
			r->next++;
			if (r->ooo[i].fin)
				r->fin = 1;
			free(r->ooo[i].p);
			r->ooo[i] = r->ooo[--r->nooo];
			i = 0;
			continue;
		}
		i++;
	}
	if (progressed && d->acks)
		queue_gack(d, r->sid, r->next);
}

/* Route a received batch to the sessions in rx[]. */
static void
rx_batch(struct drv *d, struct rxs *rx, size_t nrx, int drop)
{
	size_t	 i, j;

	for (i = 0; i < d->batch.b_nframes; i++)
		for (j = 0; j < nrx; j++)
			if (memcmp(d->batch.b_frames[i].f_sid, rx[j].sid,
			    WIRE_SID_LEN) == 0)
				rx_frame(d, &rx[j], &d->batch.b_frames[i],
				    drop);
}

static size_t
batch_bytes(struct drv *d)
{
	size_t	 i, n = 0;

	/* Session data only: not GACKs, not probe replies. */
	for (i = 0; i < d->batch.b_nframes; i++)
		if (!(d->batch.b_frames[i].f_flags & (WIRE_F_ACK | WIRE_F_RST)))
			n += d->batch.b_frames[i].f_len;
	return (n);
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE		*fp;
	struct stat	 st;
	uint8_t		*p;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) == -1)
		die("%s: %s", path, strerror(errno));
	if ((p = malloc(st.st_size + 1)) == NULL)
		die("oom");
	if (fread(p, 1, st.st_size, fp) != (size_t)st.st_size)
		die("%s: short read", path);
	fclose(fp);
	*n = st.st_size;
	return (p);
}

static void
new_sid(uint8_t *sid)
{
	RAND_bytes(sid, WIRE_SID_LEN);
}

/* --- commands --- */

static int
cmd_probe(struct drv *d, int argc, char **argv)
{
	struct wire_probe	 p;
	struct wire_frame	 f;
	struct wbuf		 pl = { NULL, 0, 0 };
	uint8_t			 sid[WIRE_SID_LEN];
	size_t			 i;
	int			 c, tries;

	memset(&p, 0, sizeof(p));
	snprintf(p.p_client_version, sizeof(p.p_client_version), "grdrv");
	p.p_protocol = 1;
	optind = 1;
	while ((c = getopt(argc, argv, "UI:Rr:")) != -1) {
		switch (c) {
		case 'U':
#ifdef WIRE_FEAT_UPSTREAM_ACK
			p.p_upstream_ack = 1;
#endif
			break;
		case 'I':
			snprintf(p.p_instance_id, sizeof(p.p_instance_id),
			    "%s", optarg);
			break;
		case 'r':
			snprintf(p.p_run_id, sizeof(p.p_run_id), "%s", optarg);
			break;
		case 'R':
			p.p_reset_previous = 1;
			break;
		default:
			die("probe [-U] [-I instance] [-r run] [-R]");
		}
	}
	if (wire_probe_encode(&p, &pl) == -1)
		die("probe encode");
	new_sid(sid);
	frame_init(&f, sid, 0, WIRE_F_ACK);
	f.f_payload = pl.wb_data;
	f.f_len = pl.wb_len;
	queue_frame(d, &f);
	for (tries = 0; tries < 10; tries++) {
		if (exchange(d) == -1)
			die("stream closed");
		for (i = 0; i < d->batch.b_nframes; i++) {
			const struct wire_frame *r = &d->batch.b_frames[i];

			if (memcmp(r->f_sid, sid, WIRE_SID_LEN) == 0 &&
			    (r->f_flags & WIRE_F_RST)) {
				printf("%.*s\n", (int)r->f_len,
				    (const char *)r->f_payload);
				return (r->f_len > 0 ? 0 : 1);
			}
		}
	}
	die("no probe reply");
}

/* Poll until every session in rx got FIN or RST. */
static int
pump(struct drv *d, struct rxs *rx, size_t nrx, int drop_first_data)
{
	size_t	 i, done;
	int	 dropped = 0;

	for (;;) {
		for (done = 0, i = 0; i < nrx; i++)
			done += rx[i].fin || rx[i].rst;
		if (done == nrx)
			break;
		if (exchange(d) == -1)
			die("stream closed by the exit");
		if (d->verbose && batch_bytes(d) > 0)
			fprintf(stderr, "grdrv: response bytes=%zu\n",
			    batch_bytes(d));
		if (drop_first_data && !dropped && batch_bytes(d) > 0) {
			fprintf(stderr, "grdrv: dropping a response of %zu "
			    "bytes\n", batch_bytes(d));
			dropped = 1;
			rx_batch(d, rx, nrx, 1);
			continue;
		}
		rx_batch(d, rx, nrx, 0);
	}
	for (i = 0; i < nrx; i++)
		if (rx[i].rst)
			return (2);
	return (0);
}

static int
cmd_fetch_common(struct drv *d, const char *target, const char *out,
    const char *reqfile, int drop)
{
	struct rxs	 rx;
	uint8_t		*req = NULL;
	size_t		 reqlen = 0;
	int		 rc;

	memset(&rx, 0, sizeof(rx));
	if (drop) {
		/* Replay is negotiated per client: probe first. */
		char	*av[] = { "probe", "-U", NULL };

		if (cmd_probe(d, d->upack ? 2 : 1, av) != 0)
			die("probe");
	}
	if (reqfile != NULL)
		req = slurp(reqfile, &reqlen);
	if ((rx.out = fopen(out, "wb")) == NULL)
		die("%s: %s", out, strerror(errno));
	new_sid(rx.sid);
	queue_syn(d, rx.sid, target, req, reqlen);
	rc = pump(d, &rx, 1, drop);
	fclose(rx.out);
	fprintf(stderr, "grdrv: %llu bytes, %s\n",
	    (unsigned long long)rx.bytes, rx.rst ? "RST" : "FIN");
	return (rc);
}

static int
cmd_upload(struct drv *d, const char *target, const char *in,
    const char *out)
{
	struct wire_frame	 f;
	struct rxs		 rx;
	uint8_t			*buf;
	size_t			 len, off = 0, n;
	uint64_t		 seq = 1;
	int			 k;

	memset(&rx, 0, sizeof(rx));
	buf = slurp(in, &len);
	if ((rx.out = fopen(out, "wb")) == NULL)
		die("%s: %s", out, strerror(errno));
	new_sid(rx.sid);
	queue_syn(d, rx.sid, target, NULL, 0);
	while (off < len || seq != 0) {
		/* Up to 8 frames of this session per batch (client rule). */
		for (k = 0; k < 8 && off < len; k++) {
			n = len - off > GRDRV_CHUNK ? GRDRV_CHUNK : len - off;
			frame_init(&f, rx.sid, seq++, 0);
			f.f_payload = buf + off;
			f.f_len = n;
			queue_frame(d, &f);
			off += n;
		}
		if (off >= len && seq != 0) {
			frame_init(&f, rx.sid, seq, WIRE_F_FIN);
			queue_frame(d, &f);
			seq = 0;
		}
		if (d->ws) {
			/* A stream is full duplex: keep sending. */
			ws_flush(d);
			continue;
		}
		if (exchange(d) == -1)
			die("stream closed");
		rx_batch(d, &rx, 1, 0);
		if (rx.rst)
			die("upload: RST");
	}
	free(buf);
	k = pump(d, &rx, 1, 0);
	fclose(rx.out);
	return (k);
}

static int
has_rst_for(struct drv *d, const uint8_t *sid)
{
	size_t	 i;

	for (i = 0; i < d->batch.b_nframes; i++)
		if (memcmp(d->batch.b_frames[i].f_sid, sid,
		    WIRE_SID_LEN) == 0 &&
		    (d->batch.b_frames[i].f_flags & WIRE_F_RST))
			return (1);
	return (0);
}

/* Client B sends into client A's session: B gets an RST, A is fine. */
static int
cmd_collide(struct drv *a, const char *target)
{
	struct drv		 b = *a;
	struct wire_frame	 f;
	uint8_t			 sid[WIRE_SID_LEN];
	const char		*msg = "ping\n";
	int			 i;

	wire_batch_init(&b.batch);
	memset(&b.body, 0, sizeof(b.body));
	memset(&b.scratch, 0, sizeof(b.scratch));
	b.npend = 0;
	RAND_bytes(b.cid, sizeof(b.cid));
	new_sid(sid);
	queue_syn(a, sid, target, NULL, 0);
	exchange(a);
	if (has_rst_for(a, sid))
		die("collide: A's SYN got an RST");
	frame_init(&f, sid, 1, 0);
	f.f_payload = (const uint8_t *)msg;
	f.f_len = strlen(msg);
	queue_frame(&b, &f);
	for (i = 0; i < 5; i++) {
		exchange(&b);
		if (has_rst_for(&b, sid))
			break;
	}
	if (i == 5)
		die("collide: B got no RST");
	/* A's session still works: its data reaches the echo target. */
	frame_init(&f, sid, 1, 0);
	f.f_payload = (const uint8_t *)msg;
	f.f_len = strlen(msg);
	queue_frame(a, &f);
	for (i = 0; i < 20; i++) {
		exchange(a);
		if (has_rst_for(a, sid))
			die("collide: A got an RST");
		if (batch_bytes(a) > 0)
			break;
	}
	if (i == 20)
		die("collide: A got no echo");
	printf("collision answered with RST, owner unaffected\n");
	return (0);
}

/* Open n sessions in one batch; print how many got an RST. */
static int
cmd_maxsess(struct drv *d, int n, const char *target)
{
	uint8_t	(*sids)[WIRE_SID_LEN];
	int	 i, j, rst = 0, *seen;

	if (n <= 0 || n > 1000)
		die("maxsess: 1..1000");
	sids = calloc(n, WIRE_SID_LEN);
	seen = calloc(n, sizeof(int));
	for (i = 0; i < n; i++) {
		new_sid(sids[i]);
		queue_syn(d, sids[i], target, NULL, 0);
	}
	/* RSTs come back urgently; a couple of polls collect them all. */
	for (j = 0; j < 3; j++) {
		exchange(d);
		for (i = 0; i < n; i++)
			if (!seen[i] && has_rst_for(d, sids[i])) {
				seen[i] = 1;
				rst++;
			}
	}
	printf("%d\n", rst);
	return (0);
}

/*
 * Open n idle sessions (SYN only, 500 per batch) and keep them for hold
 * seconds (bench/exit_idle.sh measures the exit's RSS meanwhile).
 */
static int
cmd_idle(struct drv *d, int n, const char *target, int hold)
{
	uint8_t	 sid[WIRE_SID_LEN];
	int	 i, k, rst = 0;
	size_t	 j;

	for (i = 0; i < n; i += k) {
		for (k = 0; k < 500 && i + k < n; k++) {
			new_sid(sid);
			queue_syn(d, sid, target, NULL, 0);
		}
		exchange(d);
		for (j = 0; j < d->batch.b_nframes; j++)
			rst += !!(d->batch.b_frames[j].f_flags & WIRE_F_RST);
	}
	printf("opened %d sessions, %d RST\n", n, rst);
	fflush(stdout);
	sleep(hold);
	return (0);
}

/* One empty poll: print the number of frames in the reply. */
static int
cmd_poll(struct drv *d)
{
	if (exchange(d) == -1)
		die("stream closed");
	printf("%zu\n", d->batch.b_nframes);
	return (0);
}

/* A second stream of the same client takes over mid-download. */
static int
cmd_supersede(struct drv *d, const char *target, const char *out,
    const char *reqfile)
{
	struct rxs	 rx;
	uint8_t		*req;
	size_t		 reqlen;
	int		 oldfd, msgs = 0, rc;

	if (!d->ws)
		die("supersede needs -w");
	memset(&rx, 0, sizeof(rx));
	req = slurp(reqfile, &reqlen);
	if ((rx.out = fopen(out, "wb")) == NULL)
		die("%s", out);
	new_sid(rx.sid);
	ws_open(d);
	ws_hello(d);
	queue_syn(d, rx.sid, target, req, reqlen);
	while (batch_bytes(d) == 0) {
		if (exchange(d) == -1)
			die("first stream closed early");
		rx_batch(d, &rx, 1, 0);
	}
	/* Second stream, same client: its hello supersedes the first. */
	oldfd = d->wsfd;
	ws_open(d);
	ws_hello(d);
	rc = d->wsfd;
	/* What the old stream delivered before closing still counts. */
	d->wsfd = oldfd;
	while (ws_recv(d) == 0) {
		const char *err;

		if (wire_body_open(d->aead, d->body.wb_data, d->body.wb_len,
		    0, &d->batch, &err) == -1)
			die("old stream: %s", err);
		rx_batch(d, &rx, 1, 0);
		msgs++;
	}
	close(oldfd);
	fprintf(stderr, "grdrv: old stream closed after %d more "
	    "message(s)\n", msgs);
	d->wsfd = rc;
	rc = pump(d, &rx, 1, 0);
	fclose(rx.out);
	return (rc);
}

/* A new run of the same instance kills the old run's sessions. */
static int
cmd_runreset(struct drv *a, const char *target)
{
	struct drv		 b = *a;
	struct wire_frame	 f;
	uint8_t			 sid[WIRE_SID_LEN];
	char			*av1[] = { "probe", "-I", "inst-regress", "-r",
	    "run1", NULL };
	char			*av2[] = { "probe", "-I", "inst-regress", "-r",
	    "run2", "-R", NULL };
	const char		*msg = "ping\n";
	int			 i;

	if (cmd_probe(a, 5, av1) != 0)
		die("probe A");
	new_sid(sid);
	queue_syn(a, sid, target, NULL, 0);
	exchange(a);
	if (has_rst_for(a, sid))
		die("A's SYN got an RST");
	wire_batch_init(&b.batch);
	memset(&b.body, 0, sizeof(b.body));
	memset(&b.scratch, 0, sizeof(b.scratch));
	b.npend = 0;
	RAND_bytes(b.cid, sizeof(b.cid));
	if (cmd_probe(&b, 6, av2) != 0)
		die("probe B");
	/* The old session is gone: A's next frame is answered with RST. */
	frame_init(&f, sid, 1, 0);
	f.f_payload = (const uint8_t *)msg;
	f.f_len = strlen(msg);
	queue_frame(a, &f);
	for (i = 0; i < 5; i++) {
		exchange(a);
		if (has_rst_for(a, sid)) {
			printf("old run's session reset\n");
			return (0);
		}
	}
	die("old run's session still alive");
}

static int
cmd_hello_timeout(struct drv *d)
{
	double	 t0 = now_s();

	ws_open(d);
	if (ws_recv(d) != -1)
		die("got a message without a hello");
	printf("closed after %.1f s\n", now_s() - t0);
	return (0);
}

static int
cmd_hello_oversize(struct drv *d)
{
	uint8_t	*big;
	size_t	 n = 70 * 1024;

	ws_open(d);
	big = calloc(1, n);
	ws_frame(d->wsfd, 2, big, n);
	if (ws_recv(d) != -1)
		die("oversized hello accepted");
	printf("oversized hello refused\n");
	return (0);
}

/* --- sink: sha256 of everything received, or echo --- */

static void
sink_conn(int fd, int echo)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	uint8_t		 buf[65536], h[32];
	char		 hex[66];
	unsigned int	 hl;
	ssize_t		 r;
	int		 i;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (echo)
			write_all(fd, buf, r);
		else
			EVP_DigestUpdate(md, buf, r);
	}
	if (!echo) {
		EVP_DigestFinal_ex(md, h, &hl);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", h[i]);
		hex[64] = '\n';
		write_all(fd, hex, 65);
	}
	close(fd);
	_exit(0);
}

static int
cmd_sink(int port, int echo)
{
	struct sockaddr_in	 sin;
	int			 s, fd, one = 1;

	signal(SIGCHLD, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 128) == -1)
		die("bind/listen %d: %s", port, strerror(errno));
	for (;;) {
		if ((fd = accept(s, NULL, NULL)) == -1)
			continue;
		if (fork() == 0) {
			close(s);
			sink_conn(fd, echo);
		}
		close(fd);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: grdrv -u URL -k KEYHEX [-bwA] [-c CIDHEX] "
	    "[-t secs] command ...\n       grdrv sink PORT [-e]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct drv	 d;
	const char	*url = NULL, *keyhex = NULL, *errstr, *cmd;
	double		 timeout = 120;
	int		 c, i;

	if (argc >= 3 && strcmp(argv[1], "sink") == 0)
		return (cmd_sink(atoi(argv[2]), argc > 3 &&
		    strcmp(argv[3], "-e") == 0));
	memset(&d, 0, sizeof(d));
	RAND_bytes(d.cid, sizeof(d.cid));
	while ((c = getopt(argc, argv, "+u:k:bwAc:t:vU")) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 'k':
			keyhex = optarg;
			break;
		case 'b':
			d.binary = 1;
			break;
		case 'w':
			d.ws = 1;
			break;
		case 'A':
			d.acks = 1;
			break;
		case 'v':
			d.verbose = 1;
			break;
		case 'U':
			d.upack = 1;
			break;
		case 'c':
			for (i = 0; i < WIRE_CID_LEN && optarg[2 * i]; i++)
				sscanf(optarg + 2 * i, "%2hhx", &d.cid[i]);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (url == NULL || keyhex == NULL || argc < 1)
		usage();
	if (sscanf(url, "http://%63[^:]:%d", d.host, &d.port) != 2)
		die("url must be http://IP:PORT");
	if (wire_key_parse(keyhex, d.key, &errstr) == -1)
		die("key: %s", errstr);
	if ((d.aead = wire_aead_new(d.key)) == NULL)
		die("aead");
	wire_batch_init(&d.batch);
	grdrv_deadline = now_s() + timeout;
	cmd = argv[0];

	if (d.ws && strcmp(cmd, "supersede") != 0 &&
	    strncmp(cmd, "hello-", 6) != 0) {
		ws_open(&d);
		ws_hello(&d);
	}
	if (strcmp(cmd, "probe") == 0)
		return (cmd_probe(&d, argc, argv));
	if (strcmp(cmd, "fetch") == 0 && (argc == 3 || argc == 4))
		return (cmd_fetch_common(&d, argv[1], argv[2],
		    argc == 4 ? argv[3] : NULL, 0));
	if (strcmp(cmd, "dropreplay") == 0 && argc == 4)
		return (cmd_fetch_common(&d, argv[1], argv[2], argv[3], 1));
	if (strcmp(cmd, "upload") == 0 && argc == 4)
		return (cmd_upload(&d, argv[1], argv[2], argv[3]));
	if (strcmp(cmd, "collide") == 0 && argc == 2)
		return (cmd_collide(&d, argv[1]));
	if (strcmp(cmd, "maxsess") == 0 && argc == 3)
		return (cmd_maxsess(&d, atoi(argv[1]), argv[2]));
	if (strcmp(cmd, "supersede") == 0 && argc == 4)
		return (cmd_supersede(&d, argv[1], argv[2], argv[3]));
	if (strcmp(cmd, "idle") == 0 && argc == 4)
		return (cmd_idle(&d, atoi(argv[1]), argv[2], atoi(argv[3])));
	if (strcmp(cmd, "poll") == 0)
		return (cmd_poll(&d));
	if (strcmp(cmd, "runreset") == 0 && argc == 2)
		return (cmd_runreset(&d, argv[1]));
	if (strcmp(cmd, "hello-timeout") == 0)
		return (cmd_hello_timeout(&d));
	if (strcmp(cmd, "hello-oversize") == 0)
		return (cmd_hello_oversize(&d));
	usage();
}
