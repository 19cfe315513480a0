/*
 * Budgets for client bytes queued toward upstreams (the sessions' RX
 * queues).  GooseRelayVPN has no upstream flow control: a client sends
 * as fast as its transport goes, and an upstream that reads slower (or
 * not at all) makes bytes pile up here.  Stopping the reader of a whole
 * /stream for that would stall every other session of the client and
 * the WebSocket's ping/pong with it (the Go client drops a stream whose
 * pong is 5 s late; GooseRelayVPN's own server blocks its stream reader
 * up to 5 s per frame in that case), so the stream is always read and:
 *
 *	- per session, over EXIT_RX_SOFT the session's GACKs are held back
 *	  until it drains below EXIT_RX_RESUME: an upstream_ack_v1 client
 *	  (ours) keeps unacknowledged frames and stops at its replay caps,
 *	  which is real per-session flow control; others keep sending;
 *	- a session over EXIT_RX_SESS_MAX, a client over EXIT_RX_CLIENT_MAX
 *	  or the worker over EXIT_RX_GLOBAL_MAX gives the client
 *	  EXIT_RX_STALL_MAX to drain back under 3/4 of the caps; then the
 *	  biggest queues are reset, like GooseRelayVPN's "rx_inbox_timeout"
 *	  abort, but without blocking anyone else meanwhile;
 *	- past 1.5 times a cap they are reset at once (from the next loop
 *	  iteration, never under a caller's feet), which bounds memory
 *	  however fast a client sends (a session's own backstop is the
 *	  engine's sc_rx_max, exit.c).
 *
 * Pausing the stream (lws_rx_flow_control) was tried and rejected: lws
 * 4.1 on our libev loop stopped answering pings after a resume.
 */
#include "gr_config.h"

#include "exit.h"
#include "log.h"

static void	rxflow_stall_cb(struct ev_loop *, ev_timer *, int);

void
rxflow_client_init(struct xclient *cl)
{
	ev_timer_init(&cl->cl_rxstall, rxflow_stall_cb, EXIT_RX_STALL_MAX, 0);
	cl->cl_rxstall.data = cl;
}

void
rxflow_client_free(struct xclient *cl)
{
	if (cl->cl_rx_late) {
		cl->cl_rx_late = 0;
		ex->ee_rx_late--;
	}
	ev_timer_stop(ex->ee_loop, &cl->cl_rxstall);
}

static int
rxflow_over(const struct xclient *cl)
{
	return (cl->cl_rx_over > 0 || cl->cl_rxq > EXIT_RX_CLIENT_MAX ||
	    ex->ee_rxq > EXIT_RX_GLOBAL_MAX);
}

/* Far over: no grace. */
static int
rxflow_far_over(const struct xclient *cl)
{
	return (cl->cl_rxq > EXIT_RX_CLIENT_MAX / 2 * 3 ||
	    ex->ee_rxq > EXIT_RX_GLOBAL_MAX / 2 * 3);
}

/* Back under every cap with room to spare (no flapping). */
static int
rxflow_under(const struct xclient *cl)
{
	return (cl->cl_rx_over == 0 &&
	    cl->cl_rxq <= EXIT_RX_CLIENT_MAX / 4 * 3 &&
	    ex->ee_rxq <= EXIT_RX_GLOBAL_MAX / 4 * 3);
}

static void
rxflow_late(struct xclient *cl, int on)
{
	if (on == cl->cl_rx_late)
		return;
	cl->cl_rx_late = on;
	if (on) {
		ex->ee_rx_late++;
		ex->ee_stats.es_rx_over++;
		ev_timer_set(&cl->cl_rxstall, EXIT_RX_STALL_MAX, 0);
		ev_timer_start(ex->ee_loop, &cl->cl_rxstall);
		log_debug("%llu bytes queued toward slow upstreams: %.0f s "
		    "to drain", (unsigned long long)cl->cl_rxq,
		    EXIT_RX_STALL_MAX);
	} else {
		ex->ee_rx_late--;
		ev_timer_stop(ex->ee_loop, &cl->cl_rxstall);
	}
}

