/*
 * direct_stream: one WebSocket to the exit's /stream (ws:// or wss://),
 * driven by libwebsockets on our libev loop.  One sealed batch per binary
 * message both ways; the first message is the hello carrying the version
 * probe.  Batches are built at WRITEABLE time from the ready sessions, so
 * the tx "queue" is the sessions themselves and a batch is committed the
 * moment lws took it.  Ping every stream_ping_interval_ms with a pong
 * deadline; reconnect with exponential backoff and jitter, rotating
 * through direct_stream_urls.
 *
 * lws 4.1.6 on a foreign libev loop misses its own timers while idle
 * (stack-notes.md 1), hence the 250 ms lws_cancel_service() tick; and a
 * client-side lws_write masks the buffer in place, so every message is
 * sealed into a fresh LWS_PRE-headroom buffer and never reused.
 */
#include "gr_config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/rand.h>

#include "carrier.h"
#include "log.h"

#define STREAM_BACKOFF_MAX	30.0
#define STREAM_TICK		0.25
#define STREAM_RXBUF		(128 * 1024)
#define STREAM_RX_PAUSE		(16U * 1024 * 1024)	/* queued RX bytes */
#define STREAM_RAW_READ		(256 * 1024)
#define STREAM_RAW_READS	8		/* reads per readable event */
#define STREAM_RAW_DIRECT	(16 * 1024)	/* payload read in place */

enum stream_state {
	ST_IDLE = 0,
	ST_CONNECTING,
	ST_UP
};

struct stream_url {
	int		 su_tls;
	char		 su_host[CONF_HOST_LEN];
	int		 su_port;
	char		 su_path[CONF_URL_LEN];
	char		 su_label[CONF_URL_LEN + CONF_HOST_LEN + 16];
	/* gooserelayctl stats rows (cstats.c), kept across reloads */
	uint64_t	 su_ok, su_fail, su_drop;
	double		 su_rtt;	/* ping RTT EWMA, s; 0 = unknown */
	int		 su_bad;	/* last attempt failed or dropped */
	char		 su_addr[CONF_ADDRS_LEN];	/* to dial */
	unsigned	 su_aidx;	/* which of them; next on failure */
};

struct stream {
	struct carrier		*st_car;
	struct lws_context	*st_ctx;
	struct lws_vhost	*st_vh_tls;
	struct lws		*st_wsi;
	enum stream_state	 st_state;
	int			 st_hello_sent;
	int			 st_ping_due;
	int			 st_kill;
	int			 st_rx_paused;
	struct stream_url	 st_urls[CONF_MAX_URLS];
	size_t			 st_nurls;
	size_t			 st_next;
	struct stream_url	*st_cur;
	double			 st_backoff;
	double			 st_up_at;
	ev_timer		 st_tick;
	ev_timer		 st_retry;
	ev_timer		 st_ping;
	ev_timer		 st_pongdl;
	ev_timer		 st_connto;
	struct tunnel_batch	*st_tb;
	struct wbuf		 st_rx;
	/* ws:// receive path of our own (stream_raw_cb) */
	int			 st_raw;
	ev_io			 st_rawio;
	uint8_t			*st_rbuf;
	uint8_t			 st_hdr[14];
	size_t			 st_hlen;
	uint64_t		 st_rem;	/* payload left in frame */
	int			 st_op;		/* frame opcode */
	int			 st_fin;
	int			 st_inmsg;	/* in a data message */
	uint8_t			 st_ctl[125];
	size_t			 st_ctllen;
	int			 st_pong_due;
	uint8_t			 st_pong[LWS_PRE + 125];
	size_t			 st_ponglen;
	uint64_t		 st_n_ok, st_n_fail, st_n_drop;
	struct stream_url	 st_gone;	/* st_cur removed by a reload */
	double			 st_ping_at;
};

static int	stream_cb(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);
static void	stream_pong_rtt(struct stream *);

