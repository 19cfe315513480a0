/*
 * Local side of the carrier: accepts SOCKS5 clients on the listener the
 * supervisor passed, runs the handshake (socks5.c), then pumps bytes
 * between the socket and its tunnel session.  Reading is zero-copy into
 * session chunks and stops whenever the tunnel cannot keep up (session
 * high-water or the global tx_buffer_budget); writing is a writev(2) of the
 * session's in-order RX chunks.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "acceptgate.h"
#include "carrier.h"
#include "log.h"
#include "socks5.h"
#include "transport.h"
#include "udp.h"
#include "wproc.h"

#define LOCAL_READ_MAX	(1024 * 1024)	/* per wakeup, for fairness */
#define LOCAL_IOV	16

static void	local_accept_cb(struct ev_loop *, ev_io *, int);
static void	local_read_cb(struct ev_loop *, ev_io *, int);
static void	local_write_cb(struct ev_loop *, ev_io *, int);
static void	local_hs_timeout_cb(struct ev_loop *, ev_timer *, int);
static void	local_held_cb(struct ev_loop *, ev_idle *, int);
static void	local_held_timer_cb(struct ev_loop *, ev_timer *, int);
static void	local_close_fd(struct lconn *, int);
static void	local_sweep_cb(struct ev_loop *, ev_timer *, int);
static void	local_so_tx_ready(struct sess *);
static void	local_so_tx_resume(struct sess *);
static void	local_so_rx_ready(struct sess *);
static void	local_so_ack_ready(struct sess *);
static void	local_admit_cb(struct ev_loop *, ev_timer *, int);
static void	local_refuse_cb(struct ev_loop *, ev_timer *, int);
static void	local_refuse(struct carrier *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	local_unwait(struct lconn *);
static void	local_handshake(struct lconn *);

const struct sess_ops local_sess_ops = {
	.so_tx_ready = local_so_tx_ready,
	.so_tx_resume = local_so_tx_resume,
	.so_rx_ready = local_so_rx_ready,
	.so_ack_ready = local_so_ack_ready,
};

static struct acceptgate	 local_agate;

/* After an accept pause: still serving this listener? */
static int
local_accept_want(void *arg)
{
	struct carrier	*car = arg;

	return (!car->c_stopping && car->c_lfd != -1 &&
	    car->c_accept.fd == car->c_lfd);
}

void
local_start(struct carrier *car, int fd)
{
	acceptgate_init(&local_agate, car->c_loop, &car->c_accept,
	    "socks accept", local_accept_want, car, wproc_nofile_limit());
	car->c_lfd = fd;
	car->c_tokens = car->c_conf.cc_new_burst;
	car->c_tokens_at = ev_now(car->c_loop);
	TAILQ_INIT(&car->c_waitq);
	ev_timer_init(&car->c_admit_timer, local_admit_cb, 0, 0);
	car->c_admit_timer.data = car;
	ev_timer_init(&car->c_refuse_timer, local_refuse_cb, 0, 0);
	car->c_refuse_timer.data = car;
	car->c_refuse_at = -CARRIER_REFUSE_LOG_S;
	ev_io_init(&car->c_accept, local_accept_cb, fd, EV_READ);
	ev_io_start(car->c_loop, &car->c_accept);
	ev_idle_init(&car->c_held_idle, local_held_cb);
	ev_timer_init(&car->c_held_timer, local_held_timer_cb, 0, 0);
	car->c_held_timer.data = car;
	ev_timer_init(&car->c_sweep, local_sweep_cb, 15.0, 15.0);
	car->c_sweep.data = car;
	ev_timer_start(car->c_loop, &car->c_sweep);
}

/*
 * Done-session sweep (docs/protocol.md 3, every 15 s like the Go client): a
 * session whose FIN went out 30 s ago without the exit's FIN, or whose
 * FIN waits for an acknowledgement that never comes, is closed here.
 * Housekeeping only; nothing on the data path waits for it.
 */
static void
local_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;
	struct lconn	*lc, *next;
	struct sess	*s;
	double		 now = ev_now(loop);

	for (lc = TAILQ_FIRST(&car->c_conns); lc != NULL; lc = next) {
		next = TAILQ_NEXT(lc, lc_all);
		if ((s = lc->lc_sess) == NULL || !sess_is_done(s, now))
			continue;
		if (s->s_flags & SESS_RX_FIN &&
		    !(lc->lc_flags & LCF_CLOSED) && sess_rx_queued(s) > 0)
			continue;	/* still flushing to the app */
		if (!(s->s_flags & SESS_ABORTED))
			sess_abort(s);
		local_account(lc);
		local_close_fd(lc, 0);
		local_maybe_free(lc);
	}
}

