/*
 * Transport-neutral core of the carrier: the session table, building one
 * batch from the ready sessions (control frames, ACKs, a SYN-only pass,
 * then data, with the GooseRelayVPN caps), settling it, and dispatching
 * the frames of a received batch.  Also the version probe and the
 * features it negotiates (docs/protocol.md 2.6).
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "carrier.h"
#include "log.h"
#include "transport.h"
#include "udp.h"

#define TUNNEL_SMALL	(16U * 1024)	/* interactive: goes whole */
#define TUNNEL_QUANTUM	(16U * 1024)	/* least bulk share of a batch */

void
tunnel_init(struct carrier *car)
{
	TAILQ_INIT(&car->c_conns);
	TAILQ_INIT(&car->c_readyq);
	TAILQ_INIT(&car->c_ackq);
	TAILQ_INIT(&car->c_heldq);
	sess_table_init(&car->c_table);
	sess_cfg_default(&car->c_scfg);
	wire_batch_init(&car->c_rxb);
	if (RAND_bytes(car->c_cid, sizeof(car->c_cid)) != 1 ||
	    RAND_bytes(car->c_probe_sid, sizeof(car->c_probe_sid)) != 1)
		fatalx("RAND_bytes failed");
}

#define TUNNEL_PJ_UPACK	0x1	/* ask for upstream_ack_v1 */
#define TUNNEL_PJ_RUN	0x2	/* instance, run id, reset_previous */

static void
tunnel_probe_json(struct carrier *car, int what, struct wbuf *out)
{
	const struct carrier_conf *cc = &car->c_conf;
	json_t		*o;
	char		*js;

	o = json_object();
	json_object_set_new(o, "type", json_string("version_probe"));
	json_object_set_new(o, "client_version", json_string(CARRIER_VERSION));
	json_object_set_new(o, "protocol", json_integer(WIRE_PROTOCOL_VERSION));
	if ((what & TUNNEL_PJ_RUN) && cc->cc_fresh_start_reset &&
	    cc->cc_instance_id[0] != '\0') {
		json_object_set_new(o, "client_instance_id",
		    json_string(cc->cc_instance_id));
		json_object_set_new(o, "run_id", json_string(car->c_run_id));
		json_object_set_new(o, "reset_previous", json_true());
	}
	/* Our extensions; GooseRelayVPN servers ignore unknown keys. */
	if (what & TUNNEL_PJ_UPACK)
		json_object_set_new(o, "upstream_ack", json_true());
	if (what & TUNNEL_PJ_RUN)
		json_object_set_new(o, "rx_window",
		    json_integer(CARRIER_RX_WINDOW));
	js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (js == NULL)
		fatalx("probe json");
	wbuf_reset(out);
	if (wbuf_append(out, WIRE_PROBE_PREFIX,
	    strlen(WIRE_PROBE_PREFIX)) == -1 ||
	    wbuf_append(out, js, strlen(js)) == -1)
		fatalx("probe buffer");
	free(js);
}

/*
 * The ACK payloads "goose_version_probe:v1|{json}" for this run.  Only the
 * stream hello asks for upstream_ack_v1 (what makes a stream reconnect
 * lossless).  The POST loop does without: a GACK would make the exit
 * answer every data POST at once instead of holding it for the reply
 * (measured: POST echo p50 doubled), and a POST's own answer already says
 * that its frames arrived (post.c confirms pipelined frames from it).
 */
void
tunnel_probe_build(struct carrier *car)
{
	uint8_t		 rb[8];
	size_t		 i;

	if (car->c_run_id[0] == '\0') {
		if (RAND_bytes(rb, sizeof(rb)) != 1)
			fatalx("RAND_bytes failed");
		for (i = 0; i < sizeof(rb); i++)
			snprintf(car->c_run_id + 2 * i, 3, "%02x", rb[i]);
	}
	tunnel_probe_json(car, TUNNEL_PJ_UPACK | TUNNEL_PJ_RUN, &car->c_probe);
	tunnel_probe_json(car, TUNNEL_PJ_RUN, &car->c_probe_post);
}

/*
 * A probe that asks for nothing and resets nothing: the pre-flight's and
 * the layout check's (post.c, compat.c), sent under a client id of their
 * own so that the reply comes back in their own answer.
 */