static const struct lws_protocols stream_protocols[] = {
	{ "gr-stream", stream_cb, 0, STREAM_RXBUF, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *stream_loops[1];

static void	stream_raw_stop(struct stream *);

/*
 * lws's default emitter writes to stderr and calls isatty() (an ioctl
 * the sandbox forbids); route its lines through our log instead.
 */
static void
stream_lws_log(int level, const char *line)
{
	size_t	 n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

static void
stream_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	lws_cancel_service(st->st_ctx);
}

/*
 * Before the sandbox: the lws context (it dlopens the libev plugin and
 * keeps /dev/urandom open), TLS global init included.
 */
int
stream_preinit(struct carrier *car)
{
	struct lws_context_creation_info	 info;
	struct stream				*st;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->st_tb = calloc(1, sizeof(*st->st_tb))) == NULL)
		return (-1);
	tunnel_batch_init(st->st_tb);
	st->st_car = car;
	lws_set_log_level(LLL_ERR | LLL_WARN, stream_lws_log);
	memset(&info, 0, sizeof(info));
	stream_loops[0] = car->c_loop;
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.foreign_loops = stream_loops;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = stream_protocols;
	info.pt_serv_buf_size = STREAM_RXBUF;
	info.gid = -1;
	info.uid = -1;
	if ((st->st_ctx = lws_create_context(&info)) == NULL) {
		log_warnx("lws_create_context failed");
		return (-1);
	}
	/* The plain vhost exists from the start; the TLS one needs the CA. */
	info.vhost_name = "plain";
	if (lws_create_vhost(st->st_ctx, &info) == NULL) {
		log_warnx("lws_create_vhost failed");
		return (-1);
	}
	ev_timer_init(&st->st_tick, stream_tick_cb, STREAM_TICK, STREAM_TICK);
	st->st_tick.data = st;
	ev_timer_start(car->c_loop, &st->st_tick);
	ev_unref(car->c_loop);
	car->c_stream = st;
	return (0);
}

/* "ws(s)://host:port/path"; http(s) and /tunnel are rewritten. */
static int
stream_parse_url(const char *url, struct stream_url *su)
{
	char		 buf[CONF_URL_LEN];
	const char	*prot, *ads, *path;
	int		 port;

	memset(su, 0, sizeof(*su));
	if (strlen(url) >= sizeof(buf) ||
	    snprintf(buf, sizeof(buf), "%s", url) < 0)
		return (-1);
	if (lws_parse_uri(buf, &prot, &ads, &port, &path) != 0)
		return (-1);
	if (strcmp(prot, "wss") == 0 || strcmp(prot, "https") == 0) {
		su->su_tls = 1;
		if (strstr(url, "://") && !strchr(strstr(url, "://") + 3, ':'))
			port = 443;
	} else if (strcmp(prot, "ws") != 0 && strcmp(prot, "http") != 0)
		return (-1);
	snprintf(su->su_host, sizeof(su->su_host), "%s", ads);
	su->su_port = port;
	if (path[0] == '\0' || strcmp(path, "tunnel") == 0)
		path = "stream";
	snprintf(su->su_path, sizeof(su->su_path), "/%s", path);
	snprintf(su->su_label, sizeof(su->su_label), "%s://%s:%d/%s",
	    su->su_tls ? "wss" : "ws", ads, port, path);
	return (0);
}

/*
 * Host names are resolved by the supervisor (supervisor/resolve.c): lws
 * would call getaddrinfo on a name, which this sandbox forbids.  addr is
 * "" only for a numeric host (or an old supervisor).
 */
static int
stream_set_addr(struct stream_url *su, const char *addr)
{
	struct in6_addr	 a;

	if (addr[0] == '\0' && inet_pton(AF_INET, su->su_host, &a) != 1 &&
	    inet_pton(AF_INET6, su->su_host, &a) != 1) {
		log_warnx("%s: host %s has no address from the supervisor; "
		    "skipped", su->su_label, su->su_host);
		return (-1);
	}
	if (strcmp(su->su_addr, addr) != 0)
		su->su_aidx = 0;
	snprintf(su->su_addr, sizeof(su->su_addr), "%s",
	    addr[0] != '\0' ? addr : su->su_host);
	return (0);
}

/* The su_aidx-th address of su_addr into buf. */
static const char *
stream_pick_addr(const struct stream_url *su, char *buf, size_t len)
{
	const char	*s = su->su_addr;
	unsigned	 i, n;
	size_t		 l;

	for (i = 0; s[strspn(s, " ")] != '\0'; i++)
		s += strspn(s, " "), s += strcspn(s, " ");
	s = su->su_addr;
	for (n = i > 0 ? su->su_aidx % i : 0;; n--) {
		s += strspn(s, " ");
		if (n == 0)
			break;
		s += strcspn(s, " ");
	}
	l = strcspn(s, " ");
	snprintf(buf, len, "%.*s", (int)(l < len ? l : len - 1), s);
	return (buf);
}