void
local_stop_accept(struct carrier *car)
{
	ev_io_stop(car->c_loop, &car->c_accept);
	acceptgate_stop(&local_agate);
}

/* A reload brought a new listener (local_start ran already). */
void
local_listen(struct carrier *car, int fd)
{
	ev_io_stop(car->c_loop, &car->c_accept);
	car->c_lfd = fd;
	ev_io_init(&car->c_accept, local_accept_cb, fd, EV_READ);
	ev_io_start(car->c_loop, &car->c_accept);
}

/*
 * Storm guard (docs/protocol.md 3).  GooseRelayVPN closes a connection over
 * its limits at once, which a browser shows as a broken page element.
 * Here a CONNECT over them waits, first come first served, for a token
 * of the new_sessions_per_s bucket and a free max_live_sessions slot;
 * only when the queue is full or the wait too long does it get a SOCKS
 * failure reply.  The limits are read from c_conf on every use, so a
 * reload applies them at once.
 */
static uint32_t
local_live_cap(const struct carrier *car)
{
	const struct carrier_conf *cc = &car->c_conf;

	if (cc->cc_max_local_sessions != 0 &&
	    cc->cc_max_local_sessions < cc->cc_max_live)
		return (cc->cc_max_local_sessions);
	return (cc->cc_max_live);
}

static void
local_refill(struct carrier *car)
{
	const struct carrier_conf *cc = &car->c_conf;
	double	 now = ev_now(car->c_loop);

	car->c_tokens += (now - car->c_tokens_at) * cc->cc_new_rate;
	if (car->c_tokens > cc->cc_new_burst)
		car->c_tokens = cc->cc_new_burst;
	car->c_tokens_at = now;
}

/* Take a token and a live slot if both are there. */
static int
local_admit(struct carrier *car)
{
	local_refill(car);
	if (car->c_nsess >= local_live_cap(car) || car->c_tokens < 1.0)
		return (0);
	car->c_tokens -= 1.0;
	return (1);
}

/* Why a connection cannot be admitted now, for the log. */
static const char *
local_why(struct carrier *car, char *buf, size_t len)
{
	const struct carrier_conf *cc = &car->c_conf;

	if (car->c_nsess >= local_live_cap(car))
		snprintf(buf, len, "%zu live sessions (%s %u)", car->c_nsess,
		    local_live_cap(car) == cc->cc_max_live ?
		    "max_live_sessions" : "max_local_sessions",
		    local_live_cap(car));
	else
		snprintf(buf, len, "more than new_sessions_per_s %u "
		    "(burst %u)", cc->cc_new_rate, cc->cc_new_burst);
	return (buf);
}

/*
 * Count a refusal and log it: the first at once, the rest of the next
 * minute as one line with their number when the minute is over.
 */
static void
local_refuse(struct carrier *car, const char *fmt, ...)
{
	va_list	 ap;
	double	 now = ev_now(car->c_loop);

	car->c_st_refused++;
	va_start(ap, fmt);
	vsnprintf(car->c_refuse_why, sizeof(car->c_refuse_why), fmt, ap);
	va_end(ap);
	if (now - car->c_refuse_at < CARRIER_REFUSE_LOG_S) {
		car->c_refuse_n++;
		return;
	}
	log_warnx("socks: refused a connection: %s", car->c_refuse_why);
	car->c_refuse_at = now;
	car->c_refuse_n = 0;
	ev_timer_stop(car->c_loop, &car->c_refuse_timer);
	ev_timer_set(&car->c_refuse_timer, CARRIER_REFUSE_LOG_S, 0);
	ev_timer_start(car->c_loop, &car->c_refuse_timer);
}

