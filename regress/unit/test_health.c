/*
 * health.c: blacklist ladder and jitter, failure classes, scoring and
 * selection, buckets and slots, idle_poll_mode, outage grace, quota
 * quarantine with its JSON state, the Pacific clock, and the non-batch
 * body classification of protocol.md 4.4.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include <cmocka.h>

#include "health.h"

#define T0	1795442400.0	/* 2026-11-23T14:00:00Z */

static struct carrier_conf cc;
static char	 saved[4096];
static int	 nsaved;

static void
hook(const char *s, size_t n, void *arg)
{
	(void)arg;
	snprintf(saved, sizeof(saved), "%.*s", (int)n, s);
	nsaved++;
}

static struct health_set *
mkset(struct cendpoint *eps, size_t n, const char *const *accounts)
{
	struct health_set	*hs;
	char			 url[200];
	size_t			 i;

	memset(&cc, 0, sizeof(cc));
	cc.cc_blacklist_base_ms = 3000;
	cc.cc_blacklist_max_ms = 3600000;
	cc.cc_outage_grace_ms = 300000;
	cc.cc_idle_slots_per_bucket = 1;
	cc.cc_idle_poll_max_buckets = 2;
	cc.cc_idle_poll_mode = IDLE_POLL_ALWAYS;
	cc.cc_tx_slots_per_bucket = 3;
	hs = health_set_new(&cc, 1);
	assert_non_null(hs);
	for (i = 0; i < n; i++) {
		memset(&eps[i], 0, sizeof(eps[i]));
		snprintf(url, sizeof(url), "https://script.google.com/macros/"
		    "s/AKfycbEndpoint%zuXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/"
		    "exec", i);
		assert_non_null(health_add(hs, &eps[i], url,
		    accounts ? accounts[i] : ""));
	}
	return (hs);
}

static void
t_fnv(void **state)
{
	(void)state;
	assert_int_equal(health_fnv32a("", 0), 0x811c9dc5U);
	assert_int_equal(health_fnv32a("a", 1), 0xe40c292cU);
	assert_int_equal(health_fnv32a("foobar", 6), 0xbf9cf968U);
}

static void
t_ladder(void **state)
{
	struct cendpoint	 ep[1];
	struct health_set	*hs = mkset(ep, 1, NULL);
	static const double	 want[] = { 0, 3, 6, 12, 24, 48, 300, 900,
				    1800, 3600, 3600 };
	const char		*id = "https://relay.example/tunnel";
	char			 buf[100];
	double			 t;
	int			 n, j;

	(void)state;
	for (n = 1; n <= 10; n++) {
		snprintf(buf, sizeof(buf), "%s#%d", id, n);
		j = (int)(health_fnv32a(buf, strlen(buf)) % 41) - 20;
		t = health_ttl(hs, id, n);
		assert_true(t >= want[n] * 0.8 - 1e-9);
		assert_true(t <= want[n] * 1.2 + 1e-9);
		assert_true(fabs(t - want[n] * (100 + j) / 100.) < 1e-6);
		assert_true(t == health_ttl(hs, id, n));	/* stable */
	}
	assert_true(health_ttl(hs, id, 0) == 0);
	health_set_free(hs);
}

