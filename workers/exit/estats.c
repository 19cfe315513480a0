/*
 * Exit statistics and auto_tune (issue 8, docs/ops.md): the exit's own
 * counters (ee_stats, kept where they happen) mirrored into a struct
 * stats for gooserelayctl stats and the periodic "[stats]" lines, and
 * the bounded latency-window tuner, which moves ee_conf's
 * active_drain_window_ms and coalesce windows in place.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autotune.h"
#include "exit.h"
#include "log.h"
#include "stats.h"
#include "udp.h"
#include "wproc.h"

#define ESTATS_TUNE_S	1.0	/* the tuner steps every 30 s itself */

static struct stats		 estats_st;
static struct autotune_exit	 estats_tune;
static ev_timer			 estats_log_timer;
static ev_timer			 estats_tune_timer;

/* Before the sandbox: stats_init seeds jansson's hash (urandom). */
void
estats_init(void)
{
	stats_init(&estats_st, "exit", wproc_instance());
	ev_init(&estats_log_timer, NULL);
	ev_init(&estats_tune_timer, NULL);
}

/* Mirror the exit's counters and gauges into the registry. */
static void
estats_sync(void)
{
	const struct exit_stats	*s = &ex->ee_stats;
	struct stats		*st = &estats_st;
	struct admit_stats	 ad;

	st->st_counter[STC_SESS_OPEN] = s->es_sess_open;
	st->st_counter[STC_SESS_CLOSE] = s->es_sess_closed;
	/* out = toward the target, in = back toward the application. */
	st->st_counter[STC_BYTES_OUT] = s->es_bytes_up;
	st->st_counter[STC_BYTES_IN] = s->es_bytes_down;
	st->st_counter[STC_REQUESTS] = s->es_requests;
	st->st_counter[STC_RST_SENT] = s->es_rst_sent;
	st->st_counter[STC_RST_RECV] = s->es_rst_recv;
	st->st_counter[STC_FRAMES_OUT] = s->es_frames_up;
	st->st_counter[STC_FRAMES_IN] = s->es_frames_down;
	st->st_counter[STC_DECODE_FAIL] = s->es_decode_fail;
	st->st_counter[STC_DIALS_OK] = s->es_dial_ok;
	st->st_counter[STC_DIALS_FAIL] = s->es_dial_fail;
	st->st_counter[STC_DIALS_SUPPRESSED] = s->es_dial_suppressed;
	st->st_counter[STC_REPLAY_RESENDS] = s->es_replay_resend;
	st->st_counter[STC_STREAM_CONNECTS] = s->es_streams;
	stats_set_active(st, ex->ee_sessions.st_count);
	autotune_exit_gauges(&estats_tune, st);
	(void)stats_gauge(st, "clients", (int64_t)client_count());
	(void)stats_gauge(st, "probes", (int64_t)s->es_probes);
	(void)stats_gauge(st, "http_4xx", (int64_t)s->es_http_4xx);
	(void)stats_gauge(st, "http_503", (int64_t)s->es_http_503);
	(void)stats_gauge(st, "dialback_targets", (int64_t)dialback_count());
	(void)stats_gauge(st, "replay_bytes", (int64_t)ex->ee_rp_bytes);
	/* Client bytes waiting for slow upstreams (rxflow.c). */
	(void)stats_gauge(st, "rx_queued_bytes", (int64_t)ex->ee_rxq);
	(void)stats_gauge(st, "rx_over_cap", (int64_t)s->es_rx_over);
	(void)stats_gauge(st, "rx_slow_resets", (int64_t)s->es_rx_aborts);
	/* Unauthenticated load (admit.c) and the descriptor limit. */
	admit_stats(&ad);
	(void)stats_gauge(st, "preauth_posts", (int64_t)ad.ad_posts);
	(void)stats_gauge(st, "preauth_streams", (int64_t)ad.ad_streams);
	(void)stats_gauge(st, "preauth_busy", (int64_t)ad.ad_busy);
	(void)stats_gauge(st, "preauth_cut", (int64_t)ad.ad_cut);
	(void)stats_gauge(st, "hello_timeouts", (int64_t)ad.ad_hello);
	(void)stats_gauge(st, "known_sources", (int64_t)ad.ad_known);
	(void)stats_gauge(st, "accept_pauses", (int64_t)exit_accept_pauses());
	udp_stats(st);
}

static void
estats_line_cb(const char *line, void *arg)
{
	log_info("%s", line);
}

static void
estats_log_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	estats_sync();
	(void)stats_log(&estats_st, stats_now_ms(), ex->ee_conf.ec_stats_json,
	    estats_line_cb, NULL);
}

static void
estats_tune_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct autotune_change	 ch[3];
	char			 line[160];
	int			 i, n;

	n = autotune_exit_tick(&estats_tune, stats_now_ms(),
	    ex->ee_sessions.st_count, ch);
	for (i = 0; i < n; i++)
		log_info("auto_tune: %s", autotune_format(&ch[i], line,
		    sizeof(line)));
	if (n > 0) {
		ex->ee_conf.ec_active_drain_window_ms =
		    estats_tune.ate_drain_ms;
		ex->ee_conf.ec_coalesce_window_ms = estats_tune.ate_coal_ms;
		ex->ee_conf.ec_coalesce_window_busy_ms =
		    estats_tune.ate_busy_ms;
	}
}

/* Every configuration generation: a reload restarts tuning. */
void
estats_configure(void)
{
	const struct exit_conf	*ec = &ex->ee_conf;

	autotune_exit_init(&estats_tune, ec);
	ev_timer_stop(ex->ee_loop, &estats_log_timer);
	ev_timer_stop(ex->ee_loop, &estats_tune_timer);
	if (ec->ec_stats_interval_s > 0) {
		ev_timer_init(&estats_log_timer, estats_log_cb,
		    ec->ec_stats_interval_s, ec->ec_stats_interval_s);
		ev_timer_start(ex->ee_loop, &estats_log_timer);
	}
	if (estats_tune.ate_enabled) {
		ev_timer_init(&estats_tune_timer, estats_tune_cb,
		    ESTATS_TUNE_S, ESTATS_TUNE_S);
		ev_timer_start(ex->ee_loop, &estats_tune_timer);
	}
}

/* A downlink frame waited usec between arriving and being sent. */
void
estats_queue_wait(uint64_t usec)
{
	stats_hist_add(stats_hist(&estats_st, STH_QUEUE_WAIT), usec);
	autotune_exit_sample(&estats_tune, usec);
}

void
estats_reply(uint32_t reqid)
{
	char	*s;

	estats_sync();
	s = stats_json_text(&estats_st, stats_now_ms());
	wproc_send_stats(reqid, s != NULL ? s : "{}");
	free(s);
}
