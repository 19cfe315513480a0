/*
 * Bounded auto_tune loops of docs/protocol.md 5.4 (see autotune.h for the
 * rules).  Pure functions of the samples, the session count and the time
 * passed in, so every step can be checked by a unit test.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include "autotune.h"

static uint32_t
autotune_clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

/* One step of at most step toward target (no overshoot). */
static uint32_t
autotune_toward(uint32_t v, uint32_t target, uint32_t step)
{
	if (v < target)
		return target - v > step ? v + step : target;
	if (v > target)
		return v - target > step ? v - step : target;
	return v;
}

static uint32_t
autotune_p95_ms(const struct stats_hist *h)
{
	return (uint32_t)((stats_hist_pct(h, 95) + 500) / 1000);
}

/* Fill a change record if the value moved; returns 1 if it did. */
static int
autotune_record(struct autotune_change *c, const char *knob, uint32_t old,
    uint32_t new, const char *reason, const struct stats_hist *w)
{
	if (old == new)
		return 0;
	c->ac_knob = knob;
	c->ac_old = old;
	c->ac_new = new;
	c->ac_reason = reason;
	c->ac_samples = w->sh_count;
	c->ac_p95_ms = w->sh_count ? autotune_p95_ms(w) : 0;
	return 1;
}

/* Decide whether a period has passed; the first call starts the clock. */
static int
autotune_due(int *started, uint64_t *last, uint64_t now_ms)
{
	if (!*started) {
		*started = 1;
		*last = now_ms;
		return 0;
	}
	if (now_ms < *last + AUTOTUNE_PERIOD_MS)
		return 0;
	*last = now_ms;
	return 1;
}

void
autotune_carrier_init(struct autotune_carrier *at,
    const struct carrier_conf *cc)
{
	memset(at, 0, sizeof(*at));
	at->atc_enabled = cc->cc_auto_tune != 0;
	at->atc_base_ms = at->atc_sleep_ms = cc->cc_poll_idle_sleep_ms;
	at->atc_min_ms = cc->cc_tune_sleep_min_ms;
	at->atc_max_ms = cc->cc_tune_sleep_max_ms;
	if (at->atc_max_ms < at->atc_min_ms)
		at->atc_max_ms = at->atc_min_ms;
	stats_hist_reset(&at->atc_window);
}

int
autotune_carrier_tick(struct autotune_carrier *at, uint64_t now_ms,
    uint64_t active, struct autotune_change *out)
{
	struct stats_hist	*w = &at->atc_window;
	uint32_t		 old = at->atc_sleep_ms, new, p95, clamped;
	const char		*reason;
	int			 n;

	if (!at->atc_enabled ||
	    !autotune_due(&at->atc_started, &at->atc_last_ms, now_ms))
		return 0;
	if (active == 0) {
		/* Idle: poll less eagerly (saves Apps Script quota). */
		new = old + (old / 4 > 0 ? old / 4 : 1);
		reason = "no sessions";
	} else if (w->sh_count < AUTOTUNE_MIN_SAMPLES) {
		return 0;	/* keep collecting */
	} else if ((p95 = autotune_p95_ms(w)) >= AUTOTUNE_CC_SLOW_MS) {
		new = old - (old / 4 > 0 ? old / 4 : 1);
		if (old == 0)
			new = 0;
		reason = "slow p95 ttfb";
	} else if (p95 <= AUTOTUNE_CC_FAST_MS) {
		new = old + (old / 4 > 0 ? old / 4 : 1);
		reason = "fast p95 ttfb";
	} else {
		stats_hist_reset(w);
		return 0;
	}
	/*
	 * Clamp, but never move against the step's direction (a configured
	 * value outside the bounds stays until a step leads into them).
	 */
	clamped = autotune_clamp(new, at->atc_min_ms, at->atc_max_ms);
	if ((new > old && clamped < old) || (new < old && clamped > old))
		clamped = old;
	new = clamped;
	n = autotune_record(out, "poll_idle_sleep_ms", old, new, reason, w);
	at->atc_sleep_ms = new;
	at->atc_steps += n;
	stats_hist_reset(w);
	return n;
}

void
autotune_exit_init(struct autotune_exit *at, const struct exit_conf *ec)
{
	memset(at, 0, sizeof(*at));
	at->ate_enabled = ec->ec_auto_tune != 0;
	at->ate_base_drain_ms = at->ate_drain_ms =
	    ec->ec_active_drain_window_ms;
	at->ate_base_coal_ms = at->ate_coal_ms = ec->ec_coalesce_window_ms;
	at->ate_base_busy_ms = at->ate_busy_ms =
	    ec->ec_coalesce_window_busy_ms;
	at->ate_drain_min_ms = ec->ec_tune_drain_min_ms;
	at->ate_drain_max_ms = ec->ec_tune_drain_max_ms;
	if (at->ate_drain_max_ms < at->ate_drain_min_ms)
		at->ate_drain_max_ms = at->ate_drain_min_ms;
	at->ate_coal_max_ms = ec->ec_tune_coalesce_max_ms;
	at->ate_busy_max_ms = ec->ec_tune_busy_max_ms;
	stats_hist_reset(&at->ate_window);
}