static void
t_classes(void **state)
{
	struct cendpoint	 ep[2];
	struct health_set	*hs = mkset(ep, 2, NULL);
	double			 now = T0;

	(void)state;
	health_report(&ep[0], EP_FAIL_SOFT, 0, 0, now, "x");
	assert_int_equal(health_failcount(&ep[0]), 1);
	assert_false(health_usable(&ep[0], now));
	assert_true(health_blacklisted_for(&ep[0], now) <= 3.6);
	assert_true(health_usable(&ep[0], now + 3.7));
	health_report(&ep[0], EP_FAIL_RATE, 0, 0, now, "429");
	assert_int_equal(health_failcount(&ep[0]), 4);
	assert_true(health_blacklisted_for(&ep[0], now) >= 24 * 0.8);
	assert_true(health_blacklisted_for(&ep[0], now) <= 24 * 1.2);
	health_report(&ep[0], EP_FAIL_HARD, 0, 0, now, "204");
	assert_int_equal(health_failcount(&ep[0]), 6);
	assert_true(health_blacklisted_for(&ep[0], now) >= 240);
	health_report(&ep[0], EP_FAIL_HARD, 0, 0, now, "204");
	assert_int_equal(health_failcount(&ep[0]), 7);
	health_report(&ep[0], EP_OK, 0.2, 1, now, NULL);
	assert_int_equal(health_failcount(&ep[0]), 0);
	assert_true(health_usable(&ep[0], now));

	/* Offline: flat 15 s, not ramped. */
	health_report(&ep[0], EP_FAIL_OFFLINE, 0, 0, now, "ENETUNREACH");
	health_report(&ep[0], EP_FAIL_OFFLINE, 0, 0, now, "ENETUNREACH");
	assert_int_equal(health_failcount(&ep[0]), 0);
	assert_true(fabs(health_blacklisted_for(&ep[0], now) - 15) < 1e-6);
	assert_false(health_all_offline(hs, now));
	health_report(&ep[1], EP_FAIL_OFFLINE, 0, 0, now, "ENETUNREACH");
	assert_true(health_all_offline(hs, now));
	health_clear_offline(hs);
	assert_true(health_usable(&ep[0], now));
	assert_true(health_usable(&ep[1], now));
	health_set_free(hs);
}

static void
t_score_pick(void **state)
{
	struct cendpoint	 ep[3], *e, *seen[3];
	struct health_set	*hs = mkset(ep, 3, NULL);
	double			 now = T0;
	int			 i, a = 0, b = 0;

	(void)state;
	assert_true(fabs(health_score(hs, &ep[0], now) - 0.100) < 1e-9);
	health_report(&ep[0], EP_OK, 0.050, 0, now, NULL);
	assert_true(fabs(health_score(hs, &ep[0], now) - 0.050) < 1e-9);
	health_report(&ep[0], EP_OK, 0.130, 0, now, NULL);
	assert_true(fabs(health_score(hs, &ep[0], now) - 0.060) < 1e-9);
	/* Outliers do not move the EWMA but count as slow successes. */
	health_report(&ep[0], EP_OK, 5.0, 0, now, NULL);
	assert_true(fabs(health_score(hs, &ep[0], now) - 0.460) < 1e-9);
	assert_true(fabs(health_score(hs, &ep[0], now + 121) - 0.060) <
	    1e-9);
	/* Data within 15 s: -75 ms. */
	health_report(&ep[1], EP_OK, 0.100, 1, now, NULL);
	assert_true(fabs(health_score(hs, &ep[1], now + 1) - 0.025) < 1e-9);
	/* Requests today: +5 ms each. */
	health_count_request(&ep[2], now);
	health_count_request(&ep[2], now);
	assert_int_equal(health_today(&ep[2], now), 2);
	assert_true(fabs(health_score(hs, &ep[2], now) - 0.110) < 1e-9);

	/* Best score wins; excluded ones are skipped. */
	e = health_acquire(hs, HS_ACTIVE, NULL, 0, now + 1, NULL);
	assert_ptr_equal(e, &ep[1]);
	health_release(e, HS_ACTIVE);
	seen[0] = &ep[1];
	e = health_acquire(hs, HS_ACTIVE, seen, 1, now + 1, NULL);
	assert_ptr_equal(e, &ep[2]);
	health_release(e, HS_ACTIVE);
	health_set_free(hs);

	/* Equal scores: round robin. */
	hs = mkset(ep, 2, NULL);
	for (i = 0; i < 10; i++) {
		e = health_acquire(hs, HS_ACTIVE, NULL, 0, now, NULL);
		if (e == &ep[0])
			a++;
		else
			b++;
		health_release(e, HS_ACTIVE);
	}
	assert_int_equal(a, 5);
	assert_int_equal(b, 5);
	health_set_free(hs);
}

