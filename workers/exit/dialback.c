/*
 * Per-target dial failure backoff (docs/protocol.md section 3): structural
 * failures (no such name, timeout, refused, unreachable) open a window of
 * 2 s * 2^(n-1), capped at 60 s; from the second failure on, a SYN for the
 * target inside the window is answered with an RST at once instead of
 * dialing.  History is forgotten 10 min after the window; success clears
 * it; at most DIALBACK_MAX_TARGETS targets are tracked.
 */
#include "gr_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"

#define DIALBACK_BASE		2.0
#define DIALBACK_CAP		60.0
#define DIALBACK_FORGET		600.0
#define DIALBACK_SUPPRESS_AT	2

struct dialback_ent {
	UT_hash_handle	 hh;
	double		 be_until;	/* end of the window */
	unsigned int	 be_nfail;
	char		 be_target[WIRE_MAX_TARGET + 1];
};

static struct dialback_ent	*dialback_tab;
static size_t			 dialback_n;

double
dialback_window(unsigned int nfail)
{
	double	 w = DIALBACK_BASE;

	if (nfail == 0)
		return (0);
	while (--nfail > 0 && w < DIALBACK_CAP)
		w *= 2;
	return (w > DIALBACK_CAP ? DIALBACK_CAP : w);
}

/* Errors that say the target itself is bad, not our side. */
int
dialback_structural(int err)
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

static struct dialback_ent *
dialback_find(const char *target)
{
	struct dialback_ent	*be;

	HASH_FIND_STR(dialback_tab, target, be);
	return (be);
}

static void
dialback_del(struct dialback_ent *be)
{
	HASH_DEL(dialback_tab, be);
	free(be);
	dialback_n--;
}

int
dialback_suppressed(const char *target, double now)
{
	struct dialback_ent	*be;

	if ((be = dialback_find(target)) == NULL)
		return (0);
	return (be->be_nfail >= DIALBACK_SUPPRESS_AT && now < be->be_until);
}

void
dialback_fail(const char *target, double now)
{
	struct dialback_ent	*be;

	if ((be = dialback_find(target)) == NULL) {
		if (dialback_n >= DIALBACK_MAX_TARGETS) {
			dialback_gc(now);
			if (dialback_n >= DIALBACK_MAX_TARGETS)
				dialback_del(dialback_tab);	/* oldest */
		}
		if ((be = calloc(1, sizeof(*be))) == NULL)
			return;
		strncpy(be->be_target, target, sizeof(be->be_target) - 1);
		HASH_ADD_STR(dialback_tab, be_target, be);
		dialback_n++;
	}
	if (be->be_nfail < 64)
		be->be_nfail++;
	be->be_until = now + dialback_window(be->be_nfail);
}

void
dialback_ok(const char *target)
{
	struct dialback_ent	*be;

	if ((be = dialback_find(target)) != NULL)
		dialback_del(be);
}

void
dialback_gc(double now)
{
	struct dialback_ent	*be, *tmp;

	HASH_ITER(hh, dialback_tab, be, tmp) {
		if (now >= be->be_until + DIALBACK_FORGET)
			dialback_del(be);
	}
}

size_t
dialback_count(void)
{
	return (dialback_n);
}
