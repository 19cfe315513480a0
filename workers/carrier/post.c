/*
 * The POST poll loop (docs/protocol.md 4.3, 4.4), shared by direct_post and
 * apps_script: workers_per_endpoint pollers per endpoint, each with at
 * most one exchange in flight.  A poller drains a batch (one outstanding
 * POST per session unless pipelined, below), seals it as base64 text or,
 * once the exit listed
 * binary_batch_v1, as binary, and hands it to an endpoint through the
 * cendpoint interface.  New TX or ACKs wake idle pollers at once; the idle
 * backoff ladder (poll_idle_sleep_ms, 50 ms, 250 ms, 1 s) only runs while
 * nothing moves.  While the stream is up (auto) the pollers stand still.
 *
 * Pipelining (post_pipeline, direct relay_urls): a session the exit
 * already knows is settled when its POST leaves, as on the stream, so its
 * next frames may go in another POST on another pooled connection while
 * the first is still held by the exit (both exits reorder by seq, up to
 * 512 frames).  The frames wait in the session's replay store until they
 * are confirmed: by the answer to their POST (post_pipe_confirm() in
 * post_pipe.c: a session's frames are acknowledged up to the first of
 * its frames still in flight) or by the exit's GACKs where it sends them
 * (upstream_ack_v1, after a stream).  A lost POST sends the unconfirmed
 * frames again under the same seq numbers (the exit drops duplicates).
 * Extra pollers (as many again) carry that traffic.  See
 * tunnel_commit_early().
 *
 * apps_script runs on the health set of fronted_setup(): each exchange
 * takes an endpoint and an idle or active slot with health_acquire() and
 * reports its outcome with health_report(), so buckets, blacklists and
 * quota quarantine (persisted through the supervisor) steer the pollers.
 *
 * Failures of every endpoint go to postep.c (issue 15): said once, with a
 * reminder, and while an endpoint fails the pollers leave it alone; one
 * check per back-off step (epfail.c) finds out when it answers again,
 * and a 204 is told apart: another tunnel_key, or a GooseRelayVPN v1.5
 * server whose layout the endpoint then switches to (post_adopt_v15()).
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <tls.h>

#include "carrier.h"
#include "direct.h"
#include "endpoint.h"
#include "fronted.h"
#include "health.h"
#include "log.h"
#include "post_int.h"
#include "postep.h"
#include "stats.h"
#include "transport.h"
#include "txpace.h"
#include "wproc.h"

#define POST_FAIL_PAUSE		1.0
#define POST_REAP_DELAY		60.0	/* after start: the SNI probe */
#define POST_REAP_TICK		2.0
#define POST_DOWN_SLEEP		30.0	/* every relay fails: a wake comes */
#define POST_UP_TIME		0.005	/* direct request: s of the path */
#define POST_UP_MIN		(12U * 1024)	/* ... bytes, at least */
#define POST_BULK_MAX		3	/* requests with bulk in flight */
#define POST_BULK_SLOW		2	/* ... at POST_UP_MIN (slow link) */
#define POST_SYN_HOLD_MIN	0.0005	/* s: a SYN waits for its data */
#define POST_SYN_HOLD_MAX	0.010
#define POST_SYN_HOLD_NONE	0.002	/* ... no exchange measured yet */

static void	post_poll(struct poller *);
static int	post_reload(struct carrier *);
static void	post_info_set(struct post *, size_t, const char *,
		    const char *);
static void	post_ep_count(struct post *, struct cendpoint *, int, double);
static int	post_pollers_grow(struct post *, size_t);
static void	post_px_setup(struct post *);

/* Pollers wanted: as many again for pipelined TX. */
static size_t
post_nwant(struct post *po)
{
	return (po->po_wpe * po->po_neps * (po->po_pipe ? 2 : 1));
}

/* Upstream frames wait to be confirmed: POSTs may overlap per session. */
static int
post_pipelining(struct post *po)
{
	struct carrier	*car = po->po_car;

	return (po->po_pipe && car->c_scfg.sc_replay && (po->po_localack ||
	    (car->c_features & CARRIER_FEAT_UPACK)));
}

/* The carrier switched to the v1.5 layout for a v1.5 server. */
int
post_v15(struct carrier *car)
{
	return (car->c_post != NULL && car->c_post->po_v15);
}

/* Sessions keep sent frames until confirmed by POST answers. */
int
post_local_ack(struct carrier *car)
{
	struct post	*po = car->c_post;

	return (po != NULL && po->po_localack);
}

/*
 * Roll back a drained batch.  The rollback notifies the sessions, which
 * kick the pollers; from inside post_poll() that would recurse into
 * post_poll() without bound (post_poll -> rollback -> session notify ->
 * tunnel_kick -> post_kick -> post_poll ...) when the next attempt fails
 * synchronously too.  Kicks are held while rolling back; rekick runs the
 * one held kick afterwards where the caller is not post_poll() itself
 * (whose poller pauses and retries anyway).
 */
static void
post_rollback(struct post *po, struct tunnel_batch *tb, int rekick)
{
	po->po_rolling++;
	tunnel_rollback(po->po_car, tb);
	po->po_rolling--;
	if (po->po_rolling == 0 && po->po_kick_pending) {
		po->po_kick_pending = 0;
		if (rekick)
			post_kick(po->po_car);
	}
}

/*
 * direct_post: the current relay, or the next one that is not failing;
 * -1 when every relay fails (postep.c retries them; a recovery wakes the
 * pollers).  Every poller uses the current one (po_cur), which changes
 * only when it fails: relay_urls without a balancer may be different
 * exits, and a session lives in one (issue 16).
 */
static ssize_t
post_direct_pick(struct post *po, size_t cur)
{
	size_t	 i, k;

	if (cur >= po->po_neps)
		cur = 0;		/* a reload removed it */
	for (i = 0; i < po->po_neps; i++) {
		k = (cur + i) % po->po_neps;
		if (postep_usable(po->po_eps[k]))
			return ((ssize_t)k);
	}
	return (-1);
}

/*
 * A direct relay's requests had to go again on fresh connections: its
 * connections were closed under them, as when the exit restarts (the
 * request then succeeds on the new exit, and nothing failed).
 */
static int
post_direct_redialed(struct post *po, struct cendpoint *ep)
{
	struct post_epinfo	*pe;
	uint64_t		 n;
	size_t			 k;

	if (po->po_fs.fs_health != NULL)
		return (0);
	for (k = 0; k < po->po_neps; k++)
		if (po->po_eps[k] == ep)
			break;
	if (k == po->po_neps)
		return (0);
	pe = &po->po_info[k];
	if ((n = direct_redials(ep)) == pe->pe_redials)
		return (0);
	pe->pe_redials = n;
	return (1);
}

