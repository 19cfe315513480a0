/*
 * Per-client_id state: the ready list of its sessions (first-ready order),
 * its queue of control frames (probe replies, GACKs) and RSTs, the held
 * requests and the stream waiting for its data.  Wake-ups are per client:
 * one client's traffic never wakes another's poll (docs/protocol.md 2.3).
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"
#include "log.h"
#include "udp.h"

static struct xctrl	*client_ctrl_pool;
static size_t		 client_nclients;

static void	client_grace_cb(struct ev_loop *, ev_timer *, int);
static void	client_retry_cb(struct ev_loop *, ev_timer *, int);
static void	client_ack_cb(struct ev_loop *, ev_timer *, int);

struct xclient *
client_get(const uint8_t cid[WIRE_CID_LEN], int create)
{
	struct xclient	*cl;

	HASH_FIND(cl_hh, ex->ee_clients, cid, WIRE_CID_LEN, cl);
	if (cl != NULL || !create)
		return (cl);
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return (NULL);
	memcpy(cl->cl_cid, cid, WIRE_CID_LEN);
	TAILQ_INIT(&cl->cl_ready);
	TAILQ_INIT(&cl->cl_ctrl);
	TAILQ_INIT(&cl->cl_rst);
	LIST_INIT(&cl->cl_waiters);
	TAILQ_INIT(&cl->cl_sessions);
	ev_timer_init(&cl->cl_grace, client_grace_cb, exit_stream_grace(), 0);
	cl->cl_grace.data = cl;
	ev_timer_init(&cl->cl_retry, client_retry_cb, EXIT_REPLAY_RETRY, 0);
	cl->cl_retry.data = cl;
	ev_timer_init(&cl->cl_ackt, client_ack_cb, EXIT_ACK_DELAY, 0);
	cl->cl_ackt.data = cl;
	rxflow_client_init(cl);
	cl->cl_last_seen = exit_now();
	cl->cl_replay = 0;
	HASH_ADD(cl_hh, ex->ee_clients, cl_cid, WIRE_CID_LEN, cl);
	client_nclients++;
	return (cl);
}

/* Upstream GACKs held back (route.c) go now. */
static void
client_ack_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	route_acks(w->data);
}

size_t
client_count(void)
{
	return (client_nclients);
}

void
client_wake(struct xclient *cl)
{
	http_wake_client(cl);
}

/* The session has something to send: keep first-ready order. */
void
client_set_ready(struct xclient *cl, struct sess *s)
{
	struct xsess	*x = s->s_arg;

	if (s->s_flags & SESS_READY)
		return;
	s->s_flags |= SESS_READY;
	if (x != NULL)
		x->x_ready_at = exit_now();	/* queue wait starts */
	TAILQ_INSERT_TAIL(&cl->cl_ready, s, s_ready_entry);
	client_wake(cl);
}

void
client_unready(struct xclient *cl, struct sess *s)
{
	if (!(s->s_flags & SESS_READY))
		return;
	s->s_flags &= ~SESS_READY;
	TAILQ_REMOVE(&cl->cl_ready, s, s_ready_entry);
}

int
client_has_work(struct xclient *cl)
{
	struct sess	*s;

	if (!TAILQ_EMPTY(&cl->cl_ctrl) || !TAILQ_EMPTY(&cl->cl_rst) ||
	    cl->cl_replay_due || udp_client_has_work(cl))
		return (1);
	TAILQ_FOREACH(s, &cl->cl_ready, s_ready_entry) {
		if (!(s->s_flags & SESS_IN_TXN) && sess_tx_drainable(s))
			return (1);
	}
	return (0);
}

/* Control frames come from a free list: no malloc in steady state. */
struct xctrl *
client_ctrl_new(void)
{
	struct xctrl	*c;

	if ((c = client_ctrl_pool) != NULL) {
		client_ctrl_pool = *(struct xctrl **)c;
		memset(c, 0, sizeof(*c));
		return (c);
	}
	return (calloc(1, sizeof(*c)));
}

void
client_ctrl_free(struct xctrl *c)
{
	*(struct xctrl **)c = client_ctrl_pool;
	client_ctrl_pool = c;
}

/* Make room: the oldest RSTs go first, then the oldest control frames. */
static int
client_ctrl_room(struct xclient *cl)
{
	struct xctrl	*c;

	while (cl->cl_nctrl >= EXIT_CTRL_MAX) {
		if ((c = TAILQ_FIRST(&cl->cl_rst)) != NULL)
			TAILQ_REMOVE(&cl->cl_rst, c, xc_entry);
		else if ((c = TAILQ_FIRST(&cl->cl_ctrl)) != NULL)
			TAILQ_REMOVE(&cl->cl_ctrl, c, xc_entry);
		else
			return (-1);
		client_ctrl_free(c);
		cl->cl_nctrl--;
	}
	return (0);
}

