/*
 * Session liveness (issue 18).  The exit can lose sessions without
 * telling us: killed and restarted by its supervisor, it comes back with
 * an empty session table, and a download that was running waits for
 * bytes that will never come (curl hung until its own timeout).  Two
 * remedies, housekeeping only (nothing on the data path waits for them):
 *
 *  - The check: a GACK for every session the exit had confirmed, sent
 *    once a transport works again after a disruption (a new stream
 *    connection, a POST after a failed one, a POST after httpc.c had to
 *    send requests again on fresh connections, which is how a killed
 *    direct_post exit looks) and every LIVENESS_IDLE seconds for
 *    sessions without traffic.  An exit that lists session_check_v1
 *    (ours) answers an ACK for a session it does not have with an RST,
 *    and the RST resets the SOCKS connection (tunnel.c).  GACKs go only
 *    where the exit expects them (downstream_replay_v1, upstream_ack_v1)
 *    or asked for them; with downstream_replay_mode off they would turn
 *    a replay-enabled exit's store on for us (route.c), so not then.
 *    Sessions whose FIN came from the exit are never checked: the exit
 *    may forget those legitimately while the app still reads.
 *
 *  - The stall timeout (session_stall_timeout_s): a session that owes the
 *    exit bytes (queued or sent but unconfirmed) or is owed some (frames
 *    wait behind a missing one) and made no progress for that long is
 *    reset.  A session whose app reads slowly or not at all owes nothing
 *    and is never reset here.
 */
#include "gr_config.h"

#include "carrier.h"
#include "log.h"

#define LIVENESS_IDLE	15.0	/* s without traffic: check the session */
#define LIVENESS_TICK	1.0	/* s between samples of the sessions */

static ev_timer		 liveness_timer;	/* zeroed: stop is safe */
static int		 liveness_disrupted_flag;
static uint64_t		 liveness_stalled;

static void	liveness_tick_cb(struct ev_loop *, ev_timer *, int);

/* May this carrier send check GACKs to this exit? */
static int
liveness_can_check(struct carrier *car)
{
	if (car->c_scfg.sc_rx_ack)
		return (1);
	return ((car->c_features & WIRE_FEAT_SESS_CHECK) &&
	    car->c_conf.cc_replay_auto);
}

/* A session the exit confirmed and that still expects bytes from it. */
static int
liveness_checkable(struct lconn *lc)
{
	struct sess	*s = lc->lc_sess;

	return (s != NULL && (lc->lc_flags & LCF_SYNOK) &&
	    !(lc->lc_flags & LCF_CLOSED) &&
	    !(s->s_flags & (SESS_ABORTED | SESS_RX_FIN)));
}

/* Queue a GACK of what lc's session has received (an ACK refresh). */
static void
liveness_queue_ack(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	sess_ack_retry(lc->lc_sess);
	lc->lc_flags |= LCF_CHECK;
	if (!(lc->lc_flags & LCF_ACKQ)) {
		lc->lc_flags |= LCF_ACKQ;
		TAILQ_INSERT_TAIL(&car->c_ackq, lc, lc_ackq);
	}
}

/*
 * Check sessions with the exit: all of them (quiet == 0) or those without
 * progress and not checked for quiet seconds.
 */
static void
liveness_check(struct carrier *car, double quiet)
{
	struct lconn	*lc;
	double		 now = ev_now(car->c_loop);
	size_t		 n = 0;

	if (!liveness_can_check(car))
		return;
	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if (!liveness_checkable(lc))
			continue;
		if (quiet > 0 && (now - lc->lc_prog_at < quiet ||
		    now - lc->lc_checked_at < quiet))
			continue;
		lc->lc_checked_at = now;
		liveness_queue_ack(lc);
		n++;
	}
	if (n > 0) {
		log_debug("checking %zu session(s) with the exit", n);
		tunnel_kick(car);
	}
}

/* A transport failed: the exit may have restarted meanwhile. */
void
liveness_disrupted(struct carrier *car)
{
	liveness_disrupted_flag = 1;
}

/*
 * A transport works (a POST answered, a stream's hello answered): after
 * a disruption, check every session.  force: a new stream connection,
 * always a disruption.
 */
void
liveness_transport_ok(struct carrier *car, int force)
{
	if (!force && !liveness_disrupted_flag)
		return;
	/*
	 * A restarted exit knows nothing of our probe either: the next POST
	 * carries it again, with the rx_window new sessions must get (a
	 * stream's hello always does).
	 */
	if (!force && (car->c_features & WIRE_FEAT_RX_WINDOW))
		car->c_probe_answered = 0;
	liveness_disrupted_flag = 0;
	liveness_check(car, 0);
}

/* Bytes moved for this session since its last sample? */
static int
liveness_progressed(struct lconn *lc, double now)
{
	struct sess	*s = lc->lc_sess;
	uint64_t	 fp;

	/* Monotonic: bytes sent, bytes confirmed, frames received. */
	fp = (uint64_t)s->s_bytes_out * 2 - sess_tx_pending(s) -
	    sess_tx_buffered(s) + sess_rx_next(s);
	if (lc->lc_prog_at == 0 || fp != lc->lc_prog) {
		lc->lc_prog = fp;
		lc->lc_prog_at = now;
		return (1);
	}
	return (0);
}

/* Does the session wait on the exit: bytes to deliver, or a gap? */
static int
liveness_owes(const struct sess *s)
{
	return (sess_tx_buffered(s) > 0 || sess_rx_gap(s));
}

/*
 * Sample every session; reset the stalled ones.  An abort can settle a
 * batch and free other connections (a POST that fails at once): the walk
 * starts over after each (the aborted one no longer matches).
 */
static void
liveness_stall_check(struct carrier *car, double now)
{
	struct lconn	*lc;
	struct sess	*s;
	double		 t = car->c_conf.cc_session_stall_timeout_s;

again:
	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if ((s = lc->lc_sess) == NULL || (s->s_flags & SESS_ABORTED))
			continue;
		if (liveness_progressed(lc, now) || t <= 0 ||
		    now - lc->lc_prog_at < t || !liveness_owes(s))
			continue;
		log_info("session reset: no progress for %.0f s (%zu bytes "
		    "not yet delivered to the exit%s)", now - lc->lc_prog_at,
		    sess_tx_buffered(s), sess_rx_gap(s) ?
		    ", frames missing from the exit" : "");
		liveness_stalled++;
		local_abort(lc, "stalled");
		goto again;
	}
}

static void
liveness_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;
	double		 now = ev_now(loop);

	if (car->c_stopping || TAILQ_EMPTY(&car->c_conns))
		return;
	liveness_stall_check(car, now);
	liveness_check(car, LIVENESS_IDLE);
}

/*
 * At the first configuration.  A session is sampled every LIVENESS_TICK
 * (a walk of the connection list, nothing when there is none), so a
 * quiet session is checked LIVENESS_IDLE to LIVENESS_IDLE + 1 s after
 * its last byte, and a stalled one reset within 1 s of the timeout.
 */
void
liveness_configure(struct carrier *car)
{
	if (ev_is_active(&liveness_timer))
		return;
	ev_timer_init(&liveness_timer, liveness_tick_cb, LIVENESS_TICK,
	    LIVENESS_TICK);
	liveness_timer.data = car;
	ev_timer_start(car->c_loop, &liveness_timer);
}

/* Sessions reset by the stall timeout (gooserelayctl stats). */
uint64_t
liveness_stalled_count(void)
{
	return (liveness_stalled);
}
