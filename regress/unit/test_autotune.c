/*
 * auto_tune (docs/protocol.md 5.4): synthetic samples drive every kind of
 * step; each step is checked for its direction, its size, its bounds and
 * its change record.
 */
#include "gr_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "autotune.h"

#define P	AUTOTUNE_PERIOD_MS

static void
test_autotune_cc_conf(struct carrier_conf *cc, uint32_t sleep_ms)
{
	memset(cc, 0, sizeof(*cc));
	cc->cc_auto_tune = 1;
	cc->cc_poll_idle_sleep_ms = sleep_ms;
	cc->cc_tune_sleep_min_ms = 2;
	cc->cc_tune_sleep_max_ms = 250;
}

static void
test_autotune_ec_conf(struct exit_conf *ec)
{
	memset(ec, 0, sizeof(*ec));
	ec->ec_auto_tune = 1;
	ec->ec_active_drain_window_ms = 150;
	ec->ec_coalesce_window_ms = 0;
	ec->ec_coalesce_window_busy_ms = 0;
	ec->ec_tune_drain_min_ms = 50;
	ec->ec_tune_drain_max_ms = 250;
	ec->ec_tune_coalesce_max_ms = 25;
	ec->ec_tune_busy_max_ms = 10;
}

static void
test_autotune_feed_cc(struct autotune_carrier *at, int n, uint64_t ms)
{
	int	 i;

	for (i = 0; i < n; i++)
		autotune_carrier_sample(at, ms * 1000 + (uint64_t)i);
}

static void
test_autotune_feed_ec(struct autotune_exit *at, int n, uint64_t ms)
{
	int	 i;

	for (i = 0; i < n; i++)
		autotune_exit_sample(at, ms * 1000 + (uint64_t)i);
}

static void
test_autotune_off(void **state)
{
	struct carrier_conf	 cc;
	struct exit_conf	 ec;
	struct autotune_carrier	 ac;
	struct autotune_exit	 ae;
	struct autotune_change	 ch[3];
	uint64_t		 t;

	(void)state;
	test_autotune_cc_conf(&cc, 5);
	cc.cc_auto_tune = 0;
	test_autotune_ec_conf(&ec);
	ec.ec_auto_tune = 0;
	autotune_carrier_init(&ac, &cc);
	autotune_exit_init(&ae, &ec);
	for (t = 0; t < 20 * P; t += P) {
		test_autotune_feed_cc(&ac, 20, 2000);
		test_autotune_feed_ec(&ae, 20, 1000);
		assert_int_equal(autotune_carrier_tick(&ac, t, 5, ch), 0);
		assert_int_equal(autotune_exit_tick(&ae, t, 5, ch), 0);
		assert_int_equal(autotune_carrier_tick(&ac, t, 0, ch), 0);
		assert_int_equal(autotune_exit_tick(&ae, t, 0, ch), 0);
	}
	assert_int_equal(ac.atc_sleep_ms, 5);
	assert_int_equal(ae.ate_drain_ms, 150);
	assert_int_equal(ac.atc_window.sh_count, 0);
}

/* Slow TTFB with live sessions: x3/4 per period, never below min. */
static void
test_autotune_cc_slow(void **state)
{
	struct carrier_conf	 cc;
	struct autotune_carrier	 at;
	struct autotune_change	 ch;
	uint64_t		 t = 1000;
	uint32_t		 prev, want;
	int			 i, n;

	(void)state;
	test_autotune_cc_conf(&cc, 200);
	autotune_carrier_init(&at, &cc);
	assert_int_equal(autotune_carrier_tick(&at, t, 3, &ch), 0); /* start */
	/* Not a full period yet: nothing. */
	test_autotune_feed_cc(&at, 10, 900);
	assert_int_equal(autotune_carrier_tick(&at, t + P - 1, 3, &ch), 0);
	for (i = 0; i < 30; i++) {
		t += P;
		prev = at.atc_sleep_ms;
		test_autotune_feed_cc(&at, 10, 900);
		n = autotune_carrier_tick(&at, t, 3, &ch);
		if (prev == 2) {
			assert_int_equal(n, 0);
			assert_int_equal(at.atc_sleep_ms, 2);
			continue;
		}
		assert_int_equal(n, 1);
		assert_string_equal(ch.ac_knob, "poll_idle_sleep_ms");
		assert_int_equal(ch.ac_old, prev);
		assert_true(ch.ac_new < prev);
		assert_true(ch.ac_new >= 2);
		want = prev - (prev / 4 > 0 ? prev / 4 : 1);
		assert_int_equal(ch.ac_new, want < 2 ? 2 : want);
		assert_true(ch.ac_samples >= 10);
		assert_true(ch.ac_p95_ms >= 750);
		assert_int_equal(at.atc_sleep_ms, ch.ac_new);
	}
	assert_int_equal(at.atc_sleep_ms, 2);
}