void
tunnel_probe_plain(struct carrier *car, struct wbuf *out)
{
	tunnel_probe_json(car, 0, out);
}

void
tunnel_kick(struct carrier *car)
{
	if (car->c_stopping && car->c_nrst == 0)
		return;
	transport_kick(car);	/* the stream if up, else POST */
}

int
tunnel_has_work(struct carrier *car)
{
	return (car->c_nrst > 0 || !TAILQ_EMPTY(&car->c_readyq) ||
	    !TAILQ_EMPTY(&car->c_ackq) || udp_has_work(car));
}

void
tunnel_ready(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;

	if (lc->lc_sess == NULL || (lc->lc_flags & LCF_SYNHELD))
		return;
	if (!(lc->lc_flags & LCF_READY) && sess_tx_drainable(lc->lc_sess)) {
		lc->lc_flags |= LCF_READY;
		lc->lc_ready_at = ev_now(car->c_loop);
		TAILQ_INSERT_TAIL(&car->c_readyq, lc, lc_ready);
	}
	if (lc->lc_flags & LCF_READY)
		tunnel_kick(car);
}

void
tunnel_queue_rst(struct carrier *car, const uint8_t sid[WIRE_SID_LEN])
{
	if (car->c_nrst == CARRIER_RSTQ_MAX) {
		/* Oldest RSTs go first, as the Go server's control queue. */
		memmove(car->c_rstq[0], car->c_rstq[1],
		    (CARRIER_RSTQ_MAX - 1) * WIRE_SID_LEN);
		car->c_nrst--;
	}
	memcpy(car->c_rstq[car->c_nrst++], sid, WIRE_SID_LEN);
	tunnel_kick(car);
}

void
tunnel_batch_init(struct tunnel_batch *tb)
{
	memset(tb, 0, sizeof(*tb));
	sess_txn_init(&tb->tb_txn);
}

static struct wire_frame *
tunnel_ctl_frame(struct tunnel_batch *tb, const uint8_t *sid, uint8_t flags)
{
	struct wire_frame *f = &tb->tb_frames[tb->tb_n++];

	memset(f, 0, sizeof(*f));
	memcpy(f->f_sid, sid, WIRE_SID_LEN);
	f->f_flags = flags;
	return (f);
}

/* Drain one session into the batch. */
static void
tunnel_drain_one(struct carrier *car, struct tunnel_batch *tb,
    struct lconn *lc, size_t maxf, size_t *budget, double now)
{
	size_t	 before = tb->tb_txn.t_bytes, used;
	int	 n;

	if (maxf == 0 || *budget <= WIRE_FRAME_WORST_HDR)
		return;
	n = sess_drain(lc->lc_sess, &tb->tb_txn, &tb->tb_frames[tb->tb_n],
	    maxf, *budget - WIRE_FRAME_WORST_HDR, now);
	if (n <= 0)
		return;
	tb->tb_n += (size_t)n;
	tb->tb_ndata += (size_t)n;
	used = tb->tb_txn.t_bytes - before + (size_t)n * WIRE_FRAME_WORST_HDR;
	*budget = used >= *budget ? 0 : *budget - used;
}

/*
 * Build a batch: probe, RSTs, downstream ACKs, then new sessions (SYN
 * only, so connects are never stuck behind bulk data), then small
 * sessions whole (at most TUNNEL_SMALL queued: an interactive exchange),
 * then the rest, each at most a quantum (an equal share of the budget,
 * not under TUNNEL_QUANTUM); a batch with SYNs or small exchanges
 * carries no bulk (the next one does).  Every session visited goes to
 * the tail of the ready list, so batches take turns (round robin).  On
 * the stream the budget is a few ms of the path (txpace.c): what a new
 * session waits behind is one small batch.  skip_inflight: leave
 * sessions whose frames are in an unsettled batch (one outstanding POST
 * per session).  Returns the number of frames.
 */
size_t
tunnel_fill(struct carrier *car, struct tunnel_batch *tb, size_t maxbytes,
    int skip_inflight, int with_probe)
{
	return (tunnel_fill_ex(car, tb, maxbytes, skip_inflight, with_probe,
	    1));
}