static void
t_buckets_slots(void **state)
{
	static const char *const acct[] = { "A", "A", "" };
	struct cendpoint	 ep[3], *e[8];
	struct health_set	*hs = mkset(ep, 3, acct);
	const char		*why;
	double			 now = T0;
	int			 i, na = 0;

	(void)state;
	assert_string_equal(ep[0].ep_key, "acct:A");
	assert_string_equal(ep[1].ep_key, "acct:A");
	assert_int_equal(strncmp(ep[2].ep_key, "urlsha256:", 10), 0);
	assert_int_equal(strlen(ep[2].ep_key), 10 + 64);
	/* Make ep[2] unattractive so bucket A fills first. */
	health_report(&ep[2], EP_OK, 1.5, 0, now, NULL);
	for (i = 0; i < 6; i++) {
		e[i] = health_acquire(hs, HS_ACTIVE, NULL, 0, now, &why);
		assert_non_null(e[i]);
		if (e[i] != &ep[2])
			na++;
	}
	assert_int_equal(na, 3);		/* tx_slots_per_bucket */
	assert_null(health_acquire(hs, HS_ACTIVE, NULL, 0, now, &why));
	assert_string_equal(why, "no active slot");
	for (i = 0; i < 6; i++)
		health_release(e[i], HS_ACTIVE);

	/* Idle: 2 buckets x 1 slot when nobody is connected. */
	health_set_sessions(hs, 0, now);
	e[0] = health_acquire(hs, HS_IDLE, NULL, 0, now, &why);
	e[1] = health_acquire(hs, HS_IDLE, NULL, 0, now, &why);
	assert_non_null(e[0]);
	assert_non_null(e[1]);
	/* Spread over the two buckets. */
	assert_true((e[0] == &ep[2]) != (e[1] == &ep[2]));
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now, &why));
	assert_string_equal(why, "no idle slot");
	health_release(e[0], HS_IDLE);
	health_release(e[1], HS_IDLE);
	health_set_free(hs);

	/* One bucket, sessions live: pure-download floor of 2. */
	hs = mkset(ep, 1, NULL);
	health_set_sessions(hs, 3, now);
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	health_release(&ep[0], HS_IDLE);
	health_release(&ep[0], HS_IDLE);
	/* Sessions gone: 1 bucket x 1. */
	health_set_sessions(hs, 0, now);
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	health_release(&ep[0], HS_IDLE);
	health_set_free(hs);
}

static void
t_idle_modes(void **state)
{
	static const char *const acct[] = { "A", "B", "C" };
	struct cendpoint	 ep[3];
	struct health_set	*hs;
	double			 now = T0;

	(void)state;
	hs = mkset(ep, 3, acct);
	health_set_free(hs);
	cc.cc_idle_poll_mode = IDLE_POLL_ADAPTIVE;
	hs = health_set_new(&cc, 1);
	health_add(hs, &ep[0], "u0", "A");
	health_add(hs, &ep[1], "u1", "B");
	health_add(hs, &ep[2], "u2", "C");
	health_set_sessions(hs, 0, now);
	/* max_buckets 2 => 2 idle polls at first. */
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	health_release(&ep[0], HS_IDLE);
	health_release(&ep[1], HS_IDLE);
	health_release(&ep[2], HS_IDLE);
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 31, NULL));
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 31, NULL));
	health_release(&ep[0], HS_IDLE);
	health_release(&ep[1], HS_IDLE);
	health_release(&ep[2], HS_IDLE);
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 301, NULL));
	/* A session shows up: full caps again (3 buckets x 1). */
	health_set_sessions(hs, 1, now + 302);
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 302,
	    NULL));
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 302,
	    NULL));
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now + 302,
	    NULL));
	health_set_free(hs);

	cc.cc_idle_poll_mode = IDLE_POLL_OFF;
	hs = health_set_new(&cc, 1);
	health_add(hs, &ep[0], "u0", "");
	health_set_sessions(hs, 0, now);
	assert_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	assert_non_null(health_acquire(hs, HS_ACTIVE, NULL, 0, now, NULL));
	health_set_sessions(hs, 1, now);
	assert_non_null(health_acquire(hs, HS_IDLE, NULL, 0, now, NULL));
	health_set_free(hs);
}

