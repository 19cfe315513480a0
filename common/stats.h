/*
 * Worker statistics: named counters, log-bucketed latency histograms and
 * per-endpoint health, kept in one fixed-size registry per worker (no
 * malloc when a sample is recorded), rendered as JSON (jansson) for
 * gooserelayctl stats --json and stats_json log lines, as the human
 * "[stats]" lines of protocol.md 4.6, and as a table of several workers
 * for gooserelayctl stats.
 *
 * Worker side:
 *
 *	static struct stats st;
 *	stats_init(&st, "carrier", wproc_instance());
 *	stats_add(&st, STC_BYTES_OUT, n);            data path, no malloc
 *	stats_hist_add(stats_hist(&st, STH_TTFB), usec);
 *	i = stats_endpoint(&st, cs_id, cs_account);  full id is shortened
 *	stats_endpoint_update(&st, i, &ep);
 *	stats_gauge(&st, "poll_idle_sleep_ms", 5);   auto_tune values etc.
 *
 *	wo_stats(reqid):  s = stats_json_text(&st, 0);
 *	                  wproc_send_stats(reqid, s); free(s);
 *	every stats_interval_s:
 *	                  stats_log(&st, cc_stats_json, log_cb, NULL);
 *
 * Supervisor / gooserelayctl: collect each worker's JSON into an array
 * (or {"workers":[...]}) and call stats_table() for the readable form.
 *
 * Nothing here ever holds a full deployment id or URL credentials: names
 * are shortened / stripped when the endpoint is registered.
 */
#ifndef GR_STATS_H
#define GR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum stats_counter {
	STC_SESS_OPEN = 0,
	STC_SESS_CLOSE,
	STC_FRAMES_OUT,		/* uplink: carrier -> exit -> target */
	STC_FRAMES_IN,
	STC_BYTES_OUT,		/* payload bytes */
	STC_BYTES_IN,
	STC_REQUESTS,		/* exit: /tunnel requests served */
	STC_POLLS_OK,
	STC_POLLS_FAIL,
	STC_RST_SENT,
	STC_RST_RECV,
	STC_DECODE_FAIL,
	STC_DIALS_OK,
	STC_DIALS_FAIL,
	STC_DIALS_SUPPRESSED,
	STC_REPLAY_RESENDS,
	STC_STREAM_CONNECTS,
	STC_STREAM_DROPS,
	STC_STREAM_FALLBACKS,
	STC_NCOUNTERS
};

enum stats_histid {
	STH_TTFB = 0,		/* SYN to first downlink byte */
	STH_ENDPOINT_RTT,	/* one POST / stream round trip */
	STH_QUEUE_WAIT,		/* frame queued to frame sent */
	STH_ENCODE,		/* batch encode time */
	STH_DECODE,		/* batch decode time */
	STH_NHIST
};

/*
 * Histogram of microsecond values: exact below 16, then 8 sub-buckets per
 * power of two (relative bucket width <= 12.5%, the estimate is the
 * bucket middle so the error is about half that), up to 2^40 us; larger
 * values land in the last bucket.  Fixed memory, O(1) add.
 */
#define STATS_HIST_SUB		8
#define STATS_HIST_EXACT	16
#define STATS_HIST_MAXEXP	40
#define STATS_HIST_NBUCKETS	(STATS_HIST_EXACT + \
	    (STATS_HIST_MAXEXP - 4) * STATS_HIST_SUB)

struct stats_hist {
	uint64_t	 sh_count;
	uint64_t	 sh_sum;
	uint64_t	 sh_min;
	uint64_t	 sh_max;
	uint32_t	 sh_bucket[STATS_HIST_NBUCKETS];
};

void	 stats_hist_reset(struct stats_hist *);
void	 stats_hist_add(struct stats_hist *, uint64_t usec);
/* Estimate of the p-th percentile (0 < p <= 100); 0 when empty. */
uint64_t stats_hist_pct(const struct stats_hist *, double p);
/* Bucket index of a value and the [lo, hi] range of a bucket (tests). */
size_t	 stats_hist_index(uint64_t);
void	 stats_hist_range(size_t, uint64_t *lo, uint64_t *hi);

#define STATS_MAX_ENDPOINTS	96	/* scripts + relay + stream URLs */
#define STATS_NAME_LEN		96
#define STATS_MAX_GAUGES	48	/* the exit has 29 (8 of them udp_*) */
#define STATS_GAUGE_LEN		32