static void
local_refuse_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;

	if (car->c_refuse_n == 0)
		return;
	log_warnx("socks: refused %llu more connections in the last %.0f s "
	    "(last: %s)", (unsigned long long)car->c_refuse_n,
	    CARRIER_REFUSE_LOG_S, car->c_refuse_why);
	car->c_refuse_at = ev_now(loop);
	car->c_refuse_n = 0;
	ev_timer_set(w, CARRIER_REFUSE_LOG_S, 0);
	ev_timer_start(loop, w);
}

/* When the head of the queue can go: now, at the next token, or never. */
static void
local_admit_arm(struct carrier *car)
{
	const struct carrier_conf *cc = &car->c_conf;
	double	 delay;

	ev_timer_stop(car->c_loop, &car->c_admit_timer);
	if (TAILQ_EMPTY(&car->c_waitq))
		return;
	if (car->c_nsess >= local_live_cap(car))
		return;		/* local_maybe_free calls again */
	local_refill(car);
	delay = car->c_tokens >= 1.0 ? 0.0 :
	    (1.0 - car->c_tokens) / cc->cc_new_rate;
	ev_timer_set(&car->c_admit_timer, delay, 0);
	ev_timer_start(car->c_loop, &car->c_admit_timer);
}

/*
 * A session ended or the limits changed: try the queue from the loop,
 * never from inside the caller (which may be deep in tunnel code).
 */
void
local_admit_soon(struct carrier *car)
{
	if (!car->c_started || TAILQ_EMPTY(&car->c_waitq))
		return;
	ev_timer_stop(car->c_loop, &car->c_admit_timer);
	ev_timer_set(&car->c_admit_timer, 0, 0);
	ev_timer_start(car->c_loop, &car->c_admit_timer);
}

static void
local_admit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;
	struct lconn	*lc;

	while ((lc = TAILQ_FIRST(&car->c_waitq)) != NULL && local_admit(car)) {
		local_unwait(lc);
		lc->lc_flags |= LCF_ADMITTED;
		lc->lc_state = LC_REQUEST;
		ev_io_start(loop, &lc->lc_rio);
		local_handshake(lc);	/* may free lc */
	}
	local_admit_arm(car);
}

/* Queue a connection whose CONNECT is over the limits; -1 if full. */
static int
local_wait(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	if (car->c_nwait >= CARRIER_WAITQ_MAX)
		return (-1);
	lc->lc_state = LC_WAIT;
	lc->lc_flags |= LCF_WAITING;
	TAILQ_INSERT_TAIL(&car->c_waitq, lc, lc_wait);
	car->c_nwait++;
	car->c_st_admit_waited++;
	/* The request stays in lc_hs; what follows waits in the kernel. */
	ev_io_stop(car->c_loop, &lc->lc_rio);
	ev_timer_stop(car->c_loop, &lc->lc_hst);
	ev_timer_set(&lc->lc_hst, CARRIER_ADMIT_WAIT, 0);
	ev_timer_start(car->c_loop, &lc->lc_hst);
	if (!ev_is_active(&car->c_admit_timer))
		local_admit_arm(car);
	return (0);
}

static void
local_unwait(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	if (!(lc->lc_flags & LCF_WAITING))
		return;
	TAILQ_REMOVE(&car->c_waitq, lc, lc_wait);
	lc->lc_flags &= ~LCF_WAITING;
	car->c_nwait--;
}