/* tunnel_fill; bulk 0: sessions with more than TUNNEL_SMALL queued wait. */
size_t
tunnel_fill_ex(struct carrier *car, struct tunnel_batch *tb, size_t maxbytes,
    int skip_inflight, int with_probe, int bulk)
{
	struct lconn		*lc;
	struct wire_frame	*f;
	struct wbuf		*pb;
	size_t			 maxf, budget = maxbytes, k, cnt, i;
	size_t			 quantum, share, nd;
	uint64_t		 nseq;
	double			 now = ev_now(car->c_loop);
	int			 pass, skip;

	sess_txn_init(&tb->tb_txn);
	tb->tb_n = tb->tb_ndata = 0;
	tb->tb_bulk = 0;
	tb->tb_probe = 0;
	maxf = car->c_nlive >= CARRIER_BUSY_SESS ? CARRIER_FPB_BUSY :
	    CARRIER_FPB;

	pb = with_probe == TUNNEL_PROBE_POST ? &car->c_probe_post :
	    &car->c_probe;
	if (with_probe && pb->wb_len > 0) {
		f = tunnel_ctl_frame(tb, car->c_probe_sid, WIRE_F_ACK);
		f->f_payload = pb->wb_data;
		f->f_len = pb->wb_len;
		tb->tb_probe = 1;
	}
	k = 0;
	while (k < car->c_nrst && tb->tb_n < maxf) {
		tunnel_ctl_frame(tb, car->c_rstq[k++], WIRE_F_RST);
		car->c_st_rst_out++;
	}
	memmove(car->c_rstq[0], car->c_rstq[k],
	    (car->c_nrst - k) * WIRE_SID_LEN);
	car->c_nrst -= k;

	/* ACKs and windows first, one slot kept for TX. */
	while ((lc = TAILQ_FIRST(&car->c_ackq)) != NULL &&
	    tb->tb_n + 2 < maxf) {
		TAILQ_REMOVE(&car->c_ackq, lc, lc_ackq);
		lc->lc_flags &= ~LCF_ACKQ;
		if (lc->lc_sess == NULL)
			continue;
		/* GACKs where negotiated, or to check a session (liveness.c). */
		if ((car->c_scfg.sc_rx_ack || (lc->lc_flags & LCF_CHECK)) &&
		    sess_ack_due(lc->lc_sess, &nseq)) {
			lc->lc_flags &= ~LCF_CHECK;
			wire_gack_encode(tb->tb_gack[tb->tb_n], nseq);
			f = tunnel_ctl_frame(tb, lc->lc_sess->s_id, WIRE_F_ACK);
			f->f_payload = tb->tb_gack[tb->tb_n - 1];
			f->f_len = WIRE_GACK_LEN;
		}
		if (rxwin_frame(lc, tb->tb_gack[tb->tb_n])) {
			f = tunnel_ctl_frame(tb, lc->lc_sess->s_id, WIRE_F_ACK);
			f->f_payload = tb->tb_gack[tb->tb_n - 1];
			f->f_len = WIRE_GWIN_LEN;
		}
	}

	/* Datagrams (udp_v1), at most half the room while sessions wait. */
	udp_fill(car, tb, maxf, &budget);

	/*
	 * Pop each ready session once per pass; one with more to send goes
	 * back to the tail (round robin across batches).
	 */
	for (pass = 0; pass < 3; pass++) {
		cnt = 0;
		TAILQ_FOREACH(lc, &car->c_readyq, lc_ready)
			cnt++;
		quantum = cnt > 0 ? budget / cnt : budget;
		if (quantum < TUNNEL_QUANTUM)
			quantum = TUNNEL_QUANTUM;
		for (i = 0; i < cnt; i++) {
			if (tb->tb_n >= maxf || budget <= WIRE_FRAME_WORST_HDR)
				break;
			lc = TAILQ_FIRST(&car->c_readyq);
			TAILQ_REMOVE(&car->c_readyq, lc, lc_ready);
			lc->lc_flags &= ~LCF_READY;
			skip = (skip_inflight &&
			    (lc->lc_sess->s_flags & SESS_IN_TXN)) ||
			    (pass == 0 &&
			    (lc->lc_sess->s_flags & SESS_TX_SYN_SENT)) ||
			    (pass == 1 &&
			    sess_tx_pending(lc->lc_sess) > TUNNEL_SMALL) ||
			    (pass == 2 && !bulk);
			if (!skip) {
				k = pass == 0 ? 1 : CARRIER_FPS;
				if (k > maxf - tb->tb_n)
					k = maxf - tb->tb_n;
				nd = tb->tb_ndata;
				if (pass == 2 && budget > quantum) {
					share = quantum;
					tunnel_drain_one(car, tb, lc, k,
					    &share, now);
					budget -= quantum - share;
				} else
					tunnel_drain_one(car, tb, lc, k,
					    &budget, now);
				if (pass == 2 && tb->tb_ndata > nd)
					tb->tb_bulk = 1;
				cstats_qwait(now - lc->lc_ready_at);
			}
			if (skip || sess_tx_drainable(lc->lc_sess)) {
				if (!skip)
					lc->lc_ready_at = now;
				lc->lc_flags |= LCF_READY;
				TAILQ_INSERT_TAIL(&car->c_readyq, lc, lc_ready);
			}
		}
		/*
		 * SYNs and small exchanges go in a batch of their own: the
		 * exit decodes a batch once all of it is in, so bulk in the
		 * same one would hold them back by its size.
		 */
		if (pass == 1 && tb->tb_ndata > 0)
			break;
	}
	return (tb->tb_n);
}