/* A batch that did not go out or whose answer is lost. */
static void
post_fail_batch(struct poller *p, int sent, int rekick)
{
	struct post		*po = p->p_post;
	struct carrier		*car = po->po_car;
	struct tunnel_batch	*tb = p->p_tb;
	struct lconn		*lc;
	struct sess		*s;
	size_t			 i;

	post_pipe_unconfirm(p);
	if (tb->tb_nearly == 0 && !post_pipelining(po)) {
		if (sent)
			tunnel_abort_batch(car, tb);
		else
			post_rollback(po, tb, rekick);
		return;
	}
	po->po_rolling++;
	if (sent && !(car->c_features & (WIRE_FEAT_REPLAY |
	    CARRIER_FEAT_UPACK))) {
		/*
		 * The lost answer may have carried downstream frames the
		 * exit does not keep: docs/protocol.md 4.4 aborts the sessions.
		 */
		for (i = 0; i < tb->tb_nearly; i++) {
			s = sess_table_find(&car->c_table, tb->tb_early[i]);
			if (s != NULL && (lc = s->s_arg) != NULL)
				local_abort(lc, "request failed after sending");
		}
		tb->tb_nearly = 0;
		tunnel_abort_batch(car, tb);
	} else
		tunnel_fail_pipelined(car, tb, sent);
	po->po_rolling--;
	if (po->po_rolling == 0 && po->po_kick_pending) {
		po->po_kick_pending = 0;
		if (rekick)
			post_kick(po->po_car);
	}
}

static void
post_quota_hook(const char *json, size_t len, void *arg)
{
	wproc_send_quota(json, len);
}

/* wo_quota_load: the supervisor's saved quarantines (4.5). */
void
post_quota_load(const char *json, size_t len)
{
	struct post	*po = carrier != NULL ? carrier->c_post : NULL;
	const char	*es;

	if (po == NULL || json == NULL)
		return;
	if (po->po_fs.fs_health != NULL) {
		if (health_quota_load(po->po_fs.fs_health, json, len,
		    ev_now(carrier->c_loop), &es) == -1)
			log_warnx("quota state: %s", es);
		return;
	}
	/* Not configured yet: keep it for post_configure(). */
	free(po->po_quota);
	po->po_quotalen = 0;
	if ((po->po_quota = malloc(len + 1)) == NULL)
		return;
	memcpy(po->po_quota, json, len);
	po->po_quota[len] = '\0';
	po->po_quotalen = len;
}

/* Before the sandbox: OpenSSL init through a libtls config for https. */
int
post_preinit(struct carrier *car)
{
	struct post	*po;

	if ((po = calloc(1, sizeof(*po))) == NULL)
		return (-1);
	po->po_car = car;
	if ((po->po_tls = tls_config_new()) == NULL)
		return (-1);
	wire_batch_init(&po->po_pfb);
	car->c_post = po;
	return (0);
}

int
post_enabled(struct carrier *car)
{
	struct post	*po = car->c_post;

	return (po != NULL && po->po_npollers > 0);
}

static void
post_sleep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	post_poll(w->data);
}

/*
 * apps_script: health set, fronted pools and one endpoint per deployment
 * (fronted_setup()), quota hook and any quota state already received.
 */
static int
post_add_fronted(struct carrier *car, const uint8_t *ca, size_t calen)
{
	struct post		*po = car->c_post;
	const struct carrier_conf *cc = &car->c_conf;
	struct cendpoint	*ep;
	char			 err[300];
	const char		*es;
	size_t			 i;

	/* Inside the sandbox the system bundle cannot be opened. */
	if (ca == NULL || calen == 0) {
		log_warnx("apps_script: no CA bundle from the supervisor");
		return (0);
	}
	if (fronted_setup(car->c_loop, cc, ca, calen, &po->po_fs, err,
	    sizeof(err)) == -1) {
		log_warnx("apps_script: %s", err);
		return (-1);
	}
	health_set_quota_hook(po->po_fs.fs_health, post_quota_hook, NULL);
	if (po->po_quota != NULL) {
		if (health_quota_load(po->po_fs.fs_health, po->po_quota,
		    po->po_quotalen, ev_now(car->c_loop), &es) == -1)
			log_warnx("quota state: %s", es);
		free(po->po_quota);
		po->po_quota = NULL;
		po->po_quotalen = 0;
	}
	for (i = 0; i < po->po_fs.fs_neps && po->po_neps < CONF_MAX_URLS;
	    i++) {
		ep = po->po_fs.fs_eps[i];
		ep->ep_text_only = 1;	/* never binary through Apps Script */
		ep->ep_fronted = 1;
		post_info_set(po, po->po_neps, cc->cc_scripts[i].cs_id,
		    cc->cc_scripts[i].cs_account);
		po->po_eps[po->po_neps++] = ep;
	}
	return (0);
}

int
post_configure(struct carrier *car, const uint8_t *ca, size_t calen)
{
	struct post		*po = car->c_post;
	const struct carrier_conf *cc = &car->c_conf;
	struct cendpoint	*ep;
	struct poller		*p;
	size_t			 i, n, w;

	if (po == NULL)
		return (-1);
	if (po->po_neps > 0)
		return (post_reload(car));	/* kept endpoints stay */
	/* One POST tier: relay_urls if present, else the deployments. */
	if (transport_post_fronted(cc)) {
		if (post_add_fronted(car, ca, calen) == -1 &&
		    transport_fronted_only(cc))
			return (-1);
	}
	for (i = 0; i < cc->cc_nrelay && i < CONF_MAX_URLS &&
	    !transport_fronted_only(cc); i++) {
		ep = direct_new(car->c_loop, cc->cc_relay_urls[i],
		    cc->cc_relay_addr[i], po->po_tls,
		    4 * cc->cc_workers_per_endpoint);
		if (ep == NULL) {
			log_warnx("relay_urls #%zu: cannot use it", i + 1);
			continue;
		}
		direct_set_dead_host(ep, cc->cc_dead_host_timeout_ms);
		post_info_set(po, po->po_neps, cc->cc_relay_urls[i], "");
		po->po_eps[po->po_neps++] = ep;
	}
	if (po->po_neps == 0)
		return (0);
	post_px_setup(po);
	w = cc->cc_workers_per_endpoint;
	po->po_wpe = w;
	/*
	 * Pipelining: direct relays only (through Apps Script every POST
	 * costs quota).  POST answers confirm the frames where no stream
	 * could need them kept for the exit's GACKs instead.
	 */
	po->po_pipe = cc->cc_post_pipeline && po->po_fs.fs_health == NULL &&
	    cc->cc_wire_compat != WIRE_COMPAT_V15;
	po->po_localack = po->po_pipe && !transport_stream_may_carry(cc);
	if (po->po_localack)
		car->c_scfg.sc_replay = 1;
	/* Room for a reload that adds endpoints: pollers never move. */
	n = w * CONF_MAX_URLS * (po->po_pipe ? 2 : 1);
	if ((po->po_pollers = calloc(n, sizeof(*p))) == NULL)
		return (-1);
	po->po_cap = n;
	return (post_pollers_grow(po, post_nwant(po)));
}

/*
 * A GooseRelayVPN v1.5 server answered the v1.5 probe (postep.c): can
 * the carrier speak its layout?  Only while it has negotiated nothing
 * with a current exit (no features, no stream up): then the probe, binary
 * bodies and pipelining (v1.5 does not reorder) go for good.
 */
static int
post_adopt_v15(struct carrier *car)
{
	struct post	*po = car->c_post;

	if (po->po_v15)
		return (1);
	if (transport_preempted(car, TR_POST) ||
	    (car->c_probe_answered && car->c_features != 0))
		return (0);
	po->po_v15 = 1;
	po->po_pipe = 0;
	po->po_localack = 0;
	car->c_features = 0;
	car->c_probe_answered = 1;	/* v1.5 has no version probe */
	car->c_scfg.sc_replay = 0;
	car->c_scfg.sc_rx_ack = 0;
	return (1);
}

