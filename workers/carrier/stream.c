/*
 * direct_stream: one WebSocket to the exit's /stream (ws:// or wss://).
 * libwebsockets on our libev loop dials, does TLS and the upgrade, and
 * carries wss:// throughout.  One sealed batch per binary message both
 * ways; the first message is the hello carrying the version probe.
 * Batches are built when the connection can take one, from the ready
 * sessions, so the tx "queue" is the sessions themselves and a batch is
 * committed the moment it was handed to the socket (or to lws).  Ping
 * every stream_ping_interval_ms with a pong deadline; reconnect with
 * exponential backoff and jitter, rotating through direct_stream_urls.
 *
 * On ws://, once the handshake is done, the carrier frames the
 * connection itself both ways: stream_raw.c.  What a connection does
 * either way (delayed ACKs, read pause, the exit proven, ping RTT) is
 * stream_conn.c; the state all three share is stream_int.h.  This file
 * is the direct_stream transport for the core (stream_transport,
 * transport.h): a lost stream is reported with transport_lost(), and the
 * core decides about the sessions and the fallback.
 *
 * lws 4.1.6 on a foreign libev loop misses its own timers while idle
 * (stack-notes.md 1), hence the 250 ms lws_cancel_service() tick; and a
 * client-side lws_write masks the buffer in place, so every message lws
 * sends is sealed into a fresh LWS_PRE-headroom buffer and never reused.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "liblog.h"
#include "log.h"
#include "rtoken.h"
#include "stats.h"
#include "stream_int.h"
#include "transport.h"

#define STREAM_STABLE		10.0	/* s up: the next drop is no failure */
#define STREAM_TICK		0.25
#define STREAM_RXBUF		(128 * 1024)

static int	stream_cb(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);
static void	stream_end(struct stream *, const char *);

static const struct lws_protocols stream_protocols[] = {
	{ "gr-stream", stream_cb, 0, STREAM_RXBUF, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *stream_loops[1];

static void	stream_ack_cb(struct ev_loop *, ev_timer *, int);

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
	st->st_end = stream_end;
	liblog_lws();
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
	ev_prepare_init(&st->st_prep, stream_raw_prep_cb);
	st->st_prep.data = st;
	ev_timer_init(&st->st_tick, stream_tick_cb, STREAM_TICK, STREAM_TICK);
	st->st_tick.data = st;
	ev_timer_start(car->c_loop, &st->st_tick);
	ev_unref(car->c_loop);
	car->c_stream = st;
	return (0);
}

/* Percent-decode n bytes of s into out (NUL-terminated).  -1: bad. */
static int
stream_pct_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outlen)
			return (-1);
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (n - i < 3)
			return (-1);
		hi = OPENSSL_hexchar2int((unsigned char)s[i + 1]);
		lo = OPENSSL_hexchar2int((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return (-1);
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return (0);
}

/*
 * "user:pass@" in a stream URL: GooseRelayVPN's Go client dials with
 * coder/websocket over net/http, which sends URL userinfo as Basic auth
 * on the upgrade request (user and password percent-decoded, "user:" when
 * there is no password); a reverse proxy in front of the exit may want
 * it.  Only the header keeps it: lws dials the bare host and the label
 * that goes to the logs has no credentials.  -1: bad userinfo.
 */
static int
stream_userinfo(const char *ui, size_t n, struct stream_url *su)
{
	char		 user[CONF_URL_LEN], pass[CONF_URL_LEN];
	char		 cred[2 * CONF_URL_LEN + 2];
	const char	*colon;
	size_t		 ul;
	int		 rc = -1;

	colon = memchr(ui, ':', n);
	ul = colon != NULL ? (size_t)(colon - ui) : n;
	if (stream_pct_decode(ui, ul, user, sizeof(user)) == -1 ||
	    stream_pct_decode(colon != NULL ? colon + 1 : "", colon != NULL ?
	    n - ul - 1 : 0, pass, sizeof(pass)) == -1)
		goto out;
	snprintf(cred, sizeof(cred), "%s:%s", user, pass);
	memcpy(su->su_auth, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)su->su_auth + 6,
	    (const unsigned char *)cred, (int)strlen(cred));
	rc = 0;
out:
	OPENSSL_cleanse(user, sizeof(user));
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(cred, sizeof(cred));
	return (rc);
}