int
stream_configure(struct carrier *car, const uint8_t *ca, size_t calen)
{
	struct stream				*st = car->c_stream;
	const struct carrier_conf		*cc = &car->c_conf;
	struct lws_context_creation_info	 info;
	struct stream_url			 old[CONF_MAX_URLS], *cur;
	size_t					 i, nold, j;
	int					 tls = 0;

	if (st == NULL)
		return (-1);
	/*
	 * A reload replaces the list; the live connection stays, and a URL
	 * that stays keeps its counters (issue 8).
	 */
	nold = st->st_nurls;
	memcpy(old, st->st_urls, nold * sizeof(old[0]));
	cur = st->st_cur;
	st->st_cur = NULL;
	st->st_nurls = 0;
	for (i = 0; i < cc->cc_nstream && i < CONF_MAX_URLS; i++) {
		if (stream_parse_url(cc->cc_stream_urls[i],
		    &st->st_urls[st->st_nurls]) == -1) {
			log_warnx("bad direct_stream_url #%zu", i + 1);
			continue;
		}
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].su_label,
			    st->st_urls[st->st_nurls].su_label) == 0) {
				st->st_urls[st->st_nurls] = old[j];
				if (cur == &st->st_urls[j])
					st->st_cur = &st->st_urls[st->st_nurls];
			}
		/* The supervisor's addresses (a reload may bring new ones). */
		if (stream_set_addr(&st->st_urls[st->st_nurls],
		    cc->cc_stream_addr[i]) == -1)
			continue;
		tls |= st->st_urls[st->st_nurls++].su_tls;
	}
	if (cur != NULL && st->st_cur == NULL) {
		/* Still in use until it drops: keep a copy for its logs. */
		st->st_gone = cur == &st->st_gone ? st->st_gone :
		    old[cur - st->st_urls];
		st->st_cur = &st->st_gone;
	}
	if (tls && st->st_vh_tls == NULL) {
		memset(&info, 0, sizeof(info));
		info.options = LWS_SERVER_OPTION_LIBEV;
		info.port = CONTEXT_PORT_NO_LISTEN;
		info.protocols = stream_protocols;
		info.vhost_name = "tls";
		if (ca != NULL && calen > 0) {
			info.client_ssl_ca_mem = ca;
			info.client_ssl_ca_mem_len = (unsigned int)calen;
		}
		st->st_vh_tls = lws_create_vhost(st->st_ctx, &info);
		if (st->st_vh_tls == NULL)
			log_warnx("wss: cannot set up the TLS client context");
	}
	return (0);
}

int
stream_up(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	return (st != NULL && st->st_state == ST_UP && st->st_hello_sent &&
	    !st->st_kill);
}

void
stream_kick(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st != NULL && st->st_wsi != NULL && st->st_state == ST_UP)
		lws_callback_on_writable(st->st_wsi);
}

static void
stream_connect(struct stream *st)
{
	struct carrier			*car = st->st_car;
	struct lws_client_connect_info	 ci;
	struct stream_url		*su;
	char				 addr[64];

	if (st->st_nurls == 0 || st->st_state != ST_IDLE || car->c_stopping)
		return;
	su = &st->st_urls[st->st_next++ % st->st_nurls];
	st->st_cur = su;
	memset(&ci, 0, sizeof(ci));
	ci.context = st->st_ctx;
	ci.address = stream_pick_addr(su, addr, sizeof(addr)); /* resolve.c */
	ci.port = su->su_port;
	ci.path = su->su_path;
	ci.host = su->su_host;
	ci.origin = NULL;		/* the exit rejects cross-origin dials */
	ci.protocol = NULL;
	ci.local_protocol_name = stream_protocols[0].name;
	ci.pwsi = &st->st_wsi;
	ci.userdata = st;
	if (su->su_tls) {
		if (st->st_vh_tls == NULL) {
			log_warnx("%s: no TLS context", su->su_label);
			goto fail;
		}
		ci.vhost = st->st_vh_tls;
		ci.ssl_connection = LCCSCF_USE_SSL;
	} else
		ci.vhost = lws_get_vhost_by_name(st->st_ctx, "plain");
	st->st_state = ST_CONNECTING;
	st->st_hello_sent = 0;
	st->st_kill = 0;
	st->st_ping_due = 0;
	wbuf_reset(&st->st_rx);
	log_debug("stream: connecting to %s", su->su_label);
	ev_timer_set(&st->st_connto,
	    car->c_conf.cc_stream_connect_timeout_ms / 1000.0, 0);
	ev_timer_start(car->c_loop, &st->st_connto);
	if (lws_client_connect_via_info(&ci) == NULL) {
		st->st_wsi = NULL;
		/* lws may already have reported CONNECTION_ERROR. */
		if (st->st_state != ST_CONNECTING)
			return;
		ev_timer_stop(car->c_loop, &st->st_connto);
		st->st_state = ST_IDLE;
		goto fail;
	}
	return;
fail:
	st->st_n_fail++;
	su->su_fail++;
	su->su_bad = 1;
	ev_timer_set(&st->st_retry, st->st_backoff, 0);
	ev_timer_start(car->c_loop, &st->st_retry);
}

