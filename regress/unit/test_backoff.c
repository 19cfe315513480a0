/*
 * Restart schedule and death tally of the supervisor (backoff.c):
 * 1 s doubling to 60 s (5 s after a death under load), jitter within
 * +-25% and never outside [1, cap], a role marked failed only when
 * TALLY_MAX deaths at start fall within the sliding window, and which
 * deaths count as deaths at start.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor.h"

static void
test_backoff_schedule(void **state)
{
	const double	 want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	unsigned	 n;

	/* jitter 0.5 is the midpoint: exactly the nominal delay. */
	for (n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		assert_true(backoff_delay(n, 0.5, BACKOFF_MAX_S) == want[n]);
	/* Huge step counts do not overflow. */
	assert_true(backoff_delay(1000, 0.5, BACKOFF_MAX_S) == BACKOFF_MAX_S);
	assert_true(backoff_delay(UINT32_MAX, 0.5, BACKOFF_MAX_S) ==
	    BACKOFF_MAX_S);
}

static void
test_backoff_jitter(void **state)
{
	double		 d, lo, hi, j;
	unsigned	 n;

	for (n = 0; n < 10; n++) {
		lo = hi = backoff_delay(n, 0.5, BACKOFF_MAX_S);
		for (j = 0; j < 1; j += 0.01) {
			d = backoff_delay(n, j, BACKOFF_MAX_S);
			assert_true(d >= BACKOFF_BASE_S);
			assert_true(d <= BACKOFF_MAX_S);
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		/* Within +-25% of nominal. */
		assert_true(lo >= backoff_delay(n, 0.5, BACKOFF_MAX_S) *
		    0.75 - 1e-9);
		assert_true(hi <= backoff_delay(n, 0.5, BACKOFF_MAX_S) *
		    1.25 + 1e-9);
	}
	/* It does spread (from step 2 on, below the cap). */
	assert_true(backoff_delay(3, 0.0, BACKOFF_MAX_S) <
	    backoff_delay(3, 0.99, BACKOFF_MAX_S));
	/* Out-of-range jitter is treated as the midpoint. */
	assert_true(backoff_delay(2, -1, BACKOFF_MAX_S) == 4);
	assert_true(backoff_delay(2, 7, BACKOFF_MAX_S) == 4);
}

/* After a death under load: the same doubling, capped low. */
static void
test_backoff_load(void **state)
{
	const double	 want[] = { 1, 2, 4, 5, 5, 5 };
	double		 sum = 0, d, j;
	unsigned	 n;

	for (n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		assert_true(backoff_delay(n, 0.5, BACKOFF_LOAD_MAX_S) ==
		    want[n]);
	for (n = 0; n < 50; n++)
		for (j = 0; j < 1; j += 0.1) {
			d = backoff_delay(n, j, BACKOFF_LOAD_MAX_S);
			assert_true(d >= BACKOFF_BASE_S);
			assert_true(d <= BACKOFF_LOAD_MAX_S);
		}
	/* Ten deaths under load cost well under two minutes of delays. */
	for (n = 0; n < 10; n++)
		sum += backoff_delay(n, 0.99, BACKOFF_LOAD_MAX_S);
	assert_true(sum < 60);
	/* A nonsense cap is the normal one. */
	assert_true(backoff_delay(10, 0.5, 0) == BACKOFF_MAX_S);
}

/* Which deaths fail a role: before READY, or soon after it, unproven. */
static void
test_backoff_at_start(void **state)
{
	assert_true(backoff_at_start(-1, 0));
	assert_true(backoff_at_start(-1, 1));
	assert_true(backoff_at_start(0.5, 0));
	assert_true(backoff_at_start(BACKOFF_PROVEN_S - 0.1, 0));
	assert_false(backoff_at_start(BACKOFF_PROVEN_S, 0));
	assert_false(backoff_at_start(3600, 0));
	/* Once the role has run, a quick death is a death under load. */
	assert_false(backoff_at_start(0.1, 1));
}

static void
test_tally_window(void **state)
{
	struct tally	 t;
	double		 now = 1000;
	unsigned	 i;

	memset(&t, 0, sizeof(t));
	/* TALLY_MAX - 1 deaths in the window: not failed. */
	for (i = 0; i < TALLY_MAX - 1; i++)
		assert_int_equal(tally_add(&t, now + i), 0);
	assert_int_equal(tally_count(&t, now + TALLY_MAX), TALLY_MAX - 1);
	/* One more within the window: failed. */
	assert_int_equal(tally_add(&t, now + TALLY_MAX), 1);

	/* Deaths spread wider than the window never fail the role. */
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 10 * TALLY_MAX; i++)
		assert_int_equal(tally_add(&t, now + i *
		    (TALLY_WINDOW_S / (TALLY_MAX - 2))), 0);
	/* Old deaths leave the window. */
	assert_true(tally_count(&t, now + 1e6) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_backoff_load),
		cmocka_unit_test(test_backoff_at_start),
		cmocka_unit_test(test_tally_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
