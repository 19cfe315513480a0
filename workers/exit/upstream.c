/*
 * Upstream side of exit sessions: open on SYN (suppression, max_sessions,
 * DNS, non-blocking connect bounded by upstream_dial_timeout_ms, optional
 * SOCKS5 upstream_proxy), then pump bytes: upstream reads go straight
 * into the session's TX chunks (zero copy) and reading stops while the
 * session is above its high-water mark; in-order bytes from the client
 * are written with writev.  Upstream EOF queues a FIN.  GC every 60 s
 * removes done sessions and closes sessions idle for 10 min.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"

static void	upstream_so_tx_ready(struct sess *);
static void	upstream_so_tx_resume(struct sess *);
static void	upstream_so_rx_ready(struct sess *);
static void	upstream_read_cb(struct ev_loop *, ev_io *, int);
static void	upstream_write_cb(struct ev_loop *, ev_io *, int);
static void	upstream_dial_timeout_cb(struct ev_loop *, ev_timer *, int);
static void	upstream_dial_next(struct xsess *, int lasterr);
static void	upstream_resolved(void *, int, const struct xaddrs *);

const struct sess_ops upstream_ops = {
	.so_tx_ready = upstream_so_tx_ready,
	.so_tx_resume = upstream_so_tx_resume,
	.so_rx_ready = upstream_so_rx_ready,
	.so_ack_ready = NULL
};

static void
upstream_so_tx_ready(struct sess *s)
{
	struct xsess	*x = s->s_arg;

	if (x != NULL)
		client_set_ready(x->x_cl, s);
}

static void
upstream_so_tx_resume(struct sess *s)
{
	struct xsess	*x = s->s_arg;

	if (x == NULL || x->x_state != XS_OPEN || x->x_up_eof)
		return;
	if (!ev_is_active(&x->x_rio))
		ev_io_start(ex->ee_loop, &x->x_rio);
}

static void
upstream_so_rx_ready(struct sess *s)
{
	struct xsess	*x = s->s_arg;

	if (x != NULL)
		upstream_rx(x);
}

static void
upstream_sockopts(int fd)
{
	int	 one = 1, idle = 60;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
}

static void
upstream_fd_close(struct xsess *x)
{
	ev_io_stop(ex->ee_loop, &x->x_rio);
	ev_io_stop(ex->ee_loop, &x->x_wio);
	if (x->x_fd != -1) {
		close(x->x_fd);
		x->x_fd = -1;
	}
}

static void
upstream_dial_cleanup(struct xsess *x)
{
	ev_timer_stop(ex->ee_loop, &x->x_dtimer);
	if (x->x_rq != NULL) {
		dns_cancel(x->x_rq);
		x->x_rq = NULL;
	}
	free(x->x_addrs);
	x->x_addrs = NULL;
	if (x->x_socks != NULL) {
		socks_free(x->x_socks);
		x->x_socks = NULL;
	}
}

/* End a session: optionally tell the client with an RST. */
void
upstream_close(struct xsess *x, int send_rst)
{
	struct sess	*s;
	struct xclient	*cl;

	if (x == NULL)
		return;
	s = x->x_s;
	cl = x->x_cl;
	if (send_rst)
		client_queue_rst(cl, s->s_id);
	rxflow_sync(x, 1);
	(void)client_replay_sync(cl, x, 1);
	upstream_dial_cleanup(x);
	upstream_fd_close(x);
	client_unready(cl, s);
	TAILQ_REMOVE(&cl->cl_sessions, x, x_cl_entry);
	cl->cl_nsess--;
	sess_table_del(&ex->ee_sessions, s);
	s->s_arg = NULL;
	sess_abort(s);
	sess_unref(s);
	ex->ee_stats.es_sess_closed++;
	free(x);
}

static void
upstream_refuse(struct xclient *cl, const struct wire_frame *f,
    const char *why)
{
	log_debug("SYN refused: %s", why);
	client_queue_rst(cl, f->f_sid);
}

