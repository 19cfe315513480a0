/*
 * Host names of the carrier's endpoints, resolved here in the privileged
 * supervisor when a configuration is loaded (start, SIGHUP), the way
 * relayd(8) and httpd(8) do.  The carrier runs chrooted to an empty
 * directory under a seccomp allow-list: glibc's getaddrinfo would need
 * /etc/hosts, resolv.conf, NSS modules and syscalls it is not allowed, so
 * it gets numeric addresses (carrier_conf cc_*_addr) next to the URLs,
 * whose names still give Host, SNI and the certificate check.
 *
 * A name that does not resolve is not fatal: a tunnel client often starts
 * at boot before DNS works.  Its endpoint is left out of what the carrier
 * gets, the error names the file, line, key and host, and the name is
 * tried again with a growing delay (and on every SIGHUP); once it
 * resolves the workers get a new generation.  Resolution blocks the
 * supervisor while it runs, as in relayd; the workers keep working.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "confparse.h"
#include "log.h"
#include "supervisor.h"

#define RESOLVE_RETRY_MIN_S	5.0
#define RESOLVE_RETRY_MAX_S	300.0
#define RESOLVE_BUSY_S		2.0	/* a reload is under way: soon */

static ev_timer	 resolve_timer;
static int	 resolve_timer_init;
static double	 resolve_delay = RESOLVE_RETRY_MIN_S;
/* reload.c's, wired by supervisor.c: resolve.c calls nothing above it. */
static resolve_push_fn	 resolve_push_cb;
static int		(*resolve_busy_cb)(void);

static int	resolve_list(struct gr_conf *, const char *,
		    char (*)[CONF_URL_LEN], char (*)[CONF_ADDRS_LEN],
		    uint32_t, int);
static int	resolve_url_host(const char *, char *, size_t);
static int	resolve_host(const char *, char *, size_t);
static void	resolve_retry_cb(struct ev_loop *, ev_timer *, int);

/*
 * The host of a URL as conf_values.c normalised it:
 * scheme://[userinfo@]host-or-[v6][:port][rest], brackets dropped.
 */
static int
resolve_url_host(const char *url, char *host, size_t len)
{
	const char	*a, *end, *p, *h;
	size_t		 n;

	if ((a = strstr(url, "://")) == NULL)
		return (-1);
	a += 3;
	end = a + strcspn(a, "/?#");
	h = a;
	for (p = a; p < end; p++)
		if (*p == '@')
			h = p + 1;
	if (*h == '[') {
		if ((p = memchr(h, ']', (size_t)(end - h))) == NULL)
			return (-1);
		h++;
	} else
		for (p = h; p < end && *p != ':'; p++)
			;
	n = (size_t)(p - h);
	if (n == 0 || n >= len)
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	return (0);
}

/*
 * host's addresses into out, space-separated, at most CONF_MAX_ADDRS,
 * in the order getaddrinfo gives them (RFC 6724 via gai.conf), so the
 * carrier tries the preferred one first and moves on if it fails.
 * Returns 0 or an EAI_* code.
 */
static int
resolve_host(const char *host, char *out, size_t len)
{
	struct addrinfo	 hints, *res, *ai;
	struct in6_addr	 a6;
	char		 one[INET6_ADDRSTRLEN];
	const void	*src;
	size_t		 n = 0, used = 0;
	int		 r;

	out[0] = '\0';
	if (inet_pton(AF_INET, host, &a6) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		if (strlen(host) >= len)
			return (EAI_OVERFLOW);
		memcpy(out, host, strlen(host) + 1);
		return (0);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0)
		return (r);
	for (ai = res; ai != NULL && n < CONF_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			src = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			src = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, src, one, sizeof(one)) == NULL)
			continue;
		/* The same address once (hosts files repeat them). */
		if (used > 0 && strstr(out, one) != NULL)
			continue;
		if (used + (used > 0) + strlen(one) >= len)
			break;
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		    used > 0 ? " " : "", one);
		n++;
	}
	freeaddrinfo(res);
	return (n > 0 ? 0 : EAI_NONAME);
}

/* One list of URLs; returns how many hosts did not resolve. */
static int
resolve_list(struct gr_conf *conf, const char *key, char (*urls)[CONF_URL_LEN],
    char (*addrs)[CONF_ADDRS_LEN], uint32_t n, int retry)
{
	char		 host[CONF_HOST_LEN], org[CONF_PATH_LEN + 32];
	uint32_t	 i, good = 0;
	int		 r, bad = 0;

	for (i = 0; i < n && i < CONF_MAX_URLS; i++) {
		if (retry && addrs[i][0] != '\0')
			continue;	/* keep what resolved */
		addrs[i][0] = '\0';
		if (resolve_url_host(urls[i], host, sizeof(host)) == -1) {
			log_warnx("%s: %s: entry %u: cannot find the host",
			    confparse_origin(conf, "carrier", key, org,
			    sizeof(org)), key, i + 1);
			bad++;
			continue;
		}
		if ((r = resolve_host(host, addrs[i], CONF_ADDRS_LEN)) != 0) {
			/* Not the URL: it may carry user:password@. */
			log_warnx("%s: %s: host %s: %s; entry %u skipped "
			    "until the name resolves", confparse_origin(conf,
			    "carrier", key, org, sizeof(org)), key, host,
			    gai_strerror(r), i + 1);
			bad++;
		} else {
			good++;
			if (strcmp(host, addrs[i]) != 0)
				log_info("%s: host %s is %s", key, host,
				    addrs[i]);
		}
	}
	if (n > 0 && good == 0 && !retry)
		log_warnx("%s: no host resolves yet: the carrier has no such "
		    "endpoint until one does (retried)", key);
	return (bad);
}