static void
stream_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	stream_connect(w->data);
}

static void
stream_ping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	if (st->st_wsi != NULL && st->st_state == ST_UP) {
		st->st_ping_due = 1;
		lws_callback_on_writable(st->st_wsi);
	}
}

/* No pong in time, or no connection in time: drop it. */
static void
stream_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	if (st->st_wsi == NULL)
		return;
	log_warnx("stream: %s to %s", w == &st->st_pongdl ?
	    "no pong" : "connect timeout", st->st_cur ? st->st_cur->su_label :
	    "?");
	st->st_kill = 1;
	lws_set_timeout(st->st_wsi, PENDING_TIMEOUT_CLOSE_SEND,
	    LWS_TO_KILL_ASYNC);
}

void
stream_start(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st == NULL || st->st_nurls == 0)
		return;
	st->st_backoff = car->c_conf.cc_stream_reconnect_backoff_ms / 1000.0;
	if (ev_cb(&st->st_retry) == stream_retry_cb) {
		/*
		 * A reload: the timers may be running, and ev_timer_init on
		 * an active watcher corrupts libev's heap (the carrier died
		 * in "(libev) cannot allocate" after a reload in backoff).
		 */
		st->st_ping.repeat = car->c_conf.cc_stream_ping_interval_ms /
		    1000.0;
		stream_connect(st);
		return;
	}
	ev_timer_init(&st->st_retry, stream_retry_cb, 1, 0);
	ev_timer_init(&st->st_ping, stream_ping_cb, 0,
	    car->c_conf.cc_stream_ping_interval_ms / 1000.0);
	ev_timer_init(&st->st_pongdl, stream_deadline_cb, 1, 0);
	ev_timer_init(&st->st_connto, stream_deadline_cb, 1, 0);
	st->st_retry.data = st->st_ping.data = st;
	st->st_pongdl.data = st->st_connto.data = st;
	stream_connect(st);
}

void
stream_stop(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st == NULL)
		return;
	ev_timer_stop(car->c_loop, &st->st_retry);
	ev_timer_stop(car->c_loop, &st->st_ping);
	ev_timer_stop(car->c_loop, &st->st_pongdl);
	ev_timer_stop(car->c_loop, &st->st_connto);
	if (st->st_wsi != NULL) {
		st->st_kill = 1;
		lws_callback_on_writable(st->st_wsi);
	}
}

