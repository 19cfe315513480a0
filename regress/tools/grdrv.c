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
 *	    deaddial DEAD LIVE N REQFILE OUT	a hanging dial beside N fetches
 *	    idlegc IDLE ACTIVE SECS [TRICKLE]	idle session collected, busy not
 *	    grace ws|post|expire TARGET IN OUT GRACE
 *						stream disconnect grace
 *	    preauth N TARGET REQFILE OUT	N pre-auth streams, next 503
 *	    wsrules TARGET			/stream rules (origin, ping..)
 *	    dialwait TARGET			frames wait for a slow dial
 *	    udpraw IP PORT			one udp_v1 datagram (docs/udp.md)
 *						to IP:PORT: prints "reply",
 *						"rst" or "none"
 *	grdrv sink PORT [-e] [-d MS] [-s FILE] [-b MS] [-t MS]
 *	    a sha256-of-input server, or with -e an echo server; -d: an echo
 *	    after 0.3 s of quiet comes MS ms late; -s: send FILE, then FIN;
 *	    -b: SYNs are dropped for the first MS ms; -t: send a line every
 *	    MS ms; it logs one line per connection closed.
 *	grdrv port				print a free port on 127.0.0.1
 *
 * -5 v1.5 batch layout (GooseRelayVPN v1.5 servers),
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
#include <poll.h>
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
	int			 v15;		/* v1.5 batch layout */
	int			 ws;
	int			 acks;
	int			 verbose;
	int			 upack;
	int			 wsfd;
	int			 ws_wait_ms;	/* >0: reads may time out */
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

	if (d->v15)
		eo.eo_layout = WIRE_LAYOUT_V15;
	wbuf_reset(&d->body);
	if (wire_body_seal(d->aead, d->cid, f, n, &eo, text, &d->body,
	    &d->scratch, &err) == -1)
		die("seal: %s", err);
}

/* --- WebSocket (RFC 6455 client, zero mask key) --- */

/*
 * A WebSocket upgrade on a new connection, with extra header lines (each
 * ending in CRLF); *status gets the HTTP code, hdr (if not NULL) the
 * response headers.
 */
static int
ws_upgrade_x(struct drv *d, const char *extra, int *status, char *hdr,
    size_t hdrcap)
{
	char	 req[1024], buf[4096];
	int	 fd, n;

	if (hdr == NULL) {
		hdr = buf;
		hdrcap = sizeof(buf);
	}
	fd = tcp_connect(d->host, d->port, 15);
	n = snprintf(req, sizeof(req), "GET /stream HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n%s\r\n", d->host, d->port,
	    extra);
	write_all(fd, req, n);
	if (read_headers(fd, hdr, hdrcap) == -1)
		die("ws: no upgrade response");
	*status = strncmp(hdr, "HTTP/1.", 7) == 0 ? atoi(hdr + 9) : 0;
	if (*status == 0)
		fprintf(stderr, "grdrv: upgrade answered %.40s\n", hdr);
	return (fd);
}

static int
ws_upgrade(struct drv *d, int *status)
{
	return (ws_upgrade_x(d, "", status, NULL, 0));
}