/*
 * Every host of conf; retry: only those without an address yet (a name
 * that resolved keeps its addresses until the next load).  Returns how
 * many did not resolve.
 */
int
resolve_conf(struct gr_conf *conf, int retry)
{
	struct carrier_conf	*cc = &conf->gc_carrier;
	char			 org[CONF_PATH_LEN + 32];
	uint32_t		 i;
	int			 r, bad = 0;

	if (!conf->gc_has_carrier)
		return (0);
	bad += resolve_list(conf, "relay_urls", cc->cc_relay_urls,
	    cc->cc_relay_addr, cc->cc_nrelay, retry);
	bad += resolve_list(conf, "direct_stream_urls", cc->cc_stream_urls,
	    cc->cc_stream_addr, cc->cc_nstream, retry);
	/* google_host is only dialed for script_keys (Apps Script). */
	for (i = 0; i < cc->cc_nghosts && i < CONF_MAX_GHOSTS; i++) {
		if (retry && cc->cc_ghost_addr[i][0] != '\0')
			continue;
		cc->cc_ghost_addr[i][0] = '\0';
		if (cc->cc_nscripts == 0)
			continue;
		r = resolve_host(cc->cc_google_host[i], cc->cc_ghost_addr[i],
		    CONF_ADDRS_LEN);
		if (r != 0) {
			log_warnx("%s: google_host: host %s: %s; skipped "
			    "until the name resolves", confparse_origin(conf,
			    "carrier", "google_host", org, sizeof(org)),
			    cc->cc_google_host[i], gai_strerror(r));
			bad++;
		} else if (strcmp(cc->cc_google_host[i],
		    cc->cc_ghost_addr[i]) != 0)
			log_info("google_host: host %s is %s",
			    cc->cc_google_host[i], cc->cc_ghost_addr[i]);
	}
	return (bad);
}

/* One list of resolve_inherit(). */
static void
resolve_inherit_list(const char *key, char (*urls)[CONF_URL_LEN],
    char (*addrs)[CONF_ADDRS_LEN], uint32_t n,
    const char (*ourls)[CONF_URL_LEN], const char (*oaddrs)[CONF_ADDRS_LEN],
    uint32_t on)
{
	uint32_t	 i, j;

	for (i = 0; i < n && i < CONF_MAX_URLS; i++) {
		if (addrs[i][0] != '\0')
			continue;
		for (j = 0; j < on && j < CONF_MAX_URLS; j++)
			if (oaddrs[j][0] != '\0' &&
			    strcmp(urls[i], ourls[j]) == 0)
				break;
		if (j == on || j == CONF_MAX_URLS)
			continue;
		memcpy(addrs[i], oaddrs[j], CONF_ADDRS_LEN);
		log_warnx("%s: entry %u: keeping the previous addresses (%s) "
		    "until its name resolves again", key, i + 1, addrs[i]);
	}
}

/*
 * Reload: an entry whose name does not resolve now but did in the
 * running configuration (same URL) keeps its last addresses, so a DNS
 * outage during a SIGHUP does not take a working endpoint away.
 */
void
resolve_inherit(struct gr_conf *nc, const struct gr_conf *old)
{
	struct carrier_conf		*cc = &nc->gc_carrier;
	const struct carrier_conf	*oc = &old->gc_carrier;

	if (!nc->gc_has_carrier || !old->gc_has_carrier)
		return;
	resolve_inherit_list("relay_urls", cc->cc_relay_urls,
	    cc->cc_relay_addr, cc->cc_nrelay,
	    (const char (*)[CONF_URL_LEN])oc->cc_relay_urls,
	    (const char (*)[CONF_ADDRS_LEN])oc->cc_relay_addr, oc->cc_nrelay);
	resolve_inherit_list("direct_stream_urls", cc->cc_stream_urls,
	    cc->cc_stream_addr, cc->cc_nstream,
	    (const char (*)[CONF_URL_LEN])oc->cc_stream_urls,
	    (const char (*)[CONF_ADDRS_LEN])oc->cc_stream_addr,
	    oc->cc_nstream);
}

/*
 * Keep the n names of stride nlen at names whose address (stride
 * CONF_ADDRS_LEN at addrs) is known, in order; returns how many.
 */
