/*
 * The pipelining ledger of the POST poll loop (post_pipeline): per
 * poller, the seq range each session has in flight in a pipelined POST,
 * so an answer confirms what reached the exit (post_pipe_confirm()) and
 * a lost POST starts the sessions' confirmations over
 * (post_pipe_unconfirm()).  See post.c and tunnel_commit_early().
 */
#include "gr_config.h"

#include <string.h>

#include "carrier.h"
#include "post_int.h"

static struct lconn *
post_pipe_conn(struct carrier *car, const struct prun *r, struct sess **sp)
{
	struct sess	*s;

	if ((s = sess_table_find(&car->c_table, r->r_sid)) == NULL)
		return (NULL);
	*sp = s;
	return (s->s_arg);
}

/* Record, per session, the seq range of the data frames of a batch. */
void
post_pipe_build(struct poller *p)
{
	struct carrier		*car = p->p_post->po_car;
	struct tunnel_batch	*tb = p->p_tb;
	const struct wire_frame	*f;
	struct prun		*r = NULL;
	struct lconn		*lc;
	struct sess		*s;
	size_t			 i;

	p->p_nruns = 0;
	for (i = 0; i < tb->tb_n; i++) {
		f = &tb->tb_frames[i];
		if (f->f_flags & (WIRE_F_ACK | WIRE_F_RST))
			continue;
		if (r != NULL && memcmp(r->r_sid, f->f_sid,
		    WIRE_SID_LEN) == 0) {
			if (f->f_seq < r->r_lo)
				r->r_lo = f->f_seq;
			if (f->f_seq > r->r_hi)
				r->r_hi = f->f_seq;
			continue;
		}
		r = &p->p_runs[p->p_nruns++];
		memcpy(r->r_sid, f->f_sid, WIRE_SID_LEN);
		r->r_lo = r->r_hi = f->f_seq;
		lc = post_pipe_conn(car, r, &s);
		r->r_epoch = lc != NULL ? lc->lc_epoch : 0;
	}
}

/*
 * The lowest seq of this session still in flight in the current epoch
 * (or next if none is lower): frames below it are all confirmed.
 */
static uint64_t
post_pipe_floor(struct post *po, const uint8_t *sid, uint32_t epoch,
    uint64_t next)
{
	const struct prun	*r;
	size_t			 i, k;

	for (i = 0; i < po->po_npollers; i++)
		for (k = 0; k < po->po_pollers[i].p_nruns; k++) {
			r = &po->po_pollers[i].p_runs[k];
			if (r->r_epoch == epoch && r->r_lo < next &&
			    memcmp(r->r_sid, sid, WIRE_SID_LEN) == 0)
				next = r->r_lo;
		}
	return (next);
}

/*
 * A pipelined POST was answered: its frames reached the exit.  Within an
 * epoch a session's frames are drained in seq order and each range is in
 * flight, answered or (lost) starts a new epoch, so everything below the
 * highest answered seq and below every range still in flight is there.
 */
void
post_pipe_confirm(struct poller *p)
{
	struct post	*po = p->p_post;
	struct carrier	*car = po->po_car;
	struct prun	*r;
	struct lconn	*lc;
	struct sess	*s;
	uint64_t	 next;
	size_t		 i, nr = p->p_nruns;

	p->p_nruns = 0;		/* no longer in flight */
	for (i = 0; i < nr; i++) {
		r = &p->p_runs[i];
		if ((lc = post_pipe_conn(car, r, &s)) == NULL ||
		    r->r_epoch != lc->lc_epoch)
			continue;
		if (r->r_hi + 1 > lc->lc_conf_next)
			lc->lc_conf_next = r->r_hi + 1;
	}
	for (i = 0; i < nr; i++) {
		r = &p->p_runs[i];
		if ((lc = post_pipe_conn(car, r, &s)) == NULL ||
		    r->r_epoch != lc->lc_epoch)
			continue;
		next = post_pipe_floor(po, r->r_sid, lc->lc_epoch,
		    lc->lc_conf_next);
		if (next > 0)
			tunnel_confirm(car, s, next);
	}
}

/* A pipelined POST was lost: its sessions' confirmations start over. */
void
post_pipe_unconfirm(struct poller *p)
{
	struct carrier	*car = p->p_post->po_car;
	struct lconn	*lc;
	struct sess	*s;
	size_t		 i, nr = p->p_nruns;

	p->p_nruns = 0;
	for (i = 0; i < nr; i++) {
		if ((lc = post_pipe_conn(car, &p->p_runs[i], &s)) == NULL)
			continue;
		lc->lc_epoch++;
		lc->lc_conf_next = 0;
	}
}