/* Seal the batch into tb_body after headroom bytes (lws needs LWS_PRE). */
int
tunnel_seal(struct carrier *car, struct tunnel_batch *tb, int text,
    size_t headroom)
{
	return (tunnel_seal_eo(car, tb, text, headroom, &car->c_enc));
}

/* The same in a given layout (a POST endpoint's, post.c). */
int
tunnel_seal_eo(struct carrier *car, struct tunnel_batch *tb, int text,
    size_t headroom, const struct wire_encopts *eo)
{
	const char	*err = NULL;
	double		 t0 = ev_time();

	wbuf_reset(&tb->tb_body);
	if (headroom > 0) {
		if (wbuf_reserve(&tb->tb_body, headroom) == -1)
			return (-1);
		memset(tb->tb_body.wb_data, 0, headroom);
		tb->tb_body.wb_len = headroom;
	}
	if (text) {
		if (wire_body_seal(car->c_aead, car->c_cid, tb->tb_frames,
		    tb->tb_n, eo, 1, &tb->tb_body, &tb->tb_scratch,
		    &err) == -1)
			goto fail;
	} else if (wire_batch_seal(car->c_aead, car->c_cid, tb->tb_frames,
	    tb->tb_n, eo, &tb->tb_body, &err) == -1)
		goto fail;
	car->c_st_batches_out++;
	car->c_st_frames_out += tb->tb_n;
	cstats_encode(ev_time() - t0);
	udp_sealed(tb);		/* sent at most once, never replayed */
	return (0);
fail:
	log_warnx("batch seal: %s", err ? err : "failed");
	return (-1);
}

/* Settle every session of a finished batch, then free what is done. */
static void
tunnel_settled(struct carrier *car, struct sess **ss, size_t ns)
{
	struct lconn	*lc;
	size_t		 i;

	for (i = 0; i < ns; i++) {
		lc = ss[i]->s_arg;
		if (lc != NULL) {
			local_account(lc);
			tunnel_ready(lc);
			local_maybe_free(lc);
		}
		sess_unref(ss[i]);
	}
	local_tx_resume_all(car);
}

static size_t
tunnel_txn_sessions(struct sess_txn *txn, struct sess **ss)
{
	size_t	 i;

	for (i = 0; i < txn->t_nent; i++) {
		ss[i] = txn->t_ent[i].te_sess;
		sess_ref(ss[i]);
	}
	return (i);
}

static void
tunnel_commit_txn(struct carrier *car, struct sess_txn *txn)
{
	struct sess	*ss[SESS_TXN_MAX];
	size_t		 ns = tunnel_txn_sessions(txn, ss);

	sess_txn_commit(txn, ev_now(car->c_loop));
	sess_txn_init(txn);
	tunnel_settled(car, ss, ns);
	carrier_settled(car);
}

