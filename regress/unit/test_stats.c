/*
 * Stats registry: histogram buckets and percentiles on known samples,
 * id shortening and URL stripping, and that the JSON, the log lines and
 * the table made from it agree.
 */
#include "gr_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "stats.h"
#include "statstab.h"
#include "stats_collect.h"

#define LONG_ID	"AKfycbSECRETdeploymentIDthatmustnotleak0123456789xyzQWE"

/* Every value falls in a bucket whose range contains it. */
static void
test_stats_buckets(void **state)
{
	uint64_t	 v, lo, hi, plo = 0, phi = 0;
	size_t		 i, prev = 0;

	(void)state;
	for (v = 0; v < 100000; v++) {
		i = stats_hist_index(v);
		stats_hist_range(i, &lo, &hi);
		assert_true(lo <= v && v <= hi);
		assert_true(i >= prev);
		if (v >= 16)
			assert_true(hi - lo + 1 <= lo / 8 + 1);
		prev = i;
	}
	/* Buckets tile the line without gaps. */
	for (i = 0; i < STATS_HIST_NBUCKETS - 1; i++) {
		stats_hist_range(i, &lo, &hi);
		if (i > 0)
			assert_int_equal(lo, phi + 1);
		plo = lo;
		phi = hi;
	}
	(void)plo;
	assert_int_equal(stats_hist_index(UINT64_MAX),
	    STATS_HIST_NBUCKETS - 1);
}

/* Percentiles of 1..1000 ms: within one bucket (12.5%) of the truth. */
static void
test_stats_percentiles(void **state)
{
	struct stats_hist	 h;
	uint64_t		 v, p;
	int			 i;
	static const struct {
		double	 pct;
		uint64_t want;
	} cases[] = {
		{ 50, 500000 }, { 95, 950000 }, { 99, 990000 }, { 10, 100000 },
	};

	(void)state;
	stats_hist_reset(&h);
	assert_int_equal(stats_hist_pct(&h, 50), 0);
	for (v = 1; v <= 1000; v++)
		stats_hist_add(&h, v * 1000);
	assert_int_equal(h.sh_count, 1000);
	assert_int_equal(h.sh_min, 1000);
	assert_int_equal(h.sh_max, 1000000);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		p = stats_hist_pct(&h, cases[i].pct);
		assert_true(p >= cases[i].want - cases[i].want / 8);
		assert_true(p <= cases[i].want + cases[i].want / 8);
	}
	assert_int_equal(stats_hist_pct(&h, 100), 1000000);

	/* Small exact values are exact. */
	stats_hist_reset(&h);
	for (v = 0; v < 10; v++)
		stats_hist_add(&h, v);
	assert_int_equal(stats_hist_pct(&h, 50), 4);
	assert_int_equal(stats_hist_pct(&h, 95), 9);

	/* One value: every percentile is that value (clamped to min/max). */
	stats_hist_reset(&h);
	stats_hist_add(&h, 123456);
	assert_int_equal(stats_hist_pct(&h, 50), 123456);
	assert_int_equal(stats_hist_pct(&h, 99), 123456);

	/* 95 fast + 5 slow: p50 fast, p99 slow. */
	stats_hist_reset(&h);
	for (i = 0; i < 95; i++)
		stats_hist_add(&h, 10000);
	for (i = 0; i < 5; i++)
		stats_hist_add(&h, 2000000);
	p = stats_hist_pct(&h, 50);
	assert_true(p >= 9000 && p <= 11000);
	p = stats_hist_pct(&h, 95);
	assert_true(p >= 9000 && p <= 11000);
	p = stats_hist_pct(&h, 99);
	assert_true(p >= 1750000 && p <= 2000000);
}

