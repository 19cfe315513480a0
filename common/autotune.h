/*
 * auto_tune (docs/protocol.md 5.4) as pure logic: no clock, no I/O.  The
 * worker feeds samples as they happen and calls the tick function from a
 * timer (any period; a step is only taken every AUTOTUNE_PERIOD_MS of the
 * now_ms it passes).  Each step returns change records; the caller logs
 * them with autotune_format() ("old -> new (reason, n=, p95=)"), applies
 * the new values and publishes the current ones with autotune_*_gauges().
 *
 * Only the latency-window knobs move, always inside [min, max] bounds that
 * come from the configuration (cc_tune_* / ec_tune_*).  With auto_tune
 * off nothing ever changes.
 *
 * Carrier:
 *	every 30 s, with >= 8 TTFB samples since the last step:
 *	  active sessions and p95 >= 750 ms -> poll_idle_sleep x3/4 (faster)
 *	  p95 <= 150 ms                     -> poll_idle_sleep x5/4 (calmer)
 *	no sessions (samples not needed)    -> poll_idle_sleep x5/4
 *	clamped to [cc_tune_sleep_min_ms, cc_tune_sleep_max_ms] (2..250).
 *	Integer steps always move by at least 1 ms so small values are not
 *	stuck (5 * 5/4 = 6, 2 * 5/4 = 3).
 *
 * Exit:
 *	every 30 s:
 *	  no sessions                         -> each knob one step back
 *	                                         toward its configured base
 *	  >= 8 queue-wait samples, p95 >= 300 ms
 *	                                      -> active_drain -25, coalesce
 *	                                         -5, busy -5 (answer sooner)
 *	  >= 8 samples, >= 24 sessions and p95 <= 75 ms
 *	                                      -> active_drain +25, coalesce
 *	                                         +5, busy +5 (batch more)
 *	clamped: active_drain [ec_tune_drain_min_ms, ec_tune_drain_max_ms]
 *	(50..250), coalesce [0, ec_tune_coalesce_max_ms] (25), busy [0,
 *	ec_tune_busy_max_ms] (10).
 *
 * The sample window is cleared after each evaluation that had enough
 * samples, so every step reflects only the last period.
 */
#ifndef GR_AUTOTUNE_H
#define GR_AUTOTUNE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "stats.h"

#define AUTOTUNE_PERIOD_MS	30000
#define AUTOTUNE_MIN_SAMPLES	8

#define AUTOTUNE_CC_SLOW_MS	750	/* p95 TTFB: poll faster */
#define AUTOTUNE_CC_FAST_MS	150	/* p95 TTFB: poll calmer */
#define AUTOTUNE_EC_SLOW_MS	300	/* p95 queue wait: shrink windows */
#define AUTOTUNE_EC_FAST_MS	75	/* p95 queue wait: grow windows */
#define AUTOTUNE_EC_BUSY_SESS	24	/* sessions needed to grow */
#define AUTOTUNE_EC_DRAIN_STEP	25
#define AUTOTUNE_EC_COAL_STEP	5
#define AUTOTUNE_EC_BUSY_STEP	5

struct autotune_change {
	const char	*ac_knob;	/* config key name */
	uint32_t	 ac_old;
	uint32_t	 ac_new;
	const char	*ac_reason;	/* static text */
	uint64_t	 ac_samples;	/* samples in the window */
	uint32_t	 ac_p95_ms;	/* p95 of the window, 0 if none */
};

struct autotune_carrier {
	int		 atc_enabled;
	uint32_t	 atc_base_ms;		/* configured poll_idle_sleep */
	uint32_t	 atc_sleep_ms;		/* current value */
	uint32_t	 atc_min_ms;
	uint32_t	 atc_max_ms;
	uint64_t	 atc_last_ms;		/* last evaluation */
	int		 atc_started;
	uint32_t	 atc_steps;		/* changes made so far */
	struct stats_hist atc_window;		/* TTFB, microseconds */
};

struct autotune_exit {
	int		 ate_enabled;
	uint32_t	 ate_base_drain_ms;
	uint32_t	 ate_base_coal_ms;
	uint32_t	 ate_base_busy_ms;
	uint32_t	 ate_drain_ms;		/* active_drain_window_ms */
	uint32_t	 ate_coal_ms;		/* coalesce_window_ms */
	uint32_t	 ate_busy_ms;		/* coalesce_window_busy_ms */
	uint32_t	 ate_drain_min_ms;
	uint32_t	 ate_drain_max_ms;
	uint32_t	 ate_coal_max_ms;
	uint32_t	 ate_busy_max_ms;
	uint64_t	 ate_last_ms;
	int		 ate_started;
	uint32_t	 ate_steps;
	struct stats_hist ate_window;		/* queue wait, microseconds */
};

/*
 * (Re)start from a configuration: current values = configured ones.
 * Called at configure time and on reload (a reload resets tuning).
 */
void	autotune_carrier_init(struct autotune_carrier *,
	    const struct carrier_conf *);
void	autotune_exit_init(struct autotune_exit *, const struct exit_conf *);

static inline void
autotune_carrier_sample(struct autotune_carrier *at, uint64_t ttfb_us)
{
	if (at->atc_enabled)
		stats_hist_add(&at->atc_window, ttfb_us);
}

static inline void
autotune_exit_sample(struct autotune_exit *at, uint64_t queue_wait_us)
{
	if (at->ate_enabled)
		stats_hist_add(&at->ate_window, queue_wait_us);
}

/*
 * Evaluate if a period has passed since the last evaluation (the first
 * call only starts the clock).  Fills at most one change (carrier) or
 * three (exit: drain, coalesce, busy; out must hold 3) and returns how
 * many; 0 when nothing moved or auto_tune is off.
 */
int	autotune_carrier_tick(struct autotune_carrier *, uint64_t now_ms,
	    uint64_t active_sessions, struct autotune_change *out);
int	autotune_exit_tick(struct autotune_exit *, uint64_t now_ms,
	    uint64_t active_sessions, struct autotune_change out[3]);

/* "poll_idle_sleep_ms 5 -> 6 (fast p95, n=12, p95=80ms)".  Returns buf. */
const char *autotune_format(const struct autotune_change *, char *buf,
	    size_t len);

/* Publish current values (and "auto_tune" 0/1) as stats gauges. */
void	autotune_carrier_gauges(const struct autotune_carrier *,
	    struct stats *);
void	autotune_exit_gauges(const struct autotune_exit *, struct stats *);

#endif /* GR_AUTOTUNE_H */