static void
local_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct carrier	*car = carrier;
	struct lconn	*lc;
	int		 fd, i, one = 1;

	for (i = 0; i < 64; i++) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			/* At the fd limit: pause, never spin (issue 18). */
			acceptgate_error(&local_agate, errno);
			return;
		}
		acceptgate_ok(&local_agate);
		if (car->c_stopping) {
			close(fd);
			continue;
		}
		/* No SOCKS reply is possible before the greeting. */
		if (car->c_nlive - car->c_nsess >= CARRIER_PENDING_MAX) {
			local_refuse(car, "%zu connections in the SOCKS "
			    "handshake or waiting (at most %d): closed at "
			    "accept", car->c_nlive - car->c_nsess,
			    CARRIER_PENDING_MAX);
			close(fd);
			continue;
		}
		if ((lc = calloc(1, sizeof(*lc))) == NULL) {
			local_refuse(car, "out of memory");
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef TCP_QUICKACK
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
		lc->lc_car = car;
		lc->lc_fd = fd;
		lc->lc_state = LC_GREETING;
		ev_io_init(&lc->lc_rio, local_read_cb, fd, EV_READ);
		ev_io_init(&lc->lc_wio, local_write_cb, fd, EV_WRITE);
		lc->lc_rio.data = lc->lc_wio.data = lc;
		ev_timer_init(&lc->lc_hst, local_hs_timeout_cb,
		    CARRIER_HS_TIMEOUT, 0);
		lc->lc_hst.data = lc;
		ev_io_start(loop, &lc->lc_rio);
		ev_timer_start(loop, &lc->lc_hst);
		TAILQ_INSERT_TAIL(&car->c_conns, lc, lc_all);
		car->c_nlive++;
	}
}

