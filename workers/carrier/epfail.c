/*
 * Endpoint failures said once, reminded, retried with back-off (see
 * epfail.h).  Pure bookkeeping and log lines; the caller supplies time.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include "epfail.h"
#include "log.h"

void
epfail_init(struct epfail *ef, const char *label, double base, double cap)
{
	const unsigned char	*p;
	uint32_t		 h = 2166136261U;

	memset(ef, 0, sizeof(*ef));
	snprintf(ef->ef_label, sizeof(ef->ef_label), "%s", label);
	/* Jitter seeded by the label: endpoints failing together spread. */
	for (p = (const unsigned char *)label; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619U;
	}
	ef->ef_seed = h != 0 ? h : 1;
	epfail_ladder(ef, base, cap);
}

void
epfail_ladder(struct epfail *ef, double base, double cap)
{
	ef->ef_base = base > 0 ? base : 1.0;
	ef->ef_cap = cap >= ef->ef_base ? cap : ef->ef_base;
}

/* xorshift32: a jitter source that needs no RNG in the sandbox. */
static double
epfail_jitter(struct epfail *ef)
{
	uint32_t	 x = ef->ef_seed;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	ef->ef_seed = x;
	return (1.0 - EPFAIL_JITTER + 2 * EPFAIL_JITTER *
	    (double)(x % 10001) / 10000.0);
}

static double
epfail_step(struct epfail *ef)
{
	double		 d = ef->ef_base;
	unsigned int	 n;

	for (n = 1; n < ef->ef_streak && d < ef->ef_cap; n++)
		d *= 2;
	if (d > ef->ef_cap)
		d = ef->ef_cap;
	d *= epfail_jitter(ef);
	return (d > ef->ef_cap ? ef->ef_cap : d);
}

int
epfail_admit(struct epfail *ef, double now, int timed)
{
	if (!ef->ef_failing)
		return (EPA_OK);
	if (ef->ef_trying || (timed && ef->ef_until > now))
		return (EPA_NO);
	ef->ef_trying = 1;
	return (EPA_RETRY);
}

void
epfail_cancel(struct epfail *ef, int admitted)
{
	if (admitted == EPA_RETRY)
		ef->ef_trying = 0;
}

double
epfail_wait(const struct epfail *ef, double now)
{
	if (!ef->ef_failing)
		return (0);
	if (ef->ef_trying)
		return (-1);
	return (ef->ef_until > now ? ef->ef_until - now : 0);
}

int
epfail_stale(const struct epfail *ef, int flags)
{
	return (ef->ef_failing && !(flags & EPF_RETRY));
}

int
epfail_failing(const struct epfail *ef)
{
	return (ef->ef_failing);
}

double
epfail_failed(struct epfail *ef, double now, const char *what,
    double delay, int flags)
{
	int	 first = !ef->ef_failing, changed, unsaid;

	ef->ef_attempts++;
	ef->ef_unsaid++;
	if (epfail_stale(ef, flags)) {
		log_debug("%s: %s (an attempt made before the failure began)",
		    ef->ef_label, what);
		return (0);
	}
	if (flags & EPF_RETRY)
		ef->ef_trying = 0;
	if (first) {
		ef->ef_failing = 1;
		ef->ef_since = now;
		ef->ef_streak = 0;
		ef->ef_attempts = ef->ef_unsaid = 1;
	}
	ef->ef_streak++;
	ef->ef_delay = delay >= 0 ? delay : epfail_step(ef);
	ef->ef_until = now + ef->ef_delay;
	changed = first || strcmp(what, ef->ef_what) != 0;
	/* Nothing said in this streak yet (a quiet start, EPF_QUIET). */
	unsaid = first || ef->ef_what[0] == '\0';
	if (flags & EPF_QUIET) {
		/* Nothing said yet: the verdict that follows says it. */
		if (changed)
			ef->ef_what[0] = '\0';
		return (ef->ef_delay);
	}
	if (changed) {
		if (!(flags & EPF_SAID) && unsaid)
			log_warnx("%s: %s; retrying in %.1f s", ef->ef_label,
			    what, ef->ef_delay);
		else if (!(flags & EPF_SAID))
			log_warnx("%s: now %s (failing for %.0f s); retrying "
			    "in %.1f s", ef->ef_label, what, now - ef->ef_since,
			    ef->ef_delay);
		snprintf(ef->ef_what, sizeof(ef->ef_what), "%s", what);
		ef->ef_said_at = now;
		ef->ef_unsaid = 0;
	} else if (now - ef->ef_said_at >= EPFAIL_REMIND_S) {
		log_warnx("%s: still failing: %llu attempt%s in the last "
		    "%.0f s (%s); retrying in %.1f s", ef->ef_label,
		    (unsigned long long)ef->ef_unsaid, ef->ef_unsaid == 1 ?
		    "" : "s", now - ef->ef_said_at, what, ef->ef_delay);
		ef->ef_said_at = now;
		ef->ef_unsaid = 0;
	} else
		log_debug("%s: %s (%llu in a row); retrying in %.1f s",
		    ef->ef_label, what, (unsigned long long)ef->ef_attempts,
		    ef->ef_delay);
	return (ef->ef_delay);
}

void
epfail_say(struct epfail *ef, double now, const char *what)
{
	if (!ef->ef_failing || strcmp(what, ef->ef_what) == 0)
		return;
	log_warnx("%s: %s", ef->ef_label, what);
	snprintf(ef->ef_what, sizeof(ef->ef_what), "%s", what);
	ef->ef_said_at = now;
	ef->ef_unsaid = 0;
}

int
epfail_ok(struct epfail *ef, double now, int quiet)
{
	if (!ef->ef_failing) {
		ef->ef_trying = 0;
		return (0);
	}
	if (!quiet)
		log_info("%s: answering again after %llu failed attempt%s in "
		    "%.0f s", ef->ef_label,
		    (unsigned long long)ef->ef_attempts,
		    ef->ef_attempts == 1 ? "" : "s", now - ef->ef_since);
	ef->ef_failing = 0;
	ef->ef_trying = 0;
	ef->ef_streak = 0;
	ef->ef_attempts = ef->ef_unsaid = 0;
	ef->ef_until = 0;
	ef->ef_what[0] = '\0';
	return (1);
}