/* A check's exchange (postep.c), counted like the pollers'. */
static void
post_px_count(struct carrier *car, struct cendpoint *ep, int ok)
{
	struct post	*po = car->c_post;

	if (ok)
		po->po_n_ok++;
	else
		po->po_n_fail++;
	post_ep_count(po, ep, ok, -1);
}

/* The failure handling of postep.c for every endpoint of the tier. */
static void
post_px_setup(struct post *po)
{
	struct carrier		*car = po->po_car;
	const struct carrier_conf *cc = &car->c_conf;
	struct postep_ctx	*px = &po->po_px;
	size_t			 i;

	px->px_car = car;
	px->px_hs = po->po_fs.fs_health;
	px->px_wake = post_wake_all;
	px->px_adopt_v15 = post_adopt_v15;
	px->px_count = post_px_count;
	/* Direct relays: endpoint_blacklist_base_ms doubling, capped. */
	px->px_base = cc->cc_blacklist_base_ms / 1000.0;
	px->px_cap = cc->cc_blacklist_max_ms / 1000.0;
	if (px->px_cap <= 0 || px->px_cap > POSTEP_DIRECT_CAP)
		px->px_cap = POSTEP_DIRECT_CAP;
	if (px->px_hs != NULL)
		for (i = 0; i < po->po_fs.fs_neps; i++) {
			postep_attach(px, po->po_fs.fs_eps[i]);
			postep_ladder(px, po->po_fs.fs_eps[i]);
		}
	for (i = 0; i < po->po_neps; i++) {
		postep_attach(px, po->po_eps[i]);
		postep_ladder(px, po->po_eps[i]);
	}
}

/* Set up pollers up to n (of po_cap); started ones poll at once. */
static int
post_pollers_grow(struct post *po, size_t n)
{
	struct poller	*p;
	size_t		 i, first = po->po_npollers;

	if (n > po->po_cap)
		n = po->po_cap;
	for (i = first; i < n; i++) {
		p = &po->po_pollers[i];
		p->p_post = po;
		p->p_idx = i;
		p->p_ep = i % po->po_neps;
		p->p_extra = i >= po->po_wpe * po->po_neps;
		if ((p->p_tb = calloc(1, sizeof(*p->p_tb))) == NULL ||
		    (po->po_pipe && (p->p_runs = calloc(TB_MAXFRAMES,
		    sizeof(*p->p_runs))) == NULL))
			return (-1);
		tunnel_batch_init(p->p_tb);
		ev_timer_init(&p->p_sleep, post_sleep_cb, 0, 0);
		p->p_sleep.data = p;
		po->po_npollers = i + 1;
	}
	if (po->po_started)
		for (i = first; i < po->po_npollers; i++)
			post_poll(&po->po_pollers[i]);
	return (0);
}

/* Idle long-polls allowed at once (idle slots, floor 2 with sessions). */
static size_t
post_idle_cap(struct post *po)
{
	struct carrier	*car = po->po_car;
	size_t		 cap;

	cap = car->c_conf.cc_idle_slots_per_bucket * po->po_neps;
	if (car->c_nlive > 0 && cap < 2)
		cap = 2;
	if (cap == 0 && car->c_conf.cc_idle_poll_mode != IDLE_POLL_OFF)
		cap = 1;
	if (cap >= po->po_npollers && po->po_npollers > 1)
		cap = po->po_npollers - 1;	/* keep one for TX */
	return (cap);
}

static double
post_backoff(struct poller *p)
{
	struct carrier	*car = p->p_post->po_car;
	unsigned int	 n = p->p_misses;

	if (n < 3)
		return (car->c_conf.cc_poll_idle_sleep_ms / 1000.0);
	if (n < 10)
		return (0.05);
	if (n < 30)
		return (0.25);
	return (1.0);
}

static void
post_sleep(struct poller *p, double secs)
{
	struct ev_loop	*loop = p->p_post->po_car->c_loop;

	ev_timer_stop(loop, &p->p_sleep);
	ev_timer_set(&p->p_sleep, secs, 0);
	ev_timer_start(loop, &p->p_sleep);
}

static void	post_done(struct cendpoint *, enum ep_result, int,
		    const uint8_t *, size_t, int, const char *, void *);

/* An active slot was released: pollers waiting for one try again. */
static void
post_slot_wake(struct post *po)
{
	struct poller	*q;
	size_t		 i;

	if (po->po_rolling)
		return;		/* their timers bring them back */
	for (i = 0; i < po->po_npollers; i++) {
		q = &po->po_pollers[i];
		if (q->p_slotwait && !q->p_busy) {
			q->p_slotwait = 0;
			post_poll(q);
		}
	}
}

/*
 * Every relay fails: hold the sessions for endpoint_outage_grace_ms (at
 * most a minute, as GooseRelayVPN does unless the local network is down),
 * then reset them, and any made later while it lasts, at once: a browser
 * should not wait for its own timeout.  Returns how long to sleep.
 */
static double
post_direct_down(struct post *po)
{
	struct carrier	*car = po->po_car;
	struct lconn	*lc, *nlc;
	double		 now = ev_now(car->c_loop), grace;
	size_t		 n = 0;

	if (po->po_down_since == 0)
		po->po_down_since = now;
	grace = car->c_conf.cc_outage_grace_ms / 1000.0;
	if (grace > HEALTH_OUTAGE_CAP)
		grace = HEALTH_OUTAGE_CAP;
	if (car->c_nlive == 0 || po->po_rolling)
		return (POST_DOWN_SLEEP);
	if (now - po->po_down_since < grace)
		return (po->po_down_since + grace - now);
	po->po_rolling++;
	for (lc = TAILQ_FIRST(&car->c_conns); lc != NULL; lc = nlc) {
		nlc = TAILQ_NEXT(lc, lc_all);
		if (lc->lc_sess != NULL) {
			local_abort(lc, "every relay down");
			n++;
		}
	}
	po->po_rolling--;
	po->po_kick_pending = 0;
	if (!po->po_down_said && n > 0)
		log_warnx("every relay unavailable for %.0f s: resetting %zu "
		    "local session%s (and new ones until one answers)",
		    now - po->po_down_since, n, n == 1 ? "" : "s");
	po->po_down_said = 1;
	return (POST_DOWN_SLEEP);
}

/* The deployments that fail (postep.c checks them): not for pollers. */
static size_t
post_failing(struct post *po, struct cendpoint **ex)
{
	size_t	 i, n = 0;

	for (i = 0; i < po->po_fs.fs_neps; i++)
		if (!postep_usable(po->po_fs.fs_eps[i]))
			ex[n++] = po->po_fs.fs_eps[i];
	return (n);
}

/* The batch layout of an endpoint: v1.5 is plain, no compression. */
static void
post_encopts(struct carrier *car, const struct cendpoint *ep,
    struct wire_encopts *eo)
{
	*eo = car->c_enc;
	if (ep->ep_v15) {
		eo->eo_layout = WIRE_LAYOUT_V15;
		eo->eo_compress = 0;
	}
}

/*
 * apps_script with no usable deployment: hold the sessions for the outage
 * grace (4.4), then abort them all; health_outage() logs each once per
 * outage.  Returns 1 if the poller should wait instead of draining TX
 * that could only be rolled back.
 */
