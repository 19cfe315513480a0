/*
 * epfail.c: a persistent failure said once per state change, reminded at
 * most once a minute with its count, the recovery said once; the back-off
 * ladder (doubling, +-20 % jitter, capped); stale failures of attempts
 * made before the streak began count but do not move it; one retry at a
 * time.  The log lines are captured here (log_warnx/log_info/log_debug).
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "epfail.h"
#include "log.h"

static char	 lines[64][256];
static int	 nlines, ndebug;

static void
capture(const char *fmt, va_list ap)
{
	if (nlines < 64)
		vsnprintf(lines[nlines++], sizeof(lines[0]), fmt, ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	ndebug++;
}

static void
reset(void)
{
	nlines = ndebug = 0;
	memset(lines, 0, sizeof(lines));
}

/* Six pollers fail at once, then retries for 25 s: one line. */
static void
t_said_once(void **state)
{
	struct epfail	 ef;
	double		 now = 1000, d;
	int		 i, a;

	(void)state;
	reset();
	epfail_init(&ef, "http://127.0.0.1:9", 3.0, 30.0);
	for (i = 0; i < 6; i++)
		epfail_failed(&ef, now, "transport error: refused", -1, 0);
	assert_int_equal(nlines, 1);
	assert_non_null(strstr(lines[0], "http://127.0.0.1:9: transport "
	    "error: refused; retrying in"));
	assert_int_equal(ef.ef_streak, 1);	/* the burst is one step */
	assert_int_equal(ef.ef_attempts, 6);
	/* No attempt before the delay, one at a time after it. */
	assert_int_equal(epfail_admit(&ef, now + 1, 1), EPA_NO);
	while (now < 1025) {
		now += epfail_wait(&ef, now);
		a = epfail_admit(&ef, now, 1);
		assert_int_equal(a, EPA_RETRY);
		assert_int_equal(epfail_admit(&ef, now, 1), EPA_NO);
		assert_true(epfail_wait(&ef, now) < 0);
		d = epfail_failed(&ef, now, "transport error: refused", -1,
		    EPF_RETRY);
		assert_true(d > 0);
	}
	assert_int_equal(nlines, 1);
	assert_true(ndebug > 0);
	/* 3, 6, 12, 24 (+-20 %): five retries at most in 25 s. */
	assert_true(ef.ef_streak <= 5);
}

static void
t_ladder(void **state)
{
	struct epfail	 ef;
	double		 want[] = { 2, 4, 8, 16, 30, 30, 30 }, d;
	size_t		 i;

	(void)state;
	reset();
	epfail_init(&ef, "x", 2.0, 30.0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = epfail_failed(&ef, 100, "e", -1, EPF_RETRY);
		assert_true(d >= want[i] * 0.8 - 1e-9);
		assert_true(d <= want[i] * 1.2 + 1e-9);
		assert_true(d <= 30.0 + 1e-9);
	}
	/* The caller's delay (health.c's TTL) wins. */
	d = epfail_failed(&ef, 100, "e", 300, EPF_RETRY);
	assert_true(d == 300);
}

static void
t_reminder_change_recovery(void **state)
{
	struct epfail	 ef;
	double		 now = 0;
	int		 i;

	(void)state;
	reset();
	epfail_init(&ef, "ep", 1.0, 30.0);
	epfail_failed(&ef, now, "HTTP 502", -1, 0);
	for (i = 0; i < 10; i++) {
		now += 10;
		epfail_failed(&ef, now, "HTTP 502", -1, EPF_RETRY);
	}
	/* 100 s: the first line and one reminder at 60 s. */
	assert_int_equal(nlines, 2);
	assert_non_null(strstr(lines[1], "ep: still failing: 6 attempts in "
	    "the last 60 s (HTTP 502)"));
	/* Another reason: a change of state, said. */
	epfail_failed(&ef, now + 1, "transport error: refused", -1,
	    EPF_RETRY);
	assert_int_equal(nlines, 3);
	assert_non_null(strstr(lines[2], "ep: now transport error: refused "
	    "(failing for 101 s)"));
	/* Recovered: said once, with the count; ok again says nothing. */
	assert_int_equal(epfail_ok(&ef, now + 2, 0), 1);
	assert_int_equal(nlines, 4);
	assert_non_null(strstr(lines[3], "ep: answering again after 12 "
	    "failed attempts in 102 s"));
	assert_int_equal(epfail_ok(&ef, now + 3, 0), 0);
	assert_int_equal(nlines, 4);
	assert_int_equal(epfail_admit(&ef, now + 3, 1), EPA_OK);
}

/* A quiet start: the verdict that follows is the first line. */
static void
t_quiet_then_verdict(void **state)
{
	struct epfail	 ef;

	(void)state;
	reset();
	epfail_init(&ef, "ep", 1.0, 30.0);
	epfail_failed(&ef, 5, "HTTP 204", 0, EPF_QUIET);
	assert_int_equal(nlines, 0);
	assert_true(epfail_failing(&ef));
	assert_int_equal(epfail_admit(&ef, 5, 0), EPA_RETRY);
	epfail_failed(&ef, 6, "tunnel_key mismatch", -1, EPF_RETRY);
	assert_int_equal(nlines, 1);
	assert_non_null(strstr(lines[0], "ep: tunnel_key mismatch; retrying"));
	/* The same again: nothing. */
	epfail_failed(&ef, 9, "tunnel_key mismatch", -1, EPF_RETRY);
	assert_int_equal(nlines, 1);
	/* Learned elsewhere: said once. */
	epfail_say(&ef, 10, "server speaks X");
	epfail_say(&ef, 11, "server speaks X");
	assert_int_equal(nlines, 2);
	/* Quiet recovery of a start that was never said. */
	reset();
	epfail_init(&ef, "ep2", 1.0, 30.0);
	epfail_failed(&ef, 5, "HTTP 204", 0, EPF_QUIET);
	epfail_ok(&ef, 6, 1);
	assert_int_equal(nlines, 0);
	assert_false(epfail_failing(&ef));
}

/* A caller that says it itself, and a cancelled retry. */
static void
t_said_cancel(void **state)
{
	struct epfail	 ef;
	int		 a;

	(void)state;
	reset();
	epfail_init(&ef, "ep", 1.0, 30.0);
	epfail_failed(&ef, 0, "quota exhausted", 3600, EPF_SAID);
	assert_int_equal(nlines, 0);
	assert_true(epfail_wait(&ef, 0) == 3600);
	a = epfail_admit(&ef, 3600, 1);
	assert_int_equal(a, EPA_RETRY);
	epfail_cancel(&ef, a);
	assert_int_equal(epfail_admit(&ef, 3600, 1), EPA_RETRY);
	assert_true(epfail_stale(&ef, 0));
	assert_false(epfail_stale(&ef, EPF_RETRY));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_said_once),
		cmocka_unit_test(t_ladder),
		cmocka_unit_test(t_reminder_change_recovery),
		cmocka_unit_test(t_quiet_then_verdict),
		cmocka_unit_test(t_said_cancel),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