/* "ws(s)://[user:pass@]host[:port]/path"; http(s), /tunnel rewritten. */
static int
stream_parse_url(const char *url, struct stream_url *su)
{
	char		 buf[CONF_URL_LEN];
	const char	*prot, *ads, *path, *auth, *end, *at = NULL, *p;
	int		 port, has_port;

	memset(su, 0, sizeof(*su));
	if (strlen(url) >= sizeof(buf) || (auth = strstr(url, "://")) == NULL)
		return (-1);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;		/* the last, as Go's net/url */
	if (at != NULL) {
		if (stream_userinfo(auth, (size_t)(at - auth), su) == -1)
			return (-1);
		auth = at + 1;
	}
	/* A port after the host (an IPv6 literal has colons of its own). */
	p = auth;
	if (*p == '[' && (p = memchr(auth, ']', (size_t)(end - auth))) == NULL)
		return (-1);
	has_port = memchr(p, ':', (size_t)(end - p)) != NULL;
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(strstr(url, "://") + 3 -
	    url), url, auth);
	if (lws_parse_uri(buf, &prot, &ads, &port, &path) != 0)
		return (-1);
	if (strcmp(prot, "wss") == 0 || strcmp(prot, "https") == 0)
		su->su_tls = 1;
	else if (strcmp(prot, "ws") != 0 && strcmp(prot, "http") != 0)
		return (-1);
	if (!has_port)
		port = su->su_tls ? 443 : 80;
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
				memcpy(old[j].su_auth,
				    st->st_urls[st->st_nurls].su_auth,
				    sizeof(old[j].su_auth));
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
		/*
		 * lws 4.1 makes a vhost's client SSL_CTX only when the vhost
		 * is created with DO_SSL_GLOBAL_INIT (else SSL_new(NULL):
		 * "SSL_new failed", every wss:// dial failed), and it would
		 * then open the system CA file, which the sandbox forbids:
		 * the supervisor's bundle (ca) is the only trust anchor.
		 */
		info.options = LWS_SERVER_OPTION_LIBEV |
		    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		    LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
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

	if (st == NULL || st->st_wsi == NULL || st->st_state != ST_UP)
		return;
	if (!st->st_raw)
		lws_callback_on_writable(st->st_wsi);
	else
		stream_raw_kick(st);
}

/*
 * The connection state machine.  One lws client wsi at a time, in st_wsi;
 * an attempt starts only from the retry timer (or at start), never while
 * a previous wsi still exists.  Every way an attempt or a connection can
 * end - lws reports a connection error, the upgrade is refused, TLS
 * fails, the exit closes during the handshake or later, our connect or
 * pong deadline kills it, a wsi we killed is never closed by lws - goes
 * through stream_end(), which schedules the next attempt with backoff
 * (stream_schedule()).  lws 4.1 reports some of these only as
 * WSI_DESTROY (a wsi killed while waiting for the 101 answer gets
 * neither CONNECTION_ERROR nor CLIENT_CLOSED: the stream stayed down for
 * good after a "connect timeout", issue 18), so that callback is the
 * backstop for all of them.
 */

/* Is wsi the stream's connection?  Inside the connect call it becomes it. */
static int
stream_owns(struct stream *st, struct lws *wsi)
{
	if (wsi == NULL || st->st_state == ST_IDLE)
		return (0);
	if (st->st_wsi == NULL && st->st_in_connect)
		st->st_wsi = wsi;
	return (st->st_wsi == wsi);
}

/*
 * The next attempt, on the next URL: after d, and not before that URL's
 * own back-off is over (epfail.c: exponential, +-20% jitter, capped).
 */
static void
stream_schedule(struct stream *st, double d)
{
	struct carrier	*car = st->st_car;
	struct stream_url *next;
	double		 w;

	if (st->st_nurls > 0) {
		next = &st->st_urls[st->st_next % st->st_nurls];
		w = epfail_wait(stream_conn_ef(st, next), ev_now(car->c_loop));
		/* The next URL is another host (failover.c): at once. */
		if (failover_stream_now(car, st->st_fails, st->st_nurls))
			d = 0;
		if (w > d)
			d = w;
	}
	st->st_backoff = d;
	if (st->st_fails <= 1)
		log_info("stream: reconnecting in %.1f s", d);
	else
		log_debug("stream: reconnecting in %.1f s", d);
	ev_timer_stop(car->c_loop, &st->st_retry);
	ev_timer_set(&st->st_retry, d, 0);
	ev_timer_start(car->c_loop, &st->st_retry);
}