static int
post_outage(struct poller *p)
{
	struct post	*po = p->p_post;
	struct carrier	*car = po->po_car;
	struct lconn	*lc, *nlc;
	double		 now = ev_now(car->c_loop), t, wait;
	size_t		 k;

	/* Held sessions: recheck the grace; else a kick brings us back. */
	wait = car->c_nlive > 0 ? 0.5 : 5.0;

	for (k = 0; k < po->po_neps; k++) {
		/* A failing one comes back through its check (postep.c). */
		if (health_usable(po->po_eps[k], now) &&
		    postep_usable(po->po_eps[k]))
			return (0);
		t = health_blacklisted_for(po->po_eps[k], now);
		if (t > 0 && t < wait)
			wait = t;
	}
	if (car->c_nlive > 0 && !po->po_rolling) {
		health_set_sessions(po->po_fs.fs_health, car->c_nlive, now);
		if (health_outage(po->po_fs.fs_health, now) == HO_ABORT) {
			/* The RSTs go out once a deployment is back. */
			po->po_rolling++;
			for (lc = TAILQ_FIRST(&car->c_conns); lc != NULL;
			    lc = nlc) {
				nlc = TAILQ_NEXT(lc, lc_all);
				local_abort(lc, "all endpoints down");
			}
			po->po_rolling--;
			po->po_kick_pending = 0;
		}
	}
	/* Back when the first blacklist runs out at the latest. */
	post_sleep(p, wait < 0.05 ? 0.05 : wait);
	return (1);
}

/*
 * Direct relays (issue 12): a request carries a few ms of what the POST
 * connections deliver upstream (txpace.c, sampled from each answered
 * request's socket), or one round trip if that is longer, so no request
 * is seconds of upload that pollers and a new session wait on.  Apps
 * Script keeps max_request_bytes: its exchanges cost far more than the
 * transfer, and the rate of its connections is Google's, not the path's.
 * Nor does an exit we do not pipeline to (GooseRelayVPN's servers, a v1.5
 * layout): a session then has one request in flight, which such an exit
 * holds for its drain window (150 ms, v1.5: 350 ms) when it has nothing
 * to send yet, so a session moved a time-sized budget per hold: 4 KiB per
 * 350 ms, over a minute for a 64 KiB echo through a v1.5 server.
 */
static size_t
post_budget(struct post *po)
{
	struct carrier	*car = po->po_car;
	size_t		 max = car->c_conf.cc_max_request_bytes;
	size_t		 b;

	po->po_slow = 0;
	if (po->po_fs.fs_health != NULL || !po->po_pace_on ||
	    !post_pipelining(po))
		return (max);
	po->po_pace.tp_msgmax = max;
	b = txpace_budget_rtt(&po->po_pace, POST_UP_TIME, POST_UP_MIN,
	    ev_now(car->c_loop));
	/* The floor, not the path's time, sized it: a slow link. */
	po->po_slow = b == POST_UP_MIN && b < max;
	return (b);
}

/* An answered direct request: what its connection delivered meanwhile. */
static void
post_pace_observe(struct poller *p, struct cendpoint *ep)
{
	struct post	*po = p->p_post;
	struct carrier	*car = po->po_car;

	if (ep->ep_fronted || ep->ep_resp_fd < 0 || ep->ep_resp_pace == NULL)
		return;
	if (!po->po_pace_on) {
		txpace_init_rate(&po->po_pace, car->c_conf.cc_max_request_bytes,
		    ev_now(car->c_loop));
		po->po_pace_on = 1;
	}
	txpace_exchange(&po->po_pace, ep->ep_resp_pace, ep->ep_resp_fd,
	    ev_now(car->c_loop));
}

/*
 * Bulk (a session with more than a small exchange queued) goes in this
 * request only if another poller stays free, so a new session's SYN
 * leaves at once on its own connection instead of waiting for a poller
 * to come back from an upload, and if fewer than POST_BULK_MAX requests
 * with bulk are in flight: a few keep the path busy while others wait
 * for their answers (two left a fast path 9% idle), and every one more
 * adds its request to what a new session's packets wait behind in the
 * link (direct relays; through Apps Script, exchanges in parallel are
 * what carries bulk).
 */
static int
post_bulk_ok(struct poller *p)
{
	struct post	*po = p->p_post;
	struct poller	*q;
	size_t		 i, nbulk = 0;
	int		 free = 0;

	for (i = 0; i < po->po_npollers; i++) {
		q = &po->po_pollers[i];
		if (q == p)
			continue;
		if (q->p_busy && q->p_bulk)
			nbulk++;
		if (!q->p_busy && (!q->p_extra || post_pipelining(po)))
			free = 1;
	}
	/* Apps Script: exchanges in parallel are its throughput. */
	if (po->po_fs.fs_health != NULL)
		return (free || nbulk == 0);
	/*
	 * With no other poller free and none carrying bulk, the others sit
	 * in idle long-polls (6-8 s at GooseRelayVPN's servers, which we do
	 * not pipeline to: no extra pollers): one bulk request goes anyway,
	 * or the upload waits for a long-poll to end.  On a slow link
	 * requests are larger than their time (POST_UP_MIN): fewer of them,
	 * or a new session's request waits behind more.
	 */
	return ((free || nbulk == 0) &&
	    nbulk < (po->po_slow ? POST_BULK_SLOW : POST_BULK_MAX));
}