/* SYN for an unknown session: checks, then the dial starts. */
struct xsess *
upstream_open(struct xclient *cl, const struct wire_frame *f)
{
	const struct exit_conf	*ec = &ex->ee_conf;
	struct xsess		*x;
	struct sess		*s;
	struct xaddrs		 lit;
	enum sess_abort_reason	 why;
	char			 target[WIRE_MAX_TARGET + 1];
	char			 host[WIRE_MAX_TARGET + 1];
	uint16_t		 port;
	double			 now = exit_now();

	if (ex->ee_shutdown) {
		upstream_refuse(cl, f, "shutting down");
		return (NULL);
	}
	memcpy(target, f->f_target, f->f_tlen);
	target[f->f_tlen] = '\0';
	if (f->f_seq != 0 || dns_split(f->f_target, f->f_tlen, host,
	    sizeof(host), &port) == -1) {
		upstream_refuse(cl, f, "bad target");
		return (NULL);
	}
	if (dialback_suppressed(target, now)) {
		ex->ee_stats.es_dial_suppressed++;
		upstream_refuse(cl, f, "target in dial backoff");
		return (NULL);
	}
	if (ex->ee_sessions.st_count >= ec->ec_max_sessions) {
		upstream_refuse(cl, f, "max_sessions reached");
		return (NULL);
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		upstream_refuse(cl, f, "out of memory");
		return (NULL);
	}
	s = sess_new(f->f_sid, &upstream_ops, cl->cl_replay || cl->cl_upack ?
	    &ex->ee_scfg_replay : &ex->ee_scfg, x, now);
	if (s == NULL) {
		free(x);
		upstream_refuse(cl, f, "out of memory");
		return (NULL);
	}
	memcpy(s->s_cid, cl->cl_cid, WIRE_CID_LEN);
	sess_set_target(s, f->f_target, f->f_tlen);
	/*
	 * The target is bookkeeping only (dial backoff, logs): downstream
	 * frames never carry SYN (GooseRelayVPN: session.New(id, target,
	 * false)).
	 */
	s->s_flags |= SESS_TX_SYN_SENT;
	x->x_s = s;
	x->x_cl = cl;
	x->x_fd = -1;
	x->x_port = port;
	x->x_last_act = now;
	x->x_state = XS_RESOLVING;
	ev_io_init(&x->x_rio, upstream_read_cb, -1, EV_READ);
	ev_io_init(&x->x_wio, upstream_write_cb, -1, EV_WRITE);
	x->x_rio.data = x->x_wio.data = x;
	ev_timer_init(&x->x_dtimer, upstream_dial_timeout_cb,
	    ec->ec_upstream_dial_timeout_ms / 1000.0, 0);
	x->x_dtimer.data = x;
	if (sess_table_add(&ex->ee_sessions, s) == -1) {
		s->s_arg = NULL;
		sess_unref(s);
		free(x);
		upstream_refuse(cl, f, "session table");
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&cl->cl_sessions, x, x_cl_entry);
	cl->cl_nsess++;
	ex->ee_stats.es_sess_open++;
	if (cl->cl_rxwin > 0)
		sess_tx_set_limit(s, cl->cl_rxwin);	/* rx_window_v1 */

	/* The SYN (and its connect-data) waits in RX until connected. */
	if (sess_rx_frame(s, f, now, &why) == -1) {
		upstream_close(x, 1);
		return (NULL);
	}
	ex->ee_stats.es_bytes_up += wire_frame_paylen(f);
	rxflow_sync(x, 0);
	if (cl->cl_upack) {
		x->x_ackdue = 1;
		cl->cl_ackdirty = 1;
	}

	ev_timer_start(ex->ee_loop, &x->x_dtimer);
	if (ec->ec_has_proxy) {
		/* Remote DNS: the proxy resolves the target name. */
		if ((x->x_socks = socks_new(host, port, ec->ec_proxy_user,
		    ec->ec_proxy_pass)) == NULL) {
			upstream_close(x, 1);
			return (NULL);
		}
		if (dns_literal(ec->ec_proxy_host, ec->ec_proxy_port,
		    &lit) == 0 || dns_cached(ec->ec_proxy_host,
		    ec->ec_proxy_port, &lit) == 0) {
			upstream_resolved(x, 0, &lit);
			return (x);
		}
		x->x_rq = dns_start(ec->ec_proxy_host, ec->ec_proxy_port,
		    upstream_resolved, x);
	} else if (dns_literal(host, port, &lit) == 0 ||
	    dns_cached(host, port, &lit) == 0) {
		upstream_resolved(x, 0, &lit);
		return (x);
	} else
		x->x_rq = dns_start(host, port, upstream_resolved, x);
	if (x->x_rq == NULL) {
		upstream_close(x, 1);
		return (NULL);
	}
	return (x);
}

