/*
 * The POST endpoints while they fail: see postep.h.  Each endpoint has
 * a struct post_epchk with its retry timer; the policy (what is said,
 * how long to wait) is epfail.c's, the look itself epcheck.c's.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "epcheck.h"
#include "health.h"
#include "log.h"
#include "postep.h"

#define POSTEP_CHECK_TIMEOUT	20.0	/* s, as the pre-flight */
#define POSTEP_RESTART		1.0	/* s: a check that could not start */

#define POSTEP_V15_SWITCH	"server speaks the GooseRelayVPN v1.5 layout"
#define POSTEP_V15_SET		"server speaks the GooseRelayVPN v1.5 " \
				"layout: set wire_compat: v1.5"
#define POSTEP_V16_SET		"server speaks the GooseRelayVPN v1.6 " \
				"layout: remove wire_compat: v1.5"
#define POSTEP_KEY		"tunnel_key mismatch: the exit cannot " \
				"decrypt our requests in either batch " \
				"layout (HTTP 204)"

struct post_epchk {
	struct postep_ctx	*pc_ctx;
	struct cendpoint	*pc_ep;
	ev_timer		 pc_timer;	/* the next retry */
	int			 pc_checking;	/* epcheck in flight */
	int			 pc_gone;	/* detached meanwhile */
	int			 pc_retired;	/* removed by a reload */
	int			 pc_key;	/* verdict: another key */
};

static void	postep_timer_cb(struct ev_loop *, ev_timer *, int);

void
postep_attach(struct postep_ctx *px, struct cendpoint *ep)
{
	struct post_epchk	*pc;

	if (ep->ep_chk != NULL)
		return;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		fatal("postep");
	pc->pc_ctx = px;
	pc->pc_ep = ep;
	ev_timer_init(&pc->pc_timer, postep_timer_cb, 1, 0);
	pc->pc_timer.data = pc;
	ep->ep_chk = pc;
	ep->ep_v15 = px->px_car->c_conf.cc_wire_compat == WIRE_COMPAT_V15;
	epfail_init(&ep->ep_fail, ep->ep_label, px->px_base, px->px_cap);
}

void
postep_ladder(struct postep_ctx *px, struct cendpoint *ep)
{
	epfail_ladder(&ep->ep_fail, px->px_base, px->px_cap);
}

void
postep_detach(struct cendpoint *ep)
{
	struct post_epchk	*pc = ep->ep_chk;

	if (pc == NULL)
		return;
	ev_timer_stop(pc->pc_ctx->px_car->c_loop, &pc->pc_timer);
	ep->ep_chk = NULL;
	if (pc->pc_checking)
		pc->pc_gone = 1;	/* postep_checked() frees it */
	else
		free(pc);
}

void
postep_retire(struct cendpoint *ep)
{
	struct post_epchk	*pc = ep->ep_chk;

	if (pc == NULL)
		return;
	ev_timer_stop(pc->pc_ctx->px_car->c_loop, &pc->pc_timer);
	pc->pc_retired = 1;
}

int
postep_busy(const struct cendpoint *ep)
{
	return (ep->ep_chk != NULL && ep->ep_chk->pc_checking);
}

int
postep_usable(const struct cendpoint *ep)
{
	return (!epfail_failing(&ep->ep_fail));
}

const char *
postep_layout(const struct cendpoint *ep)
{
	return (ep->ep_v15 ? "v1.5" : "v1.6");
}

static void
postep_what(enum ep_result res, const char *detail, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", ep_result_str(res),
	    detail != NULL && detail[0] != '\0' ? ": " : "",
	    detail != NULL ? detail : "");
}

static void
postep_schedule(struct post_epchk *pc, double d)
{
	struct ev_loop	*loop = pc->pc_ctx->px_car->c_loop;

	ev_timer_stop(loop, &pc->pc_timer);
	ev_timer_set(&pc->pc_timer, d < 0.05 ? 0.05 : d, 0);
	ev_timer_start(loop, &pc->pc_timer);
}

/* The delay: a deployment's health.c blacklist, else the own ladder. */
static double
postep_delay(struct post_epchk *pc, double now)
{
	struct cendpoint	*ep = pc->pc_ep;

	if (ep->ep_health != NULL)
		return (health_blacklisted_for(ep, now));
	return (-1);
}

static void	postep_checked(struct cendpoint *, enum epcheck_verdict,
		    enum ep_result, const char *, int, void *);

/*
 * Look at the endpoint now (the one retry while it fails).  other: its
 * layout just got a 204, ask in the other one only.
 */
static void
postep_check(struct post_epchk *pc, double now, int other)
{
	struct cendpoint	*ep = pc->pc_ep;
	int			 adm, flags = other ? EPC_OTHER : 0;

	if (pc->pc_checking)
		return;
	/* Known to have another key: the current layout tells enough. */
	if (pc->pc_key)
		flags |= EPC_ONE_LAYOUT;
	adm = epfail_admit(&ep->ep_fail, now, 0);
	if (epcheck_start(pc->pc_ctx->px_car, ep, flags,
	    POSTEP_CHECK_TIMEOUT, postep_checked, pc) == -1) {
		epfail_cancel(&ep->ep_fail, adm);
		postep_schedule(pc, POSTEP_RESTART);
		return;
	}
	pc->pc_checking = 1;
}