static void
tunnel_abort_txn(struct carrier *car, struct sess_txn *txn)
{
	struct sess	*ss[SESS_TXN_MAX];
	size_t		 ns = tunnel_txn_sessions(txn, ss), i;
	struct lconn	*lc;

	sess_txn_commit(txn, ev_now(car->c_loop));
	sess_txn_init(txn);
	for (i = 0; i < ns; i++)
		if ((lc = ss[i]->s_arg) != NULL)
			local_abort(lc, "request failed after sending");
	tunnel_settled(car, ss, ns);
}

/*
 * The batch's downstream ACKs were lost with it.  sess_ack_due() counts an
 * ACK as sent once drained, and an exit that keeps downstream frames until
 * acknowledged (downstream_replay_v1) stops sending the session anything
 * new meanwhile: without this it would wait for the exit's resend timer
 * and a duplicate, and a POST loss streak could stall a download until
 * the target timed out.
 */
static void
tunnel_ack_again(struct carrier *car, struct tunnel_batch *tb)
{
	const struct wire_frame	*f;
	struct sess		*s;
	struct lconn		*lc;
	const char		*err;
	uint64_t		 nseq;
	size_t			 i;
	int			 any = 0;

	for (i = 0; i < tb->tb_n; i++) {
		f = &tb->tb_frames[i];
		if (f->f_flags != WIRE_F_ACK ||
		    (s = sess_table_find(&car->c_table, f->f_sid)) == NULL ||
		    (lc = s->s_arg) == NULL || (s->s_flags & SESS_ABORTED))
			continue;
		/*
		 * A session check (liveness.c) is the only GACK a carrier
		 * without sc_rx_ack sends: it goes again too, or a session
		 * the exit lost would wait for the next idle check (15 s,
		 * issue 16: a POST lost while an exit died carried it).
		 */
		if (!car->c_scfg.sc_rx_ack &&
		    wire_gack_decode(f->f_payload, f->f_len, &nseq, &err) == 0)
			lc->lc_flags |= LCF_CHECK;
		sess_ack_retry(s);
		rxwin_resend(lc);
		if (!(lc->lc_flags & LCF_ACKQ)) {
			lc->lc_flags |= LCF_ACKQ;
			TAILQ_INSERT_TAIL(&car->c_ackq, lc, lc_ackq);
		}
		any = 1;
	}
	if (any)
		tunnel_kick(car);
}

void
tunnel_commit(struct carrier *car, struct tunnel_batch *tb)
{
	tunnel_commit_txn(car, &tb->tb_txn);
}

void
tunnel_rollback(struct carrier *car, struct tunnel_batch *tb)
{
	struct sess	*ss[SESS_TXN_MAX];
	size_t		 ns = tunnel_txn_sessions(&tb->tb_txn, ss), i;

	sess_txn_rollback(&tb->tb_txn);
	sess_txn_init(&tb->tb_txn);
	udp_unfill(car, tb);	/* datagrams not sealed yet go again */
	/* RST frames of this batch must still reach the exit. */
	for (i = 0; i < tb->tb_n; i++)
		if (tb->tb_frames[i].f_flags == WIRE_F_RST &&
		    car->c_nrst < CARRIER_RSTQ_MAX)
			memcpy(car->c_rstq[car->c_nrst++],
			    tb->tb_frames[i].f_sid, WIRE_SID_LEN);
	tunnel_settled(car, ss, ns);
	tunnel_ack_again(car, tb);
}

/* The batch may have been acted on but its answer is lost (4.4 abort). */
void
tunnel_abort_batch(struct carrier *car, struct tunnel_batch *tb)
{
	tunnel_abort_txn(car, &tb->tb_txn);
	tunnel_ack_again(car, tb);
}

