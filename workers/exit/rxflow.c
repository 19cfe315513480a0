/*
 * Budgets for client bytes queued toward upstreams (the sessions' RX
 * queues).  GooseRelayVPN has no upstream flow control: a client sends
 * as fast as its transport goes, and an upstream that reads slower (or
 * not at all) makes bytes pile up here.  Stopping the reader of a whole
 * /stream for that would stall every other session of the client and
 * the WebSocket's ping/pong with it (the Go client drops a stream whose
 * pong is 5 s late), so:
 *
 *	- per session, over EXIT_RX_SOFT the session's GACKs are held back
 *	  until it drains below EXIT_RX_RESUME: an upstream_ack_v1 client
 *	  (ours) keeps unacknowledged frames and stops at its replay caps,
 *	  which is real per-session flow control; others keep sending;
 *	- a session over EXIT_RX_SESS_MAX, a client over EXIT_RX_CLIENT_MAX
 *	  or the worker over EXIT_RX_GLOBAL_MAX pauses reading that client's
 *	  stream (POST bodies are bounded by their own cap), and the pause
 *	  lasts at most EXIT_RX_STALL_MAX: if the queues have not drained
 *	  back by then, the biggest offenders are reset (GooseRelayVPN
 *	  aborts such a session too, "rx_inbox_timeout", after blocking
 *	  all of the client's traffic for up to 5 s).
 *
 * Everything else keeps flowing meanwhile: the stream is read, routed
 * and answered as usual.
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

static int
rxflow_over(const struct xclient *cl)
{
	return (cl->cl_rx_over > 0 || cl->cl_rxq > EXIT_RX_CLIENT_MAX ||
	    ex->ee_rxq > EXIT_RX_GLOBAL_MAX);
}

/* Back under every cap with room to spare (no pause/resume flapping). */
static int
rxflow_under(const struct xclient *cl)
{
	return (cl->cl_rx_over == 0 &&
	    cl->cl_rxq <= EXIT_RX_CLIENT_MAX / 4 * 3 &&
	    ex->ee_rxq <= EXIT_RX_GLOBAL_MAX / 4 * 3);
}

static void
rxflow_pause(struct xclient *cl, int on)
{
	if (on == cl->cl_rx_paused)
		return;
	cl->cl_rx_paused = on;
	if (on) {
		ex->ee_rx_paused++;
		ex->ee_stats.es_rx_pauses++;
		ev_timer_set(&cl->cl_rxstall, EXIT_RX_STALL_MAX, 0);
		ev_timer_start(ex->ee_loop, &cl->cl_rxstall);
		log_debug("rx budget exceeded (%llu bytes queued): pausing "
		    "the stream", (unsigned long long)cl->cl_rxq);
	} else {
		ex->ee_rx_paused--;
		ev_timer_stop(ex->ee_loop, &cl->cl_rxstall);
	}
	http_rx_flow(cl, !on);
}

static void
rxflow_check(struct xclient *cl)
{
	struct xclient	*o, *tmp;

	if (!cl->cl_rx_paused && rxflow_over(cl))
		rxflow_pause(cl, 1);
	else if (cl->cl_rx_paused && rxflow_under(cl))
		rxflow_pause(cl, 0);
	/* Room freed under the global cap may release other clients. */
	if (ex->ee_rx_paused > 0 && ex->ee_rxq <= EXIT_RX_GLOBAL_MAX / 4 * 3) {
		HASH_ITER(cl_hh, ex->ee_clients, o, tmp) {
			if (o != cl && o->cl_rx_paused && rxflow_under(o))
				rxflow_pause(o, 0);
		}
	}
}

void
rxflow_client_free(struct xclient *cl)
{
	if (cl->cl_rx_paused) {
		cl->cl_rx_paused = 0;
		ex->ee_rx_paused--;
	}
	ev_timer_stop(ex->ee_loop, &cl->cl_rxstall);
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
	if (shrank ? cl->cl_rx_paused || ex->ee_rx_paused > 0 :
	    !cl->cl_rx_paused && rxflow_over(cl))
		rxflow_check(cl);
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
		return (best != NULL && best->x_rxq > 0 ? best : NULL);
	}
	TAILQ_FOREACH(s, &ex->ee_sessions.st_all, s_all_entry) {
		if ((x = s->s_arg) == NULL)
			continue;
		if (best == NULL || x->x_rxq > best->x_rxq)
			best = x;
	}
	return (best != NULL && best->x_rxq > 0 ? best : NULL);
}

/*
 * The pause lasted EXIT_RX_STALL_MAX: reset the biggest queues until the
 * client is back under its caps, then read its stream again.
 */
static void
rxflow_stall_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xclient	*cl = w->data;
	struct xsess	*x;

	while (cl->cl_rx_paused && !rxflow_under(cl) &&
	    (x = rxflow_victim(cl)) != NULL) {
		log_info("session reset: its upstream did not take %zu "
		    "queued bytes within %.0f s", x->x_rxq,
		    EXIT_RX_STALL_MAX);
		ex->ee_stats.es_rx_aborts++;
		upstream_close(x, 1);
	}
	if (cl->cl_rx_paused)
		rxflow_pause(cl, 0);
}
