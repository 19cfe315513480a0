/*
 * Worker statistics registry, histograms and their renderings (stats.h).
 * Recording is allocation-free; rendering (every stats_interval_s, or on
 * a control request) goes through jansson so the JSON, the log lines and
 * the table are all made from the same object and cannot disagree.
 */
#include "gr_config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "stats.h"

static const char *stats_counter_names[STC_NCOUNTERS] = {
	[STC_SESS_OPEN] = "sessions_open",
	[STC_SESS_CLOSE] = "sessions_closed",
	[STC_FRAMES_OUT] = "frames_out",
	[STC_FRAMES_IN] = "frames_in",
	[STC_BYTES_OUT] = "bytes_out",
	[STC_BYTES_IN] = "bytes_in",
	[STC_REQUESTS] = "requests",
	[STC_POLLS_OK] = "polls_ok",
	[STC_POLLS_FAIL] = "polls_fail",
	[STC_RST_SENT] = "rst_sent",
	[STC_RST_RECV] = "rst_recv",
	[STC_DECODE_FAIL] = "decode_fail",
	[STC_DIALS_OK] = "dials_ok",
	[STC_DIALS_FAIL] = "dials_fail",
	[STC_DIALS_SUPPRESSED] = "dials_suppressed",
	[STC_REPLAY_RESENDS] = "replay_resends",
	[STC_STREAM_CONNECTS] = "stream_connects",
	[STC_STREAM_DROPS] = "stream_drops",
	[STC_STREAM_FALLBACKS] = "stream_fallbacks",
};

static const char *stats_hist_names[STH_NHIST] = {
	[STH_TTFB] = "ttfb",
	[STH_ENDPOINT_RTT] = "endpoint_rtt",
	[STH_QUEUE_WAIT] = "queue_wait",
	[STH_ENCODE] = "encode",
	[STH_DECODE] = "decode",
};

const char *
stats_counter_name(enum stats_counter c)
{
	if ((unsigned)c >= STC_NCOUNTERS)
		return "?";
	return stats_counter_names[c];
}

const char *
stats_hist_name(enum stats_histid h)
{
	if ((unsigned)h >= STH_NHIST)
		return "?";
	return stats_hist_names[h];
}

uint64_t
stats_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Histograms */

void
stats_hist_reset(struct stats_hist *h)
{
	memset(h, 0, sizeof(*h));
}

size_t
stats_hist_index(uint64_t v)
{
	unsigned	 e;

	if (v < STATS_HIST_EXACT)
		return (size_t)v;
	e = 63 - (unsigned)__builtin_clzll(v);	/* v >= 16: e >= 4 */
	if (e >= STATS_HIST_MAXEXP)
		return STATS_HIST_NBUCKETS - 1;
	/* The three bits after the leading one pick the sub-bucket. */
	return STATS_HIST_EXACT + (size_t)(e - 4) * STATS_HIST_SUB +
	    (size_t)((v >> (e - 3)) & (STATS_HIST_SUB - 1));
}

void
stats_hist_range(size_t i, uint64_t *lo, uint64_t *hi)
{
	unsigned	 e, sub;

	if (i < STATS_HIST_EXACT) {
		*lo = *hi = i;
		return;
	}
	if (i >= STATS_HIST_NBUCKETS)
		i = STATS_HIST_NBUCKETS - 1;
	e = 4 + (unsigned)((i - STATS_HIST_EXACT) / STATS_HIST_SUB);
	sub = (unsigned)((i - STATS_HIST_EXACT) % STATS_HIST_SUB);
	*lo = (uint64_t)(STATS_HIST_SUB + sub) << (e - 3);
	*hi = ((uint64_t)(STATS_HIST_SUB + sub + 1) << (e - 3)) - 1;
	if (i == STATS_HIST_NBUCKETS - 1)
		*hi = UINT64_MAX;
}

