/*
 * Drain scheduler: what goes into one response for one client
 * (docs/protocol.md 2.3, server drainAll).  Order: control frames (probe
 * replies, GACKs), then RSTs, then replay resends that are due, then
 * sessions awaiting their first response (each capped at the initial
 * cap) - if any, stop there - then sessions at their second response
 * (second cap) - stop there if any - then everything else: small
 * sessions (an interactive exchange, at most DRAIN_SMALL queued) whole,
 * then the bulk ones round robin, each with a quantum of the response's
 * budget and moved to the tail of the ready list once served, so the
 * next response starts with the next one (deficit round robin across
 * responses).  Per session at most dl_per_sess frames; per response at
 * most 48 frames (144 when the client has >= 24 sessions) and
 * dl_max_bytes payload bytes.  A partly drained session stays on the
 * ready list.
 *
 * On /stream the budget is a few milliseconds of the path (wsraw.c), so
 * responses are small on a slow link and the order above decides what a
 * new session waits behind: nothing but the message on the wire and a
 * few ms of kernel queue.
 *
 * Sessions are drained inside a transaction (session.h): the response is
 * committed once written and rolled back (same bytes, same seq numbers)
 * if the connection failed before that.
 */
#include "gr_config.h"

#include <stdlib.h>
#include <string.h>

#include "exit.h"
#include "udp.h"

static struct xresp	*drain_pool;
static size_t		 drain_npool;

#define DRAIN_POOL_KEEP		4
#define DRAIN_BUF_KEEP		(12U * 1024 * 1024)
#define DRAIN_SMALL		(16U * 1024)	/* interactive: goes whole */
#define DRAIN_QUANTUM		(16U * 1024)	/* least bulk share */

void
drain_limits(struct xclient *cl, struct drain_limits *dl, int post)
{
	const struct exit_conf	*ec = &ex->ee_conf;

	memset(dl, 0, sizeof(*dl));
	dl->dl_max_frames = cl->cl_nsess >= EXIT_BUSY_SESSIONS ?
	    EXIT_FRAMES_BUSY : EXIT_FRAMES_NORMAL;
	dl->dl_max_bytes = ec->ec_max_response_bytes;
	dl->dl_per_sess = ec->ec_max_drain_frames_per_session;
	if (dl->dl_per_sess == 0)
		dl->dl_per_sess = 8;
	if (ec->ec_initial_cap_enabled)
		dl->dl_first_cap = ec->ec_initial_response_bytes;
	if (ec->ec_second_cap_enabled)
		dl->dl_second_cap = ec->ec_second_response_bytes;
	dl->dl_replay_first = cl->cl_replay || cl->cl_upack;
	dl->dl_small_alone = !post;
}

static size_t
drain_min(size_t a, size_t b)
{
	return (a < b ? a : b);
}

/* Move control frames of one queue into the response. */
static void
drain_ctrlq(struct xclient *cl, struct xctrlq *q, struct xresp *r,
    size_t maxframes, size_t *budget)
{
	struct xctrl	*c;

	while (r->r_nframes < maxframes && (c = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, c, xc_entry);
		cl->cl_nctrl--;
		TAILQ_INSERT_TAIL(&r->r_ctrl, c, xc_entry);
		r->r_frames[r->r_nframes++] = c->xc_frame;
		*budget -= drain_min(*budget, c->xc_frame.f_len);
		r->r_urgent = 1;
	}
}

/*
 * One pass over the ready list.  stage: 0 first responses only, 1 second
 * responses only, 2 small sessions only, -1 everyone.  Returns the number
 * of frames drained.
 */
static size_t
drain_pass(struct xclient *cl, struct xresp *r, const struct drain_limits *dl,
    int stage, size_t cap, size_t *budget, double now)
{
	struct sess	*s, *next;
	size_t		 got = 0, before, room;
	int		 k, first;

	for (s = TAILQ_FIRST(&cl->cl_ready); s != NULL; s = next) {
		next = TAILQ_NEXT(s, s_ready_entry);
		if (r->r_nframes >= dl->dl_max_frames || *budget == 0)
			break;
		if (s->s_flags & SESS_IN_TXN)
			continue;
		if (!sess_tx_drainable(s)) {
			client_unready(cl, s);
			continue;
		}
		if (stage == 0 && s->s_drains != 0)
			continue;
		if (stage == 1 && s->s_drains != 1)
			continue;
		if (stage == 2 && sess_tx_pending(s) > DRAIN_SMALL)
			continue;
		room = drain_min(dl->dl_per_sess,
		    dl->dl_max_frames - r->r_nframes);
		before = r->r_txn.t_bytes;
		first = s->s_drains == 0;
		k = sess_drain(s, &r->r_txn, r->r_frames + r->r_nframes, room,
		    cap ? drain_min(cap, *budget) : *budget, now);
		if (k < 0)
			break;			/* txn full */
		if (k == 0)
			continue;
		r->r_first |= first;
		r->r_nframes += k;
		got += k;
		*budget -= drain_min(*budget, r->r_txn.t_bytes - before);
		if (s->s_arg != NULL)
			((struct xsess *)s->s_arg)->x_last_act = now;
		if (!sess_tx_drainable(s))
			client_unready(cl, s);
	}
	return (got);
}