void
client_queue_rst(struct xclient *cl, const uint8_t *sid)
{
	struct xctrl	*c;

	if (client_ctrl_room(cl) == -1 || (c = client_ctrl_new()) == NULL)
		return;
	memcpy(c->xc_frame.f_sid, sid, WIRE_SID_LEN);
	c->xc_frame.f_flags = WIRE_F_RST;
	TAILQ_INSERT_TAIL(&cl->cl_rst, c, xc_entry);
	cl->cl_nctrl++;
	ex->ee_stats.es_rst_sent++;
	client_wake(cl);
}

/* A control frame queued without waking anyone.  -1: none queued. */
int
client_ctrl_put(struct xclient *cl, const uint8_t *sid, uint8_t flags,
    const void *payload, size_t len)
{
	struct xctrl	*c;

	if (len > EXIT_CTRL_PAYLOAD)
		return (-1);
	if (client_ctrl_room(cl) == -1 || (c = client_ctrl_new()) == NULL)
		return (-1);
	memcpy(c->xc_frame.f_sid, sid, WIRE_SID_LEN);
	c->xc_frame.f_flags = flags;
	memcpy(c->xc_buf, payload, len);
	c->xc_frame.f_payload = c->xc_buf;
	c->xc_frame.f_len = len;
	TAILQ_INSERT_TAIL(&cl->cl_ctrl, c, xc_entry);
	cl->cl_nctrl++;
	return (0);
}

void
client_queue_ctrl(struct xclient *cl, const uint8_t *sid, uint8_t flags,
    const void *payload, size_t len)
{
	if (client_ctrl_put(cl, sid, flags, payload, len) == 0)
		client_wake(cl);
}

/* Frames of a response that was not delivered go back to the front. */
void
client_requeue(struct xclient *cl, struct xctrlq *q)
{
	struct xctrl	*c;

	while ((c = TAILQ_LAST(q, xctrlq)) != NULL) {
		TAILQ_REMOVE(q, c, xc_entry);
		c->xc_frame.f_payload = c->xc_frame.f_len ? c->xc_buf : NULL;
		if (c->xc_frame.f_flags == WIRE_F_RST && c->xc_frame.f_len == 0)
			TAILQ_INSERT_HEAD(&cl->cl_rst, c, xc_entry);
		else
			TAILQ_INSERT_HEAD(&cl->cl_ctrl, c, xc_entry);
		cl->cl_nctrl++;
	}
	client_wake(cl);
}

static void
client_drop_ctrl(struct xclient *cl)
{
	struct xctrl	*c;

	while ((c = TAILQ_FIRST(&cl->cl_ctrl)) != NULL) {
		TAILQ_REMOVE(&cl->cl_ctrl, c, xc_entry);
		client_ctrl_free(c);
	}
	while ((c = TAILQ_FIRST(&cl->cl_rst)) != NULL) {
		TAILQ_REMOVE(&cl->cl_rst, c, xc_entry);
		client_ctrl_free(c);
	}
	cl->cl_nctrl = 0;
}

void
client_kill_sessions(struct xclient *cl, int send_rst)
{
	struct xsess	*x;

	while ((x = TAILQ_FIRST(&cl->cl_sessions)) != NULL)
		upstream_close(x, send_rst);
	udp_client_close(cl);
}

/*
 * client_run_reset_v1: the instance restarted; sessions of its previous
 * runs (other client_ids under the same instance id) die now instead of
 * after the 10 minute idle timeout.
 */
void
client_run_reset(struct xclient *cl, const char *instance)
{
	struct xclient	*o, *tmp;

	snprintf(cl->cl_instance, sizeof(cl->cl_instance), "%s", instance);
	HASH_ITER(cl_hh, ex->ee_clients, o, tmp) {
		if (o == cl || strcmp(o->cl_instance, instance) != 0)
			continue;
		log_info("run reset: dropping %u session(s) of a previous run",
		    o->cl_nsess);
		client_kill_sessions(o, 0);
		client_drop_ctrl(o);
		o->cl_instance[0] = '\0';
	}
}

void
client_stream_closed(struct xclient *cl, struct xconn *xc)
{
	if (cl->cl_stream != xc)
		return;
	cl->cl_stream = NULL;
	cl->cl_stream_closed = exit_now();
	ev_timer_stop(ex->ee_loop, &cl->cl_grace);
	ev_timer_set(&cl->cl_grace, exit_stream_grace(), 0);
	ev_timer_start(ex->ee_loop, &cl->cl_grace);
}

/*
 * stream_disconnect_grace_s (30 s) after a stream went away the client's
 * sessions die, unless a newer stream registered or the client fell back
 * to POST meanwhile.
 */
static void
client_grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xclient	*cl = w->data;

	if (cl->cl_stream != NULL || cl->cl_last_post > cl->cl_stream_closed)
		return;
	if (cl->cl_nsess > 0)
		log_info("stream grace expired: aborting %u session(s)",
		    cl->cl_nsess);
	client_kill_sessions(cl, 1);
}

