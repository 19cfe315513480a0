/*
 * Carrier statistics and auto_tune (issue 8, docs/ops.md): the carrier's
 * own counters (c_st_*, kept where they happen) mirrored into a struct
 * stats for gooserelayctl stats and the periodic "[stats]" lines, TTFB
 * samples, and the bounded poll_idle_sleep_ms tuner.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autotune.h"
#include "carrier.h"
#include "log.h"
#include "stats.h"
#include "transport.h"
#include "udp.h"
#include "wproc.h"

#define CSTATS_TUNE_S	1.0	/* the tuner steps every 30 s itself */

static struct stats		 cstats_st;
static struct autotune_carrier	 cstats_tune;
static ev_timer			 cstats_log_timer;
static ev_timer			 cstats_tune_timer;

/* Before the sandbox: stats_init seeds jansson's hash (urandom). */
void
cstats_init(struct carrier *car)
{
	stats_init(&cstats_st, "carrier", wproc_instance());
	ev_init(&cstats_log_timer, NULL);
	ev_init(&cstats_tune_timer, NULL);
}

/*
 * One row per endpoint of the current configuration: deployments and
 * relay URLs (post.c, health.c), then WebSocket URLs (stream.c; "fail"
 * counts failed connects and drops).  Rebuilt on every sync, so a reload
 * shows the new set while kept endpoints show their running counters.
 */
static void
cstats_endpoints(struct carrier *car)
{
	static const enum transport_id order[] = { TR_POST, TR_STREAM };
	struct stats		*st = &cstats_st;
	struct stats_endpoint	 se;
	char			 name[CONF_URL_LEN + CONF_HOST_LEN + 16];
	char			 acct[CONF_ACCOUNT_LEN];
	size_t			 i, t;

	stats_endpoint_clear(st);
	for (t = 0; t < sizeof(order) / sizeof(order[0]); t++)
		for (i = 0; transport_endpoint(car, order[t], i, &se, name,
		    sizeof(name), acct, sizeof(acct)) == 0; i++)
			stats_endpoint_update(st, stats_endpoint(st, name,
			    acct), &se);
}

/* Mirror the carrier's counters and gauges into the registry. */
static void
cstats_sync(struct carrier *car)
{
	struct stats	*st = &cstats_st;
	uint64_t	 ok, fail, drop;
	int64_t		 retry_ms;
	unsigned int	 fails;
	int		 state;

	st->st_counter[STC_SESS_OPEN] = car->c_st_open;
	st->st_counter[STC_SESS_CLOSE] = car->c_st_close;
	st->st_counter[STC_FRAMES_OUT] = car->c_st_frames_out;
	st->st_counter[STC_FRAMES_IN] = car->c_st_frames_in;
	st->st_counter[STC_BYTES_OUT] = car->c_st_bytes_out;
	st->st_counter[STC_BYTES_IN] = car->c_st_bytes_in;
	st->st_counter[STC_RST_SENT] = car->c_st_rst_out;
	st->st_counter[STC_RST_RECV] = car->c_st_rst_in;
	st->st_counter[STC_DECODE_FAIL] = car->c_st_decode_fail;
	transport_counts(car, TR_POST, &ok, &fail, &drop);
	st->st_counter[STC_POLLS_OK] = ok;
	st->st_counter[STC_POLLS_FAIL] = fail;
	transport_counts(car, TR_STREAM, &ok, &fail, &drop);
	st->st_counter[STC_STREAM_CONNECTS] = ok;
	st->st_counter[STC_STREAM_DROPS] = drop;
	st->st_counter[STC_STREAM_FALLBACKS] = transport_fallbacks();
	cstats_endpoints(car);
	stats_set_active(st, car->c_nlive);
	autotune_carrier_gauges(&cstats_tune, st);
	(void)stats_gauge(st, "tx_buffered", (int64_t)car->c_txq);
	(void)stats_gauge(st, "refused", (int64_t)car->c_st_refused);
	/* Storm guard: connections that had to wait, and waiting now. */
	(void)stats_gauge(st, "admit_waited",
	    (int64_t)car->c_st_admit_waited);
	(void)stats_gauge(st, "admit_waiting", (int64_t)car->c_nwait);
	(void)stats_gauge(st, "batches_out", (int64_t)car->c_st_batches_out);
	(void)stats_gauge(st, "batches_in", (int64_t)car->c_st_batches_in);
	(void)stats_gauge(st, "features", (int64_t)car->c_features);
	(void)stats_gauge(st, "stream_up", transport_up(car, TR_STREAM));
	(void)stats_gauge(st, "stalled_resets",
	    (int64_t)liveness_stalled_count());
	(void)stats_gauge(st, "dead_host_probes",
	    (int64_t)failover_probe_count());
	if (transport_state(car, TR_STREAM, &state, &fails, &retry_ms) == 0) {
		(void)stats_gauge(st, "stream_state", state);
		(void)stats_gauge(st, "stream_failures", fails);
		(void)stats_gauge(st, "stream_retry_in_ms", retry_ms);
	}
	udp_stats(st);
}