/* Connection gone (or never made): fall back, back off, reconnect. */
static void
stream_lost(struct stream *st, const char *why)
{
	struct carrier	*car = st->st_car;
	struct lconn	*lc, *next;
	double		 d;
	uint8_t		 r;

	ev_timer_stop(car->c_loop, &st->st_ping);
	ev_timer_stop(car->c_loop, &st->st_pongdl);
	ev_timer_stop(car->c_loop, &st->st_connto);
	if (st->st_state == ST_UP) {
		st->st_n_drop++;
		if (st->st_cur != NULL) {
			st->st_cur->su_drop++;
			st->st_cur->su_bad = 1;
		}
		log_warnx("stream: lost %s: %s", st->st_cur->su_label, why);
	} else {
		st->st_n_fail++;
		if (st->st_cur != NULL) {
			st->st_cur->su_fail++;
			st->st_cur->su_bad = 1;
			st->st_cur->su_aidx++;	/* its next address */
		}
		log_warnx("stream: cannot connect to %s: %s",
		    st->st_cur ? st->st_cur->su_label : "?", why);
	}
	stream_raw_stop(st);
	st->st_state = ST_IDLE;
	st->st_wsi = NULL;
	st->st_hello_sent = 0;
	st->st_rx_paused = 0;
	if (car->c_stopping)
		return;
	if (car->c_scfg.sc_replay)
		tunnel_requeue_all(car);
	else if (car->c_conf.cc_transport == TM_DIRECT_STREAM) {
		/*
		 * Without upstream ACKs, bytes written to a dead stream may
		 * be lost: GooseRelayVPN aborts the sessions then.
		 */
		for (lc = TAILQ_FIRST(&car->c_conns); lc != NULL; lc = next) {
			next = TAILQ_NEXT(lc, lc_all);
			if (lc->lc_sess != NULL &&
			    (lc->lc_sess->s_flags & SESS_TX_SYN_SENT))
				local_abort(lc, "stream lost");
		}
	}
	/* Exponential backoff with +-20% jitter, capped at 30 s. */
	RAND_bytes(&r, 1);
	d = st->st_backoff * (0.8 + 0.4 * r / 255.0);
	st->st_backoff *= 2;
	if (st->st_backoff > STREAM_BACKOFF_MAX)
		st->st_backoff = STREAM_BACKOFF_MAX;
	log_info("stream: reconnecting in %.1f s", d);
	ev_timer_set(&st->st_retry, d, 0);
	ev_timer_start(car->c_loop, &st->st_retry);
	if (post_enabled(car))
		cstats_fallback();
	post_wake_all(car);	/* POST fallback picks the sessions up */
}

static int
stream_writeable(struct stream *st, struct lws *wsi)
{
	struct carrier		*car = st->st_car;
	struct tunnel_batch	*tb = st->st_tb;
	uint8_t			 ping[LWS_PRE + 8];
	size_t			 n;
	int			 probe = 0, wasup;

	if (st->st_kill) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"bye", 3);
		return (-1);
	}
	if (st->st_pong_due) {
		st->st_pong_due = 0;
		if (lws_write(wsi, st->st_pong + LWS_PRE, st->st_ponglen,
		    LWS_WRITE_PONG) < 0)
			return (-1);
		lws_callback_on_writable(wsi);
		return (0);
	}
	if (st->st_ping_due) {
		st->st_ping_due = 0;
		memset(ping, 0, sizeof(ping));
		RAND_bytes(ping + LWS_PRE, 8);
		if (lws_write(wsi, ping + LWS_PRE, 8, LWS_WRITE_PING) < 0)
			return (-1);
		st->st_ping_at = ev_now(car->c_loop);
		ev_timer_set(&st->st_pongdl,
		    car->c_conf.cc_stream_connect_timeout_ms / 1000.0, 0);
		ev_timer_start(car->c_loop, &st->st_pongdl);
		lws_callback_on_writable(wsi);
		return (0);
	}
	wasup = st->st_hello_sent;
	if (!st->st_hello_sent)
		probe = car->c_conf.cc_wire_compat != WIRE_COMPAT_V15 ?
		    TUNNEL_PROBE_STREAM : 0;
	/*
	 * Exits read the hello under a 64 KiB pre-auth limit (GooseRelayVPN:
	 * streamPreAuthReadLimit, ours EXIT_HELLO_MAX) and close a stream
	 * whose first message is larger: the hello carries the probe and
	 * control frames only, session data follows in the next message.
	 */
	n = tunnel_fill(car, tb, st->st_hello_sent ? CARRIER_STREAM_BUDGET : 0,
	    0, probe);
	if (n == 0 && st->st_hello_sent)
		return (0);
	if (tunnel_seal(car, tb, 0, LWS_PRE) == -1) {
		tunnel_rollback(car, tb);
		return (-1);
	}
	if (lws_write(wsi, tb->tb_body.wb_data + LWS_PRE,
	    tb->tb_body.wb_len - LWS_PRE, LWS_WRITE_BINARY) < 0) {
		tunnel_rollback(car, tb);
		return (-1);
	}
	/* lws owns the bytes now (it buffers what the socket refused). */
	tunnel_commit(car, tb);
	st->st_hello_sent = 1;
	if (!wasup) {
		/* Sessions that waited for POST can come over now. */
		tunnel_kick(car);
	}
	if (tunnel_has_work(car))
		lws_callback_on_writable(wsi);
	return (0);
}

