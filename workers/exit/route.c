/*
 * Routing of one authenticated client batch (docs/protocol.md 2.2 step 6 and
 * section 3): version probes and GACKs are handled here, RSTs close
 * upstreams, SYNs open sessions (dials run in parallel and never hold the
 * response), other frames go to their session's receive side, where they
 * wait while the session is still dialing.  A frame for another client's
 * session is answered with an RST to the sender and never delivered.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include "exit.h"
#include "log.h"
#include "udp.h"

/*
 * rx_window_v1 (ours): the client's first window for each new session;
 * GWIN frames move it on (route_gwin).  Without it sessions have none,
 * as with every GooseRelayVPN client.
 */
static void
route_rx_window(struct xclient *cl, uint32_t w)
{
	if (w == 0)
		return;
	if (w < EXIT_RXWIN_MIN)
		w = EXIT_RXWIN_MIN;
	if (w > EXIT_RXWIN_MAX)
		w = EXIT_RXWIN_MAX;
	cl->cl_rxwin = w;
}

/*
 * A session's window moved on.  A GWIN for a session we do not have is
 * dropped: it may have overtaken the SYN on another POST, and the client
 * learns about lost sessions from GACKs and data frames.
 */
static void
route_gwin(struct sess *s, uint64_t limit)
{
	if (s != NULL)
		sess_tx_set_limit(s, limit);
}

static void
route_probe(struct xclient *cl, const struct wire_frame *f)
{
	struct wire_probe	 p;
	struct wire_probe_reply	 pr;
	struct wbuf		 out = { NULL, 0, 0 };
	const char		*errstr;

	ex->ee_stats.es_probes++;
	memset(&p, 0, sizeof(p));
	if (wire_probe_decode(f->f_payload, f->f_len, &p, &errstr) == -1)
		log_debug("probe: %s (answering anyway)", errstr);

	if (ex->ee_conf.ec_replay_enabled)
		cl->cl_replay = 1;
#ifdef WIRE_FEAT_UPSTREAM_ACK
	if (p.p_upstream_ack)
		cl->cl_upack = 1;
#endif
	route_rx_window(cl, p.p_rx_window);
	if (p.p_reset_previous && p.p_instance_id[0] != '\0')
		client_run_reset(cl, p.p_instance_id);
	else if (p.p_instance_id[0] != '\0')
		snprintf(cl->cl_instance, sizeof(cl->cl_instance), "%s",
		    p.p_instance_id);

	memset(&pr, 0, sizeof(pr));
	pr.pr_ok = 1;
	pr.pr_protocol = WIRE_PROTOCOL_VERSION;
	snprintf(pr.pr_server_version, sizeof(pr.pr_server_version), "%s",
	    PACKAGE_VERSION);
	pr.pr_max_frame_payload = WIRE_MAX_PAYLOAD;
	pr.pr_features = WIRE_FEAT_ZSTD | WIRE_FEAT_RAW_B64 |
	    WIRE_FEAT_BINARY | WIRE_FEAT_RUN_RESET | WIRE_FEAT_SESS_CHECK |
	    WIRE_FEAT_RX_WINDOW;
	if (ex->ee_conf.ec_replay_enabled)
		pr.pr_features |= WIRE_FEAT_REPLAY;
	if (udp_offered())
		pr.pr_features |= WIRE_FEAT_UDP;
#ifdef WIRE_FEAT_UPSTREAM_ACK
	if (cl->cl_upack)
		pr.pr_features |= WIRE_FEAT_UPSTREAM_ACK;
#endif
	if (wire_probe_reply_encode(&pr, &out) == 0)
		client_queue_ctrl(cl, f->f_sid, WIRE_F_RST, out.wb_data,
		    out.wb_len);
	wbuf_free(&out);
}

/*
 * An ACK frame: a version probe or a downstream GACK; others ignored.  A
 * GACK for a session this exit does not have (it restarted and lost it,
 * or closed it) is answered with an RST, as a data frame is: the client
 * would otherwise wait for the rest of a download forever (issue 18).
 * GooseRelayVPN v1.5 answers any ACK for an unknown session so; newer Go
 * servers ignore a GACK there, and their clients drop an RST for a
 * session they no longer have, so the RST is safe with Go clients.
 */
static void
route_ack(struct xclient *cl, struct sess *s, const struct wire_frame *f,
    double now)
{
	uint64_t	 next;
	const char	*errstr;
	double		 at;

	/* wire_compat v1.5: no ACK handling, an unknown session gets RST. */
	if (ex->ee_conf.ec_wire_compat == WIRE_COMPAT_V15) {
		if (s == NULL)
			client_queue_rst(cl, f->f_sid);
		return;
	}
	if (wire_probe_is(f->f_payload, f->f_len)) {
		route_probe(cl, f);
		return;
	}
	if (wire_gwin_decode(f->f_payload, f->f_len, &next, &errstr) == 0) {
		route_gwin(s, next);
		return;
	}
	if (wire_gack_decode(f->f_payload, f->f_len, &next, &errstr) == -1)
		return;
	if (ex->ee_conf.ec_replay_enabled && !cl->cl_replay)
		cl->cl_replay = 1;
	if (s == NULL) {
		log_debug("GACK for an unknown session: RST");
		client_queue_rst(cl, f->f_sid);
		return;
	}
	/* A loss it reveals is repaired now, not by the 3 s timer. */
	if ((at = sess_replay_gack(s, next, now, EXIT_REPLAY_FAST)) > 0)
		client_replay_at(cl, at);
	(void)client_replay_sync(cl, s->s_arg, 0);
	/* Pruning may have made room under the replay caps. */
	if (sess_tx_drainable(s))
		client_set_ready(cl, s);
	/* ... or finished the session. */
	(void)upstream_reap(s->s_arg);
}