void
stats_hist_add(struct stats_hist *h, uint64_t v)
{
	if (h->sh_count == 0 || v < h->sh_min)
		h->sh_min = v;
	if (v > h->sh_max)
		h->sh_max = v;
	h->sh_count++;
	h->sh_sum += v;
	h->sh_bucket[stats_hist_index(v)]++;
}

uint64_t
stats_hist_pct(const struct stats_hist *h, double p)
{
	uint64_t	 rank, cum = 0, lo, hi, est;
	size_t		 i;

	if (h->sh_count == 0)
		return 0;
	if (p <= 0)
		return h->sh_min;
	if (p >= 100)
		return h->sh_max;
	/* Nearest-rank: the smallest value with >= p% at or below it. */
	rank = (uint64_t)(p / 100.0 * (double)h->sh_count);
	if ((double)rank < p / 100.0 * (double)h->sh_count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < STATS_HIST_NBUCKETS; i++) {
		cum += h->sh_bucket[i];
		if (cum >= rank)
			break;
	}
	if (i == STATS_HIST_NBUCKETS)
		return h->sh_max;
	stats_hist_range(i, &lo, &hi);
	est = lo + (hi - lo) / 2;
	/* The true value is within [min, max]; never report outside. */
	if (est < h->sh_min)
		est = h->sh_min;
	if (est > h->sh_max)
		est = h->sh_max;
	return est;
}

/* Registry */

void
stats_init(struct stats *st, const char *role, int instance)
{
	/*
	 * jansson seeds its hash function from /dev/urandom when the first
	 * object is made; do it now, before the worker's sandbox (a no-op
	 * once seeded).
	 */
	json_object_seed(0);
	memset(st, 0, sizeof(*st));
	snprintf(st->st_role, sizeof(st->st_role), "%s", role);
	st->st_instance = instance;
	st->st_start_ms = stats_now_ms();
}

void
stats_reset(struct stats *st)
{
	size_t	 i;

	memset(st->st_counter, 0, sizeof(st->st_counter));
	for (i = 0; i < STH_NHIST; i++)
		stats_hist_reset(&st->st_hist[i]);
}

const char *
stats_short_id(const char *id, char *buf, size_t len)
{
	size_t	 n = strlen(id);

	/* Same shape as confparse_short_id; workers don't link libconf. */
	if (n <= 12)
		snprintf(buf, len, "%.*s\xe2\x80\xa6", n > 6 ? 6 : (int)n, id);
	else
		snprintf(buf, len, "%.6s\xe2\x80\xa6%s", id, id + n - 6);
	return buf;
}

