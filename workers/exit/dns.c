/*
 * Asynchronous DNS with c-ares on the libev loop (its sockets watched
 * through ARES_OPT_SOCK_STATE_CB, its timeouts by one ev_timer), with
 * a 5 minute cache.  Initialised before the sandbox: servers come from
 * exit_conf (never re-read), lookups "b" and numeric services only, so
 * nothing opens a file after chroot.  IP literals never touch DNS.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exit.h"
#include "log.h"

#define DNS_MAX_FDS		16
#define DNS_CACHE_MAX	4096

struct dns_req {
	dns_cb	 rq_cb;		/* NULL once cancelled */
	void		*rq_arg;
	uint16_t	 rq_port;
	int		 rq_starting;	/* inside ares_getaddrinfo */
	int		 rq_done;
	int		 rq_err;
	ev_timer	 rq_defer;	/* synchronous answers go here */
	struct xaddrs	 rq_xa;
	char		 rq_host[WIRE_MAX_TARGET + 1];
};

struct dns_cache {
	UT_hash_handle	 hh;
	double		 rc_expires;
	struct xaddrs	 rc_addrs;	/* ports are 0 */
	char		 rc_host[WIRE_MAX_TARGET + 1];
};

static struct ev_loop		*dns_loop;
static ares_channel		 dns_chan;
static int			 dns_ready;
static ev_timer			 dns_timer;
static ev_io			 dns_io[DNS_MAX_FDS];
static struct dns_cache	*dns_cache;
static size_t			 dns_ncache;

static void
dns_rearm(void)
{
	struct timeval	 tv, *tvp;

	ev_timer_stop(dns_loop, &dns_timer);
	if ((tvp = ares_timeout(dns_chan, NULL, &tv)) == NULL)
		return;
	ev_timer_set(&dns_timer, tvp->tv_sec + tvp->tv_usec / 1e6, 0);
	ev_timer_start(dns_loop, &dns_timer);
}

static void
dns_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ares_process_fd(dns_chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm();
}

static void
dns_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	ares_process_fd(dns_chan,
	    (revents & EV_READ) ? w->fd : ARES_SOCKET_BAD,
	    (revents & EV_WRITE) ? w->fd : ARES_SOCKET_BAD);
	dns_rearm();
}