/* streamchk.c found out why a URL fails: say it, as its failure. */
static void
stream_checked(const char *label, const char *what, void *arg)
{
	struct stream	*st = arg;
	size_t		 i;

	if (what == NULL)
		return;
	for (i = 0; i < st->st_nurls; i++)
		if (strcmp(st->st_urls[i].su_label, label) == 0) {
			snprintf(st->st_urls[i].su_verdict,
			    sizeof(st->st_urls[i].su_verdict), "%s", what);
			epfail_say(stream_conn_ef(st, &st->st_urls[i]),
			    ev_now(st->st_car->c_loop), what);
		}
}

/*
 * A failed attempt, or a stream the exit closed before it answered:
 * said once per change (epfail.c), with a reminder; the delay until the
 * next attempt.  A refused upgrade (HTTP 404) or a closed hello is looked
 * into once per streak (streamchk.c).
 */
static double
stream_log_fail(struct stream *st, const char *why, int closed)
{
	struct stream_url	*su = st->st_cur;
	double			 now = ev_now(st->st_car->c_loop);

	if (su == NULL)
		return (st->st_car->c_conf.cc_stream_reconnect_backoff_ms /
		    1000.0);
	log_debug("stream: cannot connect to %s: %s", su->su_label, why);
	if (!su->su_checked && (closed || strstr(why, "HTTP 404") != NULL)) {
		su->su_checked = 1;
		(void)streamchk_start(st->st_car, su->su_label, su->su_tls,
		    su->su_host, su->su_port, su->su_addr, !closed,
		    stream_checked, st);
	}
	return (epfail_failed(stream_conn_ef(st, su), now, su->su_verdict[0] ?
	    su->su_verdict : why, -1, EPF_RETRY));
}

static void
stream_connect(struct stream *st)
{
	struct carrier			*car = st->st_car;
	struct lws_client_connect_info	 ci;
	struct stream_url		*su;
	struct lws			*wsi;
	char				 addr[64];
	static char			 path[CONF_URL_LEN + 64];

	if (st->st_nurls == 0 || st->st_state != ST_IDLE || car->c_stopping)
		return;
	su = &st->st_urls[st->st_next++ % st->st_nurls];
	st->st_cur = su;
	st->st_state = ST_CONNECTING;
	st->st_wsi = NULL;
	st->st_hello_sent = 0;
	st->st_kill = 0;
	st->st_ping_due = 0;
	st->st_proven = 0;
	st->st_why[0] = '\0';
	wbuf_reset(&st->st_rx);
	memset(&ci, 0, sizeof(ci));
	ci.context = st->st_ctx;
	ci.address = stream_pick_addr(su, addr, sizeof(addr)); /* resolve.c */
	ci.port = su->su_port;
	/* The routing token for a balancer in front of exits (rtoken.c). */
	ci.path = rtoken_path(su->su_path, path, sizeof(path)) == 0 ? path :
	    su->su_path;
	ci.host = su->su_host;
	ci.origin = NULL;		/* the exit rejects cross-origin dials */
	ci.protocol = NULL;
	ci.local_protocol_name = stream_protocols[0].name;
	/*
	 * No ci.pwsi: lws would clear it when the wsi is freed, which for
	 * a wsi given up on (stream_killdl_cb) may be during a later
	 * attempt; st_wsi is ours (stream_owns()).
	 */
	ci.userdata = st;
	if (su->su_tls) {
		if (st->st_vh_tls == NULL) {
			stream_end(st, "no TLS context");
			return;
		}
		ci.vhost = st->st_vh_tls;
		ci.ssl_connection = LCCSCF_USE_SSL;
	} else
		ci.vhost = lws_get_vhost_by_name(st->st_ctx, "plain");
	log_debug("stream: connecting to %s", su->su_label);
	ev_timer_set(&st->st_connto,
	    car->c_conf.cc_stream_connect_timeout_ms / 1000.0, 0);
	ev_timer_start(car->c_loop, &st->st_connto);
	st->st_in_connect = 1;
	wsi = lws_client_connect_via_info(&ci);
	st->st_in_connect = 0;
	/* lws may have reported (and ended) the attempt already. */
	if (st->st_state != ST_CONNECTING)
		return;
	if (wsi == NULL) {
		st->st_wsi = NULL;
		stream_end(st, "cannot start the connection");
		return;
	}
	st->st_wsi = wsi;
	/* A silent host fails the dial in dead_host_timeout_ms. */
	failover_stream_sock(car, lws_get_socket_fd(wsi));
}