static void
upstream_dial_failed(struct xsess *x, int err)
{
	ex->ee_stats.es_dial_fail++;
	log_debug("dial failed: %s", strerror(err));
	if (dialback_structural(err) && !ex->ee_conf.ec_has_proxy)
		dialback_fail(x->x_s->s_target, exit_now());
	upstream_close(x, 1);
}

/*
 * Resolution result (also called synchronously for literals and cache
 * hits from upstream_open).
 */
static void
upstream_resolved(void *arg, int err, const struct xaddrs *xa)
{
	struct xsess	*x = arg;

	x->x_rq = NULL;
	if (err != 0 || xa->xa_n == 0) {
		upstream_dial_failed(x, err ? err : ENOENT);
		return;
	}
	if ((x->x_addrs = malloc(sizeof(*x->x_addrs))) == NULL) {
		upstream_dial_failed(x, ENOMEM);
		return;
	}
	*x->x_addrs = *xa;
	x->x_state = XS_CONNECTING;
	upstream_dial_next(x, 0);
}

static void
upstream_dial_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	upstream_dial_failed(w->data, ETIMEDOUT);
}

static void
upstream_connected(struct xsess *x)
{
	struct sess	*s = x->x_s;

	if (x->x_socks != NULL && x->x_state == XS_CONNECTING) {
		x->x_state = XS_PROXY;
		ev_io_start(ex->ee_loop, &x->x_wio);
		return;
	}
	upstream_dial_cleanup(x);
	x->x_state = XS_OPEN;
	ex->ee_stats.es_dial_ok++;
	if (!ex->ee_conf.ec_has_proxy)
		dialback_ok(s->s_target);
	ev_io_stop(ex->ee_loop, &x->x_wio);
	x->x_reading = 1;
	if (!sess_tx_paused(s))
		ev_io_start(ex->ee_loop, &x->x_rio);
	upstream_rx(x);
}

/* Try the next resolved address (all within the one dial deadline). */
static void
upstream_dial_next(struct xsess *x, int lasterr)
{
	struct xaddrs	*xa = x->x_addrs;
	int		 fd, i;

	upstream_fd_close(x);
	while (xa->xa_n > 0) {
		i = 0;				/* consume from the front */
		fd = socket(xa->xa_ss[i].ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			lasterr = errno;
			goto next;
		}
		upstream_sockopts(fd);
		if (connect(fd, (struct sockaddr *)&xa->xa_ss[i],
		    xa->xa_len[i]) == -1 && errno != EINPROGRESS) {
			lasterr = errno;
			close(fd);
			goto next;
		}
		x->x_fd = fd;
		ev_io_set(&x->x_rio, fd, EV_READ);
		ev_io_set(&x->x_wio, fd, EV_WRITE);
		ev_io_start(ex->ee_loop, &x->x_wio);
		/* Drop this address so a failure moves on to the next. */
		memmove(&xa->xa_ss[0], &xa->xa_ss[1],
		    (xa->xa_n - 1) * sizeof(xa->xa_ss[0]));
		memmove(&xa->xa_len[0], &xa->xa_len[1],
		    (xa->xa_n - 1) * sizeof(xa->xa_len[0]));
		xa->xa_n--;
		return;
next:
		memmove(&xa->xa_ss[0], &xa->xa_ss[1],
		    (xa->xa_n - 1) * sizeof(xa->xa_ss[0]));
		memmove(&xa->xa_len[0], &xa->xa_len[1],
		    (xa->xa_n - 1) * sizeof(xa->xa_len[0]));
		xa->xa_n--;
	}
	upstream_dial_failed(x, lasterr ? lasterr : ECONNREFUSED);
}