static void
t_outage(void **state)
{
	struct cendpoint	 ep[2];
	struct health_set	*hs = mkset(ep, 2, NULL);
	double			 now = T0;

	(void)state;
	health_set_sessions(hs, 4, now);
	assert_int_equal(health_outage(hs, now), HO_NONE);
	health_report(&ep[0], EP_FAIL_HARD, 0, 0, now, "x");
	health_report(&ep[1], EP_FAIL_HARD, 0, 0, now, "x");
	assert_int_equal(health_outage(hs, now), HO_HOLD);
	assert_int_equal(health_outage(hs, now + 59), HO_HOLD);
	/* Not all offline: grace capped at 60 s. */
	assert_int_equal(health_outage(hs, now + 60), HO_ABORT);
	assert_int_equal(health_outage(hs, now + 61), HO_ABORT);
	health_report(&ep[0], EP_OK, 0.1, 0, now + 62, NULL);
	assert_int_equal(health_outage(hs, now + 62), HO_NONE);
	health_set_free(hs);

	/* All local-offline: the full 300 s grace, across TTL expiries. */
	hs = mkset(ep, 2, NULL);
	health_report(&ep[0], EP_FAIL_OFFLINE, 0, 0, now, "x");
	health_report(&ep[1], EP_FAIL_OFFLINE, 0, 0, now, "x");
	assert_int_equal(health_outage(hs, now), HO_HOLD);
	assert_int_equal(health_outage(hs, now + 16), HO_NONE);
	health_report(&ep[0], EP_FAIL_OFFLINE, 0, 0, now + 100, "x");
	health_report(&ep[1], EP_FAIL_OFFLINE, 0, 0, now + 100, "x");
	assert_int_equal(health_outage(hs, now + 100), HO_HOLD);
	health_report(&ep[0], EP_FAIL_OFFLINE, 0, 0, now + 299, "x");
	health_report(&ep[1], EP_FAIL_OFFLINE, 0, 0, now + 299, "x");
	assert_int_equal(health_outage(hs, now + 299), HO_HOLD);
	assert_int_equal(health_outage(hs, now + 300), HO_ABORT);
	health_set_free(hs);
}