static void
stream_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	stream_connect(w->data);
}

/*
 * failover.c: a ping now, so that a host that died has bytes to leave
 * unacknowledged.  1: one goes; 0: not up, or a ping is already out.
 */
int
stream_probe(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st == NULL || st->st_wsi == NULL || st->st_state != ST_UP ||
	    st->st_kill || st->st_ping_due || ev_is_active(&st->st_pongdl))
		return (0);
	st->st_ping_due = 1;
	stream_kick(car);
	return (1);
}

static void
stream_ping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	if (st->st_wsi != NULL && st->st_state == ST_UP) {
		st->st_ping_due = 1;
		stream_kick(st->st_car);
	}
}

/*
 * Close the connection from our side: lws closes a killed wsi from its
 * own timer; if it has not within STREAM_KILL_GRACE, stream_killdl_cb
 * gives up on it.
 */
static void
stream_kill(struct stream *st, const char *why)
{
	struct carrier	*car = st->st_car;

	if (st->st_why[0] == '\0')
		snprintf(st->st_why, sizeof(st->st_why), "%s", why);
	st->st_kill = 1;
	stream_raw_quiet(st);
	if (st->st_wsi == NULL) {
		stream_end(st, why);
		return;
	}
	lws_set_timeout(st->st_wsi, PENDING_TIMEOUT_CLOSE_SEND,
	    LWS_TO_KILL_ASYNC);
	if (!ev_is_active(&st->st_killdl)) {
		ev_timer_set(&st->st_killdl, STREAM_KILL_GRACE, 0);
		ev_timer_start(car->c_loop, &st->st_killdl);
	}
}

/* No pong in time, or no connection in time: drop it. */
static void
stream_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;
	const char	*why;

	why = w == &st->st_pongdl ? "no pong" : "connect timeout";
	if (st->st_state == ST_IDLE)
		return;
	log_debug("stream: %s to %s", why, st->st_cur ? st->st_cur->su_label :
	    "?");
	stream_kill(st, why);
}

/* lws never closed the wsi we killed: forget it and go on. */
static void
stream_killdl_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	if (st->st_state == ST_IDLE)
		return;
	log_warnx("stream: connection did not close in %.0f s; abandoned",
	    STREAM_KILL_GRACE);
	stream_raw_stop(st);
	st->st_wsi = NULL;
	stream_end(st, st->st_why[0] != '\0' ? st->st_why : "abandoned");
}

void
stream_start(struct carrier *car)
{
	struct stream	*st = car->c_stream;

	if (st == NULL || st->st_nurls == 0)
		return;
	if (st->st_started) {
		/*
		 * A reload: the timers may be running, and re-initialising
		 * an active libev watcher corrupts the loop.  Connect only
		 * if nothing is up or scheduled (the list was empty).
		 */
		st->st_ping.repeat = car->c_conf.cc_stream_ping_interval_ms /
		    1000.0;
		if (st->st_state == ST_IDLE && !ev_is_active(&st->st_retry))
			stream_connect(st);
		return;
	}
	st->st_started = 1;
	st->st_backoff = car->c_conf.cc_stream_reconnect_backoff_ms / 1000.0;
	ev_timer_init(&st->st_retry, stream_retry_cb, 1, 0);
	ev_timer_init(&st->st_ping, stream_ping_cb, 0,
	    car->c_conf.cc_stream_ping_interval_ms / 1000.0);
	ev_timer_init(&st->st_pongdl, stream_deadline_cb, 1, 0);
	ev_timer_init(&st->st_connto, stream_deadline_cb, 1, 0);
	ev_timer_init(&st->st_killdl, stream_killdl_cb, STREAM_KILL_GRACE, 0);
	ev_timer_init(&st->st_ackt, stream_ack_cb, STREAM_ACK_DELAY, 0);
	st->st_ackt.data = st;
	st->st_retry.data = st->st_ping.data = st;
	st->st_pongdl.data = st->st_connto.data = st->st_killdl.data = st;
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
	ev_timer_stop(car->c_loop, &st->st_killdl);
	ev_timer_stop(car->c_loop, &st->st_ackt);
	if (st->st_wsi != NULL) {
		st->st_kill = 1;
		stream_raw_quiet(st);
		lws_callback_on_writable(st->st_wsi);
	}
}

