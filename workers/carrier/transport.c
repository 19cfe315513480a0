/*
 * The tunnel core's side of the transport interface (transport.h): which
 * transports run, decided from transport_mode in one place; which one
 * carries the tunnel (the first in order of preference that is up: the
 * stream, else POST); and what happens when one goes away (fallback).
 * Sessions, batching, ACKs and replay stay in tunnel.c, which the
 * transports call to fill and settle their batches.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "carrier.h"
#include "log.h"
#include "transport.h"

static const struct transport_ops *const transport_table[TR_MAX] = {
	[TR_STREAM] = &stream_transport,
	[TR_POST] = &post_transport
};

/* Which transports this configuration runs (transport_configure()). */
static int		 transport_on[TR_MAX];
static uint64_t		 transport_nfallback;

/*
 * transport_mode as the set of transports to run.  auto runs both: the
 * stream carries while it is up, POST otherwise.  transport_mode cannot
 * change on a reload (carrier.c keeps the running value), so this is
 * the same set for the life of the process.
 */
static void
transport_select(const struct carrier_conf *cc)
{
	transport_on[TR_STREAM] = cc->cc_transport == TM_DIRECT_STREAM ||
	    cc->cc_transport == TM_AUTO;
	transport_on[TR_POST] = cc->cc_transport != TM_DIRECT_STREAM;
}

/* Before the sandbox, every transport: the mode is not known yet. */
int
transport_preinit(struct carrier *car, const char **failed)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_table[i]->to_preinit(car) == -1) {
			*failed = transport_table[i]->to_name;
			return (-1);
		}
	return (0);
}

/*
 * A configuration generation: POST first, since only its setup can
 * fail (the caller rolls the generation back then, before the stream
 * saw it); then the stream.
 */
int
transport_configure(struct carrier *car, const uint8_t *ca, size_t calen)
{
	transport_select(&car->c_conf);
	if (transport_on[TR_POST] &&
	    transport_table[TR_POST]->to_configure(car, ca, calen) == -1)
		return (-1);
	if (transport_on[TR_STREAM])
		(void)transport_table[TR_STREAM]->to_configure(car, ca, calen);
	return (0);
}

/* Start (or, on a reload, resume) what runs; a no-op if running. */
void
transport_start(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_on[i])
			transport_table[i]->to_start(car);
}

void
transport_stop(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_on[i])
			transport_table[i]->to_stop(car);
}

/* Sessions have work: the transport that carries takes it. */
void
transport_kick(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_on[i] && transport_table[i]->to_up(car)) {
			transport_table[i]->to_kick(car);
			return;
		}
}

void
transport_wake(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_on[i] && transport_table[i]->to_wake != NULL)
			transport_table[i]->to_wake(car);
}

void
transport_drained(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_on[i] && transport_table[i]->to_drained != NULL)
			transport_table[i]->to_drained(car);
}

int
transport_up(struct carrier *car, enum transport_id id)
{
	return (transport_on[id] && transport_table[id]->to_up(car));
}

/* Can anything carry the tunnel now? */
int
transport_any_up(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_up(car, i))
			return (1);
	return (0);
}

/* 1 if a transport preferred to id carries the tunnel now. */
int
transport_preempted(struct carrier *car, enum transport_id id)
{
	size_t	 i;

	for (i = 0; i < (size_t)id; i++)
		if (transport_up(car, i))
			return (1);
	return (0);
}

/*
 * Transport id lost its connection (the caller already scheduled its
 * next attempt).  With a replay store every unacknowledged frame goes
 * again on whatever carries next.  Without one, bytes written to a dead
 * connection may be lost: with nothing to fall back to the sessions
 * that sent any are aborted (as GooseRelayVPN does); with a fallback,
 * it picks the sessions up.
 */