/* The session with the most bytes queued: of cl, or of anyone. */
static struct xsess *
rxflow_victim(struct xclient *cl)
{
	struct xsess	*x, *best = NULL;
	struct sess	*s;

	if (cl->cl_rx_over > 0 || cl->cl_rxq > EXIT_RX_CLIENT_MAX / 4 * 3) {
		TAILQ_FOREACH(x, &cl->cl_sessions, x_cl_entry)
			if (best == NULL || x->x_rxq > best->x_rxq)
				best = x;
	} else {
		TAILQ_FOREACH(s, &ex->ee_sessions.st_all, s_all_entry) {
			if ((x = s->s_arg) == NULL)
				continue;
			if (best == NULL || x->x_rxq > best->x_rxq)
				best = x;
		}
	}
	return (best != NULL && best->x_rxq > 0 ? best : NULL);
}

/* Reset the biggest queues until cl is back under its caps. */
static void
rxflow_shed(struct xclient *cl, const char *why)
{
	struct xsess	*x;

	while (!rxflow_under(cl) && (x = rxflow_victim(cl)) != NULL) {
		log_info("session reset: its upstream did not take %zu "
		    "queued bytes %s", x->x_rxq, why);
		ex->ee_stats.es_rx_aborts++;
		upstream_close(x, 1);
	}
	rxflow_late(cl, 0);
}

static void
rxflow_check(struct xclient *cl)
{
	struct xclient	*o, *tmp;

	if (rxflow_far_over(cl)) {
		/* Shed at once, but not under the caller's feet. */
		rxflow_late(cl, 1);
		ev_timer_stop(ex->ee_loop, &cl->cl_rxstall);
		ev_timer_set(&cl->cl_rxstall, 0, 0);
		ev_timer_start(ex->ee_loop, &cl->cl_rxstall);
		return;
	}
	if (!cl->cl_rx_late && rxflow_over(cl))
		rxflow_late(cl, 1);
	else if (cl->cl_rx_late && rxflow_under(cl))
		rxflow_late(cl, 0);
	/* Room freed under the global cap may settle other clients. */
	if (ex->ee_rx_late > 0 && ex->ee_rxq <= EXIT_RX_GLOBAL_MAX / 4 * 3) {
		HASH_ITER(cl_hh, ex->ee_clients, o, tmp) {
			if (o != cl && o->cl_rx_late && rxflow_under(o))
				rxflow_late(o, 0);
		}
	}
}

/*
 * Account a session's RX queue after it changed (a frame routed, bytes
 * written upstream) or before it goes away (gone).
 */
void
rxflow_sync(struct xsess *x, int gone)
{
	struct xclient	*cl = x->x_cl;
	size_t		 q = gone ? 0 : sess_rx_queued(x->x_s);
	int		 shrank = q < x->x_rxq;

	cl->cl_rxq += q - x->x_rxq;
	ex->ee_rxq += q - x->x_rxq;
	x->x_rxq = q;

	if (!x->x_rxsoft && !gone && q > EXIT_RX_SOFT)
		x->x_rxsoft = 1;
	else if (x->x_rxsoft && (gone || q < EXIT_RX_RESUME)) {
		x->x_rxsoft = 0;
		/* The GACKs held back go out now. */
		if (!gone && x->x_ackdue)
			route_acks(cl);
	}
	if (!x->x_rxover && !gone && q > EXIT_RX_SESS_MAX) {
		x->x_rxover = 1;
		cl->cl_rx_over++;
	} else if (x->x_rxover && (gone || q <= EXIT_RX_SESS_MAX / 4 * 3)) {
		x->x_rxover = 0;
		cl->cl_rx_over--;
	}
	if (gone)
		return;			/* the caller is closing x */
	if (shrank ? cl->cl_rx_late || ex->ee_rx_late > 0 :
	    (!cl->cl_rx_late && rxflow_over(cl)) || rxflow_far_over(cl))
		rxflow_check(cl);
}

/* The grace ran out: reset the biggest queues. */
static void
rxflow_stall_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xclient	*cl = w->data;

	if (!rxflow_under(cl))
		rxflow_shed(cl, "in time");
	else
		rxflow_late(cl, 0);
}
