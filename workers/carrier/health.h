/*
 * Endpoint health for the carrier's POST transports (docs/protocol.md 4.3-4.5):
 * selection score, failure classes and blacklist TTLs with deterministic
 * jitter, local-offline handling, outage grace, account buckets with idle
 * and active slot caps, idle_poll_mode, daily request counting with the
 * America/Los_Angeles midnight reset, quota quarantine persisted through
 * the supervisor, and the classification of non-batch response bodies.
 *
 * No I/O here: callers pass the time (epoch seconds, e.g. ev_now()) and
 * get decisions back, so all of it is unit-testable.
 */
#ifndef GR_HEALTH_H
#define GR_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "endpoint.h"
#include "health_pt.h"

struct health_set;		/* every endpoint of one transport */
struct stats_endpoint;		/* common/stats.h */
struct health;			/* one endpoint (cendpoint.ep_health) */

/* Constants of the Go client (4.4, 4.5). */
#define HEALTH_QUOTA_DAILY	20000	/* UrlFetch calls per account-day */
#define HEALTH_QUOTA_SKIP_PERMILLE 850
#define HEALTH_OFFLINE_TTL	15.0	/* flat blacklist, not ramped */
#define HEALTH_OUTAGE_CAP	60.0	/* grace unless all local-offline */

enum health_slot {
	HS_IDLE = 0,		/* empty / ACK-only long-poll */
	HS_ACTIVE		/* a batch carrying frames */
};

/* What the outage check tells the POST loop. */
enum health_outage {
	HO_NONE = 0,		/* some endpoint is usable */
	HO_HOLD,		/* all down: hold sessions, retry later */
	HO_ABORT		/* grace over: abort local sessions (once) */
};

struct health_set *health_set_new(const struct carrier_conf *,
		    int fronted);
void		 health_set_free(struct health_set *);
/* Blacklist, grace and slot knobs of a reloaded configuration. */
void		 health_set_configure(struct health_set *,
		    const struct carrier_conf *);

/*
 * Register an endpoint.  id is the relay URL or the bare deployment id
 * (the score jitter and the quota key derive from it), account the label
 * or "" (unlabeled endpoints are their own bucket).  Sets ep_health and
 * ep_key.  Returns NULL on allocation failure.
 */
struct health	*health_add(struct health_set *, struct cendpoint *,
		    const char *id, const char *account);
size_t		 health_count(const struct health_set *);
struct cendpoint *health_endpoint(const struct health_set *, size_t);

/* Number of live local sessions (for idle caps and adaptive mode). */
void		 health_set_sessions(struct health_set *, size_t, double now);

/*
 * Choose an endpoint for one exchange and take a slot of the given kind.
 * Endpoints in exclude (already tried in this poll) are skipped.  NULL:
 * nothing usable or no free slot; then *why (if not NULL) says which.
 */
struct cendpoint *health_acquire(struct health_set *, enum health_slot,
		    struct cendpoint *const *exclude, size_t nexclude,
		    double now, const char **why);
void		 health_release(struct cendpoint *, enum health_slot);

/*
 * Record the outcome of one exchange.  rtt in seconds (ignored for
 * failures), got_data = the response carried frames.  Logs only a quota
 * quarantine; the caller reports failures and recoveries through
 * epfail.c, with health_blacklisted_for() as the delay.
 */
void		 health_report(struct cendpoint *, enum ep_result, double rtt,
		    int got_data, double now, const char *detail);
/* Count one HTTP response received today (fronted transport). */
void		 health_count_request(struct cendpoint *, double now);

int		 health_usable(const struct cendpoint *, double now);
double		 health_blacklisted_for(const struct cendpoint *, double now);
int		 health_failcount(const struct cendpoint *);
double		 health_score(const struct health_set *,
		    const struct cendpoint *, double now);
/* Every endpoint is down and each for a local-offline reason. */
int		 health_all_offline(const struct health_set *, double now);
/* The network came back (recovery probe): lift offline blacklists. */
void		 health_clear_offline(struct health_set *);

/* Call on every poll while sessions wait; see enum health_outage. */
enum health_outage health_outage(struct health_set *, double now);

/* Blacklist TTL for failCount n of an endpoint id (jitter included). */
double		 health_ttl(const struct health_set *, const char *id, int n);
/* FNV-1a 32-bit. */
uint32_t	 health_fnv32a(const void *, size_t);

/*
 * Quota.  A quota failure quarantines every endpoint of the account (or
 * the one unlabeled URL) until the next Pacific midnight; the state is
 * serialised as {"version":1,"entries":[{"key":..,"until":RFC3339}]} and
 * handed to the save hook (the carrier passes wproc_send_quota).
 */
void		 health_set_quota_hook(struct health_set *,
		    void (*)(const char *, size_t, void *), void *);
int		 health_quota_load(struct health_set *, const char *, size_t,
		    double now, const char **errstr);
/* The JSON of the current quarantines (malloc'ed, NUL-ended). */
char		*health_quota_json(const struct health_set *, double now);
int		 health_quarantined(const struct cendpoint *, double now);
/* Requests counted today for the endpoint / its account. */
uint32_t	 health_today(const struct cendpoint *, double now);


/*
 * health_classify.c: non-batch bodies (4.4).  health_nonbatch: 1 if a
 * text-mode response body is an error page / JSON / forwarder message
 * rather than base64.  health_classify_text: the class of such a body
 * (EP_FAIL_QUOTA, _RATE, _HARD or _SOFT) and a short reason for logs.
 */
int		 health_nonbatch(const uint8_t *, size_t);
enum ep_result	 health_classify_text(const uint8_t *, size_t,
		    const char **reason);

/* Case-insensitive search of a NUL-ended needle in n bytes. */
const char	*health_memcasemem(const uint8_t *, size_t, const char *);

/* "AKfycb...xxxxxx" style short label (first 6 ... last 6). */
void		 health_shorten(const char *, char *, size_t);

/*
 * Config reload (issue 8).  health_remove takes an endpoint out of
 * selection, outage checks and stats while exchanges it has in flight
 * still release their slots and report; health_forget drops what is left
 * once the endpoint itself is freed.  Every other endpoint keeps its
 * counters, blacklist and quota state; buckets (accounts) stay.
 */
void		 health_remove(struct cendpoint *);
void		 health_forget(struct cendpoint *);

/*
 * One row of gooserelayctl stats: health, counts, blacklist remaining,
 * today's count, quota quarantine and RTT EWMA.  id gets the bare
 * deployment id (or the URL) for stats_endpoint(), which shortens it;
 * account the label or "".
 */
void		 health_ep_stats(const struct cendpoint *, double now,
		    struct stats_endpoint *, char *id, size_t idlen,
		    char *account, size_t accountlen);

/* One stats fragment per endpoint, "label ok=N fail=N today=N [bl=Ns]". */
int		 health_stats(const struct health_set *, double now, char *,
		    size_t);

#endif /* GR_HEALTH_H */