/* SOCKS5 handshake with the upstream proxy, one step per event. */
static void
upstream_proxy_io(struct xsess *x, int revents)
{
	const uint8_t	*p;
	uint8_t		 buf[512];
	size_t		 n, used;
	ssize_t		 r;
	int		 rc, err = 0;

	if ((p = socks_out(x->x_socks, &n)) != NULL) {
		if (!(revents & EV_WRITE))
			return;
		if ((r = send(x->x_fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			upstream_dial_failed(x, errno);
			return;
		}
		socks_sent(x->x_socks, r);
		if (socks_out(x->x_socks, &n) == NULL) {
			ev_io_stop(ex->ee_loop, &x->x_wio);
			ev_io_start(ex->ee_loop, &x->x_rio);
		}
		return;
	}
	if (!(revents & EV_READ))
		return;
	n = socks_want(x->x_socks);
	if (n > sizeof(buf))
		n = sizeof(buf);
	if ((r = recv(x->x_fd, buf, n, 0)) <= 0) {
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		upstream_dial_failed(x, r == 0 ? ECONNRESET : errno);
		return;
	}
	rc = socks_in(x->x_socks, buf, r, &used, &err);
	if (rc == -1) {
		upstream_dial_failed(x, err);
		return;
	}
	if (rc == 1) {
		ev_io_stop(ex->ee_loop, &x->x_rio);
		upstream_connected(x);
		return;
	}
	if (socks_out(x->x_socks, &n) != NULL) {
		ev_io_stop(ex->ee_loop, &x->x_rio);
		ev_io_start(ex->ee_loop, &x->x_wio);
	}
}

/*
 * A session finished both ways (its FIN delivered upstream, the upstream's
 * FIN committed to the client) goes away now instead of at the next 60 s
 * GC: sessions/s churn would otherwise fill max_sessions with finished
 * ones.  An upstream_ack_v1 client may still send its frames again after
 * a stream reconnect until our GACK of its FIN was delivered (a SYN sent
 * again must not dial twice): for those, wait for that.
 *
 * With a replay store, frames the client has not acknowledged are kept,
 * except a bare FIN: the client closed its side already (its FIN came
 * first; the SOCKS side has no half-close), and our carrier frees such a
 * session without acknowledging our FIN, which otherwise kept every
 * finished session here, resent every 3 s, until the 5 minute replay
 * expiry.  If that FIN is lost in a stream drop, the client's own
 * done-session sweep (30 s after its FIN) ends the session there.
 * Returns 1 if x was freed.
 */
int
upstream_reap(struct xsess *x)
{
	struct sess	*s = x->x_s;
	size_t		 rp = sess_replay_frames(s);

	if (!x->x_up_eof || !x->x_wr_shut || !(s->s_flags & SESS_RX_FIN) ||
	    !(s->s_flags & SESS_TX_FIN_SENT) || (s->s_flags & SESS_IN_TXN) ||
	    (rp > 0 && (rp > 1 || sess_replay_bytes(s) > 0)) ||
	    (x->x_cl->cl_upack && (x->x_ackdue || !x->x_fin_acked)))
		return (0);
	upstream_close(x, 0);
	return (1);
}

/* Both directions finished: the socket is no longer needed. */
static void
upstream_check_done(struct xsess *x)
{
	if (x->x_up_eof && x->x_wr_shut)
		upstream_fd_close(x);
}

static void
upstream_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct xsess	*x = w->data;
	struct sess	*s = x->x_s;
	uint8_t		*p;
	size_t		 n, total = 0;
	ssize_t		 r;

	if (x->x_state == XS_PROXY) {
		upstream_proxy_io(x, revents);
		return;
	}
	while (total < EXIT_UP_READ_MAX) {
		if (sess_tx_paused(s)) {
			/* Back-pressure: so_tx_resume restarts reading. */
			ev_io_stop(loop, &x->x_rio);
			return;
		}
		if (sess_tx_space(s, &p, &n) == -1 || n == 0) {
			ev_io_stop(loop, &x->x_rio);
			return;
		}
		r = read(x->x_fd, p, n);
		if (r > 0) {
			sess_tx_commit(s, r);
			total += r;
			ex->ee_stats.es_bytes_down += r;
			if ((size_t)r < n)
				break;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		/* EOF or error: FIN after the buffered bytes. */
		x->x_up_eof = 1;
		ev_io_stop(loop, &x->x_rio);
		sess_tx_close(s);
		upstream_check_done(x);
		break;
	}
	x->x_last_act = ev_now(loop);
}

/* Write in-order client bytes to the upstream. */
void
upstream_rx(struct xsess *x)
{
	struct sess	*s = x->x_s;
	struct iovec	 iov[16];
	ssize_t		 r;
	int		 n;

	if (x->x_state != XS_OPEN || x->x_fd == -1)
		return;
	for (;;) {
		if ((n = sess_rx_iov(s, iov, 16)) <= 0)
			break;
		r = writev(x->x_fd, iov, n);
		if (r == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				ev_io_start(ex->ee_loop, &x->x_wio);
				return;
			}
			log_debug("upstream write: %s", strerror(errno));
			upstream_close(x, 1);
			return;
		}
		sess_rx_consume(s, r);
		rxflow_sync(x, 0);
	}
	ev_io_stop(ex->ee_loop, &x->x_wio);
	if (sess_rx_eof(s) && !x->x_wr_shut) {
		x->x_wr_shut = 1;
		(void)shutdown(x->x_fd, SHUT_WR);
		upstream_check_done(x);
		(void)upstream_reap(x);
	}
}

static void
upstream_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct xsess	*x = w->data;
	socklen_t	 len;
	int		 err = 0;

	switch (x->x_state) {
	case XS_CONNECTING:
		len = sizeof(err);
		if (getsockopt(x->x_fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) == -1)
			err = errno;
		if (err != 0) {
			upstream_dial_next(x, err);
			return;
		}
		upstream_connected(x);
		return;
	case XS_PROXY:
		upstream_proxy_io(x, revents);
		return;
	case XS_OPEN:
		upstream_rx(x);
		return;
	default:
		ev_io_stop(loop, w);
	}
}