static void
stream_rx_flow(struct stream *st, struct lws *wsi)
{
	struct carrier	*car = st->st_car;
	struct lconn	*lc;
	size_t		 q = 0;

	TAILQ_FOREACH(lc, &car->c_conns, lc_all)
		if (lc->lc_sess != NULL)
			q += sess_rx_queued(lc->lc_sess);
	if (q >= STREAM_RX_PAUSE && !st->st_rx_paused) {
		st->st_rx_paused = 1;
		if (st->st_raw)
			ev_io_stop(car->c_loop, &st->st_rawio);
		else
			lws_rx_flow_control(wsi, 0);
	} else if (q < STREAM_RX_PAUSE / 2 && st->st_rx_paused) {
		st->st_rx_paused = 0;
		if (st->st_raw)
			ev_io_start(car->c_loop, &st->st_rawio);
		else
			lws_rx_flow_control(wsi, 1);
	}
}

/* The connection must go: lws closes it from the next WRITEABLE. */
static void
stream_raw_fail(struct stream *st, const char *why)
{
	log_warnx("stream: %s", why);
	ev_io_stop(st->st_car->c_loop, &st->st_rawio);
	st->st_kill = 1;
	if (st->st_wsi != NULL)
		lws_callback_on_writable(st->st_wsi);
}

/* A whole frame's header is in st_hdr: validate it.  -1: protocol error */
static int
stream_raw_header(struct stream *st)
{
	const uint8_t	*h = st->st_hdr;
	uint64_t	 len = h[1] & 0x7f;
	int		 i;

	if (h[1] & 0x80)
		return (-1);	/* servers never mask (RFC 6455 5.1) */
	if (h[0] & 0x70)
		return (-1);		/* no extensions negotiated */
	if (len == 126)
		len = (uint64_t)h[2] << 8 | h[3];
	else if (len == 127)
		for (len = 0, i = 2; i < 10; i++)
			len = len << 8 | h[i];
	st->st_op = h[0] & 0x0f;
	st->st_fin = (h[0] & 0x80) != 0;
	st->st_rem = len;
	st->st_ctllen = 0;
	switch (st->st_op) {
	case 0x0:				/* continuation */
		if (!st->st_inmsg)
			return (-1);
		break;
	case 0x2:				/* binary */
		if (st->st_inmsg)
			return (-1);
		st->st_inmsg = 1;
		wbuf_reset(&st->st_rx);
		break;
	case 0x8: case 0x9: case 0xa:		/* close, ping, pong */
		if (len > sizeof(st->st_ctl) || !st->st_fin)
			return (-1);
		break;
	default:				/* text or reserved */
		return (-1);
	}
	if (st->st_op <= 0x2 && len > CARRIER_RXMSG_MAX - st->st_rx.wb_len)
		return (-1);
	return (0);
}

/* The frame in progress is complete.  -1: the connection must go. */
static int
stream_raw_frame_done(struct stream *st)
{
	struct carrier	*car = st->st_car;

	switch (st->st_op) {
	case 0x8:
		return (-1);
	case 0x9:
		memcpy(st->st_pong + LWS_PRE, st->st_ctl, st->st_ctllen);
		st->st_ponglen = st->st_ctllen;
		st->st_pong_due = 1;
		lws_callback_on_writable(st->st_wsi);
		return (0);
	case 0xa:
		ev_timer_stop(car->c_loop, &st->st_pongdl);
		lws_validity_confirmed(st->st_wsi);
		stream_pong_rtt(st);
		return (0);
	}
	if (!st->st_fin)
		return (0);
	st->st_inmsg = 0;
	lws_validity_confirmed(st->st_wsi);
	tunnel_rx_body(car, st->st_rx.wb_data, st->st_rx.wb_len, 0);
	wbuf_reset(&st->st_rx);
	if (st->st_wsi != NULL)
		stream_rx_flow(st, st->st_wsi);
	return (0);
}