static uint32_t
resolve_keep(char *names, size_t nlen, char *addrs, uint32_t n,
    uint32_t max)
{
	uint32_t	 i, k;

	for (i = k = 0; i < n && i < max; i++)
		if (addrs[i * CONF_ADDRS_LEN] != '\0') {
			if (k != i) {
				memcpy(names + k * nlen, names + i * nlen,
				    nlen);
				memcpy(addrs + k * CONF_ADDRS_LEN,
				    addrs + i * CONF_ADDRS_LEN,
				    CONF_ADDRS_LEN);
			}
			k++;
		}
	return (k);
}

/*
 * The carrier's copy of the configuration: entries whose host has no
 * address yet are left out, so the carrier never sees a name it would
 * have to resolve.
 */
void
resolve_carrier_copy(struct carrier_conf *cc)
{
	cc->cc_nrelay = resolve_keep(cc->cc_relay_urls[0], CONF_URL_LEN,
	    cc->cc_relay_addr[0], cc->cc_nrelay, CONF_MAX_URLS);
	cc->cc_nstream = resolve_keep(cc->cc_stream_urls[0], CONF_URL_LEN,
	    cc->cc_stream_addr[0], cc->cc_nstream, CONF_MAX_URLS);
	if (cc->cc_nscripts == 0)
		return;
	cc->cc_nghosts = resolve_keep(cc->cc_google_host[0], CONF_HOST_LEN,
	    cc->cc_ghost_addr[0], cc->cc_nghosts, CONF_MAX_GHOSTS);
}

/* Whether conf still has a host without an address. */
static int
resolve_pending(const struct gr_conf *conf)
{
	const struct carrier_conf	*cc = &conf->gc_carrier;
	uint32_t			 i;

	if (!conf->gc_has_carrier)
		return (0);
	for (i = 0; i < cc->cc_nrelay && i < CONF_MAX_URLS; i++)
		if (cc->cc_relay_addr[i][0] == '\0')
			return (1);
	for (i = 0; i < cc->cc_nstream && i < CONF_MAX_URLS; i++)
		if (cc->cc_stream_addr[i][0] == '\0')
			return (1);
	for (i = 0; cc->cc_nscripts > 0 && i < cc->cc_nghosts &&
	    i < CONF_MAX_GHOSTS; i++)
		if (cc->cc_ghost_addr[i][0] == '\0')
			return (1);
	return (0);
}

/*
 * After a load: retry while some name is unresolved, from 5 s doubling
 * to 5 minutes; a new configuration (SIGHUP) starts over.
 */
void
resolve_schedule(void)
{
	if (!resolve_timer_init) {
		ev_timer_init(&resolve_timer, resolve_retry_cb, 0., 0.);
		resolve_timer_init = 1;
	}
	ev_timer_stop(sv_loop, &resolve_timer);
	resolve_delay = RESOLVE_RETRY_MIN_S;
	if (sv_conf == NULL || !resolve_pending(sv_conf))
		return;
	ev_timer_set(&resolve_timer, resolve_delay, 0.);
	ev_timer_start(sv_loop, &resolve_timer);
}

void
resolve_init(resolve_push_fn push, int (*busy)(void))
{
	resolve_push_cb = push;
	resolve_busy_cb = busy;
}

static void
resolve_retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct gr_conf		*nc;
	struct carrier_conf	*cc, *oc;
	char			 why[96];

	(void)revents;
	if (sv_conf == NULL || sv_shutting_down || resolve_push_cb == NULL)
		return;
	if (resolve_busy_cb()) {
		/* A reload under way resolves the names itself. */
		ev_timer_set(t, RESOLVE_BUSY_S, 0.);
		ev_timer_start(loop, t);
		return;
	}
	/* A new generation built aside, pushed like a reload (reload.c). */
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		ev_timer_set(t, resolve_delay, 0.);
		ev_timer_start(loop, t);
		return;
	}
	memcpy(nc, sv_conf, sizeof(*nc));
	(void)resolve_conf(nc, 1);
	cc = &nc->gc_carrier;
	oc = &sv_conf->gc_carrier;
	if (memcmp(oc->cc_relay_addr, cc->cc_relay_addr,
	    sizeof(cc->cc_relay_addr)) != 0 ||
	    memcmp(oc->cc_stream_addr, cc->cc_stream_addr,
	    sizeof(cc->cc_stream_addr)) != 0 ||
	    memcmp(oc->cc_ghost_addr, cc->cc_ghost_addr,
	    sizeof(cc->cc_ghost_addr)) != 0) {
		snprintf(why, sizeof(why), "host names resolved: a new "
		    "configuration generation for the workers");
		if (resolve_push_cb(nc, why) == -1) {
			explicit_bzero(nc, sizeof(*nc));
			free(nc);
			ev_timer_set(t, RESOLVE_BUSY_S, 0.);
			ev_timer_start(loop, t);
			return;
		}
		/* If it is refused, the next try pushes it again. */
	} else {
		explicit_bzero(nc, sizeof(*nc));
		free(nc);
	}
	if (!resolve_pending(sv_conf) && !resolve_busy_cb())
		return;
	resolve_delay *= 2;
	if (resolve_delay > RESOLVE_RETRY_MAX_S)
		resolve_delay = RESOLVE_RETRY_MAX_S;
	ev_timer_set(t, resolve_delay, 0.);
	ev_timer_start(loop, t);
}
