/*
 * A persistent failure of one endpoint (a relay URL, an Apps Script
 * deployment, a stream URL), said once and retried with back-off: the
 * one policy of every transport of the carrier (issue 15).
 *
 *  - Said once per state change: the first failure after a success, and
 *    a failure for another reason ("connection refused" becoming "HTTP
 *    204"), get a line; the same failure again does not (log_debug).
 *  - A reminder while it lasts: the first failure at least
 *    EPFAIL_REMIND_S after the last line says "still failing: N attempts
 *    in the last S s".
 *  - The recovery is said once too, with the count and the duration.
 *  - Back-off: base * 2^(n-1) with +-20 % jitter, capped (or a delay the
 *    caller computed, such as the health.c blacklist of a deployment).
 *    Only the failure of the one attempt made after the delay (a retry)
 *    or of the first attempt of a streak moves the ladder on: attempts
 *    that were already under way when the endpoint began failing count
 *    but do not push the delay up (several pollers failing at once).
 *  - One retry at a time: while an endpoint fails, epfail_admit() lets a
 *    single attempt through once the delay is over.
 *
 * No I/O and no timers: the caller gives the time (ev_now()) and arms
 * its own timer from epfail_wait(); unit-tested (test_epfail.c).
 */
#ifndef GR_EPFAIL_H
#define GR_EPFAIL_H

#include <stdint.h>

#define EPFAIL_REMIND_S		60.0	/* reminder at most this often */
#define EPFAIL_JITTER		0.2	/* +- of each delay */

struct epfail {
	char		 ef_label[96];	/* who: "http://h:p", ... */
	char		 ef_what[160];	/* the failure last said */
	int		 ef_failing;
	int		 ef_trying;	/* the one retry is under way */
	unsigned int	 ef_streak;	/* failures that moved the ladder */
	uint64_t	 ef_attempts;	/* failed attempts in this streak */
	uint64_t	 ef_unsaid;	/* ... since the last line */
	double		 ef_since;	/* first failure of the streak */
	double		 ef_said_at;	/* last line about it */
	double		 ef_until;	/* no retry before */
	double		 ef_delay;	/* last delay chosen */
	double		 ef_base;
	double		 ef_cap;
	uint32_t	 ef_seed;	/* jitter */
};

/* epfail_failed() flags */
#define EPF_RETRY	0x1	/* the attempt epfail_admit() let through */
#define EPF_SAID	0x2	/* the caller logged this failure itself */
#define EPF_QUIET	0x4	/* state only: a verdict will follow */

/* epfail_admit() results */
#define EPA_NO		0	/* not now */
#define EPA_OK		1	/* healthy: go */
#define EPA_RETRY	2	/* failing: this is the one retry */

void	 epfail_init(struct epfail *, const char *label, double base,
	    double cap);
void	 epfail_ladder(struct epfail *, double base, double cap);
/*
 * May an attempt start now?  timed = 0: the caller keeps the time itself
 * (a health.c blacklist): only one retry at a time is checked.
 */
int	 epfail_admit(struct epfail *, double now, int timed);
/* The admitted retry did not start after all. */
void	 epfail_cancel(struct epfail *, int admitted);
/* Seconds until a retry may start: 0 now, -1 while one is under way. */
double	 epfail_wait(const struct epfail *, double now);
/* A failure that started before the streak: counted, nothing else. */
int	 epfail_stale(const struct epfail *, int flags);
/*
 * An attempt failed.  what: a short reason ("connection refused",
 * "HTTP 502").  delay < 0: the own ladder; else the caller's.  Returns
 * the delay until the next retry (0 for a stale failure).
 */
double	 epfail_failed(struct epfail *, double now, const char *what,
	    double delay, int flags);
/*
 * What the failure is, learned without an attempt (a check of another
 * path): said as a change of state, and failures are then said as it.
 */
void	 epfail_say(struct epfail *, double now, const char *what);
/* An attempt succeeded.  1 if the endpoint was failing (said so). */
int	 epfail_ok(struct epfail *, double now, int quiet);
int	 epfail_failing(const struct epfail *);

#endif /* GR_EPFAIL_H */