/* Frame parser over n received bytes.  -1: protocol error. */
static int
stream_raw_parse(struct stream *st, const uint8_t *p, size_t n)
{
	size_t	 need, take;

	while (n > 0) {
		if (st->st_hlen < 2 || st->st_rem == UINT64_MAX) {
			/* Collecting a header (st_rem unknown). */
			st->st_rem = UINT64_MAX;
			st->st_hdr[st->st_hlen++] = *p++;
			n--;
			if (st->st_hlen < 2)
				continue;
			need = 2;
			if ((st->st_hdr[1] & 0x7f) == 126)
				need = 4;
			else if ((st->st_hdr[1] & 0x7f) == 127)
				need = 10;
			if (st->st_hlen < need)
				continue;
			if (stream_raw_header(st) == -1)
				return (-1);
			if (st->st_rem == 0) {
				st->st_hlen = 0;
				if (stream_raw_frame_done(st) == -1)
					return (-1);
			}
			continue;
		}
		take = n < st->st_rem ? n : (size_t)st->st_rem;
		if (st->st_op >= 0x8) {
			memcpy(st->st_ctl + st->st_ctllen, p, take);
			st->st_ctllen += take;
		} else if (wbuf_append(&st->st_rx, p, take) == -1)
			return (-1);
		p += take;
		n -= take;
		st->st_rem -= take;
		if (st->st_rem == 0) {
			st->st_hlen = 0;
			if (stream_raw_frame_done(st) == -1)
				return (-1);
		}
	}
	return (0);
}

/*
 * lws 4.1's client parser handles every payload byte through its state
 * machine (79% of the carrier's CPU at ~110 MB/s, perf), while frames
 * from a server are never masked: on ws:// the carrier reads the socket
 * itself once the handshake is done and lws only writes.  Frames and
 * messages are bounded as in the lws path.
 */
static void
stream_raw_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream	*st = w->data;
	ssize_t		 n;
	size_t		 want;
	int		 i;

	for (i = 0; i < STREAM_RAW_READS && st->st_raw &&
	    !st->st_rx_paused && !st->st_kill; i++) {
		if (st->st_hlen >= 2 && st->st_rem != UINT64_MAX &&
		    st->st_op <= 0x2 && st->st_rem >= STREAM_RAW_DIRECT) {
			/* Bulk payload: straight into the message buffer. */
			want = st->st_rem < STREAM_RAW_READ * 4 ?
			    (size_t)st->st_rem : STREAM_RAW_READ * 4;
			if (wbuf_reserve(&st->st_rx, want) == -1) {
				stream_raw_fail(st, "out of memory");
				return;
			}
			n = read(w->fd, st->st_rx.wb_data + st->st_rx.wb_len,
			    want);
			if (n > 0) {
				st->st_rx.wb_len += n;
				st->st_rem -= n;
				if (st->st_rem == 0) {
					st->st_hlen = 0;
					if (stream_raw_frame_done(st) == -1) {
						stream_raw_fail(st,
						    "bad frame from exit");
						return;
					}
				}
				if ((size_t)n < want)
					return;
				continue;
			}
		} else {
			want = STREAM_RAW_READ;
			n = read(w->fd, st->st_rbuf, want);
			if (n > 0 && stream_raw_parse(st, st->st_rbuf, n) ==
			    -1) {
				stream_raw_fail(st, "bad frame from exit");
				return;
			}
			if (n > 0) {
				if ((size_t)n < want)
					return;
				continue;
			}
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		stream_raw_fail(st, n == 0 ? "exit closed the stream" :
		    "stream read error");
		return;
	}
}

/* Handshake done on ws://: take over the receive side from lws. */
static void
stream_raw_start(struct stream *st, struct lws *wsi)
{
	struct carrier	*car = st->st_car;
	int		 fd;

	if (st->st_cur == NULL || st->st_cur->su_tls ||
	    (fd = lws_get_socket_fd(wsi)) < 0)
		return;
	if (st->st_rbuf == NULL &&
	    (st->st_rbuf = malloc(STREAM_RAW_READ)) == NULL)
		return;
	lws_rx_flow_control(wsi, 0);
	st->st_raw = 1;
	st->st_hlen = 0;
	st->st_rem = 0;
	st->st_inmsg = 0;
	st->st_pong_due = 0;
	ev_io_init(&st->st_rawio, stream_raw_cb, fd, EV_READ);
	st->st_rawio.data = st;
	ev_io_start(car->c_loop, &st->st_rawio);
}

static void
stream_raw_stop(struct stream *st)
{
	if (!st->st_raw)
		return;
	ev_io_stop(st->st_car->c_loop, &st->st_rawio);
	st->st_raw = 0;
	st->st_inmsg = 0;
}