static void
post_poll(struct poller *p)
{
	struct post		*po = p->p_post;
	struct carrier		*car = po->po_car;
	struct tunnel_batch	*tb = p->p_tb;
	struct cendpoint	*ep;
	struct wire_encopts	 eo;
	ssize_t			 pick = p->p_ep;
	size_t			 n, budget;
	int			 probe, text;

	ev_timer_stop(car->c_loop, &p->p_sleep);
	p->p_slotwait = 0;
	if (p->p_busy || !po->po_started)
		return;
	if (p->p_extra && !post_pipelining(po))
		return;		/* extra pollers: pipelined TX */
	if (transport_preempted(car, TR_POST) && car->c_nrst == 0)
		return;		/* the stream carries everything */
	if (car->c_stopping && car->c_nrst == 0)
		return;
	if (po->po_fs.fs_health != NULL && post_outage(p))
		return;
	if (po->po_fs.fs_health == NULL &&
	    (pick = post_direct_pick(po, po->po_cur)) == -1) {
		/* Every relay fails: their checks wake us (post_wake_all). */
		post_sleep(p, post_direct_down(po));
		return;
	}
	po->po_down_since = 0;
	po->po_down_said = 0;
	/* Too much waits for the apps: rxwin_drained() wakes us. */
	if (car->c_nrst == 0 && rxwin_post_hold(car))
		return;
	probe = !car->c_probe_answered && car->c_probe_post.wb_len > 0 ?
	    TUNNEL_PROBE_POST : 0;
	budget = post_budget(po);	/* before post_bulk_ok(): po_slow */
	n = tunnel_fill_ex(car, tb, budget, 1, probe, post_bulk_ok(p));
	p->p_idle = tb->tb_ndata == 0 && car->c_nrst == 0 && !tb->tb_probe &&
	    n == 0;
	if (p->p_idle) {
		if (po->po_nidle >= post_idle_cap(po) ||
		    (car->c_conf.cc_idle_poll_mode == IDLE_POLL_OFF &&
		    car->c_nlive == 0))
			return;		/* wait for a kick */
		po->po_nidle++;
	}
	p->p_ep = po->po_cur = (size_t)pick;
	ep = po->po_eps[p->p_ep];
	p->p_cur = NULL;
	if (po->po_fs.fs_health != NULL) {
		struct health_set	*hs = po->po_fs.fs_health;
		struct cendpoint	*ex[CONF_MAX_SCRIPTS];
		double			 now = ev_now(car->c_loop);

		health_set_sessions(hs, car->c_nlive, now);
		p->p_slot = p->p_idle ? HS_IDLE : HS_ACTIVE;
		ep = health_acquire(hs, p->p_slot, ex, post_failing(po, ex),
		    now, NULL);
		if (ep == NULL) {
			/*
			 * Every slot is taken: an idle poll backs off; TX
			 * waits for post_done() to free an active slot (the
			 * timer only covers a release that wakes nobody).
			 */
			if (p->p_idle)
				po->po_nidle--;
			post_rollback(po, tb, 0);
			p->p_slotwait = !p->p_idle;
			post_sleep(p, p->p_idle ? post_backoff(p) : 0.25);
			return;
		}
		p->p_cur = ep;
		p->p_t0 = now;
	}
	text = !(ep->ep_binary && !ep->ep_text_only) || ep->ep_v15;
	tb->tb_nearly = 0;
	post_encopts(car, ep, &eo);
	p->p_v15 = ep->ep_v15;
	if (tunnel_seal_eo(car, tb, text, 0, &eo) == -1)
		goto fail;
	p->p_busy = 1;
	p->p_bulk = tb->tb_bulk;
	p->p_sent_at = ev_now(car->c_loop);
	p->p_inflight = ep;
	if (ep->ep_ops->eo_exchange(ep, tb->tb_body.wb_data,
	    tb->tb_body.wb_len, !text,
	    car->c_conf.cc_poll_timeout_ms / 1000.0, post_done, p) == -1) {
		p->p_busy = 0;
		p->p_inflight = NULL;
		goto fail;
	}
	if (post_pipelining(po) && tb->tb_ndata > 0) {
		post_pipe_build(p);
		/*
		 * The request bytes are in the pool's buffer: settle the
		 * sessions the exit knows, so that their next frames can
		 * go in other POSTs now (the kicks are held until this
		 * poller is done here).
		 */
		po->po_rolling++;
		tunnel_commit_early(car, tb);
		po->po_rolling--;
		if (po->po_rolling == 0 && po->po_kick_pending) {
			po->po_kick_pending = 0;
			post_kick(car);
		}
	}
	return;
fail:
	/* Nothing reached the endpoint (local: memory, pool): no report. */
	if (p->p_cur != NULL) {
		health_release(p->p_cur, p->p_slot);
		p->p_cur = NULL;
	}
	if (p->p_idle)
		po->po_nidle--;
	post_rollback(po, tb, 0);
	post_sleep(p, POST_FAIL_PAUSE);
}

/*
 * A v1.6 request answered in the v1.5 layout: Go's v1.5 server can read
 * a v1.6 batch as an empty batch of another client (its first bytes as a
 * client id, no exact parse), so our frames are lost although it says
 * 200.  A failure like a 204, which postep.c checks.
 */
static int
post_v15_reply(const struct poller *p)
{
	const struct carrier	*car = p->p_post->po_car;

	return (!p->p_v15 && car->c_rxb.b_layout == WIRE_LAYOUT_V15);
}

static void
post_done(struct cendpoint *ep, enum ep_result res, int sent,
    const uint8_t *body, size_t len, int binary, const char *detail,
    void *arg)
{
	struct poller		*p = arg;
	struct post		*po = p->p_post;
	struct carrier		*car = po->po_car;
	struct tunnel_batch	*tb = p->p_tb;
	struct cendpoint	*hep = p->p_cur;
	enum health_slot	 slot = p->p_slot;
	uint64_t		 fin0 = car->c_st_frames_in;
	double			 now = ev_now(car->c_loop);
	int			 moved, rx = -1, v15r = 0;

	/*
	 * The poller stays busy until its batch is settled: dispatching the
	 * response can kick the pollers (a FIN to send, an RST), and this
	 * one must not start a new batch over the unsettled transaction.
	 */
	if (p->p_idle)
		po->po_nidle--;
	p->p_cur = NULL;
	p->p_inflight = NULL;
	if (hep != NULL)
		health_release(hep, slot);
	if (res == EP_OK) {
		rx = tunnel_rx_body(car, body, len, !binary);
		v15r = rx == 0 && post_v15_reply(p);
	}
	if (res == EP_OK && rx == 0 && !v15r) {
		po->po_n_ok++;
		post_pace_observe(p, ep);
		post_ep_count(po, ep, 1, p->p_idle ? -1 : now - p->p_sent_at);
		if (hep != NULL)
			health_report(hep, EP_OK, now - p->p_t0,
			    car->c_st_frames_in != fin0, now, NULL);
		/* Idle polls are held by the exit: not a round trip. */
		if (!p->p_idle)
			cstats_rtt((uint64_t)((ev_now(car->c_loop) -
			    p->p_sent_at) * 1e6));
		postep_ok(ep, now);
		if (post_direct_redialed(po, ep))
			liveness_disrupted(car);
		liveness_transport_ok(car, 0);
		tunnel_commit_delivered(car, tb);
		if (p->p_nruns > 0)
			post_pipe_confirm(p);
		p->p_busy = 0;
		ep->ep_binary = !ep->ep_text_only &&
		    (car->c_features & WIRE_FEAT_BINARY) != 0;
		moved = tb->tb_ndata > 0 || car->c_st_frames_in != fin0;
		p->p_misses = moved ? 0 : p->p_misses + 1;
		if (moved)
			post_poll(p);
		else
			post_sleep(p, post_backoff(p));
		if (hep != NULL && slot == HS_ACTIVE)
			post_slot_wake(po);
		return;
	}
	po->po_n_fail++;
	liveness_disrupted(car);
	post_ep_count(po, ep, 0, -1);
	/* Said once, backed off, checked (postep.c); health.c too. */
	if (res == EP_OK)
		postep_failed(ep, EP_FAIL_KEY, v15r ?
		    "answered in the GooseRelayVPN v1.5 layout" :
		    "the reply does not decrypt", 0, p->p_v15, now);
	else
		postep_failed(ep, res, detail, 0, p->p_v15, now);
	/*
	 * docs/protocol.md 4.4: roll back what provably did not reach the exit,
	 * local-offline errors and, fronting only, wrapper-level statuses
	 * and non-hard non-batch bodies (soft, rate, quota); abort the
	 * sessions whose frames may have been acted on with the answer lost
	 * (other transport errors, hard failures, undecryptable bodies, any
	 * direct-mode HTTP error).  The poller stays busy meanwhile, so the
	 * kick this causes goes to the other pollers, once.
	 */
	if (!sent || res == EP_FAIL_OFFLINE || (ep->ep_fronted &&
	    (res == EP_FAIL_SOFT || res == EP_FAIL_RATE ||
	    res == EP_FAIL_QUOTA)))
		post_fail_batch(p, 0, 1);
	else
		post_fail_batch(p, 1, 1);
	p->p_busy = 0;
	if (po->po_neps > 1)
		p->p_ep = (p->p_ep + 1) % po->po_neps;
	/* Another relay is answering: go on there at once. */
	if (po->po_fs.fs_health == NULL &&
	    post_direct_pick(po, po->po_cur) != -1)
		post_sleep(p, 0.);
	else
		post_sleep(p, POST_FAIL_PAUSE);
	if (hep != NULL && slot == HS_ACTIVE)
		post_slot_wake(po);
}