static void
ws_open(struct drv *d)
{
	int	 status;

	d->wsfd = ws_upgrade(d, &status);
	if (status != 101) {
		d->last_status = status;
		die("ws: upgrade refused: %d", status);
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
		if (d->ws_wait_ms > 0) {
			struct pollfd	 pfd = { d->wsfd, POLLIN, 0 };

			/* Nothing came: an empty "batch", as a POST would. */
			if (poll(&pfd, 1, d->ws_wait_ms) == 0) {
				d->batch.b_nframes = 0;
				return (0);
			}
		}
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

/*
 * One udp_v1 datagram frame ("GUDP" 0x01 IPv4 PORT "udpraw") for a fresh
 * session id, then a few polls: "reply" if the same bytes came back as
 * a datagram frame, "rst" if the session was reset, else "none".  Sent
 * to any exit, whether or not it offered udp_v1: GooseRelayVPN servers
 * must answer an RST and dial nothing.
 */
static int
cmd_udpraw(struct drv *d, const char *ip, int port)
{
	struct wire_udp_addr	 a, src;
	struct wire_frame	 f;
	const struct wire_frame	*r;
	uint8_t			 sid[WIRE_SID_LEN], pl[WIRE_UDP_HDR_MAX + 6];
	const uint8_t		*data;
	const char		*err;
	size_t			 h, i, dlen;
	int			 tries;

	memset(&a, 0, sizeof(a));
	a.ua_atyp = WIRE_UDP_ATYP_IPV4;
	a.ua_alen = 4;
	if (inet_pton(AF_INET, ip, a.ua_addr) != 1 || port <= 0 ||
	    port > 65535)
		die("udpraw: IPv4 address and port");
	a.ua_port = (uint16_t)port;
	h = wire_udp_hdr_encode(&a, pl);
	memcpy(pl + h, "udpraw", 6);
	new_sid(sid);
	frame_init(&f, sid, 0, WIRE_F_ACK);
	f.f_payload = pl;
	f.f_len = h + 6;
	queue_frame(d, &f);
	for (tries = 0; tries < 5; tries++) {
		if (exchange(d) == -1)
			die("stream closed");
		for (i = 0; i < d->batch.b_nframes; i++) {
			r = &d->batch.b_frames[i];
			if (memcmp(r->f_sid, sid, WIRE_SID_LEN) != 0)
				continue;
			if (r->f_flags & WIRE_F_RST) {
				printf("rst\n");
				return (0);
			}
			if (r->f_flags == WIRE_F_ACK && wire_udp_decode(
			    r->f_payload, r->f_len, &src, &data, &dlen,
			    &err) == 0 && dlen == 6 &&
			    memcmp(data, "udpraw", 6) == 0) {
				printf("reply\n");
				return (0);
			}
		}
	}
	printf("none\n");
	return (0);
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

/* A drv of its own (new client_id) sharing d's address and key. */
static void
drv_clone(struct drv *c, const struct drv *d)
{
	*c = *d;
	wire_batch_init(&c->batch);
	memset(&c->body, 0, sizeof(c->body));
	memset(&c->scratch, 0, sizeof(c->scratch));
	c->npend = 0;
	c->ws = 0;
	c->ws_wait_ms = 0;
	RAND_bytes(c->cid, sizeof(c->cid));
}

static void
queue_data(struct drv *d, const uint8_t *sid, uint64_t seq, uint8_t flags,
    const void *p, size_t n)
{
	struct wire_frame	 f;

	frame_init(&f, sid, seq, flags);
	f.f_payload = p;
	f.f_len = n;
	queue_frame(d, &f);
}

/*
 * One batch: a SYN to DEAD (a dial that hangs) first, then n SYNs to LIVE
 * each carrying REQFILE.  Every live session must finish (FIN, output in
 * OUT.i) before the dead one's RST arrives: ordering, not timing.
 */
static int
cmd_deaddial(struct drv *d, const char *dead, const char *live, int n,
    const char *reqfile, const char *out)
{
	struct rxs	*rx;
	char		 path[1024];
	uint8_t		*req;
	size_t		 reqlen;
	double		 t0;
	int		 i, done = 0;

	if (n <= 0 || n > 100)
		die("deaddial: 1..100 live sessions");
	req = slurp(reqfile, &reqlen);
	rx = calloc(n + 1, sizeof(*rx));
	if ((rx[0].out = fopen("/dev/null", "wb")) == NULL)
		die("/dev/null");
	new_sid(rx[0].sid);
	queue_syn(d, rx[0].sid, dead, NULL, 0);
	for (i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s.%d", out, i);
		if ((rx[i].out = fopen(path, "wb")) == NULL)
			die("%s: %s", path, strerror(errno));
		new_sid(rx[i].sid);
		queue_syn(d, rx[i].sid, live, req, reqlen);
	}
	t0 = now_s();
	while (!rx[0].rst) {
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, n + 1, 0);
		for (i = 1; i <= n; i++) {
			if (rx[i].rst)
				die("live session %d got an RST", i);
			if (rx[i].fin && rx[i].out != NULL) {
				fclose(rx[i].out);
				rx[i].out = NULL;
				done++;
				fprintf(stderr, "grdrv: live %d done after "
				    "%.3f s, %llu bytes\n", i, now_s() - t0,
				    (unsigned long long)rx[i].bytes);
			}
		}
		if (rx[0].fin)
			die("the dead dial got a FIN");
		if (rx[0].rst && done < n)
			die("the dead dial's RST came before %d live "
			    "session(s) finished", n - done);
	}
	printf("dead RST after %.3f s, %d live sessions done before it\n",
	    now_s() - t0, done);
	return (0);
}

/* On a stream, take every message already waiting (no backlog builds). */
static void
ws_catch_up(struct drv *d, struct rxs *rx, size_t nrx)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; d->ws && i < 1000; i++) {
		pfd.fd = d->wsfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, nrx, 0);
	}
}

/*
 * Sessions: IDLE gets a SYN with a tag and nothing more; ACTIVE gets a
 * frame every 0.25 s for SECS seconds; TRICKLE (optional) only receives.
 * The idle one must be collected by the exit's idle GC (an RST pushed is
 * reported), the others not, and every byte sent on ACTIVE must come
 * back from the echo target.  Then a frame for the collected session is
 * answered with RST (GooseRelayVPN's only signal), and the others close
 * with FIN.
 */