/* Handshake replies are tiny; a socket that cannot take them is dead. */
static int
local_send(struct lconn *lc, const void *p, size_t n)
{
	return (send(lc->lc_fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1);
}

static void
local_close_fd(struct lconn *lc, int reset)
{
	struct ev_loop	*loop = lc->lc_car->c_loop;
	struct linger	 lg = { 1, 0 };

	if (lc->lc_flags & LCF_CLOSED)
		return;
	ev_io_stop(loop, &lc->lc_rio);
	ev_io_stop(loop, &lc->lc_wio);
	ev_timer_stop(loop, &lc->lc_hst);
	if (reset)
		setsockopt(lc->lc_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(lc->lc_fd);
	lc->lc_fd = -1;
	lc->lc_flags |= LCF_CLOSED;
	rxwin_account(lc);	/* nobody reads what is queued now */
}

/* Free the connection once its socket is closed and its session is over. */
void
local_maybe_free(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	struct sess	*s = lc->lc_sess;

	if (!(lc->lc_flags & LCF_CLOSED))
		return;
	if (s != NULL) {
		if (s->s_flags & SESS_IN_TXN)
			return;
		if (!(s->s_flags & (SESS_ABORTED | SESS_TX_FIN_SENT)))
			return;
		if (sess_replay_frames(s) != 0 &&
		    !(s->s_flags & SESS_ABORTED))
			return;		/* FIN not acknowledged yet */
	}
	if (lc->lc_flags & LCF_READY)
		TAILQ_REMOVE(&car->c_readyq, lc, lc_ready);
	if (lc->lc_flags & LCF_ACKQ)
		TAILQ_REMOVE(&car->c_ackq, lc, lc_ackq);
	if (lc->lc_flags & LCF_SYNHELD)
		TAILQ_REMOVE(&car->c_heldq, lc, lc_held);
	local_unwait(lc);
	car->c_rxq -= lc->lc_rxb;
	TAILQ_REMOVE(&car->c_conns, lc, lc_all);
	car->c_nlive--;
	if (s != NULL) {
		car->c_nsess--;
		local_admit_soon(car);
		car->c_txq -= lc->lc_txb;
		sess_table_del(&car->c_table, s);
		s->s_arg = NULL;
		sess_unref(s);
		car->c_st_close++;
	}
	free(lc);
	local_tx_resume_all(car);
}

/*
 * Hand a connection in its handshake (no session yet) over to another
 * module with its socket: the UDP ASSOCIATE control connection goes to
 * udp.c.  lc is freed; the caller owns the returned fd.
 */
int
local_detach(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	int		 fd = lc->lc_fd;

	ev_io_stop(car->c_loop, &lc->lc_rio);
	ev_io_stop(car->c_loop, &lc->lc_wio);
	ev_timer_stop(car->c_loop, &lc->lc_hst);
	local_unwait(lc);
	TAILQ_REMOVE(&car->c_conns, lc, lc_all);
	car->c_nlive--;
	free(lc);
	return (fd);
}

/*
 * Kill a connection: the socket is reset, the session dropped.  why !=
 * NULL means the fault is ours or the app's and the exit must hear an RST;
 * NULL means the exit already reset it.
 */
void
local_abort(struct lconn *lc, const char *why)
{
	struct carrier	*car = lc->lc_car;

	if (lc->lc_sess != NULL) {
		if (why != NULL) {
			log_debug("session aborted: %s", why);
			tunnel_queue_rst(car, lc->lc_sess->s_id);
		}
		sess_abort(lc->lc_sess);
		local_account(lc);
	}
	local_close_fd(lc, 1);
	local_maybe_free(lc);
}

void
local_account(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	size_t		 now;

	if (lc->lc_sess == NULL)
		return;
	now = (lc->lc_sess->s_flags & SESS_ABORTED) ? 0 :
	    sess_tx_buffered(lc->lc_sess);
	car->c_txq += now;
	car->c_txq -= lc->lc_txb;
	lc->lc_txb = now;
}

static int
local_over_budget(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	return (sess_tx_paused(lc->lc_sess) ||
	    car->c_txq >= car->c_conf.cc_tx_buffer_budget);
}

/* Resume sockets paused by the global budget once it has room again. */
void
local_tx_resume_all(struct carrier *car)
{
	struct lconn	*lc;

	if (car->c_txq >= car->c_conf.cc_tx_buffer_budget)
		return;
	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if ((lc->lc_flags & LCF_RPAUSED) && !local_over_budget(lc)) {
			lc->lc_flags &= ~LCF_RPAUSED;
			ev_io_start(car->c_loop, &lc->lc_rio);
		}
	}
}

/*
 * A new session's SYN waits for the app's first bytes (connect-data), so
 * that one exchange carries both.  On the stream that costs nothing to
 * skip (the data follows in the next message), so the SYN waits only
 * until the loop has nothing else to do.  Over POST a bare SYN costs a
 * whole exchange (its data follows only once the exit confirmed it, and
 * on a busy link the answer waits behind the responses in flight), so
 * the SYN waits up to transport_syn_hold() (post_syn_hold() over POST):
 * a client-first protocol (TLS, HTTP) writes within microseconds of the
 * SOCKS reply and never waits that long; a server-first one (SSH, SMTP)
 * pays the hold once.
 */
static double
local_syn_hold(struct carrier *car)
{
	return (transport_syn_hold(car));
}

static void
local_hold(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	double		 hold = local_syn_hold(car);

	lc->lc_flags |= LCF_SYNHELD;
	TAILQ_INSERT_TAIL(&car->c_heldq, lc, lc_held);
	if (hold <= 0) {
		lc->lc_held_until = 0;
		ev_idle_start(car->c_loop, &car->c_held_idle);
		return;
	}
	lc->lc_held_until = ev_now(car->c_loop) + hold;
	if (!ev_is_active(&car->c_held_timer)) {
		ev_timer_set(&car->c_held_timer, hold, 0);
		ev_timer_start(car->c_loop, &car->c_held_timer);
	}
}

static void
local_unhold(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	if (lc->lc_flags & LCF_SYNHELD) {
		TAILQ_REMOVE(&car->c_heldq, lc, lc_held);
		lc->lc_flags &= ~LCF_SYNHELD;
		if (TAILQ_EMPTY(&car->c_heldq)) {
			ev_idle_stop(car->c_loop, &car->c_held_idle);
			ev_timer_stop(car->c_loop, &car->c_held_timer);
		}
	}
	tunnel_ready(lc);
}

/*
 * Release the held SYNs that are due: every one held until the loop is
 * idle (idle 1), or whose hold ran out; the timer goes on for the rest.
 */
static void
local_held_release(struct carrier *car, int idle)
{
	struct lconn	*lc;
	double		 now = ev_now(car->c_loop), first;

again:
	first = 0;
	TAILQ_FOREACH(lc, &car->c_heldq, lc_held) {
		if (lc->lc_held_until == 0 ? idle :
		    lc->lc_held_until <= now + 1e-4) {
			/* Kicks the transport, which may free others. */
			local_unhold(lc);
			goto again;
		}
		if (lc->lc_held_until > 0 &&
		    (first == 0 || lc->lc_held_until < first))
			first = lc->lc_held_until;
	}
	if (idle)
		ev_idle_stop(car->c_loop, &car->c_held_idle);
	else if (first > 0) {
		ev_timer_set(&car->c_held_timer, first - now, 0);
		ev_timer_start(car->c_loop, &car->c_held_timer);
	}
}

/*
 * The loop has nothing else to do: the app did not write in the same
 * moment as the reply, so its SYN goes out alone (server-first protocols).
 */
static void
local_held_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	local_held_release(carrier, 1);
}

