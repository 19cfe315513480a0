/*
 * Per-target dial failure backoff (protocol.md section 3): structural
 * failures (no such name, timeout, refused, unreachable) open a window of
 * 2 s * 2^(n-1), capped at 60 s; from the second failure on, a SYN for the
 * target inside the window is answered with an RST at once instead of
 * dialing.  History is forgotten 10 min after the window; success clears
 * it; at most BACKOFF_MAX_TARGETS targets are tracked.
 */
#include "gr_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"

#define BACKOFF_BASE		2.0
#define BACKOFF_CAP		60.0
#define BACKOFF_FORGET		600.0
#define BACKOFF_SUPPRESS_AT	2

struct backoff_ent {
	UT_hash_handle	 hh;
	double		 be_until;	/* end of the window */
	unsigned int	 be_nfail;
	char		 be_target[WIRE_MAX_TARGET + 1];
};

static struct backoff_ent	*backoff_tab;
static size_t			 backoff_n;

double
backoff_window(unsigned int nfail)
{
	double	 w = BACKOFF_BASE;

	if (nfail == 0)
		return (0);
	while (--nfail > 0 && w < BACKOFF_CAP)
		w *= 2;
	return (w > BACKOFF_CAP ? BACKOFF_CAP : w);
}

/* Errors that say the target itself is bad, not our side. */
int
backoff_structural(int err)
{
	switch (err) {
	case ETIMEDOUT:
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EADDRNOTAVAIL:
	case ENOENT:		/* our code for NXDOMAIN */
		return (1);
	default:
		return (0);
	}
}

static struct backoff_ent *
backoff_find(const char *target)
{
	struct backoff_ent	*be;

	HASH_FIND_STR(backoff_tab, target, be);
	return (be);
}

static void
backoff_del(struct backoff_ent *be)
{
	HASH_DEL(backoff_tab, be);
	free(be);
	backoff_n--;
}

int
backoff_suppressed(const char *target, double now)
{
	struct backoff_ent	*be;

	if ((be = backoff_find(target)) == NULL)
		return (0);
	return (be->be_nfail >= BACKOFF_SUPPRESS_AT && now < be->be_until);
}

void
backoff_fail(const char *target, double now)
{
	struct backoff_ent	*be;

	if ((be = backoff_find(target)) == NULL) {
		if (backoff_n >= BACKOFF_MAX_TARGETS) {
			backoff_gc(now);
			if (backoff_n >= BACKOFF_MAX_TARGETS)
				backoff_del(backoff_tab);	/* oldest */
		}
		if ((be = calloc(1, sizeof(*be))) == NULL)
			return;
		strncpy(be->be_target, target, sizeof(be->be_target) - 1);
		HASH_ADD_STR(backoff_tab, be_target, be);
		backoff_n++;
	}
	if (be->be_nfail < 64)
		be->be_nfail++;
	be->be_until = now + backoff_window(be->be_nfail);
}

void
backoff_ok(const char *target)
{
	struct backoff_ent	*be;

	if ((be = backoff_find(target)) != NULL)
		backoff_del(be);
}

void
backoff_gc(double now)
{
	struct backoff_ent	*be, *tmp;

	HASH_ITER(hh, backoff_tab, be, tmp) {
		if (now >= be->be_until + BACKOFF_FORGET)
			backoff_del(be);
	}
}

size_t
backoff_count(void)
{
	return (backoff_n);
}