static void
cstats_line_cb(const char *line, void *arg)
{
	log_info("%s", line);
}

static void
cstats_log_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;

	cstats_sync(car);
	(void)stats_log(&cstats_st, stats_now_ms(), car->c_conf.cc_stats_json,
	    cstats_line_cb, NULL);
}

static void
cstats_tune_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier		*car = w->data;
	struct autotune_change	 ch;
	char			 line[160];

	if (autotune_carrier_tick(&cstats_tune, stats_now_ms(), car->c_nlive,
	    &ch) > 0) {
		log_info("auto_tune: %s", autotune_format(&ch, line,
		    sizeof(line)));
		car->c_conf.cc_poll_idle_sleep_ms = cstats_tune.atc_sleep_ms;
	}
}

/* Every configuration generation: a reload restarts tuning. */
void
cstats_configure(struct carrier *car)
{
	const struct carrier_conf	*cc = &car->c_conf;

	autotune_carrier_init(&cstats_tune, cc);
	ev_timer_stop(car->c_loop, &cstats_log_timer);
	ev_timer_stop(car->c_loop, &cstats_tune_timer);
	if (cc->cc_stats_interval_s > 0) {
		ev_timer_init(&cstats_log_timer, cstats_log_cb,
		    cc->cc_stats_interval_s, cc->cc_stats_interval_s);
		cstats_log_timer.data = car;
		ev_timer_start(car->c_loop, &cstats_log_timer);
	}
	if (cstats_tune.atc_enabled) {
		ev_timer_init(&cstats_tune_timer, cstats_tune_cb,
		    CSTATS_TUNE_S, CSTATS_TUNE_S);
		cstats_tune_timer.data = car;
		ev_timer_start(car->c_loop, &cstats_tune_timer);
	}
}

/* A session's first downlink byte reached the application. */
void
cstats_ttfb(uint64_t usec)
{
	stats_hist_add(stats_hist(&cstats_st, STH_TTFB), usec);
	autotune_carrier_sample(&cstats_tune, usec);
}

/* One POST exchange that carried data came back. */
void
cstats_rtt(uint64_t usec)
{
	stats_hist_add(stats_hist(&cstats_st, STH_ENDPOINT_RTT), usec);
}

/* A session's data waited this long on the ready list for a batch. */
void
cstats_qwait(double secs)
{
	stats_hist_add(stats_hist(&cstats_st, STH_QUEUE_WAIT),
	    secs > 0 ? (uint64_t)(secs * 1e6) : 0);
}

/* One batch sealed / opened (CPU time of the wire code, wall clock). */
void
cstats_encode(double secs)
{
	stats_hist_add(stats_hist(&cstats_st, STH_ENCODE),
	    secs > 0 ? (uint64_t)(secs * 1e6) : 0);
}

void
cstats_decode(double secs)
{
	stats_hist_add(stats_hist(&cstats_st, STH_DECODE),
	    secs > 0 ? (uint64_t)(secs * 1e6) : 0);
}

/* Unacknowledged upstream frames given back after a transport reset. */
void
cstats_replay(uint64_t frames)
{
	stats_add(&cstats_st, STC_REPLAY_RESENDS, frames);
}

void
cstats_reply(struct carrier *car, uint32_t reqid)
{
	char	*s;

	cstats_sync(car);
	s = stats_json_text(&cstats_st, stats_now_ms());
	wproc_send_stats(reqid, s != NULL ? s : "{}");
	free(s);
}
