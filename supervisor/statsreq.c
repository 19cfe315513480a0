/*
 * Stats requests (gooserelayctl stats, diag): IMSG_STATS_REQ to every
 * running worker, their IMSG_STATS replies gathered by stats_collect,
 * bounded in time (STATSREQ_WAIT_S) and size.  A worker that is not
 * running, dies or does not answer in time appears in the result as
 * {"role":..,"instance":..,"error":reason}.  The callback always runs
 * from the event loop, never from statsreq_start itself, so the caller
 * can store the handle first.
 */
#include "gr_config.h"

#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "stats_collect.h"
#include "supervisor.h"

#define STATSREQ_WAIT_S		2.0
/* Two workers' JSON must fit one control reply (CTL_REP_MAX). */
#define STATSREQ_MAX_BYTES	(30 * 1024)

struct statsreq {
	struct statsreq		*sr_next;
	struct stats_collect	*sr_sc;
	ev_timer		 sr_timer;
	statsreq_cb		 sr_cb;	/* NULL once cancelled */
	void			*sr_arg;
};

static struct statsreq	*statsreq_list;
static uint32_t		 statsreq_nextid = 1;

static void
statsreq_finish(struct statsreq *sr)
{
	struct statsreq	**pp;
	char		 *json;

	ev_timer_stop(sv_loop, &sr->sr_timer);
	for (pp = &statsreq_list; *pp != NULL; pp = &(*pp)->sr_next)
		if (*pp == sr) {
			*pp = sr->sr_next;
			break;
		}
	if (sr->sr_cb != NULL) {
		json = stats_collect_json(sr->sr_sc);
		sr->sr_cb(json, sr->sr_arg);
		free(json);
	}
	stats_collect_free(sr->sr_sc);
	free(sr);
}

static void
statsreq_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct statsreq	*sr = t->data;
	size_t		 i;

	for (i = 0; i < WORKER_NROLES; i++)
		stats_collect_fail(sr->sr_sc, i, "timeout");
	statsreq_finish(sr);
}

struct statsreq *
statsreq_start(statsreq_cb cb, void *arg)
{
	struct statsreq	*sr;
	struct worker	*w;
	uint32_t	 id;
	size_t		 i;

	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		return NULL;
	id = statsreq_nextid++;
	if (statsreq_nextid == 0)
		statsreq_nextid = 1;
	if ((sr->sr_sc = stats_collect_new(id, WORKER_NROLES,
	    STATSREQ_MAX_BYTES)) == NULL) {
		free(sr);
		return NULL;
	}
	sr->sr_cb = cb;
	sr->sr_arg = arg;
	for (i = 0; i < WORKER_NROLES; i++) {
		w = &workers[i];
		if (!w->w_enabled && w->w_pid <= 0)
			continue;
		(void)stats_collect_expect(sr->sr_sc, i,
		    proc_role_name(w->w_role), w->w_instance);
		if (w->w_ipc == NULL || (w->w_state != SS_RUNNING &&
		    w->w_state != SS_RELOADING)) {
			stats_collect_fail(sr->sr_sc, i,
			    worker_state_name(w->w_state));
			continue;
		}
		if (ipc_send(w->w_ipc, IMSG_STATS_REQ, id, -1, NULL, 0) ==
		    -1)
			stats_collect_fail(sr->sr_sc, i, "send failed");
	}
	ev_timer_init(&sr->sr_timer, statsreq_timer_cb,
	    stats_collect_done(sr->sr_sc) ? 0. : STATSREQ_WAIT_S, 0.);
	sr->sr_timer.data = sr;
	ev_timer_start(sv_loop, &sr->sr_timer);
	sr->sr_next = statsreq_list;
	statsreq_list = sr;
	return sr;
}

void
statsreq_cancel(struct statsreq *sr)
{
	if (sr != NULL)
		sr->sr_cb = NULL;
}

static size_t
statsreq_slot(const struct worker *w)
{
	return (size_t)(w - workers);
}

/* One IMSG_STATS piece; a stale or bad piece is dropped, never fatal. */
void
statsreq_piece(struct worker *w, struct imsg *imsg)
{
	struct statsreq	*sr;

	for (sr = statsreq_list; sr != NULL; sr = sr->sr_next)
		if (stats_collect_reqid(sr->sr_sc) == imsg->hdr.peerid)
			break;
	if (sr == NULL) {
		log_debug("%s: late stats reply %u dropped",
		    proc_role_name(w->w_role), imsg->hdr.peerid);
		return;
	}
	if (stats_collect_piece(sr->sr_sc, statsreq_slot(w),
	    imsg->hdr.peerid, imsg->data, imsg->datalen,
	    (imsg->hdr.flags & IMSGF_MORE) != 0) == -1)
		log_debug("%s: stats reply dropped",
		    proc_role_name(w->w_role));
	if (stats_collect_done(sr->sr_sc)) {
		/* Finish from the loop: the dispatcher may still use w. */
		ev_timer_stop(sv_loop, &sr->sr_timer);
		ev_timer_set(&sr->sr_timer, 0., 0.);
		ev_timer_start(sv_loop, &sr->sr_timer);
	}
}

/* The worker will not answer any pending request. */
void
statsreq_worker_gone(struct worker *w, const char *why)
{
	struct statsreq	*sr;

	for (sr = statsreq_list; sr != NULL; sr = sr->sr_next) {
		stats_collect_fail(sr->sr_sc, statsreq_slot(w), why);
		if (stats_collect_done(sr->sr_sc)) {
			ev_timer_stop(sv_loop, &sr->sr_timer);
			ev_timer_set(&sr->sr_timer, 0., 0.);
			ev_timer_start(sv_loop, &sr->sr_timer);
		}
	}
}