/*
 * Pipelined POST (post_pipeline): a sealed batch is split in two.
 * Sessions the exit already knows (LCF_SYNOK) whose frames sit in the
 * replay store are settled now, at send time, as on the stream: their
 * frames stay in the store until confirmed (post.c: by the POST answers,
 * or by the exit's GACKs), so a lost POST costs a resend under the same
 * seq numbers (the exit drops duplicates and reorders by seq), never
 * bytes.  Settled, the session is drainable again and its next frames
 * can go in another POST while this one is in flight.  The rest (a SYN
 * the exit has not confirmed, a session without a replay store) stays in
 * tb_txn until the answer: a data frame that overtook its SYN on another
 * connection would meet an unknown session and be answered with an RST.
 * The settled session ids are kept in tb_early for
 * tunnel_fail_pipelined().
 */
void
tunnel_commit_early(struct carrier *car, struct tunnel_batch *tb)
{
	static struct sess_txn	 early;		/* one at a time, 40 KiB */
	static int		 busy;
	struct sess_txn		*t = &tb->tb_txn;
	struct sess_txn_ent	*te;
	struct lconn		*lc;
	struct sess		*s;
	size_t			 i, k = 0;

	tb->tb_nearly = 0;
	if (busy)
		return;		/* re-entered from a settle callback */
	sess_txn_init(&early);
	for (i = 0; i < t->t_nent; i++) {
		te = &t->t_ent[i];
		s = te->te_sess;
		lc = s->s_arg;
		if (lc != NULL && (lc->lc_flags & LCF_SYNOK) &&
		    !(s->s_flags & SESS_ABORTED) &&
		    sess_replay_frames(s) > 0) {
			early.t_ent[early.t_nent++] = *te;
			memcpy(tb->tb_early[tb->tb_nearly++], s->s_id,
			    WIRE_SID_LEN);
		} else
			t->t_ent[k++] = *te;
	}
	t->t_nent = k;
	if (early.t_nent > 0) {
		busy = 1;
		tunnel_commit_txn(car, &early);
		busy = 0;
	}
}

/* A POST answered: the exit has every session of the held part. */
void
tunnel_commit_delivered(struct carrier *car, struct tunnel_batch *tb)
{
	struct lconn	*lc;
	size_t		 i;

	for (i = 0; i < tb->tb_txn.t_nent; i++)
		if ((lc = tb->tb_txn.t_ent[i].te_sess->s_arg) != NULL)
			lc->lc_flags |= LCF_SYNOK;
	tb->tb_nearly = 0;
	tunnel_commit(car, tb);
}

/*
 * A pipelined POST failed.  Settled sessions send every unacknowledged
 * frame again; the held part rolls back, which with a replay store keeps
 * the frames unchanged and is right even if the exit got them.  Held
 * sessions without a store follow docs/protocol.md 4.4: rolled back if the
 * request provably did not leave, else aborted.
 */
void
tunnel_fail_pipelined(struct carrier *car, struct tunnel_batch *tb,
    int sent)
{
	static struct sess_txn	 lost;
	struct sess_txn		*t = &tb->tb_txn;
	struct sess		*s;
	struct lconn		*lc;
	size_t			 i, k = 0;

	for (i = 0; i < tb->tb_nearly; i++) {
		s = sess_table_find(&car->c_table, tb->tb_early[i]);
		if (s == NULL || (lc = s->s_arg) == NULL ||
		    (s->s_flags & SESS_ABORTED))
			continue;
		sess_replay_requeue(s);
		tunnel_ready(lc);
	}
	tb->tb_nearly = 0;
	sess_txn_init(&lost);
	if (sent) {
		for (i = 0; i < t->t_nent; i++) {
			if (sess_replay_frames(t->t_ent[i].te_sess) > 0)
				t->t_ent[k++] = t->t_ent[i];
			else
				lost.t_ent[lost.t_nent++] = t->t_ent[i];
		}
		t->t_nent = k;
	}
	tunnel_rollback(car, tb);
	if (lost.t_nent > 0)
		tunnel_abort_txn(car, &lost);
}

/* Frames below next_seq of this session reached the exit (post.c). */
void
tunnel_confirm(struct carrier *car, struct sess *s, uint64_t next_seq)
{
	struct lconn	*lc;

	sess_replay_ack(s, next_seq, ev_now(car->c_loop));
	if ((lc = s->s_arg) != NULL) {
		local_account(lc);
		local_maybe_free(lc);
	}
}