/*
 * The connection or the attempt is over, whatever ended it: count and
 * log it, schedule the next attempt, and tell the core (which falls back
 * to POST in auto mode).  Idempotent: lws may report one end more than
 * once (CONNECTION_ERROR or CLIENT_CLOSED, then WSI_DESTROY).
 */
static void
stream_end(struct stream *st, const char *why)
{
	struct carrier	*car = st->st_car;
	double		 d;

	if (st->st_state == ST_IDLE)
		return;
	if (st->st_why[0] != '\0')
		why = st->st_why;	/* ours: "connect timeout", ... */
	d = car->c_conf.cc_stream_reconnect_backoff_ms / 1000.0;
	ev_timer_stop(car->c_loop, &st->st_ping);
	ev_timer_stop(car->c_loop, &st->st_pongdl);
	ev_timer_stop(car->c_loop, &st->st_connto);
	ev_timer_stop(car->c_loop, &st->st_killdl);
	ev_timer_stop(car->c_loop, &st->st_ackt);
	st->st_ack_now = 0;
	st->st_rx_unacked = 0;
	st->st_rx_unframes = 0;
	if (st->st_state == ST_UP) {
		/* Up long enough (a v1.5 exit sends nothing unasked). */
		if (ev_now(car->c_loop) - st->st_up_at >= STREAM_STABLE)
			stream_conn_backoff_reset(st);
		st->st_n_drop++;
		if (st->st_cur != NULL) {
			st->st_cur->su_drop++;
			st->st_cur->su_bad = 1;
		}
		if (st->st_proven)
			log_warnx("stream: lost %s: %s", st->st_cur != NULL ?
			    st->st_cur->su_label : "?", why);
		else {
			/* Closed before the exit answered: a failure. */
			st->st_fails++;
			d = stream_log_fail(st, "closed before the exit "
			    "answered", 1);
		}
	} else {
		st->st_n_fail++;
		st->st_fails++;
		if (st->st_cur != NULL) {
			st->st_cur->su_fail++;
			st->st_cur->su_bad = 1;
			st->st_cur->su_aidx++;	/* its next address */
		}
		d = stream_log_fail(st, why, 0);
	}
	stream_raw_stop(st);
	st->st_state = ST_IDLE;
	st->st_wsi = NULL;
	st->st_hello_sent = 0;
	st->st_rx_paused = 0;
	if (car->c_stopping)
		return;
	stream_schedule(st, d);
	/* Replay, abort, or POST fallback: the core's policy. */
	transport_lost(car, TR_STREAM);
}

static void
stream_ack_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream	*st = w->data;

	st->st_ack_now = 1;
	stream_kick(st->st_car);
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
	if (st->st_raw) {
		/* We write this connection ourselves. */
		stream_raw_flush(st);
		return (0);
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
	if (stream_conn_ack_hold(st))
		return (0);
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
	stream_conn_ack_sent(st);
	st->st_hello_sent = 1;
	if (!wasup) {
		/* Sessions that waited for POST can come over now. */
		tunnel_kick(car);
	}
	if (tunnel_has_work(car))
		lws_callback_on_writable(wsi);
	return (0);
}

/* The upgrade request: Authorization from the URL's userinfo. */
static int
stream_auth_header(struct stream *st, struct lws *wsi, void *in, size_t len)
{
	unsigned char	**p = in, *end;
	const char	 *v;

	if (st->st_cur == NULL || st->st_cur->su_auth[0] == '\0')
		return (0);
	v = st->st_cur->su_auth;
	end = *p + len;
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
	    (const unsigned char *)v, (int)strlen(v), p, end) != 0)
		return (-1);
	return (0);
}

/*
 * A callback for a wsi that is not (or no longer) the stream's: one given
 * up on by stream_killdl_cb, or the vhost's own.  A connection that is
 * not ours closes.
 */
static int
stream_stray(enum lws_callback_reasons reason)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return (-1);
	default:
		return (0);
	}
}

/* lws's reason, with the HTTP status of a refused upgrade (404: v1.5). */
static const char *
stream_errstr(struct lws *wsi, const void *in, char *buf, size_t len)
{
	unsigned int	 status = lws_http_client_http_response(wsi);

	snprintf(buf, len, "%s", in != NULL ? (const char *)in : "error");
	if (status > 0 && status != 101)
		snprintf(buf + strlen(buf), len - strlen(buf), " (HTTP %u)",
		    status);
	return (buf);
}