/* What a worker knows about one endpoint; copied into the registry. */
struct stats_endpoint {
	int		 se_healthy;
	uint64_t	 se_ok;
	uint64_t	 se_fail;
	uint64_t	 se_today;		/* responses today (quota) */
	int64_t		 se_script;		/* doGet count, -1 = unknown */
	uint64_t	 se_bl_ms;		/* blacklist remaining, 0 = none */
	int		 se_quota;		/* quarantined until reset */
	uint64_t	 se_rtt_ms;		/* RTT EWMA, 0 = unknown */
	char		 se_kind[12];		/* "script", "relay", "stream" */
	char		 se_layout[8];		/* "v1.6", "v1.5", "" */
};

struct stats {
	char		 st_role[16];		/* "carrier", "exit" */
	int		 st_instance;
	uint64_t	 st_start_ms;		/* monotonic, for uptime */
	uint64_t	 st_active;		/* live sessions (gauge) */
	uint64_t	 st_counter[STC_NCOUNTERS];
	struct stats_hist st_hist[STH_NHIST];
	size_t		 st_nendpoints;
	struct {
		char	 name[STATS_NAME_LEN];	/* shortened / stripped */
		char	 account[64];
		struct stats_endpoint ep;
	}		 st_ep[STATS_MAX_ENDPOINTS];
	size_t		 st_ngauges;
	struct {
		char	 name[STATS_GAUGE_LEN];
		int64_t	 value;
	}		 st_gauge[STATS_MAX_GAUGES];
};

/* Call before the sandbox: it seeds jansson's hash (reads urandom). */
void	 stats_init(struct stats *, const char *role, int instance);
/* Clear counters and histograms; endpoints and gauges stay. */
void	 stats_reset(struct stats *);

static inline void
stats_add(struct stats *st, enum stats_counter c, uint64_t n)
{
	st->st_counter[c] += n;
}

static inline void
stats_set_active(struct stats *st, uint64_t n)
{
	st->st_active = n;
}

static inline struct stats_hist *
stats_hist(struct stats *st, enum stats_histid h)
{
	return &st->st_hist[h];
}

/*
 * Register an endpoint (deployment id, or a URL) and return its index, or
 * -1 when the table is full.  The same name twice returns the same index.
 * A deployment id is stored as first6...last6, a URL without user:pass@,
 * query or fragment.  Never call per frame (linear search).
 */
int	 stats_endpoint(struct stats *, const char *name, const char *account);
void	 stats_endpoint_update(struct stats *, int, const struct stats_endpoint *);
/* Forget all endpoints (config reload); re-register the ones that stay. */
void	 stats_endpoint_clear(struct stats *);
/* Set a named integer gauge (auto_tune values, quota state...). */
int	 stats_gauge(struct stats *, const char *name, int64_t value);

/* Names of counters and histograms as used in JSON. */
const char *stats_counter_name(enum stats_counter);
const char *stats_hist_name(enum stats_histid);

/*
 * "AKfycbxyz...abcdef" -> "AKfycb\u2026abcdef" (first6...last6); short ids
 * keep at most 6 characters.  Returns buf.
 */
const char *stats_short_id(const char *, char *buf, size_t len);
/* A URL without user:pass@, query and fragment.  Returns buf. */
const char *stats_strip_url(const char *, char *buf, size_t len);

/* The registry as a JSON object (new reference), NULL on ENOMEM. */
json_t	*stats_json(const struct stats *, uint64_t now_ms);
/* Same as compact text (malloc'd; free()), NULL on ENOMEM. */
char	*stats_json_text(const struct stats *, uint64_t now_ms);

/*
 * The "[stats] ..." lines of protocol.md 4.6 for one worker's JSON object
 * (as made by stats_json; a worker object received over IPC works too).
 * Each line is passed to fn without a newline.  Returns the number of
 * lines, -1 if the object is not a stats object.
 */
typedef void	(*stats_line_cb)(const char *line, void *arg);
int	 stats_lines(const json_t *, stats_line_cb fn, void *arg);
/* Periodic log: the human lines, or one "[stats] {json}" line. */
int	 stats_log(const struct stats *, uint64_t now_ms, int as_json,
	    stats_line_cb fn, void *arg);

/*
 * Readable table for gooserelayctl stats from several workers' JSON: an
 * array of worker objects, or an object with a "workers" array, or a
 * single worker object.  Returns malloc'd text (free()), or NULL with a
 * reason in err.  Missing fields print as "-"; a worker object without
 * "counters" has its counters read from its top level.  Any JSON input
 * is safe (the worker side is sandboxed but not trusted).
 */
char	*stats_table(const json_t *, char *err, size_t errlen);
/* Same from JSON text (bounded by len). */
char	*stats_table_text(const char *json, size_t len, char *err,
	    size_t errlen);

/* Monotonic milliseconds (CLOCK_MONOTONIC), for now_ms arguments. */
uint64_t stats_now_ms(void);

#endif /* GR_STATS_H */