/* Fast TTFB: x5/4 (at least +1), never above max; sparse: no step. */
static void
test_autotune_cc_fast(void **state)
{
	struct carrier_conf	 cc;
	struct autotune_carrier	 at;
	struct autotune_change	 ch;
	char			 line[256];
	uint64_t		 t = 0;
	uint32_t		 prev;
	int			 i, n;

	(void)state;
	test_autotune_cc_conf(&cc, 2);
	autotune_carrier_init(&at, &cc);
	autotune_carrier_tick(&at, t, 1, &ch);
	/* Fewer than 8 samples: keep collecting, no change. */
	test_autotune_feed_cc(&at, 7, 20);
	t += P;
	assert_int_equal(autotune_carrier_tick(&at, t, 1, &ch), 0);
	assert_int_equal(at.atc_window.sh_count, 7);
	test_autotune_feed_cc(&at, 1, 20);
	t += P;
	assert_int_equal(autotune_carrier_tick(&at, t, 1, &ch), 1);
	assert_int_equal(ch.ac_old, 2);
	assert_int_equal(ch.ac_new, 3);		/* 2*5/4 would stick at 2 */
	assert_int_equal(ch.ac_samples, 8);
	assert_string_equal(ch.ac_reason, "fast p95 ttfb");
	autotune_format(&ch, line, sizeof(line));
	assert_string_equal(line, "auto_tune: poll_idle_sleep_ms 2 "
	    "\xe2\x86\x92 3 (fast p95 ttfb, n=8, p95=20ms)");
	for (i = 0; i < 40; i++) {
		t += P;
		prev = at.atc_sleep_ms;
		test_autotune_feed_cc(&at, 8, 100);
		n = autotune_carrier_tick(&at, t, 4, &ch);
		if (prev == 250) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);
		assert_true(ch.ac_new > prev);
		assert_true(ch.ac_new <= 250);
		assert_true(ch.ac_new <= prev + prev / 4 + 1);
	}
	assert_int_equal(at.atc_sleep_ms, 250);
	/* Middle band: no change, window cleared. */
	autotune_carrier_init(&at, &cc);
	autotune_carrier_tick(&at, 0, 1, &ch);
	test_autotune_feed_cc(&at, 20, 400);
	assert_int_equal(autotune_carrier_tick(&at, P, 1, &ch), 0);
	assert_int_equal(at.atc_sleep_ms, 2);
	assert_int_equal(at.atc_window.sh_count, 0);
}

/* No sessions: calmer even without samples; configurable bounds hold. */
static void
test_autotune_cc_idle_bounds(void **state)
{
	struct carrier_conf	 cc;
	struct autotune_carrier	 at;
	struct autotune_change	 ch;
	uint64_t		 t = 0;
	int			 i;

	(void)state;
	test_autotune_cc_conf(&cc, 10);
	cc.cc_tune_sleep_min_ms = 8;
	cc.cc_tune_sleep_max_ms = 20;
	autotune_carrier_init(&at, &cc);
	autotune_carrier_tick(&at, t, 0, &ch);
	t += P;
	assert_int_equal(autotune_carrier_tick(&at, t, 0, &ch), 1);
	assert_int_equal(ch.ac_old, 10);
	assert_int_equal(ch.ac_new, 12);
	assert_int_equal(ch.ac_samples, 0);
	assert_string_equal(ch.ac_reason, "no sessions");
	for (i = 0; i < 10; i++) {
		t += P;
		autotune_carrier_tick(&at, t, 0, &ch);
		assert_true(at.atc_sleep_ms <= 20);
	}
	assert_int_equal(at.atc_sleep_ms, 20);
	for (i = 0; i < 10; i++) {
		t += P;
		test_autotune_feed_cc(&at, 9, 5000);
		autotune_carrier_tick(&at, t, 2, &ch);
		assert_true(at.atc_sleep_ms >= 8);
	}
	assert_int_equal(at.atc_sleep_ms, 8);

	/* A configured value above max is not pulled down by a calm step. */
	test_autotune_cc_conf(&cc, 300);
	autotune_carrier_init(&at, &cc);
	autotune_carrier_tick(&at, 0, 0, &ch);
	assert_int_equal(autotune_carrier_tick(&at, P, 0, &ch), 0);
	assert_int_equal(at.atc_sleep_ms, 300);
	/* ...but a faster step leads it into the bounds. */
	test_autotune_feed_cc(&at, 8, 1000);
	assert_int_equal(autotune_carrier_tick(&at, 2 * P, 1, &ch), 1);
	assert_int_equal(ch.ac_new, 225);
}