/*
 * How long a new session's SYN may wait for the app's first bytes so
 * that one exchange carries both (local.c): half an exchange's round
 * trip, the least an exchange saved is worth, between
 * POST_SYN_HOLD_MIN and POST_SYN_HOLD_MAX.
 */
static double
post_syn_hold(struct carrier *car)
{
	struct post	*po = car->c_post;
	double		 rtt = 0;
	size_t		 i;

	for (i = 0; po != NULL && i < po->po_neps; i++)
		if (po->po_info[i].pe_rtt > 0 &&
		    (rtt == 0 || po->po_info[i].pe_rtt < rtt))
			rtt = po->po_info[i].pe_rtt;
	if (rtt <= 0)
		return (POST_SYN_HOLD_NONE);
	rtt /= 2;
	return (rtt < POST_SYN_HOLD_MIN ? POST_SYN_HOLD_MIN :
	    rtt > POST_SYN_HOLD_MAX ? POST_SYN_HOLD_MAX : rtt);
}

/* The stream went away: every idle poller polls again now. */
void
post_wake_all(struct carrier *car)
{
	struct post	*po = car->c_post;
	size_t		 i;

	if (po == NULL || !po->po_started)
		return;
	for (i = 0; i < po->po_npollers; i++)
		if (!po->po_pollers[i].p_busy)
			post_poll(&po->po_pollers[i]);
}

void
post_kick(struct carrier *car)
{
	struct post	*po = car->c_post;
	size_t		 i;

	if (po == NULL || !po->po_started)
		return;
	if (po->po_rolling) {
		po->po_kick_pending = 1;	/* see post_rollback() */
		return;
	}
	for (i = 0; i < po->po_npollers && tunnel_has_work(car); i++) {
		if (!po->po_pollers[i].p_busy) {
			po->po_pollers[i].p_misses = 0;
			post_poll(&po->po_pollers[i]);
		}
	}
}

/* Pre-flight: one probe per endpoint, one log line each, then a summary. */
static void
post_pf_summary(struct post *po)
{
	log_info("pre-flight: %zu/%zu POST endpoints healthy%s", po->po_pf_ok,
	    po->po_neps, po->po_pf_ok == 0 ? "; continuing anyway" : "");
}

static void
post_pf_free(struct preflight *pf)
{
	struct post	*po = pf->pf_post;

	wbuf_free(&pf->pf_body);
	wbuf_free(&pf->pf_scratch);
	free(pf);
	if (--po->po_pf_pending == 0)
		post_pf_summary(po);
}

static void
post_pf_done(struct cendpoint *ep, enum ep_result res, int sent,
    const uint8_t *body, size_t len, int binary, const char *detail,
    void *arg)
{
	struct preflight	*pf = arg;
	struct post		*po = pf->pf_post;
	struct carrier		*car = po->po_car;
	struct wire_batch	*b = &po->po_pfb;
	const char		*err = NULL;
	size_t			 i;
	int			 found = 0;

	if (res == EP_OK &&
	    wire_body_open(car->c_aead, body, len, !binary, b, &err) == -1) {
		res = EP_FAIL_KEY;
		detail = "the reply does not decrypt";
	} else if (res == EP_OK && b->b_layout == WIRE_LAYOUT_V15 &&
	    !pf->pf_v15) {
		/* Go's v1.5 server may parse a v1.6 batch as an empty one. */
		res = EP_FAIL_KEY;
		detail = "answered in the GooseRelayVPN v1.5 layout";
	}
	if (res == EP_FAIL_KEY) {
		/* Not a guess: postep.c checks both layouts and says. */
		log_warnx("pre-flight %s: %s; checking the other batch layout",
		    ep->ep_label, detail != NULL ? detail : "HTTP 204");
		postep_failed(ep, res, detail, EPF_SAID, pf->pf_v15,
		    ev_now(car->c_loop));
		post_pf_free(pf);
		return;
	}
	if (res != EP_OK) {
		log_warnx("pre-flight %s: %s (%s)", ep->ep_label,
		    res == EP_FAIL_HARD ? "rejected" : "unreachable",
		    detail ? detail : "");
		postep_failed(ep, res, detail, EPF_SAID, pf->pf_v15,
		    ev_now(car->c_loop));
		post_pf_free(pf);
		return;
	}
	/* Our own client id: the answer to our probe is in this reply. */
	for (i = 0; i < b->b_nframes; i++) {
		if ((b->b_frames[i].f_flags & WIRE_F_RST) &&
		    memcmp(b->b_frames[i].f_sid, pf->pf_sid,
		    WIRE_SID_LEN) == 0 && b->b_frames[i].f_len > 0)
			found = 1;
	}
	po->po_pf_ok++;
	postep_ok(ep, ev_now(car->c_loop));
	if (!found && !ep->ep_v15)
		log_warnx("pre-flight %s: ok, but old server (no version "
		    "info)", ep->ep_label);
	else
		log_info("pre-flight %s: ok", ep->ep_label);
	/* The pollers' own probe (with the run reset) sets the features. */
	post_pf_free(pf);
}

static void
post_preflight(struct post *po)
{
	struct carrier		*car = po->po_car;
	struct preflight	*pf;
	struct wire_frame	 f;
	struct wire_encopts	 eo;
	struct wbuf		 payload = { NULL, 0, 0 };
	const char		*err = NULL;
	size_t			 i;

	tunnel_probe_plain(car, &payload);
	po->po_pf_pending = 1;		/* until every probe has started */
	for (i = 0; i < po->po_neps; i++) {
		/* A quarantined account would only burn what is left. */
		if (health_quarantined(po->po_eps[i], ev_now(car->c_loop))) {
			log_info("pre-flight %s: skipped (quota quarantine)",
			    po->po_eps[i]->ep_label);
			continue;
		}
		if ((pf = calloc(1, sizeof(*pf))) == NULL)
			continue;
		pf->pf_post = po;
		pf->pf_ep = po->po_eps[i];
		if (RAND_bytes(pf->pf_cid, sizeof(pf->pf_cid)) != 1 ||
		    RAND_bytes(pf->pf_sid, sizeof(pf->pf_sid)) != 1) {
			free(pf);
			continue;
		}
		memset(&f, 0, sizeof(f));
		memcpy(f.f_sid, pf->pf_sid, WIRE_SID_LEN);
		f.f_flags = WIRE_F_ACK;
		f.f_payload = payload.wb_data;
		f.f_len = payload.wb_len;
		po->po_pf_pending++;
		post_encopts(car, pf->pf_ep, &eo);
		pf->pf_v15 = pf->pf_ep->ep_v15;
		if (wire_body_seal(car->c_aead, pf->pf_cid, &f, 1,
		    &eo, 1, &pf->pf_body, &pf->pf_scratch,
		    &err) == -1 ||
		    pf->pf_ep->ep_ops->eo_exchange(pf->pf_ep,
		    pf->pf_body.wb_data, pf->pf_body.wb_len, 0, 20.0,
		    post_pf_done, pf) == -1) {
			log_warnx("pre-flight %s: cannot start",
			    pf->pf_ep->ep_label);
			post_pf_free(pf);
		}
	}
	wbuf_free(&payload);
	if (--po->po_pf_pending == 0)
		post_pf_summary(po);
}