/*
 * Bulk sessions round robin: each at most a quantum (an equal share of
 * what is left of the budget, not under DRAIN_QUANTUM), then to the tail
 * of the ready list.  Each session is visited once per response.
 */
static void
drain_round_robin(struct xclient *cl, struct xresp *r,
    const struct drain_limits *dl, size_t *budget, double now)
{
	struct sess	*s;
	size_t		 n = 0, i, room, before, quantum;
	int		 k, first;

	TAILQ_FOREACH(s, &cl->cl_ready, s_ready_entry)
		n++;
	if (n == 0)
		return;
	quantum = *budget / n;
	if (quantum < DRAIN_QUANTUM)
		quantum = DRAIN_QUANTUM;
	for (i = 0; i < n; i++) {
		if (r->r_nframes >= dl->dl_max_frames || *budget == 0 ||
		    (s = TAILQ_FIRST(&cl->cl_ready)) == NULL)
			break;
		TAILQ_REMOVE(&cl->cl_ready, s, s_ready_entry);
		TAILQ_INSERT_TAIL(&cl->cl_ready, s, s_ready_entry);
		if (s->s_flags & SESS_IN_TXN)
			continue;
		if (!sess_tx_drainable(s)) {
			client_unready(cl, s);
			continue;
		}
		room = drain_min(dl->dl_per_sess,
		    dl->dl_max_frames - r->r_nframes);
		before = r->r_txn.t_bytes;
		first = s->s_drains == 0;
		k = sess_drain(s, &r->r_txn, r->r_frames + r->r_nframes, room,
		    drain_min(quantum, *budget), now);
		if (k < 0)
			break;			/* txn full */
		if (k == 0)
			continue;
		r->r_first |= first;
		r->r_nframes += k;
		*budget -= drain_min(*budget, r->r_txn.t_bytes - before);
		if (s->s_arg != NULL)
			((struct xsess *)s->s_arg)->x_last_act = now;
		if (!sess_tx_drainable(s))
			client_unready(cl, s);
	}
}

/* Replay resends that are due (downstream_replay_v1, upstream_ack_v1). */
static void
drain_replay(struct xclient *cl, struct xresp *r,
    const struct drain_limits *dl, size_t *budget, double now)
{
	struct xsess	*x;
	struct sess	*s;
	size_t		 room, i, bytes;
	int		 k;

	cl->cl_replay_due = 0;
	TAILQ_FOREACH(x, &cl->cl_sessions, x_cl_entry) {
		s = x->x_s;
		if ((s->s_flags & SESS_IN_TXN) ||
		    !sess_replay_due(s, now, EXIT_REPLAY_RETRY))
			continue;
		if (r->r_nframes >= dl->dl_max_frames || *budget == 0) {
			cl->cl_replay_due = 1;	/* the next response */
			break;
		}
		room = drain_min(EXIT_FRAMES_BUSY,
		    dl->dl_max_frames - r->r_nframes);
		k = sess_replay_drain(s, r->r_frames + r->r_nframes, room,
		    *budget, now);
		if (k <= 0)
			continue;
		bytes = 0;
		for (i = 0; i < (size_t)k; i++)
			bytes += wire_frame_paylen(&r->r_frames[r->r_nframes +
			    i]);
		r->r_nframes += k;
		*budget -= drain_min(*budget, bytes);
		ex->ee_stats.es_replay_resend += k;
		r->r_urgent = 1;
	}
}

/*
 * Fill r with what is drainable for cl now.  Returns the number of
 * frames (0: nothing to send; the caller keeps waiting or sends an empty
 * batch at its deadline).
 */
size_t
drain_collect(struct xclient *cl, struct xresp *r,
    const struct drain_limits *dl, double now)
{
	size_t	 budget = dl->dl_max_bytes;

	r->r_nframes = 0;
	r->r_urgent = 0;
	r->r_first = 0;
	sess_txn_init(&r->r_txn);
	route_acks_flush(cl);		/* GACKs owed ride on this one */

	drain_ctrlq(cl, &cl->cl_ctrl, r, dl->dl_max_frames, &budget);
	drain_ctrlq(cl, &cl->cl_rst, r, dl->dl_max_frames, &budget);
	udp_drain(cl, r, dl->dl_max_frames, &budget);
	if (dl->dl_replay_first)
		drain_replay(cl, r, dl, &budget, now);

	if (dl->dl_first_cap &&
	    drain_pass(cl, r, dl, 0, dl->dl_first_cap, &budget, now) > 0) {
		r->r_urgent = 1;
		return (r->r_nframes);
	}
	if (dl->dl_second_cap &&
	    drain_pass(cl, r, dl, 1, dl->dl_second_cap, &budget, now) > 0) {
		r->r_urgent = 1;
		return (r->r_nframes);
	}
	/*
	 * On the stream small exchanges go in a message of their own: the
	 * carrier decodes a message once all of it is in, so bulk in the
	 * same one would hold them back by its size (a POST is an exchange
	 * of its own, where a response without bulk costs a round trip).
	 */
	if ((drain_pass(cl, r, dl, 2, 0, &budget, now) > 0 &&
	    dl->dl_small_alone) || dl->dl_urgent_only)
		return (r->r_nframes);
	drain_round_robin(cl, r, dl, &budget, now);
	return (r->r_nframes);
}