static int
cmd_idlegc(struct drv *d, const char *idle, const char *active, int secs,
    const char *trickle)
{
	struct rxs	 rx[3];
	char		*echo = NULL, tick[64], *sent = NULL;
	size_t		 echolen = 0, sentlen = 0;
	FILE		*sentfp;
	uint64_t	 seq = 1;
	double		 t0, trst = -1;
	int		 i, n;

	/* A stream message may not come for every tick: do not block. */
	if (d->ws)
		d->ws_wait_ms = 1000;
	memset(rx, 0, sizeof(rx));
	rx[0].out = fopen("/dev/null", "wb");
	rx[1].out = open_memstream(&echo, &echolen);
	sentfp = open_memstream(&sent, &sentlen);
	if (rx[0].out == NULL || rx[1].out == NULL || sentfp == NULL)
		die("open_memstream");
	new_sid(rx[0].sid);
	new_sid(rx[1].sid);
	queue_syn(d, rx[0].sid, idle, (const uint8_t *)"idle-A\n", 7);
	queue_syn(d, rx[1].sid, active, (const uint8_t *)"active-B\n", 9);
	fputs("active-B\n", sentfp);
	/* Downstream data only: draining keeps a session alive too. */
	rx[2].out = fopen("/dev/null", "wb");
	new_sid(rx[2].sid);
	if (trickle != NULL)
		queue_syn(d, rx[2].sid, trickle, (const uint8_t *)"down-C\n",
		    7);
	t0 = now_s();
	while (now_s() - t0 < secs) {
		n = snprintf(tick, sizeof(tick), "tick %llu\n",
		    (unsigned long long)seq);
		queue_data(d, rx[1].sid, seq++, 0, tick, n);
		fwrite(tick, 1, n, sentfp);
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, 3, 0);
		ws_catch_up(d, rx, 3);
		if (rx[1].rst)
			die("the active session got an RST after %.1f s",
			    now_s() - t0);
		if (rx[2].rst)
			die("the downstream-only session got an RST after "
			    "%.1f s", now_s() - t0);
		if (rx[0].rst && trst < 0) {
			trst = now_s() - t0;
			fprintf(stderr, "grdrv: idle session reset after "
			    "%.1f s\n", trst);
		}
		usleep(250000);
	}
	/*
	 * Our exit tells the client at once; GooseRelayVPN's only forgets
	 * the session and answers its next frame with RST (below).
	 */
	if (trst < 0)
		fprintf(stderr, "grdrv: no RST pushed for the idle session\n");
	/* Echo of the last ticks still on its way: a few more polls. */
	for (i = 0; i < 20; i++) {
		fflush(rx[1].out);
		fflush(sentfp);
		if (echolen >= sentlen)
			break;
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, 3, 0);
		ws_catch_up(d, rx, 3);
	}
	fflush(rx[1].out);
	fflush(sentfp);
	if (echolen != sentlen || memcmp(echo, sent, sentlen) != 0)
		die("active session: %zu bytes echoed of %zu sent", echolen,
		    sentlen);
	/* The collected session is unknown now: a frame for it gets RST. */
	rx[0].rst = 0;
	queue_data(d, rx[0].sid, 1, 0, "late\n", 5);
	for (i = 0; i < 10 && !rx[0].rst; i++) {
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, 3, 0);
		ws_catch_up(d, rx, 3);
	}
	if (!rx[0].rst)
		die("the idle session was not collected in %d s: a frame "
		    "for it got no RST", secs);
	queue_data(d, rx[1].sid, seq, WIRE_F_FIN, NULL, 0);
	for (i = 0; i < 20 && !rx[1].fin && !rx[1].rst; i++) {
		if (exchange(d) == -1)
			die("stream closed by the exit");
		rx_batch(d, rx, 3, 0);
		ws_catch_up(d, rx, 3);
	}
	if (!rx[1].fin)
		die("the active session did not close with FIN");
	if (trickle != NULL) {
		if (rx[2].rst || rx[2].bytes == 0)
			die("downstream-only session: %s, %llu bytes",
			    rx[2].rst ? "RST" : "alive",
			    (unsigned long long)rx[2].bytes);
		queue_data(d, rx[2].sid, 1, WIRE_F_FIN, NULL, 0);
		for (i = 0; i < 20 && !rx[2].fin && !rx[2].rst; i++) {
			if (exchange(d) == -1)
				die("stream closed by the exit");
			rx_batch(d, rx, 3, 0);
			ws_catch_up(d, rx, 3);
		}
		if (!rx[2].fin)
			die("the downstream-only session did not close "
			    "with FIN");
	}
	if (trst >= 0)
		printf("idle session reset after %.1f s (RST pushed); ", trst);
	else
		printf("idle session collected (RST on its next frame); ");
	printf("active session kept (%zu bytes echoed)%s\n", echolen,
	    trickle != NULL ? "; downstream-only session kept" : "");
	return (0);
}