static void
test_stats_names(void **state)
{
	char	 b[128];

	(void)state;
	assert_string_equal(stats_short_id(LONG_ID, b, sizeof(b)),
	    "AKfycb\xe2\x80\xa6" "xyzQWE");
	assert_string_equal(stats_short_id("abc", b, sizeof(b)),
	    "abc\xe2\x80\xa6");
	assert_string_equal(stats_strip_url(
	    "https://user:pa@ss@relay.example:8443/tunnel?k=SECRET#x", b,
	    sizeof(b)), "https://relay.example:8443/tunnel");
	assert_string_equal(stats_strip_url("ws://h/stream", b, sizeof(b)),
	    "ws://h/stream");
}

static void
test_stats_fill(struct stats *st)
{
	struct stats_endpoint	 ep;
	int			 i, a, b;

	stats_init(st, "carrier", 1);
	stats_add(st, STC_SESS_OPEN, 12);
	stats_add(st, STC_SESS_CLOSE, 9);
	stats_add(st, STC_FRAMES_OUT, 345);
	stats_add(st, STC_FRAMES_IN, 678);
	stats_add(st, STC_BYTES_OUT, 1048576);
	stats_add(st, STC_BYTES_IN, 73400320);
	stats_add(st, STC_POLLS_OK, 400);
	stats_add(st, STC_POLLS_FAIL, 7);
	stats_add(st, STC_RST_SENT, 2);
	stats_add(st, STC_RST_RECV, 1);
	stats_add(st, STC_STREAM_FALLBACKS, 3);
	stats_set_active(st, 3);
	for (i = 1; i <= 100; i++)
		stats_hist_add(stats_hist(st, STH_TTFB), (uint64_t)i * 10000);
	a = stats_endpoint(st, LONG_ID, "acct-a");
	b = stats_endpoint(st, "https://u:SECRETPW@relay.example/tunnel",
	    NULL);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(stats_endpoint(st, LONG_ID, "acct-a"), 0);
	memset(&ep, 0, sizeof(ep));
	ep.se_healthy = 1;
	ep.se_ok = 390;
	ep.se_fail = 2;
	ep.se_today = 1234;
	ep.se_script = 1500;
	ep.se_rtt_ms = 420;
	strcpy(ep.se_kind, "script");
	stats_endpoint_update(st, a, &ep);
	ep.se_healthy = 0;
	ep.se_ok = 10;
	ep.se_fail = 5;
	ep.se_today = 0;
	ep.se_script = -1;
	ep.se_bl_ms = 11200;
	ep.se_rtt_ms = 0;
	strcpy(ep.se_kind, "relay");
	stats_endpoint_update(st, b, &ep);
	stats_gauge(st, "poll_idle_sleep_ms", 6);
}

struct test_stats_lines {
	char	 text[8192];
	int	 n;
};

static void
test_stats_line_cb(const char *line, void *arg)
{
	struct test_stats_lines	*l = arg;

	assert_null(strchr(line, '\n'));
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "\n");
	l->n++;
}