/* POST: the hold of the oldest held SYN ran out. */
static void
local_held_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	local_held_release(w->data, 0);
}

static int
local_open_session(struct lconn *lc, const struct socks5_req *r)
{
	struct carrier	*car = lc->lc_car;
	uint8_t		 sid[WIRE_SID_LEN];
	struct sess	*s;

	do {
		if (RAND_bytes(sid, sizeof(sid)) != 1)
			return (-1);
	} while (sess_table_find(&car->c_table, sid) != NULL);
	s = sess_new(sid, &local_sess_ops, &car->c_scfg, lc,
	    ev_now(car->c_loop));
	if (s == NULL)
		return (-1);
	sess_set_target(s, r->r_target, r->r_tlen);
	if (sess_table_add(&car->c_table, s) == -1) {
		sess_unref(s);
		return (-1);
	}
	lc->lc_sess = s;
	rxwin_open(lc);
	lc->lc_opened = ev_now(car->c_loop);
	car->c_nsess++;
	car->c_st_open++;
	return (0);
}

/* Feed handshake bytes through the state machine. */
static void
local_handshake(struct lconn *lc)
{
	struct carrier		*car = lc->lc_car;
	const struct carrier_conf *cc = &car->c_conf;
	struct socks5_greeting	 g;
	struct socks5_auth	 a;
	struct socks5_req	 r;
	uint8_t			 out[SOCKS5_REPLY_LEN];
	const char		*err = NULL;
	char			 why[96];
	ssize_t			 n;
	int			 auth = cc->cc_socks_user[0] != '\0';

	for (;;) {
		switch (lc->lc_state) {
		case LC_GREETING:
			n = socks5_parse_greeting(lc->lc_hs, lc->lc_hslen, &g,
			    &err);
			if (n == 0)
				return;
			if (n < 0 || (auth ? !g.g_userpass : !g.g_noauth)) {
				log_debug("socks: %s", err ? err :
				    "no acceptable method");
				socks5_method_reply(out, SOCKS5_M_NONE);
				(void)local_send(lc, out, 2);
				goto close;
			}
			socks5_method_reply(out, auth ? SOCKS5_M_USERPASS :
			    SOCKS5_M_NOAUTH);
			if (local_send(lc, out, 2) == -1)
				goto close;
			lc->lc_state = auth ? LC_AUTH : LC_REQUEST;
			break;
		case LC_AUTH:
			n = socks5_parse_auth(lc->lc_hs, lc->lc_hslen, &a,
			    &err);
			if (n == 0)
				return;
			if (n < 0 || !socks5_auth_check(&a, cc->cc_socks_user,
			    cc->cc_socks_pass)) {
				explicit_bzero(&a, sizeof(a));
				log_info("socks: authentication failed");
				socks5_auth_reply(out, 0);
				(void)local_send(lc, out, 2);
				goto close;
			}
			explicit_bzero(&a, sizeof(a));
			socks5_auth_reply(out, 1);
			if (local_send(lc, out, 2) == -1)
				goto close;
			lc->lc_state = LC_REQUEST;
			break;
		case LC_REQUEST:
			n = socks5_parse_req(lc->lc_hs, lc->lc_hslen, &r, &err);
			if (n == 0)
				return;
			if (n < 0) {
				log_debug("socks: %s", err);
				socks5_reply(out, r.r_rep);
				(void)local_send(lc, out, sizeof(out));
				goto close;
			}
			if (r.r_cmd == SOCKS5_CMD_UDP) {
				udp_associate(lc, lc->lc_hs, (size_t)n);
				return;		/* lc is gone */
			}
			if (r.r_cmd != SOCKS5_CMD_CONNECT) {
				socks5_reply(out, SOCKS5_REP_CMD);
				(void)local_send(lc, out, sizeof(out));
				goto close;
			}
			/* First come, first served: behind any waiting. */
			if (!(lc->lc_flags & LCF_ADMITTED) &&
			    (!TAILQ_EMPTY(&car->c_waitq) ||
			    !local_admit(car))) {
				if (local_wait(lc) == 0)
					return;
				local_refuse(car, "%s, and %d connections "
				    "waiting already",
				    local_why(car, why, sizeof(why)),
				    CARRIER_WAITQ_MAX);
				socks5_reply(out, SOCKS5_REP_FAIL);
				(void)local_send(lc, out, sizeof(out));
				goto close;
			}
			lc->lc_flags &= ~LCF_ADMITTED;
			if (local_open_session(lc, &r) == -1) {
				socks5_reply(out, SOCKS5_REP_FAIL);
				(void)local_send(lc, out, sizeof(out));
				goto close;
			}
			/* Success at once; the exit dials in parallel. */
			socks5_reply(out, SOCKS5_REP_OK);
			if (local_send(lc, out, sizeof(out)) == -1)
				goto close;
			lc->lc_state = LC_OPEN;
			ev_timer_stop(car->c_loop, &lc->lc_hst);
			lc->lc_hslen -= (size_t)n;
			/* Pipelined early data rides in the SYN. */
			if (lc->lc_hslen > 0 && sess_tx_write(lc->lc_sess,
			    lc->lc_hs + n, lc->lc_hslen) == -1)
				goto close;
			lc->lc_hslen = 0;
			if (lc->lc_sess->s_flags & SESS_TX_FIN_QUEUED ||
			    sess_tx_pending(lc->lc_sess) > 0) {
				tunnel_ready(lc);
			} else
				local_hold(lc);
			return;
		default:
			return;
		}
		memmove(lc->lc_hs, lc->lc_hs + n, lc->lc_hslen - (size_t)n);
		lc->lc_hslen -= (size_t)n;
	}
close:
	local_close_fd(lc, 0);
	local_maybe_free(lc);
}