/* Send buf as data frames of sid from *seq on (8 frames per batch). */
static void
send_part(struct drv *d, const uint8_t *sid, uint64_t *seq,
    const uint8_t *buf, size_t len, struct rxs *rx)
{
	size_t	 off = 0, n;
	int	 k;

	while (off < len) {
		for (k = 0; k < 8 && off < len; k++) {
			n = len - off > GRDRV_CHUNK ? GRDRV_CHUNK : len - off;
			queue_data(d, sid, (*seq)++, 0, buf + off, n);
			off += n;
		}
		if (d->ws) {
			ws_flush(d);
			continue;
		}
		if (exchange(d) == -1)
			die("stream closed");
		rx_batch(d, rx, 1, 0);
		if (rx->rst)
			die("RST while sending");
	}
	if (d->ws)
		ws_flush(d);
}

/* Poll until rx has want bytes (or RST); dies after tries exchanges. */
static void
recv_until(struct drv *d, struct rxs *rx, uint64_t want, int tries)
{
	while (rx->bytes < want && !rx->rst && tries-- > 0) {
		if (exchange(d) == -1)
			die("stream closed while receiving");
		rx_batch(d, rx, 1, 0);
	}
	if (rx->rst)
		die("RST after %llu bytes", (unsigned long long)rx->bytes);
	if (rx->bytes < want)
		die("got %llu bytes of %llu", (unsigned long long)rx->bytes,
		    (unsigned long long)want);
}

static void
sleep_until(double t)
{
	double	 left;

	while ((left = t - now_s()) > 0)
		usleep(left > 0.2 ? 200000 : (useconds_t)(left * 1e6));
}

/*
 * Stream disconnect grace (GRACE seconds on the exit).  A session to an
 * echo target that answers after a quiet spell (sink -d): IN's first
 * third goes over the stream and comes back; the second third is sent and
 * the stream dropped before its echo exists; then
 *	ws	a new stream within the grace carries the rest;
 *	post	the client polls by POST within the grace and keeps the
 *		session past the grace's end;
 *	expire	nothing until after the grace: the session is reset.
 * OUT gets the echoed bytes (tag line first) for sha256.
 */
static int
cmd_grace(struct drv *d, const char *mode, const char *target,
    const char *in, const char *out, double grace)
{
	struct rxs	 rx;
	uint8_t		*buf;
	char		 tag[32];
	size_t		 len, third;
	uint64_t	 seq = 1, want;
	double		 tdrop;
	int		 i, taglen;

	if (!d->ws)
		die("grace needs -w");
	memset(&rx, 0, sizeof(rx));
	buf = slurp(in, &len);
	third = len / 3;
	if ((rx.out = fopen(out, "wb")) == NULL)
		die("%s: %s", out, strerror(errno));
	taglen = snprintf(tag, sizeof(tag), "tag:%s\n", mode);
	new_sid(rx.sid);
	queue_syn(d, rx.sid, target, (const uint8_t *)tag, taglen);
	send_part(d, rx.sid, &seq, buf, third, &rx);
	want = taglen + third;
	recv_until(d, &rx, want, 1000);
	/* Quiet for the sink's -d, so the next echo comes late. */
	usleep(500000);
	send_part(d, rx.sid, &seq, buf + third, third, &rx);
	want += third;
	/* Drop the stream cleanly: FIN, then read what is left. */
	shutdown(d->wsfd, SHUT_WR);
	while (ws_recv(d) == 0) {
		const char	*err;

		if (wire_body_open(d->aead, d->body.wb_data, d->body.wb_len,
		    0, &d->batch, &err) == -1)
			die("dropped stream: %s", err);
		rx_batch(d, &rx, 1, 0);
	}
	close(d->wsfd);
	d->wsfd = -1;
	tdrop = now_s();
	fprintf(stderr, "grdrv: stream dropped after %llu bytes\n",
	    (unsigned long long)rx.bytes);

	if (strcmp(mode, "expire") == 0) {
		sleep_until(tdrop + grace + 2);
		d->ws = 0;
		for (i = 0; i < 10 && !rx.rst; i++) {
			if (exchange(d) == -1)
				die("POST failed");
			rx_batch(d, &rx, 1, 0);
		}
		fclose(rx.out);
		if (!rx.rst)
			die("session alive %.1f s after the drop",
			    now_s() - tdrop);
		printf("session reset after the grace\n");
		return (0);
	}
	/* Back within the grace, after the echo was queued meanwhile. */
	sleep_until(tdrop + grace / 2);
	if (strcmp(mode, "ws") == 0) {
		ws_open(d);
		ws_hello(d);
		recv_until(d, &rx, want, 1000);
	} else if (strcmp(mode, "post") == 0) {
		d->ws = 0;
		recv_until(d, &rx, want, 1000);
		/* POST polls only, until well past the grace. */
		while (now_s() < tdrop + grace + 2) {
			if (exchange(d) == -1)
				die("POST failed");
			rx_batch(d, &rx, 1, 0);
			if (rx.rst)
				die("RST while polling by POST");
		}
	} else
		die("grace: ws, post or expire");
	send_part(d, rx.sid, &seq, buf + 2 * third, len - 2 * third, &rx);
	queue_data(d, rx.sid, seq, WIRE_F_FIN, NULL, 0);
	if (d->ws)
		ws_flush(d);
	want += len - 2 * third;
	recv_until(d, &rx, want, 1000);
	fclose(rx.out);
	printf("session kept across the drop (%s), %llu bytes\n", mode,
	    (unsigned long long)rx.bytes);
	return (0);
}