/* Slow queue wait: every knob shrinks by its step, clamped. */
static void
test_autotune_ec_slow(void **state)
{
	struct exit_conf	 ec;
	struct autotune_exit	 at;
	struct autotune_change	 ch[3];
	uint64_t		 t = 0;
	uint32_t		 pd, pc, pb;
	int			 i, n, j;

	(void)state;
	test_autotune_ec_conf(&ec);
	ec.ec_coalesce_window_ms = 20;
	ec.ec_coalesce_window_busy_ms = 10;
	autotune_exit_init(&at, &ec);
	autotune_exit_tick(&at, t, 1, ch);
	for (i = 0; i < 10; i++) {
		t += P;
		pd = at.ate_drain_ms;
		pc = at.ate_coal_ms;
		pb = at.ate_busy_ms;
		test_autotune_feed_ec(&at, 8, 400);
		n = autotune_exit_tick(&at, t, 1, ch);
		assert_true(at.ate_drain_ms <= pd);
		assert_true(at.ate_coal_ms <= pc);
		assert_true(at.ate_busy_ms <= pb);
		assert_true(at.ate_drain_ms >= 50);
		assert_true(pd - at.ate_drain_ms <= 25);
		assert_true(pc - at.ate_coal_ms <= 5);
		assert_true(pb - at.ate_busy_ms <= 5);
		for (j = 0; j < n; j++) {
			assert_true(ch[j].ac_new < ch[j].ac_old);
			assert_string_equal(ch[j].ac_reason,
			    "slow p95 queue wait");
			assert_true(ch[j].ac_p95_ms >= 300);
			assert_int_equal(ch[j].ac_samples, 8);
		}
	}
	assert_int_equal(at.ate_drain_ms, 50);
	assert_int_equal(at.ate_coal_ms, 0);
	assert_int_equal(at.ate_busy_ms, 0);
	assert_int_equal(at.ate_steps, 4 + 4 + 2);
}

/* Busy and fast: grow, but only with >= 24 sessions; then back to base. */
static void
test_autotune_ec_busy_idle(void **state)
{
	struct exit_conf	 ec;
	struct autotune_exit	 at;
	struct autotune_change	 ch[3];
	struct stats		 st;
	uint64_t		 t = 0;
	int			 i, n;

	(void)state;
	test_autotune_ec_conf(&ec);
	autotune_exit_init(&at, &ec);
	autotune_exit_tick(&at, t, 30, ch);
	/* 23 sessions: fast but not busy, nothing moves. */
	t += P;
	test_autotune_feed_ec(&at, 8, 10);
	assert_int_equal(autotune_exit_tick(&at, t, 23, ch), 0);
	t += P;
	test_autotune_feed_ec(&at, 8, 10);
	n = autotune_exit_tick(&at, t, 24, ch);
	assert_int_equal(n, 3);
	assert_string_equal(ch[0].ac_knob, "active_drain_window_ms");
	assert_int_equal(ch[0].ac_old, 150);
	assert_int_equal(ch[0].ac_new, 175);
	assert_string_equal(ch[1].ac_knob, "coalesce_window_ms");
	assert_int_equal(ch[1].ac_new, 5);
	assert_string_equal(ch[2].ac_knob, "coalesce_window_busy_ms");
	assert_int_equal(ch[2].ac_new, 5);
	for (i = 0; i < 10; i++) {
		t += P;
		test_autotune_feed_ec(&at, 8, 10);
		autotune_exit_tick(&at, t, 100, ch);
		assert_true(at.ate_drain_ms <= 250);
		assert_true(at.ate_coal_ms <= 25);
		assert_true(at.ate_busy_ms <= 10);
	}
	assert_int_equal(at.ate_drain_ms, 250);
	assert_int_equal(at.ate_coal_ms, 25);
	assert_int_equal(at.ate_busy_ms, 10);

	stats_init(&st, "exit", 0);
	autotune_exit_gauges(&at, &st);
	assert_int_equal(st.st_ngauges, 5);

	/* No sessions: one step at a time back to 150/0/0. */
	t += P;
	n = autotune_exit_tick(&at, t, 0, ch);
	assert_int_equal(n, 3);
	assert_int_equal(ch[0].ac_new, 225);
	assert_int_equal(ch[1].ac_new, 20);
	assert_int_equal(ch[2].ac_new, 5);
	assert_string_equal(ch[0].ac_reason, "no sessions, toward base");
	for (i = 0; i < 10; i++) {
		t += P;
		autotune_exit_tick(&at, t, 0, ch);
		assert_true(at.ate_drain_ms >= 150);
	}
	assert_int_equal(at.ate_drain_ms, 150);
	assert_int_equal(at.ate_coal_ms, 0);
	assert_int_equal(at.ate_busy_ms, 0);
	t += P;
	assert_int_equal(autotune_exit_tick(&at, t, 0, ch), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autotune_off),
		cmocka_unit_test(test_autotune_cc_slow),
		cmocka_unit_test(test_autotune_cc_fast),
		cmocka_unit_test(test_autotune_cc_idle_bounds),
		cmocka_unit_test(test_autotune_ec_slow),
		cmocka_unit_test(test_autotune_ec_busy_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
