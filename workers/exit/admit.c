/*
 * Admission of unauthenticated work (issue 18).  A POST body is
 * authenticated only when all of it is in (one AES-GCM tag at the end),
 * a stream only by its hello, so both hold a pre-auth slot until then.
 * GooseRelayVPN has 32 and 16 of them, first come first served: 33
 * POSTs trickling one byte a second, or 16 upgrades that never say
 * hello (renewed every 10 s), locked every client out.  Here:
 *
 *  - a source address that authenticated recently (a good batch within
 *    ADMIT_KNOWN_TTL; IPv4 by address, IPv6 by /64) is "known"; the
 *    others are strangers;
 *  - strangers share at most ADMIT_POSTS - ADMIT_RESERVE_POSTS (and
 *    ADMIT_STREAMS - ADMIT_RESERVE_STREAMS) slots: the rest is kept for
 *    known sources, so strangers never lock a known client out;
 *  - one stranger address holds at most ADMIT_ADDR_POSTS and
 *    ADMIT_ADDR_STREAMS of them;
 *  - a stranger's body must arrive within ADMIT_BODY_DEADLINE and, after
 *    ADMIT_BODY_GRACE, at ADMIT_BODY_RATE on average; its hello within
 *    ADMIT_HELLO_STRANGER.  Known sources keep GooseRelayVPN's 30 s body
 *    deadline (its ReadTimeout) and 10 s hello deadline.
 *
 * Bounded: the source table has at most one entry per slot held, the
 * known table ADMIT_KNOWN_MAX entries (the oldest goes).  No address is
 * ever logged (the people behind them are at risk); lines a stranger
 * provokes are rate-limited.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "exit.h"
#include "log.h"

#define ADMIT_KEY_LEN		9	/* family + 8 address bytes */

struct admit_src {
	uint8_t			 as_key[ADMIT_KEY_LEN];
	uint32_t		 as_n[ADMIT_NKINDS];
	UT_hash_handle		 hh;
};

struct admit_known {
	uint8_t			 ak_key[ADMIT_KEY_LEN];
	double			 ak_last;
	TAILQ_ENTRY(admit_known) ak_entry;	/* oldest first */
	UT_hash_handle		 hh;
};
TAILQ_HEAD(admit_knownq, admit_known);

static const uint32_t	 admit_total[ADMIT_NKINDS] = { ADMIT_POSTS,
			    ADMIT_STREAMS };
static const uint32_t	 admit_reserve[ADMIT_NKINDS] = {
			    ADMIT_RESERVE_POSTS, ADMIT_RESERVE_STREAMS };
static const uint32_t	 admit_per_addr[ADMIT_NKINDS] = {
			    ADMIT_ADDR_POSTS, ADMIT_ADDR_STREAMS };
static const char *const admit_kind_name[ADMIT_NKINDS] = { "POST",
			    "stream" };

static struct admit_src		*admit_srcs;
static struct admit_known	*admit_knowns;
static struct admit_knownq	 admit_known_lru =
				    TAILQ_HEAD_INITIALIZER(admit_known_lru);
static size_t			 admit_nknown;
static uint32_t			 admit_used[ADMIT_NKINDS];
static uint32_t			 admit_strangers[ADMIT_NKINDS];
static struct admit_stats	 admit_st;
static struct lograte		 admit_rate = LOGRATE_INIT(60, 10);

/* The source of fd as a table key: IPv4 address, or IPv6 /64. */
static int
admit_key(int fd, uint8_t key[ADMIT_KEY_LEN])
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl = sizeof(ss);
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	memset(key, 0, ADMIT_KEY_LEN);
	if (fd == -1 || getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return (-1);
	if (ss.ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6 &&
	    memcmp(&sin6->sin6_addr, mapped, sizeof(mapped)) == 0) {
		key[0] = 4;
		memcpy(key + 1, (uint8_t *)&sin6->sin6_addr + 12, 4);
	} else if (ss.ss_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &sin6->sin6_addr, 8);
	} else
		return (-1);
	return (0);
}

static struct admit_known *
admit_known_find(const uint8_t key[ADMIT_KEY_LEN], double now)
{
	struct admit_known	*ak;

	HASH_FIND(hh, admit_knowns, key, ADMIT_KEY_LEN, ak);
	if (ak == NULL || now - ak->ak_last <= ADMIT_KNOWN_TTL)
		return (ak);
	HASH_DEL(admit_knowns, ak);
	TAILQ_REMOVE(&admit_known_lru, ak, ak_entry);
	admit_nknown--;
	free(ak);
	return (NULL);
}