/*
 * With an authenticated stream up: n upgrades that never send a hello
 * hold every pre-auth slot, so the next upgrade gets 503; the stream and
 * a POST client still fetch (OUT.ws, OUT.post); the n are closed by the
 * hello deadline, and a new upgrade is then accepted and works.
 */
static int
cmd_preauth(struct drv *d, int n, const char *target, const char *reqfile,
    const char *out)
{
	struct drv	 p, w;
	struct rxs	 rx;
	char		 path[1024], c, hdr[4096];
	char		*av[] = { "probe", NULL };
	uint8_t		*req;
	size_t		 reqlen;
	double		 t0, tmax = 0;
	int		*fds, i, status, fd;
	ssize_t		 r;

	if (!d->ws || n <= 0 || n > 64)
		die("preauth needs -w and 1..64");
	req = slurp(reqfile, &reqlen);
	fds = calloc(n, sizeof(int));
	t0 = now_s();
	for (i = 0; i < n; i++) {
		fds[i] = ws_upgrade(d, &status);
		if (status != 101)
			die("pre-auth upgrade %d: status %d", i + 1, status);
	}
	fd = ws_upgrade_x(d, "", &status, hdr, sizeof(hdr));
	close(fd);
	if (status != 503)
		die("upgrade %d: status %d, want 503", n + 1, status);
	fprintf(stderr, "grdrv: upgrade %d refused: %.*s\n", n + 1,
	    (int)strcspn(hdr, "\r\n"), hdr);

	/* The authenticated stream works meanwhile. */
	memset(&rx, 0, sizeof(rx));
	snprintf(path, sizeof(path), "%s.ws", out);
	if ((rx.out = fopen(path, "wb")) == NULL)
		die("%s", path);
	new_sid(rx.sid);
	queue_syn(d, rx.sid, target, req, reqlen);
	if (pump(d, &rx, 1, 0) != 0)
		die("fetch over the stream: RST");
	fclose(rx.out);
	/* And so does a POST client. */
	drv_clone(&p, d);
	p.binary = 1;
	memset(&rx, 0, sizeof(rx));
	snprintf(path, sizeof(path), "%s.post", out);
	if ((rx.out = fopen(path, "wb")) == NULL)
		die("%s", path);
	new_sid(rx.sid);
	queue_syn(&p, rx.sid, target, req, reqlen);
	if (pump(&p, &rx, 1, 0) != 0)
		die("fetch by POST: RST");
	fclose(rx.out);

	/*
	 * The hello deadline closes every one of them: a close frame at
	 * most (GooseRelayVPN just drops the connection), then EOF.
	 */
	for (i = 0; i < n; i++) {
		int	 first = 1;

		while ((r = recv(fds[i], &c, 1, 0)) > 0) {
			if (first && (uint8_t)c != 0x88)
				die("pre-auth stream %d: got data (0x%02x)",
				    i + 1, (uint8_t)c);
			first = 0;
		}
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die("pre-auth stream %d still open after %.1f s",
			    i + 1, now_s() - t0);
		if (now_s() - t0 > tmax)
			tmax = now_s() - t0;
		close(fds[i]);
	}
	fprintf(stderr, "grdrv: %d pre-auth streams closed within %.1f s\n",
	    n, tmax);
	/* The slots are free again: a new stream is accepted and works. */
	drv_clone(&w, d);
	w.ws = 1;
	ws_open(&w);
	ws_hello(&w);
	if (cmd_probe(&w, 1, av) != 0)
		die("probe over a new stream");
	printf("%d pre-auth streams held, the next refused (503), closed "
	    "within %.1f s, then a new stream accepted\n", n, tmax);
	return (0);
}