/*
 * Every 60 s: remove done sessions (unless frames are in flight or
 * waiting for a GACK) and close sessions with no traffic either way for
 * 10 minutes.
 */
void
upstream_gc(double now)
{
	struct sess	*s, *next;
	struct xsess	*x;

	for (s = TAILQ_FIRST(&ex->ee_sessions.st_all); s != NULL; s = next) {
		next = TAILQ_NEXT(s, s_all_entry);
		x = s->s_arg;
		if (x == NULL || (s->s_flags & SESS_IN_TXN))
			continue;
		if (sess_is_done(s, now) && sess_replay_frames(s) == 0) {
			upstream_close(x, 0);
			continue;
		}
		if (sess_replay_frames(s) > 0 &&
		    sess_replay_age(s, now) > EXIT_REPLAY_EXPIRY) {
			upstream_close(x, 1);
			continue;
		}
		if (now - x->x_last_act > exit_idle_timeout())
			upstream_close(x, 1);
	}
}

void
upstream_abort_all(int send_rst)
{
	struct sess	*s;

	while ((s = TAILQ_FIRST(&ex->ee_sessions.st_all)) != NULL) {
		if (s->s_arg == NULL) {
			sess_table_del(&ex->ee_sessions, s);
			continue;
		}
		upstream_close(s->s_arg, send_rst);
	}
}