const char *
stats_strip_url(const char *url, char *buf, size_t len)
{
	const char	*auth, *end, *at;
	size_t		 n;

	buf[0] = '\0';
	if ((auth = strstr(url, "://")) == NULL) {
		snprintf(buf, len, "%.*s", (int)strcspn(url, "?#"), url);
		return buf;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* user:pass@ is the part of the authority up to its last '@'. */
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	n = strcspn(at, "?#");
	snprintf(buf, len, "%.*s%.*s", (int)(auth - url), url, (int)n, at);
	return buf;
}

int
stats_endpoint(struct stats *st, const char *name, const char *account)
{
	char	 shown[STATS_NAME_LEN];
	size_t	 i;

	if (strstr(name, "://") != NULL)
		stats_strip_url(name, shown, sizeof(shown));
	else
		stats_short_id(name, shown, sizeof(shown));
	if (account == NULL)
		account = "";
	for (i = 0; i < st->st_nendpoints; i++)
		if (strcmp(st->st_ep[i].name, shown) == 0 &&
		    strcmp(st->st_ep[i].account, account) == 0)
			return (int)i;
	if (st->st_nendpoints == STATS_MAX_ENDPOINTS)
		return -1;
	i = st->st_nendpoints++;
	memset(&st->st_ep[i], 0, sizeof(st->st_ep[i]));
	snprintf(st->st_ep[i].name, sizeof(st->st_ep[i].name), "%s", shown);
	snprintf(st->st_ep[i].account, sizeof(st->st_ep[i].account), "%s",
	    account);
	st->st_ep[i].ep.se_healthy = 1;
	st->st_ep[i].ep.se_script = -1;
	return (int)i;
}

void
stats_endpoint_update(struct stats *st, int i, const struct stats_endpoint *ep)
{
	if (i < 0 || (size_t)i >= st->st_nendpoints)
		return;
	st->st_ep[i].ep = *ep;
}

void
stats_endpoint_clear(struct stats *st)
{
	st->st_nendpoints = 0;
}

int
stats_gauge(struct stats *st, const char *name, int64_t value)
{
	size_t	 i;

	for (i = 0; i < st->st_ngauges; i++)
		if (strcmp(st->st_gauge[i].name, name) == 0)
			break;
	if (i == st->st_ngauges) {
		if (i == STATS_MAX_GAUGES)
			return -1;
		snprintf(st->st_gauge[i].name, sizeof(st->st_gauge[i].name),
		    "%s", name);
		st->st_ngauges++;
	}
	st->st_gauge[i].value = value;
	return 0;
}

/* JSON */

static json_t *
stats_json_hist(const struct stats_hist *h)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "count", (json_int_t)h->sh_count,
	    "min_us", (json_int_t)h->sh_min,
	    "max_us", (json_int_t)h->sh_max,
	    "mean_us", (json_int_t)(h->sh_count ? h->sh_sum / h->sh_count : 0),
	    "p50_us", (json_int_t)stats_hist_pct(h, 50),
	    "p95_us", (json_int_t)stats_hist_pct(h, 95),
	    "p99_us", (json_int_t)stats_hist_pct(h, 99));
}

