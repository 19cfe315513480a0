/*
 * Restart schedule and death tally of the supervisor (backoff.c):
 * 1 s doubling to 60 s, jitter within +-25% and never outside [1, 60],
 * and a role marked failed only when TALLY_MAX deaths fall within the
 * sliding window.
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
		assert_true(backoff_delay(n, 0.5) == want[n]);
	/* Huge step counts do not overflow. */
	assert_true(backoff_delay(1000, 0.5) == BACKOFF_MAX_S);
	assert_true(backoff_delay(UINT32_MAX, 0.5) == BACKOFF_MAX_S);
}

static void
test_backoff_jitter(void **state)
{
	double		 d, lo, hi, j;
	unsigned	 n;

	for (n = 0; n < 10; n++) {
		lo = hi = backoff_delay(n, 0.5);
		for (j = 0; j < 1; j += 0.01) {
			d = backoff_delay(n, j);
			assert_true(d >= BACKOFF_BASE_S);
			assert_true(d <= BACKOFF_MAX_S);
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		/* Within +-25% of nominal. */
		assert_true(lo >= backoff_delay(n, 0.5) * 0.75 - 1e-9);
		assert_true(hi <= backoff_delay(n, 0.5) * 1.25 + 1e-9);
	}
	/* It does spread (from step 2 on, below the cap). */
	assert_true(backoff_delay(3, 0.0) < backoff_delay(3, 0.99));
	/* Out-of-range jitter is treated as the midpoint. */
	assert_true(backoff_delay(2, -1) == 4);
	assert_true(backoff_delay(2, 7) == 4);
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
		cmocka_unit_test(test_tally_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