/* One raw WebSocket frame (control frames included); -1 on close/EOF. */
static int
ws_read_raw(int fd, int *op, uint8_t *buf, size_t cap)
{
	uint8_t		 h[2], ext[8];
	uint64_t	 len;
	int		 i;

	if (read_all(fd, h, 2) == -1)
		return (-1);
	*op = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (read_all(fd, ext, 2) == -1)
			return (-1);
		len = (ext[0] << 8) | ext[1];
	} else if (len == 127) {
		if (read_all(fd, ext, 8) == -1)
			return (-1);
		for (len = 0, i = 0; i < 8; i++)
			len = (len << 8) | ext[i];
	}
	if (len > cap)
		die("ws: frame of %llu bytes", (unsigned long long)len);
	if (read_all(fd, buf, len) == -1)
		return (-1);
	return ((int)len);
}

/* The stream closes (close frame or EOF) before anything else comes. */
static void
ws_expect_close(int fd, const char *what)
{
	uint8_t	 buf[65536];
	int	 op;

	if (ws_read_raw(fd, &op, buf, sizeof(buf)) != -1 && op != 8)
		die("%s: got a frame of opcode %d, not a close", what, op);
	printf("%s: stream closed\n", what);
}

/*
 * The /stream rules besides the pre-auth limits: permessage-deflate is
 * never negotiated; a cross-origin browser dial is refused (403) and a
 * same-origin one accepted; pings are answered with the same payload; a
 * text message, an undecryptable hello and a message of another
 * client_id each close the stream - the last leaving the owner's
 * sessions to the disconnect grace, so the owner carries on by POST.
 */
static int
cmd_wsrules(struct drv *d, const char *target)
{
	struct drv	 t, o;
	struct rxs	 rx;
	char		 hdr[4096], extra[256], *echo = NULL;
	uint8_t		 buf[256];
	size_t		 echolen = 0;
	int		 fd, status, op, n, i;

	if (!d->ws)
		die("wsrules needs -w");
	fd = ws_upgrade_x(d, "Sec-WebSocket-Extensions: permessage-deflate; "
	    "client_max_window_bits\r\n", &status, hdr, sizeof(hdr));
	close(fd);
	if (status != 101)
		die("upgrade asking for permessage-deflate: %d", status);
	if (strcasestr(hdr, "deflate") != NULL)
		die("permessage-deflate negotiated");
	printf("permessage-deflate: not negotiated\n");
	fd = ws_upgrade_x(d, "Origin: http://elsewhere.example\r\n", &status,
	    NULL, 0);
	close(fd);
	if (status != 403)
		die("cross-origin upgrade: %d, want 403", status);
	snprintf(extra, sizeof(extra), "Origin: http://%s:%d\r\n", d->host,
	    d->port);
	fd = ws_upgrade_x(d, extra, &status, NULL, 0);
	close(fd);
	if (status != 101)
		die("same-origin upgrade: %d, want 101", status);
	printf("origin: cross refused (403), same accepted\n");

	/* Ping on the authenticated stream: a pong with its payload. */
	ws_frame(d->wsfd, 9, (const uint8_t *)"grdrv-ping", 10);
	for (i = 0; i < 10; i++) {
		if ((n = ws_read_raw(d->wsfd, &op, buf, sizeof(buf))) == -1)
			die("stream closed after a ping");
		if (op == 10)
			break;
	}
	if (op != 10 || n != 10 || memcmp(buf, "grdrv-ping", 10) != 0)
		die("no pong with the ping's payload");
	printf("ping: answered\n");

	/* A text message after the hello. */
	drv_clone(&t, d);
	t.ws = 1;
	ws_open(&t);
	ws_hello(&t);
	ws_frame(t.wsfd, 1, (const uint8_t *)"hello", 5);
	ws_expect_close(t.wsfd, "text message");
	close(t.wsfd);
	/* A hello that does not decrypt. */
	ws_open(&t);
	RAND_bytes(buf, 100);
	ws_frame(t.wsfd, 2, buf, 100);
	ws_expect_close(t.wsfd, "undecryptable hello");
	close(t.wsfd);

	/* The owner has a session; then a message of another client_id. */
	memset(&rx, 0, sizeof(rx));
	if ((rx.out = open_memstream(&echo, &echolen)) == NULL)
		die("open_memstream");
	new_sid(rx.sid);
	queue_syn(d, rx.sid, target, (const uint8_t *)"own\n", 4);
	recv_until(d, &rx, 4, 100);
	drv_clone(&o, d);
	seal(&o, NULL, 0, 0);
	ws_frame(d->wsfd, 2, o.body.wb_data, o.body.wb_len);
	ws_expect_close(d->wsfd, "another client_id");
	close(d->wsfd);
	d->ws = 0;
	queue_data(d, rx.sid, 1, 0, "more\n", 5);
	recv_until(d, &rx, 9, 100);
	fflush(rx.out);
	if (echolen != 9 || memcmp(echo, "own\nmore\n", 9) != 0)
		die("owner's session after the close: %zu bytes", echolen);
	printf("owner's session carried on by POST\n");
	return (0);
}