static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	int	 i, slot = -1;

	for (i = 0; i < DNS_MAX_FDS; i++) {
		if (ev_is_active(&dns_io[i]) && dns_io[i].fd == fd) {
			slot = i;
			break;
		}
	}
	if (slot != -1)
		ev_io_stop(dns_loop, &dns_io[slot]);
	if (!readable && !writable)
		return;
	if (slot == -1) {
		for (i = 0; i < DNS_MAX_FDS; i++) {
			if (!ev_is_active(&dns_io[i])) {
				slot = i;
				break;
			}
		}
		if (slot == -1) {
			log_warnx("resolve: too many DNS sockets");
			return;
		}
	}
	ev_io_init(&dns_io[slot], dns_io_cb, fd,
	    (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
	ev_io_start(dns_loop, &dns_io[slot]);
}

int
dns_init(struct ev_loop *loop, const struct exit_conf *ec)
{
	struct ares_options	 o;
	int			 rc;

	dns_loop = loop;
	ev_timer_init(&dns_timer, dns_timer_cb, 1, 0);
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		log_warnx("c-ares: %s", ares_strerror(rc));
		return (-1);
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = dns_sock_state;
	o.lookups = (char *)"b";
	o.timeout = 1000;
	o.tries = 2;
	rc = ares_init_options(&dns_chan, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		log_warnx("c-ares init: %s", ares_strerror(rc));
		return (-1);
	}
	dns_ready = 1;
	if (ec != NULL && ec->ec_ndns > 0)
		return (dns_set_servers(ec));
	return (0);
}

/* Servers from the supervisor ("ip" or "ip:port", "[v6]:port"). */
int
dns_set_servers(const struct exit_conf *ec)
{
	char		 csv[CONF_MAX_DNS * (CONF_HOST_LEN + 1)];
	size_t		 off = 0;
	uint32_t	 i;
	int		 rc;

	if (!dns_ready || ec->ec_ndns == 0)
		return (0);
	csv[0] = '\0';
	for (i = 0; i < ec->ec_ndns && i < CONF_MAX_DNS; i++) {
		rc = snprintf(csv + off, sizeof(csv) - off, "%s%.*s",
		    i > 0 ? "," : "", CONF_HOST_LEN - 1, ec->ec_dns[i]);
		if (rc < 0 || (size_t)rc >= sizeof(csv) - off)
			break;
		off += rc;
	}
	if ((rc = ares_set_servers_ports_csv(dns_chan, csv)) !=
	    ARES_SUCCESS) {
		log_warnx("c-ares servers: %s", ares_strerror(rc));
		return (-1);
	}
	return (0);
}

static void
dns_setport(struct xaddrs *xa, uint16_t port)
{
	int	 i;

	for (i = 0; i < xa->xa_n; i++) {
		if (xa->xa_ss[i].ss_family == AF_INET)
			((struct sockaddr_in *)&xa->xa_ss[i])->sin_port =
			    htons(port);
		else
			((struct sockaddr_in6 *)&xa->xa_ss[i])->sin6_port =
			    htons(port);
	}
}

/*
 * "localhost", "localhost." and "*.localhost" (RFC 6761).  GooseRelayVPN's
 * exit resolves them from /etc/hosts, which our resolver never reads (DNS
 * only, nothing opened after chroot); a client asking for localhost:PORT
 * must reach the loopback here too.
 */
static int
dns_is_localhost(const char *host)
{
	size_t	 n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return (1);
	return (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0);
}

int
dns_literal(const char *host, uint16_t port, struct xaddrs *xa)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&xa->xa_ss[0];
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&xa->xa_ss[0];

	memset(xa, 0, sizeof(*xa));
	if (dns_is_localhost(host)) {
		/* IPv4 first, as for DNS answers; the dial falls through. */
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		xa->xa_len[0] = sizeof(*sin);
		sin6 = (struct sockaddr_in6 *)&xa->xa_ss[1];
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		xa->xa_len[1] = sizeof(*sin6);
		xa->xa_n = 2;
		dns_setport(xa, port);
		return (0);
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		xa->xa_len[0] = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		xa->xa_len[0] = sizeof(*sin6);
	} else
		return (-1);
	xa->xa_n = 1;
	dns_setport(xa, port);
	return (0);
}

/*
 * "host:port", "[v6]:port" or "v6:port" (last colon) -> host, port.
 * Port 1..65535; host non-empty.
 */
int
dns_split(const char *target, size_t tlen, char *host, size_t hostlen,
    uint16_t *port)
{
	const char	*colon = NULL, *hs, *he;
	size_t		 i;
	unsigned long	 p = 0;

	for (i = 0; i < tlen; i++)
		if (target[i] == ':')
			colon = target + i;
	if (colon == NULL || colon == target + tlen - 1 ||
	    target + tlen - colon - 1 > 5)
		return (-1);
	for (i = colon - target + 1; i < tlen; i++) {
		if (target[i] < '0' || target[i] > '9')
			return (-1);
		p = p * 10 + (target[i] - '0');
	}
	if (p == 0 || p > 65535)
		return (-1);
	hs = target;
	he = colon;
	if (he > hs && *hs == '[') {
		if (he[-1] != ']')
			return (-1);
		hs++;
		he--;
	}
	if (he <= hs || (size_t)(he - hs) >= hostlen)
		return (-1);
	for (i = 0; hs + i < he; i++) {
		if (hs[i] == '\0' || hs[i] == ' ' || hs[i] == '/')
			return (-1);
	}
	memcpy(host, hs, he - hs);
	host[he - hs] = '\0';
	*port = p;
	return (0);
}

static struct dns_cache *
dns_cache_find(const char *host, double now)
{
	struct dns_cache	*rc;

	HASH_FIND_STR(dns_cache, host, rc);
	if (rc != NULL && now >= rc->rc_expires) {
		HASH_DEL(dns_cache, rc);
		free(rc);
		dns_ncache--;
		rc = NULL;
	}
	return (rc);
}