/* Give every unacknowledged upstream frame back (transport reset). */
void
tunnel_requeue_all(struct carrier *car)
{
	struct lconn	*lc;

	if (!car->c_scfg.sc_replay)
		return;
	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if (lc->lc_sess == NULL || sess_replay_frames(lc->lc_sess) == 0)
			continue;
		cstats_replay(sess_replay_frames(lc->lc_sess));
		sess_replay_requeue(lc->lc_sess);
		tunnel_ready(lc);
	}
}

/*
 * The exit's version and features, at info level when they change (the
 * first answer, an exit replaced by another): liveness.c has the probe
 * sent again after every disruption, and the same answer each time is
 * no news.
 */
static void
tunnel_features_log(unsigned int feat, const char *who)
{
	static char		 said_who[sizeof(((struct wire_probe_reply *)
	    NULL)->pr_server_version)];
	static unsigned int	 said_feat;
	static int		 said;
	int			 news;

	news = !said || feat != said_feat || strcmp(who, said_who) != 0;
	(news ? log_info : log_debug)("%s: features%s%s%s%s%s%s%s", who,
	    feat & WIRE_FEAT_BINARY ? " binary_batch_v1" : "",
	    feat & WIRE_FEAT_REPLAY ? " downstream_replay_v1" : "",
	    feat & WIRE_FEAT_RUN_RESET ? " client_run_reset_v1" : "",
	    feat & CARRIER_FEAT_UPACK ? " upstream_ack_v1" : "",
	    feat & WIRE_FEAT_SESS_CHECK ? " session_check_v1" : "",
	    feat & WIRE_FEAT_RX_WINDOW ? " rx_window_v1" : "",
	    feat & WIRE_FEAT_UDP ? " udp_v1" : "");
	said = 1;
	said_feat = feat;
	snprintf(said_who, sizeof(said_who), "%s", who);
}

void
tunnel_features(struct carrier *car, unsigned int feat, const char *who)
{
	int	 winon;

	/* Set to v1.5, or switched to it for a v1.5 server (postep.c). */
	if (car->c_conf.cc_wire_compat == WIRE_COMPAT_V15 ||
	    transport_v15(car))
		feat = 0;
	if (!car->c_conf.cc_replay_auto)
		feat &= ~WIRE_FEAT_REPLAY;
	/*
	 * Only the stream hello asks for upstream ACKs and the exit keeps
	 * them on for this client from then on: a later POST probe reply
	 * (which does not list it) must not turn it off here.
	 */
	if (car->c_features & CARRIER_FEAT_UPACK)
		feat |= CARRIER_FEAT_UPACK;
	winon = (feat & WIRE_FEAT_RX_WINDOW) &&
	    !(car->c_features & WIRE_FEAT_RX_WINDOW);
	if (feat != car->c_features || !car->c_probe_answered)
		tunnel_features_log(feat, who);
	car->c_features = feat;
	car->c_probe_answered = 1;
	/*
	 * Kept-until-ACK upstream frames when the exit sends GACKs, or when
	 * pipelined POSTs confirm them (post_local_ack()).
	 */
	car->c_scfg.sc_replay = (feat & CARRIER_FEAT_UPACK) != 0 ||
	    transport_local_ack(car);
	/* The exit keeps downstream frames until our GACKs: send them. */
	car->c_scfg.sc_rx_ack =
	    (feat & (WIRE_FEAT_REPLAY | CARRIER_FEAT_UPACK)) != 0;
	if (winon)
		rxwin_negotiated(car);
	udp_features(car);	/* waiting UDP ASSOCIATEs get their answer */
}

/* The RST+JSON answer to our probe. */
static void
tunnel_probe_reply(struct carrier *car, const struct wire_frame *f)
{
	struct wire_probe_reply	 pr;
	const char		*err = NULL;
	unsigned int		 feat;
	json_t			*o, *a, *v;
	size_t			 i;

	if (f->f_len == 0) {
		if (!car->c_probe_answered)
			log_warnx("server did not return version info "
			    "(old server, no features)");
		tunnel_features(car, 0, "exit");
		return;
	}
	if (wire_probe_reply_decode(f->f_payload, f->f_len, &pr, &err) == -1) {
		log_warnx("bad version reply: %s", err);
		return;
	}
	if (pr.pr_protocol != WIRE_PROTOCOL_VERSION)
		log_warnx("exit speaks protocol %d, we speak %d",
		    pr.pr_protocol, WIRE_PROTOCOL_VERSION);
	feat = pr.pr_features;
	if ((o = json_loadb((const char *)f->f_payload, f->f_len, 0,
	    NULL)) != NULL) {
		a = json_object_get(o, "features");
		json_array_foreach(a, i, v) {
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), "upstream_ack_v1") == 0)
				feat |= CARRIER_FEAT_UPACK;
		}
		json_decref(o);
	}
	tunnel_features(car, feat, pr.pr_server_version[0] ?
	    pr.pr_server_version : "exit");
}