/*
 * Frames sent while the session's dial is still under way wait for it:
 * a SYN with connect-data, then more data frames and a FIN in batches of
 * their own, all before the target accepts (sink -b).  The echo carries
 * every byte in order, and its first byte comes after the last frame
 * was sent.
 */
static int
cmd_dialwait(struct drv *d, const char *target)
{
	static const char	*parts[] = { "first\n", "second\n", "third\n" };
	struct rxs		 rx;
	char			*echo = NULL;
	size_t			 echolen = 0;
	double			 t0, tsent;
	uint64_t		 seq;
	int			 i;

	memset(&rx, 0, sizeof(rx));
	if ((rx.out = open_memstream(&echo, &echolen)) == NULL)
		die("open_memstream");
	new_sid(rx.sid);
	t0 = now_s();
	queue_syn(d, rx.sid, target, (const uint8_t *)parts[0], 6);
	for (seq = 1; seq < 3; seq++) {
		if (d->ws)
			ws_flush(d);
		else {
			exchange(d);
			rx_batch(d, &rx, 1, 0);
		}
		queue_data(d, rx.sid, seq, 0, parts[seq], strlen(parts[seq]));
	}
	if (d->ws)
		ws_flush(d);
	else {
		exchange(d);
		rx_batch(d, &rx, 1, 0);
	}
	tsent = now_s();
	if (rx.bytes > 0 || rx.rst)
		die("an answer before every frame was sent: the dial was "
		    "not slow");
	recv_until(d, &rx, 19, 1000);
	fflush(rx.out);
	if (echolen != 19 || memcmp(echo, "first\nsecond\nthird\n", 19) != 0)
		die("echo: %zu bytes, not the frames in order", echolen);
	queue_data(d, rx.sid, seq, WIRE_F_FIN, NULL, 0);
	for (i = 0; i < 20 && !rx.fin && !rx.rst; i++) {
		exchange(d);
		rx_batch(d, &rx, 1, 0);
	}
	if (!rx.fin)
		die("no FIN");
	printf("3 frames sent in %.3f s while dialing, echoed in order after "
	    "%.3f s\n", tsent - t0, now_s() - t0);
	return (0);
}

/* --- sink: sha256 of everything received, or echo --- */

/*
 * Logs one line per connection when it ends: the first bytes it carried
 * (tag) and how it ended, so a case can tell the exit closed it.
 */
static uint8_t	*sink_serve;	/* -s: sent to every connection */
static size_t	 sink_servelen;
static int	 sink_trickle_ms; /* -t: a line every MS ms, unasked */