static int
stream_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct carrier	*car = carrier;
	struct stream	*st = car != NULL ? car->c_stream : NULL;

	if (st == NULL)
		return (0);
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		st->st_state = ST_UP;
		st->st_wsi = wsi;
		st->st_up_at = ev_now(car->c_loop);
		st->st_n_ok++;
		st->st_cur->su_ok++;
		st->st_cur->su_bad = 0;
		st->st_backoff =
		    car->c_conf.cc_stream_reconnect_backoff_ms / 1000.0;
		ev_timer_stop(car->c_loop, &st->st_connto);
		ev_timer_again(car->c_loop, &st->st_ping);
		log_info("stream: connected to %s", st->st_cur->su_label);
		stream_raw_start(st, wsi);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return (stream_writeable(st, wsi));
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!lws_frame_is_binary(wsi)) {
			log_warnx("stream: text message from exit");
			return (-1);
		}
		if (lws_is_first_fragment(wsi))
			wbuf_reset(&st->st_rx);
		if (st->st_rx.wb_len + len > CARRIER_RXMSG_MAX) {
			log_warnx("stream: message over %u bytes",
			    CARRIER_RXMSG_MAX);
			return (-1);
		}
		if (wbuf_append(&st->st_rx, in, len) == -1)
			return (-1);
		if (lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi)) {
			tunnel_rx_body(car, st->st_rx.wb_data,
			    st->st_rx.wb_len, 0);
			wbuf_reset(&st->st_rx);
			stream_rx_flow(st, wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		ev_timer_stop(car->c_loop, &st->st_pongdl);
		stream_pong_rtt(st);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		stream_lost(st, in != NULL ? (const char *)in : "error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		stream_lost(st, "closed");
		break;
	default:
		break;
	}
	return (0);
}

/* Local sockets took RX bytes: maybe resume reading the stream. */
void
stream_rx_drained(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st != NULL && st->st_rx_paused && st->st_wsi != NULL)
		stream_rx_flow(st, st->st_wsi);
}

void
stream_stats(struct carrier *car, char *buf, size_t len)
{
	struct stream	*st = car->c_stream;

	if (st == NULL) {
		snprintf(buf, len, "null");
		return;
	}
	snprintf(buf, len, "{\"up\":%s,\"ok\":%llu,\"fail\":%llu,"
	    "\"drop\":%llu}", stream_up(car) ? "true" : "false",
	    (unsigned long long)st->st_n_ok, (unsigned long long)st->st_n_fail,
	    (unsigned long long)st->st_n_drop);
}

void
stream_counts(struct carrier *car, uint64_t *ok, uint64_t *fail,
    uint64_t *drop)
{
	struct stream	*st = car->c_stream;

	*ok = st != NULL ? st->st_n_ok : 0;
	*fail = st != NULL ? st->st_n_fail : 0;
	*drop = st != NULL ? st->st_n_drop : 0;
}

/*
 * A pong came back: the ping round trip is the endpoint RTT of the stream
 * (stats row, EWMA 1/8 as health.c does for POST endpoints).
 */
static void
stream_pong_rtt(struct stream *st)
{
	struct carrier	*car = st->st_car;
	double		 rtt;

	if (st->st_ping_at <= 0 || st->st_cur == NULL)
		return;
	rtt = ev_now(car->c_loop) - st->st_ping_at;
	st->st_ping_at = 0;
	if (rtt < 0)
		return;
	cstats_rtt((uint64_t)(rtt * 1e6));
	st->st_cur->su_rtt = st->st_cur->su_rtt <= 0 ? rtt :
	    st->st_cur->su_rtt + (rtt - st->st_cur->su_rtt) / 8;
}

/*
 * Row i of the stats table: the URL label and its counters; *cur 1 if it
 * carries the stream now, -1 if its last attempt failed; -1 past the end.
 */
int
stream_url_stats(struct carrier *car, size_t i, const char **label,
    uint64_t *ok, uint64_t *fail, uint64_t *drop, double *rtt, int *cur)
{
	struct stream		*st = car->c_stream;
	struct stream_url	*su;

	if (st == NULL || i >= st->st_nurls)
		return (-1);
	su = &st->st_urls[i];
	*label = su->su_label;
	*ok = su->su_ok;
	*fail = su->su_fail;
	*drop = su->su_drop;
	*rtt = su->su_rtt;
	*cur = st->st_cur == su && stream_up(car) ? 1 : su->su_bad ? -1 : 0;
	return (0);
}