static json_t *
stats_json_endpoint(const struct stats *st, size_t i)
{
	const struct stats_endpoint *ep = &st->st_ep[i].ep;
	json_t	*o;

	o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:b, s:I}",
	    "name", st->st_ep[i].name,
	    "account", st->st_ep[i].account,
	    "healthy", ep->se_healthy,
	    "ok", (json_int_t)ep->se_ok,
	    "fail", (json_int_t)ep->se_fail,
	    "today", (json_int_t)ep->se_today,
	    "bl_ms", (json_int_t)ep->se_bl_ms,
	    "quota", ep->se_quota,
	    "rtt_ms", (json_int_t)ep->se_rtt_ms);
	if (o != NULL && ep->se_kind[0] != '\0' && json_object_set_new(o,
	    "kind", json_stringn(ep->se_kind, strnlen(ep->se_kind,
	    sizeof(ep->se_kind)))) == -1) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && ep->se_script >= 0 && json_object_set_new(o,
	    "script", json_integer(ep->se_script)) == -1) {
		json_decref(o);
		return NULL;
	}
	/* The batch layout (a GooseRelayVPN v1.5 server: "v1.5"). */
	if (o != NULL && ep->se_layout[0] != '\0' && json_object_set_new(o,
	    "layout", json_stringn(ep->se_layout, strnlen(ep->se_layout,
	    sizeof(ep->se_layout)))) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
stats_json(const struct stats *st, uint64_t now_ms)
{
	json_t	*o, *c, *l, *e, *g, *v;
	size_t	 i;

	o = json_pack("{s:s, s:i, s:I, s:I}",
	    "role", st->st_role, "instance", st->st_instance,
	    "uptime_s", (json_int_t)(now_ms > st->st_start_ms ?
	    (now_ms - st->st_start_ms) / 1000 : 0),
	    "active", (json_int_t)st->st_active);
	c = json_object();
	l = json_object();
	e = json_array();
	g = json_object();
	if (o == NULL || c == NULL || l == NULL || e == NULL || g == NULL)
		goto fail;
	json_object_set_new(o, "counters", c);
	json_object_set_new(o, "latency", l);
	json_object_set_new(o, "endpoints", e);
	json_object_set_new(o, "gauges", g);
	for (i = 0; i < STC_NCOUNTERS; i++)
		if (json_object_set_new(c, stats_counter_names[i],
		    json_integer((json_int_t)st->st_counter[i])) == -1)
			goto fail2;
	for (i = 0; i < STH_NHIST; i++)
		if ((v = stats_json_hist(&st->st_hist[i])) == NULL ||
		    json_object_set_new(l, stats_hist_names[i], v) == -1)
			goto fail2;
	for (i = 0; i < st->st_nendpoints; i++)
		if ((v = stats_json_endpoint(st, i)) == NULL ||
		    json_array_append_new(e, v) == -1)
			goto fail2;
	for (i = 0; i < st->st_ngauges; i++)
		if (json_object_set_new(g, st->st_gauge[i].name,
		    json_integer(st->st_gauge[i].value)) == -1)
			goto fail2;
	return o;
 fail:
	json_decref(c);
	json_decref(l);
	json_decref(e);
	json_decref(g);
 fail2:
	json_decref(o);
	return NULL;
}

char *
stats_json_text(const struct stats *st, uint64_t now_ms)
{
	json_t	*o;
	char	*s;

	if ((o = stats_json(st, now_ms)) == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Human renderings, from the JSON object */

/*
 * Integer member of o (at path a.b), or -1 when missing or not a number.
 * A worker object without a "counters" member (a worker that reports its
 * own flat JSON) has its counters looked up at the top level.
 */
static json_int_t
stats_get(const json_t *o, const char *a, const char *b)
{
	json_t	*v;

	if ((v = json_object_get(o, a)) == NULL) {
		if (b == NULL || strcmp(a, "counters") != 0)
			return -1;
		v = (json_t *)o;
	}
	if (b != NULL && (v = json_object_get(v, b)) == NULL)
		return -1;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (!json_is_integer(v))
		return -1;
	return json_integer_value(v);
}

static const char *
stats_get_str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

/* A number or "-" into buf; returns buf. */
static const char *
stats_num(json_int_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* Microseconds as milliseconds with one decimal. */
static const char *
stats_ms(json_int_t us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld.%lld", (long long)(us / 1000),
		    (long long)(us % 1000 / 100));
	return buf;
}

/*
 * Rotating scratch buffers for numbers rendered inside one printf call;
 * each call takes a new slot, so several may appear in one statement.
 */
struct stats_fmt {
	char		 f_buf[16][32];
	unsigned	 f_i;
};

static const char *
stats_fnum(struct stats_fmt *fm, json_int_t v)
{
	char	*b = fm->f_buf[fm->f_i++ % 16];

	return stats_num(v, b, sizeof(fm->f_buf[0]));
}

static const char *
stats_fms(struct stats_fmt *fm, json_int_t v)
{
	char	*b = fm->f_buf[fm->f_i++ % 16];

	return stats_ms(v, b, sizeof(fm->f_buf[0]));
}

/* Bounded append to a line buffer. */
static void
stats_cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
stats_cat(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(buf);

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	/*
	 * Names and labels come from worker JSON: never let a control
	 * character (a newline above all) split or forge a log line.
	 */
	for (; buf[n] != '\0'; n++)
		if ((unsigned char)buf[n] < 0x20 || buf[n] == 0x7f)
			buf[n] = '?';
}

#define C(k)	stats_fnum(&fm, stats_get(o, "counters", (k)))

int
stats_lines(const json_t *o, stats_line_cb fn, void *arg)
{
	struct stats_fmt fm;
	char		 line[1024];
	const json_t	*lat, *h, *eps, *ep, *g, *v;
	const char	*key, *role;
	size_t		 i, healthy = 0, nacct;
	int		 nlines = 0;
	json_int_t	 bl, sc;

	if (!json_is_object(o))
		return -1;
	fm.f_i = 0;
	role = stats_get_str(o, "role");
	eps = json_object_get(o, "endpoints");
	for (i = 0; i < json_array_size(eps); i++)
		if (stats_get(json_array_get(eps, i), "healthy", NULL) == 1)
			healthy++;

	line[0] = '\0';
	stats_cat(line, sizeof(line), "[stats] active=%s",
	    stats_fnum(&fm, stats_get(o, "active", NULL)));
	stats_cat(line, sizeof(line), " sessions=%s/%s",
	    C("sessions_open"), C("sessions_closed"));
	if (strcmp(role, "exit") == 0)
		stats_cat(line, sizeof(line), " requests=%s", C("requests"));
	stats_cat(line, sizeof(line), " frames=%s/%s",
	    C("frames_out"), C("frames_in"));
	stats_cat(line, sizeof(line), " bytes=%s/%s",
	    C("bytes_out"), C("bytes_in"));
	if (strcmp(role, "exit") == 0) {
		stats_cat(line, sizeof(line), " dials=%s/%s/%s",
		    C("dials_ok"), C("dials_fail"), C("dials_suppressed"));
		stats_cat(line, sizeof(line), " rst_sent=%s rst_recv=%s",
		    C("rst_sent"), C("rst_recv"));
		stats_cat(line, sizeof(line), " decode_fail=%s replay=%s",
		    C("decode_fail"), C("replay_resends"));
	} else {
		stats_cat(line, sizeof(line), " polls=%s/%s",
		    C("polls_ok"), C("polls_fail"));
		stats_cat(line, sizeof(line), " rst=%lld",
		    (long long)(stats_get(o, "counters", "rst_sent") +
		    stats_get(o, "counters", "rst_recv")));
		stats_cat(line, sizeof(line), " endpoints=%zu/%zu",
		    healthy, json_array_size(eps));
	}
	fn(line, arg);
	nlines++;

	line[0] = '\0';
	stats_cat(line, sizeof(line), "[stats] latency");
	lat = json_object_get(o, "latency");
	json_object_foreach((json_t *)lat, key, h) {
		if (stats_get(h, "count", NULL) <= 0) {
			stats_cat(line, sizeof(line), " %s[-]", key);
			continue;
		}
		stats_cat(line, sizeof(line), " %s[n=%lld p50=%s p95=%s "
		    "p99=%s]", key, (long long)stats_get(h, "count", NULL),
		    stats_fms(&fm, stats_get(h, "p50_us", NULL)),
		    stats_fms(&fm, stats_get(h, "p95_us", NULL)),
		    stats_fms(&fm, stats_get(h, "p99_us", NULL)));
	}
	stats_cat(line, sizeof(line), " (ms)");
	fn(line, arg);
	nlines++;

	if (strcmp(role, "exit") != 0) {
		line[0] = '\0';
		stats_cat(line, sizeof(line), "[stats] stream(ok=%s drop=%s "
		    "post_fallback=%s) decode_fail=%s replay=%s",
		    C("stream_connects"), C("stream_drops"),
		    C("stream_fallbacks"), C("decode_fail"),
		    C("replay_resends"));
		fn(line, arg);
		nlines++;
	}

	if (json_array_size(eps) > 0) {
		line[0] = '\0';
		stats_cat(line, sizeof(line), "[stats] endpoints:");
		for (i = 0; i < json_array_size(eps); i++) {
			ep = json_array_get(eps, i);
			stats_cat(line, sizeof(line), "%s %s",
			    i ? " |" : "", stats_get_str(ep, "name"));
			if (*stats_get_str(ep, "account") != '-' &&
			    *stats_get_str(ep, "account") != '\0')
				stats_cat(line, sizeof(line), "@%s",
				    stats_get_str(ep, "account"));
			stats_cat(line, sizeof(line), " ok=%s fail=%s today=%s",
			    stats_fnum(&fm, stats_get(ep, "ok", NULL)),
			    stats_fnum(&fm, stats_get(ep, "fail", NULL)),
			    stats_fnum(&fm, stats_get(ep, "today", NULL)));
			if ((sc = stats_get(ep, "script", NULL)) >= 0)
				stats_cat(line, sizeof(line), " script=%lld",
				    (long long)sc);
			if ((bl = stats_get(ep, "bl_ms", NULL)) > 0)
				stats_cat(line, sizeof(line), " bl=%llds",
				    (long long)((bl + 999) / 1000));
			if (stats_get(ep, "quota", NULL) == 1)
				stats_cat(line, sizeof(line), " quota");
			if (stats_get(ep, "rtt_ms", NULL) > 0)
				stats_cat(line, sizeof(line), " rtt=%lldms",
				    (long long)stats_get(ep, "rtt_ms", NULL));
		}
		fn(line, arg);
		nlines++;
	}

	/* Per account (4.6): requests today over its deployments, quota. */
	line[0] = '\0';
	for (i = 0, nacct = 0; i < json_array_size(eps); i++) {
		const char	*acct = stats_get_str(json_array_get(eps, i),
				    "account");
		json_int_t	 today = 0;
		int		 quota = 0, seen = 0;
		size_t		 k;

		if (*acct == '\0' || strcmp(acct, "-") == 0)
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = strcmp(acct, stats_get_str(json_array_get(eps,
			    k), "account")) == 0;
		if (seen)
			continue;
		for (k = i; k < json_array_size(eps); k++) {
			ep = json_array_get(eps, k);
			if (strcmp(acct, stats_get_str(ep, "account")) != 0)
				continue;
			if (stats_get(ep, "today", NULL) > 0)
				today += stats_get(ep, "today", NULL);
			quota |= stats_get(ep, "quota", NULL) == 1;
		}
		stats_cat(line, sizeof(line), "%s%s today=%lld%s",
		    nacct++ ? " | " : "[stats]  accounts=[", acct,
		    (long long)today, quota ? " quota" : "");
	}
	if (nacct > 0) {
		stats_cat(line, sizeof(line), "]");
		fn(line, arg);
		nlines++;
	}

	g = json_object_get(o, "gauges");
	if (json_object_size(g) > 0) {
		line[0] = '\0';
		stats_cat(line, sizeof(line), "[stats] tuned");
		json_object_foreach((json_t *)g, key, v)
			stats_cat(line, sizeof(line), " %s=%lld", key,
			    (long long)json_integer_value(v));
		fn(line, arg);
		nlines++;
	}
	return nlines;
}

#undef C

int
stats_log(const struct stats *st, uint64_t now_ms, int as_json,
    stats_line_cb fn, void *arg)
{
	json_t	*o;
	char	*s, *line;
	int	 n;

	if ((o = stats_json(st, now_ms)) == NULL)
		return -1;
	if (!as_json) {
		n = stats_lines(o, fn, arg);
		json_decref(o);
		return n;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	if (asprintf(&line, "[stats] %s", s) == -1) {
		free(s);
		return -1;
	}
	free(s);
	fn(line, arg);
	free(line);
	return 1;
}

/* Table for gooserelayctl stats */

/* Left-aligned in width columns, counting a UTF-8 sequence as one. */
static void
stats_pad(FILE *f, const char *s, size_t width)
{
	size_t	 cols = 0;
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			cols++;
	fputs(s, f);
	for (; cols < width; cols++)
		fputc(' ', f);
}

char *
stats_table(const json_t *in, char *err, size_t errlen)
{
	const json_t	*arr, *o, *lat, *h, *eps, *ep, *g, *v;
	const char	*key;
	struct stats_fmt fm;
	char		*buf = NULL, name[48], x[112];
	size_t		 len = 0, i, j, nw;
	FILE		*f;

	if (json_is_array(in))
		arr = in;
	else if (json_is_object(in) && json_is_array(json_object_get(in,
	    "workers")))
		arr = json_object_get(in, "workers");
	else if (json_is_object(in))
		arr = NULL;
	else {
		snprintf(err, errlen, "not a stats object or array");
		return NULL;
	}
	nw = arr != NULL ? json_array_size(arr) : 1;
	for (i = 0; i < nw; i++) {
		o = arr != NULL ? json_array_get(arr, i) : in;
		if (!json_is_object(o)) {
			snprintf(err, errlen, "worker %zu: not an object", i);
			return NULL;
		}
	}
	fm.f_i = 0;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		snprintf(err, errlen, "open_memstream failed");
		return NULL;
	}

#define W(i)	(arr != NULL ? json_array_get(arr, (i)) : in)
#define N(v)	stats_fnum(&fm, (v))
#define C(k)	N(stats_get(o, "counters", (k)))
#define P(a, b)	(snprintf(x, sizeof(x), "%.50s/%.50s", a, b), x)
	fprintf(f, "%-12s %8s %6s %15s %15s %23s %13s %9s %9s\n",
	    "WORKER", "UPTIME_S", "ACTIVE", "SESSIONS O/C", "FRAMES OUT/IN",
	    "BYTES OUT/IN", "POLLS OK/FAIL", "RST S/R", "DECODE_F");
	for (i = 0; i < nw; i++) {
		o = W(i);
		snprintf(name, sizeof(name), "%.20s#%s",
		    stats_get_str(o, "role"),
		    N(stats_get(o, "instance", NULL)));
		if (json_is_string(json_object_get(o, "error"))) {
			fprintf(f, "%-12s (no stats: %.60s)\n", name,
			    json_string_value(json_object_get(o, "error")));
			continue;
		}
		fprintf(f, "%-12s %8s %6s", name,
		    N(stats_get(o, "uptime_s", NULL)),
		    N(stats_get(o, "active", NULL)));
		fprintf(f, " %15s", P(C("sessions_open"),
		    C("sessions_closed")));
		fprintf(f, " %15s", P(C("frames_out"), C("frames_in")));
		fprintf(f, " %23s", P(C("bytes_out"), C("bytes_in")));
		fprintf(f, " %13s", P(C("polls_ok"), C("polls_fail")));
		fprintf(f, " %9s", P(C("rst_sent"), C("rst_recv")));
		fprintf(f, " %9s\n", C("decode_fail"));
	}

	fprintf(f, "\n%-12s %9s %15s %15s %14s %17s\n", "WORKER",
	    "REQUESTS", "DIALS OK/FAIL", "DIALS_SUPPR", "REPLAY_RESEND",
	    "STREAM C/D/FB");
	for (i = 0; i < nw; i++) {
		o = W(i);
		snprintf(name, sizeof(name), "%.20s#%s",
		    stats_get_str(o, "role"),
		    N(stats_get(o, "instance", NULL)));
		fprintf(f, "%-12s %9s", name, C("requests"));
		fprintf(f, " %15s", P(C("dials_ok"), C("dials_fail")));
		fprintf(f, " %15s %14s", C("dials_suppressed"),
		    C("replay_resends"));
		snprintf(x, sizeof(x), "%s/%s/%s", C("stream_connects"),
		    C("stream_drops"), C("stream_fallbacks"));
		fprintf(f, " %17s\n", x);
	}

	fprintf(f, "\n%-12s %-13s %9s %10s %10s %10s %10s\n", "WORKER",
	    "LATENCY", "N", "P50_MS", "P95_MS", "P99_MS", "MAX_MS");
	for (i = 0; i < nw; i++) {
		o = W(i);
		snprintf(name, sizeof(name), "%.20s#%s",
		    stats_get_str(o, "role"),
		    N(stats_get(o, "instance", NULL)));
		lat = json_object_get(o, "latency");
		json_object_foreach((json_t *)lat, key, h) {
			fprintf(f, "%-12s %-13s %9s", name, key,
			    N(stats_get(h, "count", NULL)));
			if (stats_get(h, "count", NULL) <= 0) {
				fprintf(f, " %10s %10s %10s %10s\n", "-", "-",
				    "-", "-");
				continue;
			}
			fprintf(f, " %10s %10s %10s %10s\n",
			    stats_fms(&fm, stats_get(h, "p50_us", NULL)),
			    stats_fms(&fm, stats_get(h, "p95_us", NULL)),
			    stats_fms(&fm, stats_get(h, "p99_us", NULL)),
			    stats_fms(&fm, stats_get(h, "max_us", NULL)));
		}
	}

	for (i = 0, j = 0; i < nw; i++)
		j += json_array_size(json_object_get(W(i), "endpoints"));
	if (j > 0) {
		fprintf(f, "\n%-12s %-6s %-40s %-12s %-7s %9s %9s %9s %9s "
		    "%7s %-5s %7s %-6s\n", "WORKER", "KIND", "ENDPOINT",
		    "ACCOUNT", "HEALTHY",
		    "OK", "FAIL", "TODAY", "SCRIPT", "BL_S", "QUOTA",
		    "RTT_MS", "LAYOUT");
	}
	for (i = 0; i < nw; i++) {
		o = W(i);
		snprintf(name, sizeof(name), "%.20s#%s",
		    stats_get_str(o, "role"),
		    N(stats_get(o, "instance", NULL)));
		eps = json_object_get(o, "endpoints");
		for (j = 0; j < json_array_size(eps); j++) {
			json_int_t bl;

			ep = json_array_get(eps, j);
			bl = stats_get(ep, "bl_ms", NULL);
			fprintf(f, "%-12s %-6.6s ", name,
			    stats_get_str(ep, "kind"));
			stats_pad(f, stats_get_str(ep, "name"), 40);
			fprintf(f, " %-12s %-7s",
			    *stats_get_str(ep, "account") ?
			    stats_get_str(ep, "account") : "-",
			    stats_get(ep, "healthy", NULL) == 1 ? "yes" :
			    "no");
			fprintf(f, " %9s %9s %9s %9s %7s %-5s %7s %-6s\n",
			    N(stats_get(ep, "ok", NULL)),
			    N(stats_get(ep, "fail", NULL)),
			    N(stats_get(ep, "today", NULL)),
			    N(stats_get(ep, "script", NULL)),
			    N(bl > 0 ? (bl + 999) / 1000 : bl),
			    stats_get(ep, "quota", NULL) == 1 ? "yes" : "no",
			    N(stats_get(ep, "rtt_ms", NULL)),
			    *stats_get_str(ep, "layout") ?
			    stats_get_str(ep, "layout") : "-");
		}
	}

	for (i = 0, j = 0; i < nw; i++)
		j += json_object_size(json_object_get(W(i), "gauges"));
	if (j > 0)
		fprintf(f, "\n%-12s %-32s %12s\n", "WORKER", "TUNED", "VALUE");
	for (i = 0; i < nw; i++) {
		o = W(i);
		snprintf(name, sizeof(name), "%.20s#%s",
		    stats_get_str(o, "role"),
		    N(stats_get(o, "instance", NULL)));
		g = json_object_get(o, "gauges");
		json_object_foreach((json_t *)g, key, v)
			fprintf(f, "%-12s %-32s %12s\n", name, key,
			    N(json_is_integer(v) ? json_integer_value(v) :
			    -1));
	}
#undef W
#undef N
#undef C
#undef P
	if (fclose(f) != 0) {
		free(buf);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return buf;
}

char *
stats_table_text(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*o;
	char		*s;

	if ((o = json_loadb(json, len, 0, &je)) == NULL) {
		snprintf(err, errlen, "bad JSON at line %d: %s", je.line,
		    je.text);
		return NULL;
	}
	s = stats_table(o, err, errlen);
	json_decref(o);
	return s;
}