/*
 * An RST for a session that is over both ways - the exit's FIN arrived
 * with all its bytes, ours went out and everything we sent was confirmed
 * - says nothing: the exit forgot a finished session (it may, once our
 * FIN came), maybe answering our GACK of its FIN.  The app still gets
 * every byte and a clean close.
 */
static int
tunnel_rst_moot(const struct sess *s)
{
	return ((s->s_flags & SESS_RX_FIN) && (s->s_flags & SESS_TX_FIN_SENT) &&
	    !(s->s_flags & SESS_IN_TXN) && sess_tx_buffered(s) == 0);
}

static void
tunnel_rx_frame(struct carrier *car, const struct wire_frame *f, double now)
{
	enum sess_abort_reason	 why;
	struct sess		*s;
	struct lconn		*lc;
	uint64_t		 nseq;
	const char		*err;

	if (f->f_flags & WIRE_F_RST) {
		if (memcmp(f->f_sid, car->c_probe_sid, WIRE_SID_LEN) == 0) {
			tunnel_probe_reply(car, f);
			return;
		}
		if ((s = sess_table_find(&car->c_table, f->f_sid)) == NULL ||
		    (lc = s->s_arg) == NULL) {
			udp_rx_rst(car, f->f_sid);
			return;
		}
		car->c_st_rst_in++;
		if (!tunnel_rst_moot(s))
			local_abort(lc, NULL);
		return;
	}
	if (f->f_flags == WIRE_F_ACK && wire_udp_is(f->f_payload, f->f_len)) {
		udp_rx_frame(car, f);
		return;
	}
	s = sess_table_find(&car->c_table, f->f_sid);
	/* Any frame for it: the exit has the session (pipelined POST). */
	if (s != NULL && (lc = s->s_arg) != NULL)
		lc->lc_flags |= LCF_SYNOK;
	if (f->f_flags & WIRE_F_ACK) {
		if (s != NULL && wire_gack_decode(f->f_payload, f->f_len,
		    &nseq, &err) == 0) {
			sess_replay_ack(s, nseq, now);
			if ((lc = s->s_arg) != NULL) {
				local_account(lc);
				local_maybe_free(lc);
			}
		}
		return;
	}
	/* Frames for sessions we no longer know are dropped, as in Go. */
	if (s == NULL || (lc = s->s_arg) == NULL)
		return;
	sess_ref(s);
	if (sess_rx_frame(s, f, now, &why) == -1) {
		log_info("session aborted: %s", sess_abort_str(why));
		local_abort(lc, sess_abort_str(why));
	} else if (s->s_arg != NULL) {
		rxwin_account(lc);
		local_rx_ready(lc);
	}
	sess_unref(s);
}

/* A response body / WebSocket message arrived. */
int
tunnel_rx_body(struct carrier *car, const uint8_t *p, size_t n, int text)
{
	const char	*err = NULL;
	double		 now = ev_now(car->c_loop), t0 = ev_time();
	size_t		 i;

	if (wire_body_open(car->c_aead, p, n, text, &car->c_rxb, &err) == -1) {
		car->c_st_decode_fail++;
		log_warnx("undecryptable batch from exit: %s", err);
		return (-1);
	}
	cstats_decode(ev_time() - t0);
	car->c_st_batches_in++;
	car->c_st_frames_in += car->c_rxb.b_nframes;
	for (i = 0; i < car->c_rxb.b_nframes; i++)
		tunnel_rx_frame(car, &car->c_rxb.b_frames[i], now);
	local_tx_resume_all(car);
	return (0);
}
