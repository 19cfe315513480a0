/*
 * health.c for gooserelayctl stats and SIGHUP (issue 8): the stats row of
 * an endpoint (bare id for stats_endpoint, account, counters, blacklist,
 * quota, RTT), and health_remove / health_forget: a removed endpoint is
 * never picked again, its in-flight slot is still released into its
 * bucket, and the endpoints that stay keep their state.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"
#include "stats.h"

#define T0	1795442400.0	/* 2026-11-23T14:00:00Z */
#define ID(n)	"AKfycbReload" #n "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" \
		"XXXXXXXXXXXtail" #n "z"

static struct carrier_conf cc;

static struct health_set *
mkset(struct cendpoint *eps, size_t n, const char *acct)
{
	struct health_set	*hs;
	static const char *const ids[] = { ID(0), ID(1), ID(2) };
	char			 url[300];
	size_t			 i;

	memset(&cc, 0, sizeof(cc));
	cc.cc_blacklist_base_ms = 3000;
	cc.cc_blacklist_max_ms = 3600000;
	cc.cc_outage_grace_ms = 300000;
	cc.cc_idle_slots_per_bucket = 1;
	cc.cc_idle_poll_max_buckets = 2;
	cc.cc_idle_poll_mode = IDLE_POLL_ALWAYS;
	cc.cc_tx_slots_per_bucket = 1;
	hs = health_set_new(&cc, 1);
	assert_non_null(hs);
	for (i = 0; i < n; i++) {
		memset(&eps[i], 0, sizeof(eps[i]));
		snprintf(url, sizeof(url), "https://script.google.com/macros/"
		    "s/%s/exec", ids[i]);
		assert_non_null(health_add(hs, &eps[i], url, acct));
	}
	return (hs);
}

static void
t_row(void **state)
{
	struct cendpoint	 eps[2];
	struct health_set	*hs = mkset(eps, 2, "acct-a");
	struct stats_endpoint	 se;
	char			 id[600], acct[64];

	health_count_request(&eps[0], T0);
	health_report(&eps[0], EP_OK, 0.200, 1, T0, NULL);
	health_count_request(&eps[0], T0);
	health_report(&eps[0], EP_FAIL_SOFT, 0, 0, T0 + 1, "x");
	health_ep_stats(&eps[0], T0 + 1, &se, id, sizeof(id), acct,
	    sizeof(acct));
	/* The bare id: stats_endpoint() shortens it, never the exec URL. */
	assert_string_equal(id, ID(0));
	assert_string_equal(acct, "acct-a");
	assert_int_equal(se.se_ok, 1);
	assert_int_equal(se.se_fail, 1);
	assert_int_equal(se.se_today, 2);
	assert_int_equal(se.se_rtt_ms, 200);
	assert_false(se.se_healthy);
	assert_false(se.se_quota);
	assert_true(se.se_bl_ms > 2000 && se.se_bl_ms <= 3600);
	assert_int_equal(se.se_script, -1);

	health_report(&eps[1], EP_FAIL_QUOTA, 0, 0, T0, "quota");
	health_ep_stats(&eps[0], T0 + 10, &se, id, sizeof(id), acct,
	    sizeof(acct));
	assert_true(se.se_quota);		/* same account */
	assert_false(se.se_healthy);
	assert_true(se.se_bl_ms > 3600 * 1000);
	health_set_free(hs);
}

static void
t_remove(void **state)
{
	struct cendpoint	 eps[3], *got;
	struct health_set	*hs = mkset(eps, 3, "");
	struct stats_endpoint	 se;
	char			 id[600], acct[64];
	int			 i;

	health_report(&eps[0], EP_OK, 0.050, 1, T0, NULL);
	health_report(&eps[2], EP_FAIL_SOFT, 0, 0, T0, "x");
	/* eps[1] has an active exchange in flight when it is removed. */
	assert_ptr_equal(health_acquire(hs, HS_ACTIVE, (struct cendpoint *[])
	    { &eps[0], &eps[2] }, 2, T0, NULL), &eps[1]);
	health_remove(&eps[1]);
	assert_int_equal(health_count(hs), 2);
	assert_false(health_usable(&eps[1], T0));
	for (i = 0; i < 20; i++) {
		got = health_acquire(hs, HS_ACTIVE, NULL, 0, T0 + 100 + i,
		    NULL);
		assert_non_null(got);
		assert_ptr_not_equal(got, &eps[1]);
		health_release(got, HS_ACTIVE);
	}
	/* Its late answer still releases the slot and reports. */
	health_release(&eps[1], HS_ACTIVE);
	health_report(&eps[1], EP_OK, 0.1, 1, T0 + 1, NULL);
	/* The others kept their state. */
	health_ep_stats(&eps[0], T0 + 1, &se, id, sizeof(id), acct,
	    sizeof(acct));
	assert_true(se.se_ok >= 1 && se.se_rtt_ms == 50);
	health_ep_stats(&eps[2], T0 + 1, &se, id, sizeof(id), acct,
	    sizeof(acct));
	assert_int_equal(se.se_fail, 1);
	assert_false(se.se_healthy);
	/* An outage is judged over the endpoints that stay. */
	assert_int_equal(health_outage(hs, T0 + 1), HO_NONE);
	health_forget(&eps[1]);
	assert_null(eps[1].ep_health);
	health_forget(&eps[1]);			/* idempotent */
	health_set_free(hs);
}

static void
t_configure(void **state)
{
	struct cendpoint	 eps[1];
	struct health_set	*hs = mkset(eps, 1, "");

	health_report(&eps[0], EP_FAIL_SOFT, 0, 0, T0, "x");
	assert_true(health_blacklisted_for(&eps[0], T0) <= 3.6);
	cc.cc_blacklist_base_ms = 10000;
	cc.cc_blacklist_max_ms = 20000;
	health_set_configure(hs, &cc);
	health_report(&eps[0], EP_FAIL_SOFT, 0, 0, T0, "x");
	/* Second failure: 2 x base, capped by the new max (+-20%). */
	assert_true(health_blacklisted_for(&eps[0], T0) >= 16.0);
	assert_true(health_blacklisted_for(&eps[0], T0) <= 24.0);
	health_set_free(hs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_row),
		cmocka_unit_test(t_remove),
		cmocka_unit_test(t_configure),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