/*
 * GACKs for upstream data that arrived (upstream_ack_v1 clients), except
 * for sessions whose upstream lags (rxflow.c): theirs wait, so the client
 * stops sending them at its replay caps.  wake: tell the client's
 * connections (0: a response is being built and takes them).
 */
static void
route_acks_queue(struct xclient *cl, int wake)
{
	struct xsess	*x;
	uint64_t	 next;
	uint8_t		 gack[WIRE_GACK_LEN];
	int		 any = 0;

	TAILQ_FOREACH(x, &cl->cl_sessions, x_cl_entry) {
		if (!x->x_ackdue || x->x_rxsoft)
			continue;
		x->x_ackdue = 0;
		if (sess_ack_due(x->x_s, &next)) {
			wire_gack_encode(gack, next);
			if (client_ctrl_put(cl, x->x_s->s_id, WIRE_F_ACK,
			    gack, sizeof(gack)) == 0)
				any = 1;
		}
	}
	cl->cl_ackdirty = 0;
	cl->cl_ack_bytes = 0;
	cl->cl_ack_frames = 0;
	ev_timer_stop(ex->ee_loop, &cl->cl_ackt);
	if (any && wake)
		client_wake(cl);
}

void
route_acks(struct xclient *cl)
{
	route_acks_queue(cl, 1);
}

/* A response is being built for cl: the GACKs owed ride on it. */
void
route_acks_flush(struct xclient *cl)
{
	if (cl->cl_ackdirty)
		route_acks_queue(cl, 0);
}

/*
 * After a batch: on a stream, GACKs do not make a message of their own
 * (an echo then costs one message each way, not two): they ride on the
 * next one with data, or go after EXIT_ACK_DELAY, or at once past
 * EXIT_ACK_BYTES or EXIT_ACK_FRAMES or for a FIN, far inside the
 * carrier's replay caps and timers.  Over POST they go at once, as
 * before: a held POST is answered for them.
 */
static void
route_acks_later(struct xclient *cl)
{
	if (!cl->cl_ackdirty)
		return;
	if (cl->cl_stream == NULL || cl->cl_ack_bytes >= EXIT_ACK_BYTES ||
	    cl->cl_ack_frames >= EXIT_ACK_FRAMES) {
		route_acks(cl);
		return;
	}
	if (!ev_is_active(&cl->cl_ackt)) {
		ev_timer_set(&cl->cl_ackt, EXIT_ACK_DELAY, 0);
		ev_timer_start(ex->ee_loop, &cl->cl_ackt);
	}
}

void
route_batch(struct xclient *cl, const struct wire_batch *b, int *had_frames)
{
	const struct wire_frame	*f;
	struct sess		*s;
	struct xsess		*x;
	enum sess_abort_reason	 why;
	double			 now = exit_now();
	size_t			 i;

	*had_frames = b->b_nframes > 0;
	ex->ee_stats.es_frames_up += b->b_nframes;
	cl->cl_last_seen = now;
	for (i = 0; i < b->b_nframes; i++) {
		f = &b->b_frames[i];
		s = sess_table_find(&ex->ee_sessions, f->f_sid);
		if (s != NULL && memcmp(s->s_cid, cl->cl_cid,
		    WIRE_CID_LEN) != 0) {
			log_debug("cross-client frame for a session: RST");
			client_queue_rst(cl, f->f_sid);
			continue;
		}
		if (f->f_flags == WIRE_F_ACK &&
		    wire_udp_is(f->f_payload, f->f_len)) {
			udp_route(cl, f);	/* a datagram (udp_v1) */
			continue;
		}
		if (f->f_flags & WIRE_F_ACK) {
			route_ack(cl, s, f, now);
			continue;
		}
		if (f->f_flags & WIRE_F_RST) {
			ex->ee_stats.es_rst_recv++;
			if (s != NULL)
				upstream_close(s->s_arg, 0);
			else
				udp_route_rst(cl, f->f_sid);
			continue;
		}
		if (cl->cl_upack) {
			cl->cl_ack_bytes += wire_frame_paylen(f);
			cl->cl_ack_frames++;
			/* A FIN's GACK frees the carrier's session: at once. */
			if (f->f_flags & WIRE_F_FIN)
				cl->cl_ack_frames = EXIT_ACK_FRAMES;
		}
		if (s == NULL) {
			if (f->f_flags & WIRE_F_SYN)
				(void)upstream_open(cl, f);
			else
				client_queue_rst(cl, f->f_sid);
			continue;
		}
		x = s->s_arg;
		x->x_last_act = now;
		/*
		 * Delivery may write to the upstream at once, and a write
		 * error closes the session under us: hold a reference.
		 */
		sess_ref(s);
		if (sess_rx_frame(s, f, now, &why) == -1) {
			log_debug("session aborted: %s", sess_abort_str(why));
			if (s->s_arg != NULL)
				upstream_close(x, 1);
			sess_unref(s);
			continue;
		}
		if (s->s_arg == NULL) {
			sess_unref(s);
			continue;
		}
		sess_unref(s);
		rxflow_sync(x, 0);
		ex->ee_stats.es_bytes_up += wire_frame_paylen(f);
		if (cl->cl_upack) {
			x->x_ackdue = 1;
			cl->cl_ackdirty = 1;
		}
	}
	route_acks_later(cl);
}