static void
t_quota(void **state)
{
	static const char *const acct[] = { "A", "A", "" };
	struct cendpoint	 ep[3], ep2[3];
	struct health_set	*hs = mkset(ep, 3, acct), *hs2;
	const char		*es;
	char			*js;
	double			 now = T0, until;

	(void)state;
	nsaved = 0;
	health_set_quota_hook(hs, hook, NULL);
	health_report(&ep[1], EP_FAIL_QUOTA, 0, 0, now, "quota page");
	assert_int_equal(nsaved, 1);
	assert_true(health_quarantined(&ep[0], now));
	assert_true(health_quarantined(&ep[1], now));
	assert_false(health_quarantined(&ep[2], now));
	assert_true(health_usable(&ep[2], now));
	/* Until 2026-11-24T00:00 PST = 08:00Z. */
	assert_string_equal(saved, "{\"version\":1,\"entries\":[{\"key\":"
	    "\"acct:A\",\"until\":\"2026-11-24T08:00:00Z\"}]}");
	until = 1795507200.0;
	assert_true(health_quarantined(&ep[0], until - 1));
	assert_false(health_quarantined(&ep[0], until));
	/* Traffic goes to the other bucket. */
	assert_ptr_equal(health_acquire(hs, HS_ACTIVE, NULL, 0, now, NULL),
	    &ep[2]);

	/* A restart with that state skips the account. */
	hs2 = mkset(ep2, 3, acct);
	assert_int_equal(health_quota_load(hs2, saved, strlen(saved), now,
	    &es), 0);
	assert_true(health_quarantined(&ep2[0], now));
	assert_true(health_quarantined(&ep2[1], now));
	assert_false(health_quarantined(&ep2[2], now));
	js = health_quota_json(hs2, now);
	assert_string_equal(js, saved);
	free(js);
	health_set_free(hs2);

	/* Expired entries, offsets, junk. */
	hs2 = mkset(ep2, 3, acct);
	es = "{\"version\":1,\"entries\":[{\"key\":\"acct:A\",\"until\":"
	    "\"2026-11-23T01:00:00-08:00\"}]}";
	assert_int_equal(health_quota_load(hs2, es, strlen(es), now, &es), 0);
	assert_false(health_quarantined(&ep2[0], now));
	es = "{\"version\":1,\"entries\":[{\"key\":\"acct:A\",\"until\":"
	    "\"2026-11-24T00:00:00.5-08:00\"},{\"key\":5}]}";
	assert_int_equal(health_quota_load(hs2, es, strlen(es), now, &es), 0);
	assert_true(health_quarantined(&ep2[0], 1795507199.0));
	assert_false(health_quarantined(&ep2[0], 1795507201.0));
	es = "not json";
	assert_int_equal(health_quota_load(hs2, es, strlen(es), now, &es),
	    -1);
	es = "{\"version\":2,\"entries\":[]}";
	assert_int_equal(health_quota_load(hs2, es, strlen(es), now, &es),
	    -1);
	health_set_free(hs2);
	health_set_free(hs);
}

static void
t_pacific(void **state)
{
	char		 d[11], want[11];
	struct tm	 tm;
	time_t		 t, mid;
	int		 i;

	(void)state;
	/* 2026: DST from 03-08 10:00Z to 11-01 09:00Z. */
	assert_int_equal(health_pt_offset(1772963999), -8 * 3600);
	assert_int_equal(health_pt_offset(1772964000), -7 * 3600);
	assert_int_equal(health_pt_offset(1793523599), -7 * 3600);
	assert_int_equal(health_pt_offset(1793523600), -8 * 3600);
	assert_int_equal(health_pt_next_midnight((time_t)T0), 1795507200);
	health_pt_date((time_t)T0, d);
	assert_string_equal(d, "2026-11-23");

	/* Cross-check with the system's tzdata over ten years. */
	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	for (i = 0, t = 1600000000; i < 20000; i++, t += 15511) {
		localtime_r(&t, &tm);
		assert_int_equal(health_pt_offset(t), (int)tm.tm_gmtoff);
		strftime(want, sizeof(want), "%Y-%m-%d", &tm);
		health_pt_date(t, d);
		assert_string_equal(d, want);
		mid = health_pt_next_midnight(t);
		assert_true(mid > t);
		localtime_r(&mid, &tm);
		assert_int_equal(tm.tm_hour, 0);
		assert_int_equal(tm.tm_min, 0);
		assert_int_equal(tm.tm_sec, 0);
		assert_true(mid - t <= 25 * 3600);
	}
}