static void
postep_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct post_epchk	*pc = w->data;

	if (!pc->pc_retired && epfail_failing(&pc->pc_ep->ep_fail))
		postep_check(pc, ev_now(loop), 0);
}

/*
 * It answers (a check, or the traffic): say so once, wake the pollers.
 * check: a check's answer, which health.c has not seen.
 */
static void
postep_recovered(struct post_epchk *pc, double now, int quiet, int check)
{
	struct cendpoint	*ep = pc->pc_ep;
	struct postep_ctx	*px = pc->pc_ctx;

	ev_timer_stop(px->px_car->c_loop, &pc->pc_timer);
	pc->pc_key = 0;
	if (check && ep->ep_health != NULL)
		health_report(ep, EP_OK, -1, 0, now, NULL);
	/* Quiet if nothing was said yet (a 204 that a check cleared). */
	if (epfail_ok(&ep->ep_fail, now, quiet ||
	    ep->ep_fail.ef_what[0] == '\0') && px->px_wake != NULL)
		px->px_wake(px->px_car);
}

static void
postep_checked(struct cendpoint *ep, enum epcheck_verdict v,
    enum ep_result res, const char *detail, int version, void *arg)
{
	struct post_epchk	*pc = arg;
	struct postep_ctx	*px;
	enum ep_result		 hres = res;
	const char		*what = NULL;
	char			 buf[200];
	double			 now, delay;

	pc->pc_checking = 0;
	if (pc->pc_gone) {
		free(pc);
		return;
	}
	px = pc->pc_ctx;
	now = ev_now(px->px_car->c_loop);
	if (px->px_count != NULL)
		px->px_count(px->px_car, ep, v == ECV_ANSWERED ||
		    (v == ECV_V15 && ep->ep_v15));
	if (pc->pc_retired || !epfail_failing(&ep->ep_fail))
		return;		/* gone, or the traffic got through */
	switch (v) {
	case ECV_ANSWERED:
		postep_recovered(pc, now, 0, 1);
		return;
	case ECV_V15:
		if (ep->ep_v15) {
			postep_recovered(pc, now, 0, 1);
			return;
		}
		if (px->px_car->c_conf.cc_wire_compat == WIRE_COMPAT_CURRENT &&
		    px->px_adopt_v15 != NULL &&
		    px->px_adopt_v15(px->px_car)) {
			ep->ep_v15 = 1;
			log_warnx("%s: %s: switched this endpoint to it "
			    "(wire_compat: v1.5 says so from the start)",
			    ep->ep_label, POSTEP_V15_SWITCH);
			postep_recovered(pc, now, 1, 1);
			return;
		}
		what = POSTEP_V15_SET;
		hres = EP_FAIL_HARD;
		break;
	case ECV_V16:
		what = POSTEP_V16_SET;
		hres = EP_FAIL_HARD;
		break;
	case ECV_KEY:
		what = POSTEP_KEY;
		hres = EP_FAIL_KEY;
		pc->pc_key = 1;
		break;
	case ECV_FAIL:
		postep_what(res, detail, buf, sizeof(buf));
		what = buf;
		break;
	}
	if (ep->ep_health != NULL)
		health_report(ep, hres, 0, 0, now, what);
	delay = postep_delay(pc, now);
	/* A setting to change: no point in asking more often than the cap. */
	if (delay < 0 && (v == ECV_V15 || v == ECV_V16))
		delay = ep->ep_fail.ef_cap;
	postep_schedule(pc, epfail_failed(&ep->ep_fail, now, what, delay,
	    EPF_RETRY));
}

void
postep_failed(struct cendpoint *ep, enum ep_result res, const char *detail,
    int flags, int v15, double now)
{
	struct post_epchk	*pc = ep->ep_chk;
	char			 buf[200];
	const char		*what = buf;
	double			 d;
	int			 stale;

	if (pc == NULL || pc->pc_retired || v15 != ep->ep_v15)
		return;		/* gone, or sealed in a layout it has left */
	stale = epfail_stale(&ep->ep_fail, flags);
	if (res == EP_FAIL_KEY && !stale && !pc->pc_checking && !pc->pc_key) {
		/* Another key or a v1.5 server: a check tells, and says. */
		epfail_failed(&ep->ep_fail, now, "HTTP 204", 0, EPF_QUIET);
		postep_check(pc, now, 1);
		return;
	}
	if (res == EP_FAIL_KEY && pc->pc_key)
		what = POSTEP_KEY;
	else
		postep_what(res, detail, buf, sizeof(buf));
	if (!stale && ep->ep_health != NULL)
		health_report(ep, res, 0, 0, now, detail);
	/* health.c said the quarantine, with its end. */
	if (res == EP_FAIL_QUOTA)
		flags |= EPF_SAID;
	d = epfail_failed(&ep->ep_fail, now, what, stale ? 0 :
	    postep_delay(pc, now), flags);
	if (!stale && !pc->pc_checking)
		postep_schedule(pc, d);
}

void
postep_ok(struct cendpoint *ep, double now)
{
	struct post_epchk	*pc = ep->ep_chk;

	if (pc != NULL && epfail_failing(&ep->ep_fail))
		postep_recovered(pc, now, 0, 0);
}