static void
test_stats_render(void **state)
{
	struct stats		*st;
	struct test_stats_lines	 l;
	json_t			*o, *arr, *ep, *w;
	char			*s, *t, err[128];
	const char		*s2;

	(void)state;
	st = calloc(1, sizeof(*st));
	assert_non_null(st);
	test_stats_fill(st);

	o = stats_json(st, st->st_start_ms + 61000);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "role")),
	    "carrier");
	assert_int_equal(json_integer_value(json_object_get(o, "uptime_s")),
	    61);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o,
	    "counters"), "bytes_in")), 73400320);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(o, "latency"), "ttfb"), "count")), 100);
	ep = json_array_get(json_object_get(o, "endpoints"), 0);
	assert_string_equal(json_string_value(json_object_get(ep, "name")),
	    "AKfycb\xe2\x80\xa6" "xyzQWE");
	assert_int_equal(json_integer_value(json_object_get(ep, "script")),
	    1500);
	assert_string_equal(json_string_value(json_object_get(ep, "kind")),
	    "script");
	ep = json_array_get(json_object_get(o, "endpoints"), 1);
	assert_null(json_object_get(ep, "script"));

	/* Nothing secret in any rendering. */
	s = stats_json_text(st, st->st_start_ms);
	assert_non_null(s);
	assert_null(strstr(s, "SECRET"));
	assert_null(strchr(s, '\n'));

	memset(&l, 0, sizeof(l));
	assert_int_equal(stats_lines(o, test_stats_line_cb, &l), 6);
	assert_non_null(strstr(l.text, "[stats]  accounts=[acct-a "
	    "today=1234]\n"));
	assert_null(strstr(l.text, "SECRET"));
	assert_non_null(strstr(l.text, "[stats] active=3 sessions=12/9 "
	    "frames=345/678 bytes=1048576/73400320 polls=400/7 rst=3 "
	    "endpoints=1/2\n"));
	/* p50 of 10..1000 ms is ~500 ms: 480..520 after bucketing. */
	assert_true(strstr(l.text, "ttfb[n=100 p50=4") != NULL ||
	    strstr(l.text, "ttfb[n=100 p50=5") != NULL);
	assert_non_null(strstr(l.text, " endpoint_rtt[-]"));
	assert_non_null(strstr(l.text, "post_fallback=3"));
	assert_non_null(strstr(l.text, "AKfycb\xe2\x80\xa6" "xyzQWE@acct-a "
	    "ok=390 fail=2 today=1234 script=1500 rtt=420ms | "
	    "https://relay.example/tunnel ok=10 fail=5 today=0 bl=12s"));
	assert_non_null(strstr(l.text, "[stats] tuned poll_idle_sleep_ms=6"));

	/* JSON line mode: one line that parses back to the same counters. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(stats_log(st, st->st_start_ms, 1, test_stats_line_cb,
	    &l), 1);
	assert_true(strncmp(l.text, "[stats] {", 9) == 0);

	/* Table from two workers' JSON (as the supervisor collects it). */
	arr = json_array();
	json_array_append(arr, o);
	st->st_instance = 0;
	strcpy(st->st_role, "exit");
	stats_endpoint_clear(st);
	stats_add(st, STC_DIALS_OK, 41);
	stats_add(st, STC_DIALS_FAIL, 4);
	json_array_append_new(arr, stats_json(st, st->st_start_ms));
	t = statstab_render(arr, err, sizeof(err));
	assert_non_null(t);
	assert_null(strstr(t, "SECRET"));
	assert_non_null(strstr(t, "carrier#1"));
	assert_non_null(strstr(t, "script AKfycb\xe2\x80\xa6" "xyzQWE"));
	assert_non_null(strstr(t, "relay  https://relay.example/tunnel"));
	assert_non_null(strstr(t, "exit#0"));
	assert_non_null(strstr(t, "1048576/73400320"));
	assert_non_null(strstr(t, "12/9"));
	assert_non_null(strstr(t, "41/4"));
	assert_non_null(strstr(t, "AKfycb\xe2\x80\xa6" "xyzQWE"));
	assert_non_null(strstr(t, "https://relay.example/tunnel"));
	assert_non_null(strstr(t, "poll_idle_sleep_ms"));
	free(t);

	/* Wrapped in {"workers": [...]} and as text. */
	free(s);
	w = json_pack("{s:O}", "workers", arr);
	s = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	t = statstab_text(s, strlen(s), err, sizeof(err));
	assert_non_null(t);
	assert_non_null(strstr(t, "exit#0"));
	free(t);

	/* Bad input: clear errors, no crash. */
	assert_null(statstab_text("[1,2", 4, err, sizeof(err)));
	assert_non_null(strstr(err, "bad JSON"));
	assert_null(statstab_text("[1]", 3, err, sizeof(err)));
	assert_null(statstab_text("\"x\"", 3, err, sizeof(err)));
	/* A flat worker object: counters at the top level. */
	s2 = "{\"role\":\"exit\",\"bytes_out\":77,\"bytes_in\":88}";
	t = statstab_text(s2, strlen(s2), err, sizeof(err));
	assert_non_null(t);
	assert_non_null(strstr(t, "77/88"));
	free(t);
	t = statstab_text("[{\"counters\":{}}]", 17, err, sizeof(err));
	assert_non_null(t);
	assert_non_null(strstr(t, "-#-"));
	free(t);
	memset(&l, 0, sizeof(l));
	assert_int_equal(stats_lines(NULL, test_stats_line_cb, &l), -1);
	assert_int_equal(stats_lines(arr, test_stats_line_cb, &l), -1);
	assert_int_equal(stats_lines(json_array_get(arr, 1),
	    test_stats_line_cb, &l), 3);	/* exit: no stream line */

	free(s);
	json_decref(arr);
	json_decref(o);
	free(st);
}