/* After settling, sessions with more to send go back on the ready list. */
static void
drain_requeue_sessions(struct xclient *cl, struct xresp *r, int commit,
    double now)
{
	struct sess	*held[SESS_TXN_MAX];
	struct sess	*s;
	struct xsess	*x;
	size_t		 i, n = r->r_txn.t_nent;

	for (i = 0; i < n; i++) {
		held[i] = r->r_txn.t_ent[i].te_sess;
		sess_ref(held[i]);
	}
	if (commit)
		sess_txn_commit(&r->r_txn, now);
	else
		sess_txn_rollback(&r->r_txn);
	for (i = 0; i < n; i++) {
		s = held[i];
		if (commit && (x = s->s_arg) != NULL) {
			/*
			 * Queue wait (auto_tune, stats): from becoming
			 * drainable to the batch carrying it being written.
			 * What stays queued waits from now on.
			 */
			if (now > x->x_ready_at)
				estats_queue_wait((uint64_t)((now -
				    x->x_ready_at) * 1e6));
			else
				estats_queue_wait(0);
			x->x_ready_at = now;
		}
		if (commit && s->s_arg != NULL &&
		    client_replay_sync(cl, s->s_arg, 0)) {
			/* Over a replay cap: this session is aborted. */
			upstream_close(s->s_arg, 1);
		}
		if (s->s_arg != NULL && !(s->s_flags & SESS_ABORTED) &&
		    sess_tx_drainable(s))
			client_set_ready(cl, s);
		/* A resend that came due while the txn held it goes now. */
		if (commit && s->s_arg != NULL &&
		    sess_replay_due(s, now, EXIT_REPLAY_RETRY))
			cl->cl_replay_due = 1;
		if (commit && s->s_arg != NULL)
			(void)upstream_reap(s->s_arg);
		sess_unref(s);
	}
	sess_txn_init(&r->r_txn);
}

/*
 * A GACK reached an upstream_ack_v1 client: if it covers the session's
 * FIN, the client will never send that session's frames again.
 */
static void
drain_gack_delivered(const struct xctrl *c)
{
	struct sess	*s;
	struct xsess	*x;
	uint64_t	 next;
	const char	*errstr;

	if (c->xc_frame.f_flags != WIRE_F_ACK || wire_gack_decode(
	    c->xc_frame.f_payload, c->xc_frame.f_len, &next, &errstr) == -1)
		return;
	if ((s = sess_table_find(&ex->ee_sessions, c->xc_frame.f_sid)) ==
	    NULL || (x = s->s_arg) == NULL)
		return;
	if ((s->s_flags & SESS_RX_FIN) && next >= sess_rx_next(s)) {
		x->x_fin_acked = 1;
		(void)upstream_reap(x);
	}
}

void
drain_commit(struct xclient *cl, struct xresp *r, double now)
{
	struct xctrl	*c;

	udp_resp_done(cl, r, 1);
	while ((c = TAILQ_FIRST(&r->r_ctrl)) != NULL) {
		TAILQ_REMOVE(&r->r_ctrl, c, xc_entry);
		if (cl->cl_upack)
			drain_gack_delivered(c);
		client_ctrl_free(c);
	}
	drain_requeue_sessions(cl, r, 1, now);
	if ((cl->cl_replay || cl->cl_upack) && r->r_nframes > 0)
		client_arm_retry(cl);
	ex->ee_stats.es_frames_down += r->r_nframes;
	r->r_nframes = 0;
}

void
drain_rollback(struct xclient *cl, struct xresp *r)
{
	drain_requeue_sessions(cl, r, 0, 0);
	udp_resp_done(cl, r, 0);
	client_requeue(cl, &r->r_ctrl);
	r->r_nframes = 0;
}

struct xresp *
drain_resp_get(void)
{
	struct xresp	*r;

	if ((r = drain_pool) != NULL) {
		drain_pool = r->r_next;
		drain_npool--;
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->r_next = NULL;
	r->r_nframes = 0;
	TAILQ_INIT(&r->r_ctrl);
	sess_txn_init(&r->r_txn);
	wbuf_reset(&r->r_out);
	wbuf_reset(&r->r_scratch);
	return (r);
}

/* Settled responses go back to a small pool; big buffers are released. */
void
drain_resp_put(struct xresp *r)
{
	if (r == NULL)
		return;
	if (drain_npool >= DRAIN_POOL_KEEP) {
		wbuf_free(&r->r_out);
		wbuf_free(&r->r_scratch);
		free(r);
		return;
	}
	if (r->r_out.wb_cap > DRAIN_BUF_KEEP)
		wbuf_free(&r->r_out);
	if (r->r_scratch.wb_cap > DRAIN_BUF_KEEP)
		wbuf_free(&r->r_scratch);
	r->r_next = drain_pool;
	drain_pool = r;
	drain_npool++;
}