void
admit_log(const char *fmt, ...)
{
	va_list		 ap;
	uint64_t	 dropped;
	char		 buf[256];

	if (!lograte_allow(&admit_rate, exit_now(), &dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (dropped > 0)
		log_info("%s (and %llu such line(s) not logged)", buf,
		    (unsigned long long)dropped);
	else
		log_info("%s", buf);
}

int
admit_take(struct admit_slot *sl, int fd, enum admit_kind kind)
{
	struct admit_src	*as;
	uint8_t			 key[ADMIT_KEY_LEN];
	double			 now = exit_now();
	int			 known;

	admit_release(sl);
	if (admit_key(fd, key) == -1)
		return (-1);		/* the peer is gone already */
	known = admit_known_find(key, now) != NULL;
	HASH_FIND(hh, admit_srcs, key, ADMIT_KEY_LEN, as);
	if (admit_used[kind] >= admit_total[kind] || (!known &&
	    (admit_strangers[kind] >= admit_total[kind] - admit_reserve[kind] ||
	    (as != NULL && as->as_n[kind] >= admit_per_addr[kind])))) {
		admit_st.ad_busy++;
		admit_log("pre-auth %s slots busy (%u of %u in use, %u by "
		    "unknown sources): refused a%s source",
		    admit_kind_name[kind], admit_used[kind], admit_total[kind],
		    admit_strangers[kind], known ? " known" : "n unknown");
		return (-1);
	}
	if (as == NULL) {
		if ((as = calloc(1, sizeof(*as))) == NULL)
			return (-1);
		memcpy(as->as_key, key, ADMIT_KEY_LEN);
		HASH_ADD(hh, admit_srcs, as_key, ADMIT_KEY_LEN, as);
	}
	as->as_n[kind]++;
	admit_used[kind]++;
	if (!known)
		admit_strangers[kind]++;
	sl->as_src = as;
	sl->as_kind = kind;
	sl->as_known = known;
	sl->as_start = now;
	ex->ee_preauth_posts = admit_used[ADMIT_POST];
	ex->ee_preauth_streams = admit_used[ADMIT_STREAM];
	return (0);
}

void
admit_release(struct admit_slot *sl)
{
	struct admit_src	*as = sl->as_src;
	int			 k;

	if (as == NULL)
		return;
	sl->as_src = NULL;
	as->as_n[sl->as_kind]--;
	admit_used[sl->as_kind]--;
	if (!sl->as_known)
		admit_strangers[sl->as_kind]--;
	for (k = 0; k < ADMIT_NKINDS; k++)
		if (as->as_n[k] > 0)
			break;
	if (k == ADMIT_NKINDS) {
		HASH_DEL(admit_srcs, as);
		free(as);
	}
	ex->ee_preauth_posts = admit_used[ADMIT_POST];
	ex->ee_preauth_streams = admit_used[ADMIT_STREAM];
}

/* A good batch came from fd's source: known for ADMIT_KNOWN_TTL. */
void
admit_authed(int fd)
{
	struct admit_known	*ak;
	uint8_t			 key[ADMIT_KEY_LEN];
	double			 now = exit_now();

	if (admit_key(fd, key) == -1)
		return;
	if ((ak = admit_known_find(key, now)) != NULL) {
		ak->ak_last = now;
		TAILQ_REMOVE(&admit_known_lru, ak, ak_entry);
		TAILQ_INSERT_TAIL(&admit_known_lru, ak, ak_entry);
		return;
	}
	if (admit_nknown >= ADMIT_KNOWN_MAX) {
		ak = TAILQ_FIRST(&admit_known_lru);
		HASH_DEL(admit_knowns, ak);
		TAILQ_REMOVE(&admit_known_lru, ak, ak_entry);
		admit_nknown--;
	} else if ((ak = malloc(sizeof(*ak))) == NULL)
		return;
	memcpy(ak->ak_key, key, ADMIT_KEY_LEN);
	ak->ak_last = now;
	HASH_ADD(hh, admit_knowns, ak_key, ADMIT_KEY_LEN, ak);
	TAILQ_INSERT_TAIL(&admit_known_lru, ak, ak_entry);
	admit_nknown++;
}

double
admit_hello_timeout(const struct admit_slot *sl)
{
	return (sl->as_known ? ADMIT_HELLO_KNOWN : ADMIT_HELLO_STRANGER);
}

/*
 * A body of clen bytes, have of them in: seconds until the next check
 * (> 0), or 0 when it is too late or too slow.  A known source has the
 * deadline only; a stranger must also keep the average rate after the
 * grace period: the check comes back when the bytes it has would fall
 * behind, so a steady sender is looked at a few times, not polled.
 */
double
admit_body_check(const struct admit_slot *sl, size_t have, size_t clen,
    double now)
{
	double	 age = now - sl->as_start, deadline, behind;

	deadline = sl->as_known ? ADMIT_BODY_KNOWN : ADMIT_BODY_DEADLINE;
	if (age >= deadline) {
		admit_st.ad_cut++;
		admit_log("pre-auth %s body: %zu of %zu bytes in %.1f s "
		    "(deadline): closing", sl->as_known ? "known" : "unknown",
		    have, clen, age);
		return (0);
	}
	if (sl->as_known)
		return (deadline - age);
	/* The time at which have bytes fall below the average rate. */
	behind = ADMIT_BODY_GRACE + (double)have / ADMIT_BODY_RATE;
	if (age >= behind) {
		admit_st.ad_cut++;
		admit_log("pre-auth body too slow: %zu of %zu bytes in %.1f s "
		    "(at least %d bytes/s after %.0f s): closing", have, clen,
		    age, ADMIT_BODY_RATE, ADMIT_BODY_GRACE);
		return (0);
	}
	if (behind > deadline)
		behind = deadline;
	return (behind - age + 0.001);
}

void
admit_hello_expired(const struct admit_slot *sl)
{
	admit_st.ad_hello++;
	admit_log("stream hello timeout (%s source, %.0f s): closing",
	    sl->as_known ? "known" : "unknown", admit_hello_timeout(sl));
}

void
admit_stats(struct admit_stats *st)
{
	*st = admit_st;
	st->ad_posts = admit_used[ADMIT_POST];
	st->ad_streams = admit_used[ADMIT_STREAM];
	st->ad_known = admit_nknown;
}