void
post_start(struct carrier *car)
{
	struct post	*po = car->c_post;
	size_t		 i;

	if (po == NULL || po->po_started || po->po_npollers == 0)
		return;
	po->po_started = 1;
	po->po_started_at = ev_now(car->c_loop);
	/* 2.7: drop SNIs the edge refuses before the traffic starts. */
	if (po->po_fs.fs_fronted != NULL && po->po_fs.fs_neps > 0)
		fronted_sni_probe(po->po_fs.fs_fronted, po->po_fs.fs_eps[0],
		    NULL, NULL);
	post_preflight(po);
	for (i = 0; i < po->po_npollers; i++)
		post_poll(&po->po_pollers[i]);
}

void
post_stop(struct carrier *car)
{
	struct post	*po = car->c_post;
	size_t		 i;

	if (po == NULL)
		return;
	po->po_started = 0;
	for (i = 0; i < po->po_npollers; i++)
		ev_timer_stop(car->c_loop, &po->po_pollers[i].p_sleep);
}

void
post_counts(struct carrier *car, uint64_t *ok, uint64_t *fail)
{
	struct post	*po = car->c_post;

	*ok = po != NULL ? po->po_n_ok : 0;
	*fail = po != NULL ? po->po_n_fail : 0;
}

/* ------------------------------------------------------------------ */
/* Stats rows and SIGHUP (issue 8). */

static void
post_info_set(struct post *po, size_t i, const char *src, const char *acct)
{
	struct post_epinfo	*pe = &po->po_info[i];

	memset(pe, 0, sizeof(*pe));
	snprintf(pe->pe_src, sizeof(pe->pe_src), "%s", src);
	snprintf(pe->pe_account, sizeof(pe->pe_account), "%s", acct);
}

/* Per-endpoint counts of endpoints without health (relay_urls). */
static void
post_ep_count(struct post *po, struct cendpoint *ep, int ok, double rtt)
{
	struct post_epinfo	*pe;
	size_t			 i;

	for (i = 0; i < po->po_neps; i++)
		if (po->po_eps[i] == ep)
			break;
	if (i == po->po_neps)
		return;		/* retired by a reload meanwhile */
	pe = &po->po_info[i];
	pe->pe_bad = !ok;
	if (!ok) {
		pe->pe_fail++;
		return;
	}
	pe->pe_ok++;
	if (rtt >= 0)
		pe->pe_rtt = pe->pe_rtt <= 0 ? rtt :
		    pe->pe_rtt + (rtt - pe->pe_rtt) / 8;
}

/*
 * Free retired endpoints that nothing uses any more: no poller exchange
 * in flight on them, no pre-flight pending, and (apps_script) not within
 * a minute of the start, when the SNI probe may still use the first
 * deployment.
 */
static void
post_reap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct post		*po = w->data;
	struct cendpoint	*ep;
	double			 now = ev_now(loop);
	size_t			 i, k;
	int			 busy;

	for (i = 0; i < po->po_nretired; ) {
		ep = po->po_retired[i].pr_ep;
		busy = po->po_pf_pending > 0 || postep_busy(ep) ||
		    (ep->ep_fronted &&
		    now - po->po_started_at < POST_REAP_DELAY);
		for (k = 0; k < po->po_npollers && !busy; k++)
			if (po->po_pollers[k].p_inflight == ep ||
			    po->po_pollers[k].p_cur == ep)
				busy = 1;
		if (busy) {
			i++;
			continue;
		}
		log_info("reload: endpoint %s released", ep->ep_label);
		postep_detach(ep);
		health_forget(ep);
		ep->ep_ops->eo_free(ep);
		po->po_retired[i] = po->po_retired[--po->po_nretired];
	}
	if (po->po_nretired == 0)
		ev_timer_stop(loop, w);
}

static void
post_retire(struct post *po, struct cendpoint *ep)
{
	struct carrier	*car = po->po_car;

	health_remove(ep);
	postep_retire(ep);
	if (po->po_nretired == sizeof(po->po_retired) /
	    sizeof(po->po_retired[0])) {
		/* Reloads faster than exchanges finish: keep it, unused. */
		log_warnx("reload: too many retired endpoints; %s is not "
		    "freed", ep->ep_label);
		return;
	}
	po->po_retired[po->po_nretired].pr_ep = ep;
	po->po_retired[po->po_nretired++].pr_since = ev_now(car->c_loop);
	if (!ev_is_active(&po->po_reap)) {
		ev_timer_init(&po->po_reap, post_reap_cb, POST_REAP_TICK,
		    POST_REAP_TICK);
		po->po_reap.data = po;
		ev_timer_start(car->c_loop, &po->po_reap);
	}
}

/* The reload identity of endpoint i of the running tier. */
static void
post_ep_ident(struct post *po, struct cendpoint *ep, size_t i, char *src,
    size_t srclen, char *acct, size_t acctlen)
{
	struct stats_endpoint	 se;

	if (ep->ep_health != NULL && ep->ep_fronted)
		health_ep_stats(ep, 0, &se, src, srclen, acct, acctlen);
	else {
		snprintf(src, srclen, "%s", po->po_info[i].pe_src);
		snprintf(acct, acctlen, "%s", po->po_info[i].pe_account);
	}
}

/*
 * A new configuration generation: apply changed script_keys (apps_script)
 * or relay_urls (direct_post, auto) to the running POST tier.  Endpoints
 * that stay keep their object, so their health, blacklist, counters and
 * exchanges in flight carry on; new ones are added, removed ones leave
 * selection at once and are freed once their exchanges are over.  No
 * session is touched.  Switching tiers, or removing every endpoint, needs
 * a restart and says so.  apps_script: every deployment is in the health
 * set (fs_eps), the first CONF_MAX_URLS also in po_eps (pre-flight,
 * outage checks, poller count), as post_add_fronted() does.
 */