static void
local_hs_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lconn	*lc = w->data;
	uint8_t		 out[SOCKS5_REPLY_LEN];
	char		 why[96];

	if (lc->lc_flags & LCF_WAITING) {
		local_unwait(lc);
		local_refuse(lc->lc_car, "%s for %.0f s",
		    local_why(lc->lc_car, why, sizeof(why)),
		    CARRIER_ADMIT_WAIT);
		socks5_reply(out, SOCKS5_REP_FAIL);
		(void)local_send(lc, out, sizeof(out));
		local_close_fd(lc, 0);
		local_maybe_free(lc);
		return;
	}
	log_debug("socks: handshake timeout");
	local_close_fd(lc, 1);
	local_maybe_free(lc);
}

static void
local_read_open(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	struct sess	*s = lc->lc_sess;
	uint8_t		*p;
	size_t		 n, total = 0;
	ssize_t		 r;
	int		 moved = 0;

	while (total < LOCAL_READ_MAX) {
		if (local_over_budget(lc))
			break;
		if (sess_tx_space(s, &p, &n) == -1 || n == 0)
			break;
		r = read(lc->lc_fd, p, n);
		if (r > 0) {
			sess_tx_commit(s, (size_t)r);
			car->c_st_bytes_out += (size_t)r;
			total += (size_t)r;
			moved = 1;
			local_account(lc);
			if ((size_t)r < n)
				break;
			continue;
		}
		if (r == 0) {
			/* App closed: FIN after the buffered bytes. */
			lc->lc_flags |= LCF_EOF;
			ev_io_stop(car->c_loop, &lc->lc_rio);
			sess_tx_close(s);
			moved = 1;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		local_abort(lc, "local read error");
		return;
	}
	if (!(lc->lc_flags & LCF_EOF) && local_over_budget(lc)) {
		lc->lc_flags |= LCF_RPAUSED;
		ev_io_stop(car->c_loop, &lc->lc_rio);
	}
	if (moved)
		local_unhold(lc);
}

static void
local_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lconn	*lc = w->data;
	ssize_t		 r;

	if (lc->lc_state == LC_OPEN) {
		local_read_open(lc);
		return;
	}
	r = read(lc->lc_fd, lc->lc_hs + lc->lc_hslen,
	    sizeof(lc->lc_hs) - lc->lc_hslen);
	if (r <= 0 || lc->lc_hslen + (size_t)r >= sizeof(lc->lc_hs)) {
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		local_close_fd(lc, 0);
		local_maybe_free(lc);
		return;
	}
	lc->lc_hslen += (size_t)r;
	local_handshake(lc);
}