static void
t_text(void **state)
{
	static const struct {
		const char	*body;
		enum ep_result	 want;
	} cases[] = {
		{ "<!DOCTYPE html><html><title>Error</title>Error: upstream "
		    "fetch error: Exception: Service invoked too many times "
		    "for one day: urlfetch.</html>", EP_FAIL_QUOTA },
		{ "<html>Bandwidth quota exceeded</html>", EP_FAIL_QUOTA },
		{ "<html>Exception: Service invoked too many times in a short "
		    "time: urlfetch. Try Utilities.sleep(1000)</html>",
		    EP_FAIL_RATE },
		{ "<html>Too many scripts running simultaneously for this "
		    "Google user account.</html>", EP_FAIL_RATE },
		{ "<html>Error: relay_loop_detected: RELAY_URLS[0]</html>",
		    EP_FAIL_HARD },
		{ "relay_loop_detected", EP_FAIL_HARD },
		/* 204: epcheck.c tells a wrong key from a v1.5 exit. */
		{ "<html>Error: upstream status 204: </html>", EP_FAIL_KEY },
		{ "{\"e\":\"upstream_status\",\"status\":204,\"body\":\"\"}",
		    EP_FAIL_KEY },
		{ "{\"e\":\"upstream_status\",\"status\":502,\"body\":\"x\"}",
		    EP_FAIL_SOFT },
		{ "<html>Authorization is required to perform that action."
		    "</html>", EP_FAIL_HARD },
		{ "<html><title>Sign in - Google Accounts</title></html>",
		    EP_FAIL_HARD },
		{ "<html>Sorry, unable to open the file at this time.</html>",
		    EP_FAIL_HARD },
		{ "<html>This app is not permitted by your admin</html>",
		    EP_FAIL_HARD },
		{ "<html>We're sorry, a server error occurred. Please wait a "
		    "bit and try again.</html>", EP_FAIL_SOFT },
		{ "<html>Error: upstream fetch error: Exception: Address "
		    "unavailable: http://1.2.3.4/tunnel</html>", EP_FAIL_SOFT },
		{ "{\"e\":\"bad_payload\",\"reason\":\"too_short\"}",
		    EP_FAIL_HARD },
		{ "<html>something odd</html>", EP_FAIL_SOFT },
	};
	const char	*why;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(health_nonbatch((const uint8_t *)cases[i].body,
		    strlen(cases[i].body)));
		if (health_classify_text((const uint8_t *)cases[i].body,
		    strlen(cases[i].body), &why) != cases[i].want)
			fail_msg("case %zu (%s): got %s", i, cases[i].body,
			    why);
	}
	assert_false(health_nonbatch((const uint8_t *)"  QUJDREVGR0g=\n", 15));
	assert_false(health_nonbatch((const uint8_t *)"", 0));
	assert_true(health_nonbatch((const uint8_t *)"\n  <HTML>", 9));
	assert_true(health_nonbatch((const uint8_t *)"HTTP/1.1 500", 12));
	assert_true(health_nonbatch((const uint8_t *)"QUJDupstream status 5",
	    21));
}

static void
t_shorten_stats(void **state)
{
	static const char *const acct[] = { "acme" };
	struct cendpoint	 ep[1];
	struct health_set	*hs = mkset(ep, 1, acct);
	char			 b[300];

	(void)state;
	health_shorten("https://script.google.com/macros/s/AKfycbxyz0123456789"
	    "abcdefQRSTUV/exec", b, sizeof(b));
	assert_string_equal(b, "AKfycb...QRSTUV");
	health_shorten("http://a/t", b, sizeof(b));
	assert_string_equal(b, "http://a/t");
	health_count_request(&ep[0], T0);
	health_report(&ep[0], EP_FAIL_SOFT, 0, 0, T0, "x");
	assert_true(health_stats(hs, T0, b, sizeof(b)) > 0);
	assert_non_null(strstr(b, "@acme ok=0 fail=1 today=1 bl="));
	assert_string_equal(ep_result_str(EP_FAIL_QUOTA), "quota exhausted");
	health_set_free(hs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fnv),
		cmocka_unit_test(t_ladder),
		cmocka_unit_test(t_classes),
		cmocka_unit_test(t_score_pick),
		cmocka_unit_test(t_buckets_slots),
		cmocka_unit_test(t_idle_modes),
		cmocka_unit_test(t_outage),
		cmocka_unit_test(t_quota),
		cmocka_unit_test(t_pacific),
		cmocka_unit_test(t_text),
		cmocka_unit_test(t_shorten_stats),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