/*
 * Frames sent to a replay client wait for its GACK; if none comes within
 * 3 s they go out again.  This timer runs only while such frames exist,
 * so a stream writer (which is not polled) wakes at the retry time.
 */
void
client_arm_retry(struct xclient *cl)
{
	if (!ev_is_active(&cl->cl_retry)) {
		ev_timer_set(&cl->cl_retry, EXIT_REPLAY_RETRY + 0.05, 0);
		ev_timer_start(ex->ee_loop, &cl->cl_retry);
	}
}

/*
 * A resend is due at time at (sess_replay_gack).  Due now, it counts as
 * work (client_has_work) until drain.c sent it: a held POST takes it at
 * once; if none is held (the carrier's POSTs were reset meanwhile), the
 * next one to come in is answered with it instead of being held for the
 * long-poll window.  Later, the retry timer fires by then.
 */
void
client_replay_at(struct xclient *cl, double at)
{
	double	 now = exit_now();

	if (at <= now) {
		cl->cl_replay_due = 1;
		client_wake(cl);
		return;
	}
	if (ev_is_active(&cl->cl_retry) &&
	    ev_timer_remaining(ex->ee_loop, &cl->cl_retry) <= at - now)
		return;
	ev_timer_stop(ex->ee_loop, &cl->cl_retry);
	ev_timer_set(&cl->cl_retry, at - now + 0.01, 0);
	ev_timer_start(ex->ee_loop, &cl->cl_retry);
}

/*
 * Wake for the sessions whose resend is due and sleep until the next one
 * is (never more than the retry time: a session in a txn now is due
 * EXIT_REPLAY_RETRY after that txn's commit at the latest).
 */
static void
client_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xclient	*cl = w->data;
	struct xsess	*x;
	double		 now = exit_now(), at, wait = EXIT_REPLAY_RETRY;
	int		 pending = 0, due = 0;

	TAILQ_FOREACH(x, &cl->cl_sessions, x_cl_entry) {
		if (sess_replay_frames(x->x_s) == 0)
			continue;
		pending = 1;
		if (sess_replay_due(x->x_s, now, EXIT_REPLAY_RETRY))
			due = 1;
		else if ((at = sess_replay_due_at(x->x_s,
		    EXIT_REPLAY_RETRY)) > 0 && at - now < wait)
			wait = at > now ? at - now : 0;
	}
	if (due) {
		cl->cl_replay_due = 1;
		client_wake(cl);
	}
	if (pending) {
		ev_timer_stop(loop, w);
		ev_timer_set(&cl->cl_retry, wait + 0.01, 0);
		ev_timer_start(loop, &cl->cl_retry);
	}
}

/*
 * Account a session's replay store into its client's and the global
 * totals (docs/protocol.md 3: 64 MiB / 9216 frames per client, 256 MiB /
 * 36864 frames in all; the per-session caps live in the engine).
 * gone: the session is going away.  Returns 1 if a cap is exceeded.
 */
int
client_replay_sync(struct xclient *cl, struct xsess *x, int gone)
{
	uint64_t	 b = gone ? 0 : sess_replay_bytes(x->x_s);
	uint32_t	 f = gone ? 0 : sess_replay_frames(x->x_s);

	cl->cl_rp_bytes += b - x->x_rp_bytes;
	cl->cl_rp_frames += f - x->x_rp_frames;
	ex->ee_rp_bytes += b - x->x_rp_bytes;
	ex->ee_rp_frames += f - x->x_rp_frames;
	x->x_rp_bytes = b;
	x->x_rp_frames = f;
	return (cl->cl_rp_bytes > EXIT_RP_CLIENT_BYTES ||
	    cl->cl_rp_frames > EXIT_RP_CLIENT_FRAMES ||
	    ex->ee_rp_bytes > EXIT_RP_GLOBAL_BYTES ||
	    ex->ee_rp_frames > EXIT_RP_GLOBAL_FRAMES);
}

static void
client_free(struct xclient *cl)
{
	ev_timer_stop(ex->ee_loop, &cl->cl_retry);
	ev_timer_stop(ex->ee_loop, &cl->cl_grace);
	ev_timer_stop(ex->ee_loop, &cl->cl_ackt);
	client_drop_ctrl(cl);
	rxflow_client_free(cl);
	udp_client_free(cl);
	HASH_DELETE(cl_hh, ex->ee_clients, cl);
	client_nclients--;
	free(cl);
}

/* Forget clients with no sessions, no stream and no POST for 2 min. */
void
client_gc(double now)
{
	struct xclient	*cl, *tmp;

	HASH_ITER(cl_hh, ex->ee_clients, cl, tmp) {
		if (cl->cl_nsess == 0 && cl->cl_stream == NULL &&
		    cl->cl_refs == 0 && LIST_EMPTY(&cl->cl_waiters) &&
		    now - cl->cl_last_seen > EXIT_CLIENT_PRUNE)
			client_free(cl);
	}
}
