/*
 * gooserelayctl stats: the workers' JSON as a table (supervisor only; the
 * workers render nothing but their [stats] lines, common/stats.c).  The
 * input comes from sandboxed but untrusted workers: every member is
 * looked up with its type checked, and nothing is printed unbounded
 * (regress/fuzz/fuzz_stats.c).
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stats.h"
#include "statstab.h"

/* Left-aligned in width columns, counting a UTF-8 sequence as one. */
static void
statstab_pad(FILE *f, const char *s, size_t width)
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

/* Worker o, and its name for the first column: "role#instance". */
static const json_t *
statstab_worker(const json_t *o, struct stats_fmt *fm, char *name,
    size_t len)
{
	snprintf(name, len, "%.20s#%s", stats_get_str(o, "role"),
	    stats_fnum(fm, stats_get(o, "instance", NULL)));
	return o;
}

char *
statstab_render(const json_t *in, char *err, size_t errlen)
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
		o = statstab_worker(W(i), &fm, name, sizeof(name));
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
		o = statstab_worker(W(i), &fm, name, sizeof(name));
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
		o = statstab_worker(W(i), &fm, name, sizeof(name));
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
		o = statstab_worker(W(i), &fm, name, sizeof(name));
		eps = json_object_get(o, "endpoints");
		for (j = 0; j < json_array_size(eps); j++) {
			json_int_t bl;

			ep = json_array_get(eps, j);
			bl = stats_get(ep, "bl_ms", NULL);
			fprintf(f, "%-12s %-6.6s ", name,
			    stats_get_str(ep, "kind"));
			statstab_pad(f, stats_get_str(ep, "name"), 40);
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
		o = statstab_worker(W(i), &fm, name, sizeof(name));
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
statstab_text(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*o;
	char		*s;

	if ((o = json_loadb(json, len, 0, &je)) == NULL) {
		snprintf(err, errlen, "bad JSON at line %d: %s", je.line,
		    je.text);
		return NULL;
	}
	s = statstab_render(o, err, errlen);
	json_decref(o);
	return s;
}