static int
stream_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct carrier	*car = carrier;
	struct stream	*st = car != NULL ? car->c_stream : NULL;
	char		 err[128];

	if (st == NULL)
		return (0);
	if (!stream_owns(st, wsi))
		return (stream_stray(reason));
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (st->st_kill)
			return (-1);	/* too late: being closed */
		st->st_state = ST_UP;
		st->st_up_at = ev_now(car->c_loop);
		st->st_n_ok++;
		st->st_cur->su_ok++;
		st->st_cur->su_bad = 0;
		ev_timer_stop(car->c_loop, &st->st_connto);
		ev_timer_again(car->c_loop, &st->st_ping);
		/* While it fails, its epfail.c line says when it answers. */
		failover_stream_sock(car, lws_get_socket_fd(wsi));
		if (epfail_failing(&st->st_cur->su_ef))
			log_debug("stream: connected to %s",
			    st->st_cur->su_label);
		else
			log_info("stream: connected to %s",
			    st->st_cur->su_label);
		stream_raw_start(st, wsi);
		if (!st->st_raw)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return (stream_auth_header(st, wsi, in, len));
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
			if (tunnel_rx_body(car, st->st_rx.wb_data,
			    st->st_rx.wb_len, 0) == 0) {
				stream_conn_rx_count(st);
				stream_conn_proven(st);
			}
			wbuf_reset(&st->st_rx);
			stream_conn_rx_flow(st, wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		ev_timer_stop(car->c_loop, &st->st_pongdl);
		stream_conn_pong_rtt(st);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		stream_end(st, stream_errstr(wsi, in, err, sizeof(err)));
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		stream_end(st, "closed");
		break;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		stream_end(st, "closed during the handshake");
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		/* The last word on any wsi: nothing else may have come. */
		stream_end(st, st->st_state == ST_UP ? "closed" :
		    "closed during the handshake");
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
		stream_conn_rx_flow(st, st->st_wsi);
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

/*
 * What gooserelayctl stats shows of the stream: state (0 down, waiting
 * for the next attempt; 1 connecting; 2 up), failed attempts in a row,
 * and ms until the next attempt (-1: none scheduled).  -1: no stream
 * in this configuration.
 */
int
stream_state(struct carrier *car, int *state, unsigned int *fails,
    int64_t *retry_ms)
{
	struct stream	*st = car->c_stream;
	double		 left;

	if (st == NULL || !st->st_started)
		return (-1);
	*state = stream_up(car) ? 2 : st->st_state == ST_IDLE ? 0 : 1;
	*fails = st->st_fails;
	if (ev_is_active(&st->st_retry)) {
		left = ev_timer_remaining(car->c_loop, &st->st_retry);
		*retry_ms = left > 0 ? (int64_t)(left * 1000) : 0;
	} else
		*retry_ms = -1;
	return (0);
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
 * Stats row i: a direct_stream_urls entry with its counters, healthy
 * unless its last attempt failed; -1 past the end.
 */
static int
stream_endpoint(struct carrier *car, size_t i, struct stats_endpoint *se,
    char *name, size_t namelen, char *acct, size_t acctlen)
{
	struct stream		*st = car->c_stream;
	struct stream_url	*su;
	int			 cur;

	if (st == NULL || i >= st->st_nurls)
		return (-1);
	su = &st->st_urls[i];
	cur = st->st_cur == su && stream_up(car) ? 1 : su->su_bad ? -1 : 0;
	memset(se, 0, sizeof(*se));
	se->se_script = -1;
	se->se_healthy = cur >= 0;
	se->se_ok = su->su_ok;
	se->se_fail = su->su_fail + su->su_drop;
	se->se_rtt_ms = (uint64_t)(su->su_rtt * 1000 + 0.5);
	snprintf(se->se_kind, sizeof(se->se_kind), "stream");
	snprintf(name, namelen, "%s", su->su_label);
	if (acctlen > 0)
		acct[0] = '\0';
	return (0);
}

const struct transport_ops stream_transport = {
	.to_name = "stream",
	.to_preinit = stream_preinit,
	.to_configure = stream_configure,
	.to_start = stream_start,
	.to_stop = stream_stop,
	.to_kick = stream_kick,
	.to_wake = NULL,
	.to_up = stream_up,
	.to_drained = stream_rx_drained,
	.to_v15 = NULL,
	.to_local_ack = NULL,
	.to_syn_hold = NULL,	/* a bare SYN costs nothing on the stream */
	.to_probe = stream_probe,
	.to_state = stream_state,
	.to_counts = stream_counts,
	.to_endpoint = stream_endpoint,
};