/* Replies in pieces, a stale id, a liar, garbage, a timeout. */
static void
test_stats_collect(void **state)
{
	struct stats_collect	*sc;
	const char		*rep = "{\"role\":\"exit\",\"instance\":7,"
	    "\"counters\":{\"bytes_out\":5}}";
	char			*s, *t, big[2048], err[128];

	(void)state;
	assert_non_null(sc = stats_collect_new(9, 5, 1024));
	assert_int_equal(stats_collect_expect(sc, 0, "carrier", 0), 0);
	assert_int_equal(stats_collect_expect(sc, 1, "carrier", 1), 0);
	assert_int_equal(stats_collect_expect(sc, 2, "exit", 0), 0);
	assert_int_equal(stats_collect_expect(sc, 3, "exit", 1), 0);
	assert_int_equal(stats_collect_expect(sc, 9, "exit", 1), -1);
	/* slot 4 never named: left out */

	/* Slot 0: three pieces; the worker claims to be exit#7. */
	assert_int_equal(stats_collect_piece(sc, 0, 9, rep, 10, 1), 0);
	assert_int_equal(stats_collect_piece(sc, 0, 8, "xx", 2, 0), -1);
	assert_int_equal(stats_collect_piece(sc, 0, 9, rep + 10, 20, 1), 0);
	assert_false(stats_collect_done(sc));
	assert_int_equal(stats_collect_piece(sc, 0, 9, rep + 30,
	    strlen(rep) - 30, 0), 1);
	assert_int_equal(stats_collect_piece(sc, 0, 9, "{}", 2, 0), -1);
	/* Slot 1: not JSON.  Slot 2: too large. */
	assert_int_equal(stats_collect_piece(sc, 1, 9, "[1,2]", 5, 0), -1);
	memset(big, ' ', sizeof(big));
	assert_int_equal(stats_collect_piece(sc, 2, 9, big, 1000, 1), 0);
	assert_int_equal(stats_collect_piece(sc, 2, 9, big, 1000, 1), -1);
	assert_int_equal(stats_collect_piece(sc, 2, 9, "{}", 2, 0), -1);
	assert_false(stats_collect_done(sc));
	stats_collect_fail(sc, 3, "timeout");
	assert_true(stats_collect_done(sc));
	assert_int_equal(stats_collect_reqid(sc), 9);

	assert_non_null(s = stats_collect_json(sc));
	assert_non_null(strstr(s, "{\"role\":\"carrier\",\"instance\":0,"
	    "\"counters\":{\"bytes_out\":5}}"));
	assert_null(strstr(s, "exit\",\"instance\":7"));
	assert_non_null(strstr(s, "{\"role\":\"carrier\",\"instance\":1,"
	    "\"error\":\"reply is not a JSON object\"}"));
	assert_non_null(strstr(s, "\"error\":\"reply too large\""));
	assert_non_null(strstr(s, "\"error\":\"timeout\""));
	t = statstab_text(s, strlen(s), err, sizeof(err));
	assert_non_null(t);
	assert_non_null(strstr(t, "exit#1       (no stats: timeout)"));
	assert_non_null(strstr(t, "5/-"));
	free(t);
	free(s);
	stats_collect_free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_buckets),
		cmocka_unit_test(test_stats_percentiles),
		cmocka_unit_test(test_stats_names),
		cmocka_unit_test(test_stats_render),
		cmocka_unit_test(test_stats_collect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