static int
post_reload(struct carrier *car)
{
	static struct post_epinfo ninfo[CONF_MAX_URLS];
	struct post		*po = car->c_post;
	const struct carrier_conf *cc = &car->c_conf;
	struct cendpoint	*neps[CONF_MAX_SCRIPTS], **olds, *ep;
	const char		*src[CONF_MAX_SCRIPTS], *acct[CONF_MAX_SCRIPTS];
	const char		*what;
	char			 err[300], osrc[CONF_URL_LEN];
	char			 oacct[CONF_ACCOUNT_LEN];
	size_t			 nsrc = 0, nn = 0, nold, i, j, added = 0;
	size_t			 removed = 0, max;
	int			 fronted = po->po_fs.fs_health != NULL;
	int			 keep[CONF_MAX_SCRIPTS];

	what = fronted ? "script_keys" : "relay_urls";
	if (fronted != transport_post_fronted(cc)) {
		log_warnx("reload: the POST tier would change (%s); restart "
		    "gooserelayd to apply it", fronted ? "script_keys -> "
		    "relay_urls" : "relay_urls -> script_keys");
		return (0);
	}
	if (fronted) {
		health_set_configure(po->po_fs.fs_health, cc);
		for (i = 0; i < cc->cc_nscripts && i < CONF_MAX_SCRIPTS; i++) {
			src[nsrc] = cc->cc_scripts[i].cs_id;
			acct[nsrc++] = cc->cc_scripts[i].cs_account;
		}
		olds = po->po_fs.fs_eps;
		nold = po->po_fs.fs_neps;
		max = CONF_MAX_SCRIPTS;
	} else {
		for (i = 0; i < cc->cc_nrelay && i < CONF_MAX_URLS; i++) {
			src[nsrc] = cc->cc_relay_urls[i];
			acct[nsrc++] = "";
		}
		olds = po->po_eps;
		nold = po->po_neps;
		max = CONF_MAX_URLS;
	}
	memset(keep, 0, sizeof(keep));
	for (j = 0; j < nsrc && nn < max; j++) {
		for (i = 0; i < nold; i++) {
			if (keep[i])
				continue;
			post_ep_ident(po, olds[i], i, osrc, sizeof(osrc),
			    oacct, sizeof(oacct));
			if (strcmp(osrc, src[j]) == 0 &&
			    strcmp(oacct, acct[j]) == 0)
				break;
		}
		if (i < nold) {
			keep[i] = 1;
			if (!fronted) {	/* maybe new addresses */
				direct_set_addr(olds[i], cc->cc_relay_addr[j]);
				direct_set_dead_host(olds[i],
				    cc->cc_dead_host_timeout_ms);
			}
			if (!fronted)
				ninfo[nn] = po->po_info[i];
			neps[nn++] = olds[i];
			continue;
		}
		if (fronted)
			ep = fronted_endpoint_new(po->po_fs.fs_fronted, src[j],
			    acct[j], err, sizeof(err));
		else {
			ep = direct_new(car->c_loop, src[j],
			    cc->cc_relay_addr[j], po->po_tls, 4 * po->po_wpe);
			if (ep != NULL)
				direct_set_dead_host(ep,
				    cc->cc_dead_host_timeout_ms);
			snprintf(err, sizeof(err), "cannot use it");
		}
		if (ep == NULL) {
			log_warnx("reload: %s #%zu: %s", what, j + 1, err);
			continue;
		}
		if (fronted) {
			ep->ep_text_only = 1;
			ep->ep_fronted = 1;
		} else {
			memset(&ninfo[nn], 0, sizeof(ninfo[nn]));
			snprintf(ninfo[nn].pe_src, sizeof(ninfo[nn].pe_src),
			    "%s", src[j]);
		}
		neps[nn++] = ep;
		added++;
		log_info("reload: endpoint %s added", ep->ep_label);
	}
	if (nn == 0) {
		log_warnx("reload: no usable %s in the new configuration; "
		    "keeping the %zu current endpoint%s (restart to apply)",
		    what, nold, nold == 1 ? "" : "s");
		return (0);
	}
	for (i = 0; i < nold; i++) {
		if (keep[i])
			continue;
		log_info("reload: endpoint %s removed", olds[i]->ep_label);
		post_retire(po, olds[i]);
		removed++;
	}
	if (fronted) {
		memcpy(po->po_fs.fs_eps, neps, nn * sizeof(neps[0]));
		po->po_fs.fs_neps = nn;
		po->po_neps = nn < CONF_MAX_URLS ? nn : CONF_MAX_URLS;
		memcpy(po->po_eps, neps, po->po_neps * sizeof(neps[0]));
	} else {
		/* The relay in use stays in use if it stays (failover). */
		ep = po->po_cur < po->po_neps ? po->po_eps[po->po_cur] : NULL;
		po->po_cur = 0;
		for (i = 0; i < nn; i++)
			if (neps[i] == ep)
				po->po_cur = i;
		memcpy(po->po_eps, neps, nn * sizeof(neps[0]));
		memcpy(po->po_info, ninfo, nn * sizeof(ninfo[0]));
		po->po_neps = nn;
	}
	for (i = 0; i < po->po_npollers; i++)
		po->po_pollers[i].p_ep = i % po->po_neps;
	if (added > 0 || removed > 0)
		log_info("reload: %s: %zu endpoint%s kept, %zu added, %zu "
		    "removed", what, nn - added, nn - added == 1 ? "" : "s",
		    added, removed);
	post_px_setup(po);	/* new ones, and the back-off knobs */
	return (post_pollers_grow(po, post_nwant(po)));
}

/*
 * Row i of the POST endpoints for gooserelayctl stats: health-tracked
 * deployments from health.c, relay URLs from post_ep_count().  name gets
 * the bare id or the URL (stats_endpoint() shortens / strips it).
 */
int
post_endpoint_stats(struct carrier *car, size_t i, struct stats_endpoint *se,
    char *name, size_t namelen, char *acct, size_t acctlen)
{
	struct post		*po = car->c_post;
	struct cendpoint	*ep;
	struct post_epinfo	*pe;

	if (po == NULL)
		return (-1);
	if (po->po_fs.fs_health != NULL) {
		/* apps_script: every deployment, also past CONF_MAX_URLS */
		if (i >= po->po_fs.fs_neps)
			return (-1);
		ep = po->po_fs.fs_eps[i];
		pe = NULL;
	} else {
		if (i >= po->po_neps)
			return (-1);
		ep = po->po_eps[i];
		pe = &po->po_info[i];
	}
	if (ep->ep_health != NULL || pe == NULL)
		health_ep_stats(ep, ev_now(car->c_loop), se, name, namelen,
		    acct, acctlen);
	else {
		memset(se, 0, sizeof(*se));
		se->se_script = -1;
		se->se_healthy = !pe->pe_bad;
		se->se_ok = pe->pe_ok;
		se->se_fail = pe->pe_fail;
		se->se_rtt_ms = (uint64_t)(pe->pe_rtt * 1000 + 0.5);
		snprintf(name, namelen, "%s", pe->pe_src);
		snprintf(acct, acctlen, "%s", pe->pe_account);
	}
	snprintf(se->se_kind, sizeof(se->se_kind), "%s",
	    ep->ep_fronted ? "script" : "relay");
	snprintf(se->se_layout, sizeof(se->se_layout), "%s",
	    postep_layout(ep));
	if (!postep_usable(ep))
		se->se_healthy = 0;
	return (0);
}

/* ------------------------------------------------------------------ */
/* The transport interface (transport.h). */

static void
post_transport_counts(struct carrier *car, uint64_t *ok, uint64_t *fail,
    uint64_t *drop)
{
	post_counts(car, ok, fail);
	*drop = 0;
}

const struct transport_ops post_transport = {
	.to_name = "post",
	.to_preinit = post_preinit,
	.to_configure = post_configure,
	.to_start = post_start,
	.to_stop = post_stop,
	.to_kick = post_kick,
	.to_wake = post_wake_all,
	.to_up = post_enabled,
	.to_drained = NULL,	/* rxwin.c: transport_wake() */
	.to_v15 = post_v15,
	.to_local_ack = post_local_ack,
	.to_syn_hold = post_syn_hold,
	.to_probe = NULL,
	.to_state = NULL,
	.to_counts = post_transport_counts,
	.to_endpoint = post_endpoint_stats,
};