void
transport_lost(struct carrier *car, enum transport_id id)
{
	struct lconn	*lc, *next;
	size_t		 i;
	int		 fallback = 0;

	for (i = 0; i < TR_MAX; i++)
		if (i != (size_t)id && transport_on[i])
			fallback = 1;
	if (car->c_scfg.sc_replay)
		tunnel_requeue_all(car);
	else if (!fallback) {
		for (lc = TAILQ_FIRST(&car->c_conns); lc != NULL; lc = next) {
			next = TAILQ_NEXT(lc, lc_all);
			if (lc->lc_sess != NULL &&
			    (lc->lc_sess->s_flags & SESS_TX_SYN_SENT))
				local_abort(lc, "stream lost");
		}
	}
	liveness_disrupted(car);
	for (i = 0; i < TR_MAX; i++)
		if (i != (size_t)id && transport_up(car, i)) {
			transport_nfallback++;
			break;
		}
	transport_wake(car);
}

int
transport_probe(struct carrier *car, enum transport_id id)
{
	if (!transport_on[id] || transport_table[id]->to_probe == NULL)
		return (0);
	return (transport_table[id]->to_probe(car));
}

/* Has a transport switched to the v1.5 layout (postep.c)? */
int
transport_v15(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_table[i]->to_v15 != NULL &&
		    transport_table[i]->to_v15(car))
			return (1);
	return (0);
}

/* Do a transport's answers confirm the frames it sent? */
int
transport_local_ack(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_table[i]->to_local_ack != NULL &&
		    transport_table[i]->to_local_ack(car))
			return (1);
	return (0);
}

/* Stats of one transport; -1: it has no state in this configuration. */
int
transport_state(struct carrier *car, enum transport_id id, int *state,
    unsigned int *fails, int64_t *retry_ms)
{
	if (transport_table[id]->to_state == NULL)
		return (-1);
	return (transport_table[id]->to_state(car, state, fails, retry_ms));
}

void
transport_counts(struct carrier *car, enum transport_id id, uint64_t *ok,
    uint64_t *fail, uint64_t *drop)
{
	transport_table[id]->to_counts(car, ok, fail, drop);
}

int
transport_endpoint(struct carrier *car, enum transport_id id, size_t i,
    struct stats_endpoint *se, char *name, size_t namelen, char *acct,
    size_t acctlen)
{
	return (transport_table[id]->to_endpoint(car, i, se, name, namelen,
	    acct, acctlen));
}

/* The stream went away while another transport could carry. */
uint64_t
transport_fallbacks(void)
{
	return (transport_nfallback);
}

/*
 * The POST tier: the deployments (apps_script, or auto with script_keys
 * and no relay_urls), else relay_urls.
 */
int
transport_post_fronted(const struct carrier_conf *cc)
{
	return (cc->cc_transport == TM_APPS_SCRIPT ||
	    (cc->cc_transport == TM_AUTO && cc->cc_nrelay == 0 &&
	    cc->cc_nscripts > 0));
}

/* apps_script: the deployments are the only POST tier, never relays. */
int
transport_fronted_only(const struct carrier_conf *cc)
{
	return (cc->cc_transport == TM_APPS_SCRIPT);
}

/*
 * May a stream carry frames in this configuration?  If not, POST answers
 * alone confirm what was sent (post.c: local ACKs).  Only pipelined
 * direct_post asks, so apps_script (never pipelined) needs no case.
 */
int
transport_stream_may_carry(const struct carrier_conf *cc)
{
	return (cc->cc_transport != TM_DIRECT_POST && cc->cc_nstream > 0);
}

/*
 * How long a new session's SYN may wait for the app's first bytes: what
 * the transport that carries says (0: it does not wait).
 */
double
transport_syn_hold(struct carrier *car)
{
	size_t	 i;

	for (i = 0; i < TR_MAX; i++)
		if (transport_up(car, i))
			return (transport_table[i]->to_syn_hold != NULL ?
			    transport_table[i]->to_syn_hold(car) : 0);
	return (0);
}

const char *
transport_mode_name(const struct carrier_conf *cc)
{
	switch (cc->cc_transport) {
	case TM_AUTO:
		return ("auto");
	case TM_DIRECT_STREAM:
		return ("direct_stream");
	case TM_DIRECT_POST:
		return ("direct_post");
	default:
		return ("apps_script");
	}
}

/*
 * How long the RSTs of a shutdown may take to go out: an Apps Script
 * round trip is seconds.
 */
double
transport_rst_bound(const struct carrier_conf *cc)
{
	return (cc->cc_transport == TM_APPS_SCRIPT ? 15.0 : 5.0);
}