int
autotune_exit_tick(struct autotune_exit *at, uint64_t now_ms,
    uint64_t active, struct autotune_change out[3])
{
	struct stats_hist	*w = &at->ate_window;
	uint32_t		 d, c, b, p95;
	const char		*reason;
	int			 n = 0, dir = 0;

	if (!at->ate_enabled ||
	    !autotune_due(&at->ate_started, &at->ate_last_ms, now_ms))
		return 0;
	if (active == 0) {
		/*
		 * Back to what the operator configured, one step at a time.
		 * The configured value itself is always allowed, even outside
		 * the tuning bounds: the bounds limit the tuner, not the
		 * operator.
		 */
		d = autotune_toward(at->ate_drain_ms, at->ate_base_drain_ms,
		    AUTOTUNE_EC_DRAIN_STEP);
		c = autotune_toward(at->ate_coal_ms, at->ate_base_coal_ms,
		    AUTOTUNE_EC_COAL_STEP);
		b = autotune_toward(at->ate_busy_ms, at->ate_base_busy_ms,
		    AUTOTUNE_EC_BUSY_STEP);
		reason = "no sessions, toward base";
	} else if (w->sh_count < AUTOTUNE_MIN_SAMPLES) {
		return 0;
	} else if ((p95 = autotune_p95_ms(w)) >= AUTOTUNE_EC_SLOW_MS) {
		/* Frames wait too long: hold requests for less time. */
		d = at->ate_drain_ms > AUTOTUNE_EC_DRAIN_STEP ?
		    at->ate_drain_ms - AUTOTUNE_EC_DRAIN_STEP : 0;
		c = at->ate_coal_ms > AUTOTUNE_EC_COAL_STEP ?
		    at->ate_coal_ms - AUTOTUNE_EC_COAL_STEP : 0;
		b = at->ate_busy_ms > AUTOTUNE_EC_BUSY_STEP ?
		    at->ate_busy_ms - AUTOTUNE_EC_BUSY_STEP : 0;
		d = autotune_clamp(d, at->ate_drain_min_ms,
		    at->ate_drain_max_ms);
		c = autotune_clamp(c, 0, at->ate_coal_max_ms);
		b = autotune_clamp(b, 0, at->ate_busy_max_ms);
		reason = "slow p95 queue wait";
		dir = -1;
	} else if (active >= AUTOTUNE_EC_BUSY_SESS &&
	    p95 <= AUTOTUNE_EC_FAST_MS) {
		/* Busy and quick: batch more per response. */
		d = autotune_clamp(at->ate_drain_ms + AUTOTUNE_EC_DRAIN_STEP,
		    at->ate_drain_min_ms, at->ate_drain_max_ms);
		c = autotune_clamp(at->ate_coal_ms + AUTOTUNE_EC_COAL_STEP,
		    0, at->ate_coal_max_ms);
		b = autotune_clamp(at->ate_busy_ms + AUTOTUNE_EC_BUSY_STEP,
		    0, at->ate_busy_max_ms);
		reason = "busy, fast p95 queue wait";
		dir = 1;
	} else {
		stats_hist_reset(w);
		return 0;
	}
	/*
	 * A clamp may pull a configured out-of-bounds value the "wrong"
	 * way (base 350 above max 250 on a grow step): never move against
	 * the step's direction.
	 */
	if (dir < 0) {
		d = d > at->ate_drain_ms ? at->ate_drain_ms : d;
		c = c > at->ate_coal_ms ? at->ate_coal_ms : c;
		b = b > at->ate_busy_ms ? at->ate_busy_ms : b;
	} else if (dir > 0) {
		d = d < at->ate_drain_ms ? at->ate_drain_ms : d;
		c = c < at->ate_coal_ms ? at->ate_coal_ms : c;
		b = b < at->ate_busy_ms ? at->ate_busy_ms : b;
	}
	n += autotune_record(&out[n], "active_drain_window_ms",
	    at->ate_drain_ms, d, reason, w);
	n += autotune_record(&out[n], "coalesce_window_ms",
	    at->ate_coal_ms, c, reason, w);
	n += autotune_record(&out[n], "coalesce_window_busy_ms",
	    at->ate_busy_ms, b, reason, w);
	at->ate_drain_ms = d;
	at->ate_coal_ms = c;
	at->ate_busy_ms = b;
	at->ate_steps += n;
	stats_hist_reset(w);
	return n;
}

const char *
autotune_format(const struct autotune_change *c, char *buf, size_t len)
{
	snprintf(buf, len, "auto_tune: %s %u \xe2\x86\x92 %u (%s, n=%llu, "
	    "p95=%ums)", c->ac_knob, c->ac_old, c->ac_new, c->ac_reason,
	    (unsigned long long)c->ac_samples, c->ac_p95_ms);
	return buf;
}

void
autotune_carrier_gauges(const struct autotune_carrier *at, struct stats *st)
{
	stats_gauge(st, "auto_tune", at->atc_enabled);
	stats_gauge(st, "poll_idle_sleep_ms", at->atc_sleep_ms);
	stats_gauge(st, "auto_tune_steps", at->atc_steps);
}

void
autotune_exit_gauges(const struct autotune_exit *at, struct stats *st)
{
	stats_gauge(st, "auto_tune", at->ate_enabled);
	stats_gauge(st, "active_drain_window_ms", at->ate_drain_ms);
	stats_gauge(st, "coalesce_window_ms", at->ate_coal_ms);
	stats_gauge(st, "coalesce_window_busy_ms", at->ate_busy_ms);
	stats_gauge(st, "auto_tune_steps", at->ate_steps);
}
