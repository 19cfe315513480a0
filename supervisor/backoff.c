/*
 * Restart schedule (s6-supervise style): the delay doubles from 1 s up
 * to a cap, with jitter so several crashing daemons do not restart in
 * step, and a tally of deaths at start over a sliding window decides
 * when a role has failed for good and the service manager should take
 * over.  Deaths under load never count: a worker that served and then
 * died (a remote peer may be able to cause that) is restarted with a
 * short capped delay for as long as it takes.  Pure functions so
 * regress/unit/test_backoff.c can check the schedule without waiting.
 */
#include "gr_config.h"

#include "supervisor.h"

double
backoff_delay(unsigned n, double jitter, double cap)
{
	double	 d = BACKOFF_BASE_S;

	if (cap < BACKOFF_BASE_S || cap > BACKOFF_MAX_S)
		cap = BACKOFF_MAX_S;
	while (n-- > 0 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Jitter: -25% .. +25%, never below the base nor above the cap. */
	if (jitter < 0 || jitter >= 1)
		jitter = 0.5;
	d *= 0.75 + jitter / 2;
	if (d < BACKOFF_BASE_S)
		d = BACKOFF_BASE_S;
	if (d > cap)
		d = cap;
	return d;
}

int
backoff_at_start(double up, int proven)
{
	if (up < 0)
		return 1;		/* never became READY */
	return !proven && up < BACKOFF_PROVEN_S;
}

unsigned
tally_count(const struct tally *t, double now)
{
	unsigned	 i, n = 0;

	for (i = 0; i < t->t_n; i++)
		if (now - t->t_when[i] <= TALLY_WINDOW_S)
			n++;
	return n;
}

int
tally_add(struct tally *t, double now)
{
	unsigned	 i, j = 0;

	/* Forget deaths that left the window, then record this one. */
	for (i = 0; i < t->t_n; i++)
		if (now - t->t_when[i] <= TALLY_WINDOW_S)
			t->t_when[j++] = t->t_when[i];
	t->t_n = j;
	if (t->t_n == TALLY_MAX) {
		for (i = 1; i < TALLY_MAX; i++)
			t->t_when[i - 1] = t->t_when[i];
		t->t_n--;
	}
	t->t_when[t->t_n++] = now;
	return t->t_n >= TALLY_MAX;
}