/* Write in-order RX bytes; close after the peer's FIN is flushed. */
void
local_rx_ready(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	struct sess	*s = lc->lc_sess;
	struct iovec	 iov[LOCAL_IOV];
	ssize_t		 n;
	int		 cnt;

	if (s == NULL || (lc->lc_flags & LCF_CLOSED))
		return;
	while ((cnt = sess_rx_iov(s, iov, LOCAL_IOV)) > 0) {
		n = writev(lc->lc_fd, iov, cnt);
		if (n > 0) {
			sess_rx_consume(s, (size_t)n);
			car->c_st_bytes_in += (size_t)n;
			if (!(lc->lc_flags & LCF_TTFB)) {
				lc->lc_flags |= LCF_TTFB;
				cstats_ttfb((uint64_t)((ev_now(car->c_loop) -
				    lc->lc_opened) * 1e6));
			}
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			ev_io_start(car->c_loop, &lc->lc_wio);
			rxwin_account(lc);
			rxwin_consumed(lc);
			rxwin_drained(car);
			return;
		}
		local_abort(lc, "local write error");
		return;
	}
	ev_io_stop(car->c_loop, &lc->lc_wio);
	rxwin_account(lc);
	rxwin_consumed(lc);
	rxwin_drained(car);
	if (sess_rx_eof(s)) {
		/* No half-close through SOCKS: the exit's FIN ends it all. */
		local_close_fd(lc, 0);
		if (!(s->s_flags & (SESS_TX_FIN_QUEUED | SESS_ABORTED))) {
			sess_tx_close(s);
			tunnel_ready(lc);
		}
		local_maybe_free(lc);
	}
}

static void
local_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	local_rx_ready(w->data);
}

static void
local_so_tx_ready(struct sess *s)
{
	struct lconn	*lc = s->s_arg;

	if (lc != NULL && !(lc->lc_flags & LCF_SYNHELD))
		tunnel_ready(lc);
}

static void
local_so_tx_resume(struct sess *s)
{
	struct lconn	*lc = s->s_arg;

	if (lc == NULL)
		return;
	local_account(lc);
	if ((lc->lc_flags & LCF_RPAUSED) && !local_over_budget(lc) &&
	    !(lc->lc_flags & LCF_CLOSED)) {
		lc->lc_flags &= ~LCF_RPAUSED;
		ev_io_start(lc->lc_car->c_loop, &lc->lc_rio);
	}
}

/*
 * Called from inside sess_rx_frame(): the flush (which may free the
 * connection) runs from tunnel.c once the engine has returned.
 */
static void
local_so_rx_ready(struct sess *s)
{
}

static void
local_so_ack_ready(struct sess *s)
{
	struct lconn	*lc = s->s_arg;
	struct carrier	*car;

	if (lc == NULL)
		return;
	car = lc->lc_car;
	if (!(car->c_features & (WIRE_FEAT_REPLAY | CARRIER_FEAT_UPACK)))
		return;
	if (!(lc->lc_flags & LCF_ACKQ)) {
		lc->lc_flags |= LCF_ACKQ;
		TAILQ_INSERT_TAIL(&car->c_ackq, lc, lc_ackq);
	}
	tunnel_kick(car);
}