static void
dns_cache_put(const char *host, const struct xaddrs *xa, double now)
{
	struct dns_cache	*rc, *tmp;

	if ((rc = dns_cache_find(host, now)) == NULL) {
		if (dns_ncache >= DNS_CACHE_MAX) {
			HASH_ITER(hh, dns_cache, rc, tmp) {
				HASH_DEL(dns_cache, rc);
				free(rc);
				dns_ncache--;
				break;
			}
		}
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return;
		snprintf(rc->rc_host, sizeof(rc->rc_host), "%s", host);
		HASH_ADD_STR(dns_cache, rc_host, rc);
		dns_ncache++;
	}
	rc->rc_addrs = *xa;
	rc->rc_expires = now + EXIT_DNS_TTL;
}

static int
dns_errno(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return (ENOENT);
	case ARES_ETIMEOUT:
		return (ETIMEDOUT);
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return (ECANCELED);
	default:
		return (EIO);
	}
}

static void
dns_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_req		*rq = arg;
	struct ares_addrinfo_node	*n;
	struct xaddrs			 xa;
	int				 pass;

	memset(&xa, 0, sizeof(xa));
	if (status == ARES_SUCCESS && res != NULL) {
		/* IPv4 first: most targets and test networks are v4. */
		for (pass = 0; pass < 2; pass++) {
			for (n = res->nodes; n != NULL; n = n->ai_next) {
				if ((pass == 0) != (n->ai_family == AF_INET))
					continue;
				if (xa.xa_n >= XADDRS_MAX ||
				    n->ai_addrlen > sizeof(xa.xa_ss[0]))
					continue;
				memcpy(&xa.xa_ss[xa.xa_n], n->ai_addr,
				    n->ai_addrlen);
				xa.xa_len[xa.xa_n++] = n->ai_addrlen;
			}
		}
		if (xa.xa_n > 0)
			dns_cache_put(rq->rq_host, &xa, exit_now());
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	dns_setport(&xa, rq->rq_port);
	rq->rq_xa = xa;
	if (status != ARES_SUCCESS)
		rq->rq_err = dns_errno(status);
	else
		rq->rq_err = xa.xa_n ? 0 : ENOENT;
	rq->rq_done = 1;
	if (rq->rq_starting)
		return;		/* dns_start defers the callback */
	if (rq->rq_cb != NULL)
		rq->rq_cb(rq->rq_arg, rq->rq_err, &rq->rq_xa);
	free(rq);
}

static void
dns_defer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_req	*rq = w->data;

	if (rq->rq_cb != NULL)
		rq->rq_cb(rq->rq_arg, rq->rq_err, &rq->rq_xa);
	free(rq);
}

/*
 * Start a lookup; the callback always runs later from the loop, never
 * before this returns (callers check dns_cached() first).
 */
struct dns_req *
dns_start(const char *host, uint16_t port, dns_cb cb, void *arg)
{
	struct dns_req		*rq;
	struct ares_addrinfo_hints	 hints;

	if (!dns_ready)
		return (NULL);
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return (NULL);
	rq->rq_cb = cb;
	rq->rq_arg = arg;
	rq->rq_port = port;
	snprintf(rq->rq_host, sizeof(rq->rq_host), "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
	rq->rq_starting = 1;
	ares_getaddrinfo(dns_chan, host, NULL, &hints, dns_done, rq);
	rq->rq_starting = 0;
	if (rq->rq_done) {
		ev_timer_init(&rq->rq_defer, dns_defer_cb, 0, 0);
		rq->rq_defer.data = rq;
		ev_timer_start(dns_loop, &rq->rq_defer);
	}
	dns_rearm();
	return (rq);
}

/* A fresh cached answer for host, with the port set. */
int
dns_cached(const char *host, uint16_t port, struct xaddrs *xa)
{
	struct dns_cache	*rc;

	if ((rc = dns_cache_find(host, exit_now())) == NULL)
		return (-1);
	*xa = rc->rc_addrs;
	dns_setport(xa, port);
	return (0);
}

/* The request's owner is gone; c-ares still completes it later. */
void
dns_cancel(struct dns_req *rq)
{
	if (rq != NULL)
		rq->rq_cb = NULL;
}