static void
sink_conn(int fd, int echo, int delay_ms)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	uint8_t		 buf[65536], h[32];
	char		 hex[66], tag[17];
	unsigned int	 hl;
	unsigned long long total = 0;
	double		 last = now_s();
	ssize_t		 r;
	int		 i, ntag = 0, tagdone = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (sink_serve != NULL) {
		/* FIN after the file; what comes in is only counted. */
		write_all(fd, sink_serve, sink_servelen);
		shutdown(fd, SHUT_WR);
		echo = 1;
	}
	for (;;) {
		if (sink_trickle_ms > 0) {
			struct pollfd	 pfd = { fd, POLLIN, 0 };

			if (poll(&pfd, 1, sink_trickle_ms) == 0) {
				if (send(fd, "trickle\n", 8, MSG_NOSIGNAL) !=
				    8) {
					r = -1;
					break;
				}
				continue;
			}
		}
		if ((r = recv(fd, buf, sizeof(buf), 0)) <= 0)
			break;
		for (i = 0; i < r && !tagdone && ntag < 16; i++) {
			if (buf[i] == '\n')
				tagdone = 1;
			else
				tag[ntag++] = buf[i] >= 0x20 && buf[i] < 0x7f ?
				    buf[i] : '.';
		}
		total += r;
		/* -d: an echo after a quiet spell comes late. */
		if (echo && delay_ms > 0 && now_s() - last >= 0.3)
			usleep(delay_ms * 1000);
		last = now_s();
		if (sink_serve != NULL || sink_trickle_ms > 0)
			continue;
		if (echo)
			write_all(fd, buf, r);
		else
			EVP_DigestUpdate(md, buf, r);
	}
	tag[ntag] = '\0';
	fprintf(stderr, "sink: closed tag=%s bytes=%llu by=%s\n", tag,
	    total, r == 0 ? "eof" : "error");
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
cmd_sink(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	int			 s, fd, one = 1, port, echo = 0, delay = 0, i;
	int			 hold = 0, fill[4];
	in_port_t		 fillport[4] = { 0, 0, 0, 0 };

	port = atoi(argv[2]);
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-e") == 0)
			echo = 1;
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			delay = atoi(argv[++i]);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sink_serve = slurp(argv[++i], &sink_servelen);
		else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			sink_trickle_ms = atoi(argv[++i]);
		else
			die("sink PORT [-e] [-d MS] [-s FILE] [-b MS] [-t MS]");
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	signal(SIGCHLD, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, hold > 0 ? 0 : 128) == -1)
		die("bind/listen %d: %s", port, strerror(errno));
	fprintf(stderr, "sink: listening\n");
	if (hold > 0) {
		/*
		 * -b: connections of our own fill the accept queue, so other
		 * SYNs are dropped; the kernel's SYN retransmission (1 s)
		 * then connects them after the queue is drained at hold ms.
		 */
		for (i = 0; i < 4; i++) {
			fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
			    0);
			(void)connect(fill[i], (struct sockaddr *)&sin,
			    sizeof(sin));
		}
		fprintf(stderr, "sink: backlog full\n");
		usleep(hold * 1000);
		for (i = 0; i < 4; i++) {
			struct sockaddr_in	 a;
			socklen_t		 al = sizeof(a);

			getsockname(fill[i], (struct sockaddr *)&a, &al);
			fillport[i] = a.sin_port;
			close(fill[i]);
		}
		fprintf(stderr, "sink: backlog drained\n");
		listen(s, 128);
	}
	for (;;) {
		struct sockaddr_in	 peer;
		socklen_t		 pl = sizeof(peer);

		if ((fd = accept(s, (struct sockaddr *)&peer, &pl)) == -1)
			continue;
		/* Our own fillers are not served. */
		for (i = 0; i < 4 && peer.sin_port != fillport[i]; i++)
			;
		if (hold > 0 && i < 4) {
			close(fd);
			continue;
		}
		if (fork() == 0) {
			close(s);
			sink_conn(fd, echo, delay);
		}
		close(fd);
	}
}

/* A free TCP port on 127.0.0.1, picked by the kernel (gr_free_port). */
static int
cmd_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &sl) == -1)
		die("port: %s", strerror(errno));
	printf("%d\n", ntohs(sin.sin_port));
	close(s);
	return (0);
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
		return (cmd_sink(argc, argv));
	if (argc == 2 && strcmp(argv[1], "port") == 0)
		return (cmd_port());
	memset(&d, 0, sizeof(d));
	RAND_bytes(d.cid, sizeof(d.cid));
	while ((c = getopt(argc, argv, "+u:k:5bwAc:t:vU")) != -1) {
		switch (c) {
		case '5':
			d.v15 = 1;
			break;
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

	d.wsfd = -1;
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
	if (strcmp(cmd, "udpraw") == 0 && argc == 3)
		return (cmd_udpraw(&d, argv[1], atoi(argv[2])));
	if (strcmp(cmd, "poll") == 0)
		return (cmd_poll(&d));
	if (strcmp(cmd, "runreset") == 0 && argc == 2)
		return (cmd_runreset(&d, argv[1]));
	if (strcmp(cmd, "hello-timeout") == 0)
		return (cmd_hello_timeout(&d));
	if (strcmp(cmd, "hello-oversize") == 0)
		return (cmd_hello_oversize(&d));
	if (strcmp(cmd, "deaddial") == 0 && argc == 6)
		return (cmd_deaddial(&d, argv[1], argv[2], atoi(argv[3]),
		    argv[4], argv[5]));
	if (strcmp(cmd, "idlegc") == 0 && (argc == 4 || argc == 5))
		return (cmd_idlegc(&d, argv[1], argv[2], atoi(argv[3]),
		    argc == 5 ? argv[4] : NULL));
	if (strcmp(cmd, "grace") == 0 && argc == 6)
		return (cmd_grace(&d, argv[1], argv[2], argv[3], argv[4],
		    atof(argv[5])));
	if (strcmp(cmd, "dialwait") == 0 && argc == 2)
		return (cmd_dialwait(&d, argv[1]));
	if (strcmp(cmd, "wsrules") == 0 && argc == 2)
		return (cmd_wsrules(&d, argv[1]));
	if (strcmp(cmd, "preauth") == 0 && argc == 5)
		return (cmd_preauth(&d, atoi(argv[1]), argv[2], argv[3],
		    argv[4]));
	usage();
}
