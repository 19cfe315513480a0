/*
 * udp_v1 in the exit (docs/udp.md): the carrier's SOCKS5 UDP associations
 * arrive as ACK frames "GUDP" 0x01 ATYP ADDR PORT DATA of one session id
 * per association.  The first datagram of an unknown id opens the
 * association (within udp_max_associations and its per-client share);
 * an RST from the client, udp_idle_timeout_s without a datagram either
 * way, a run reset or the stream grace end it.  A refused association is
 * answered with an RST, which makes the carrier close the client's
 * control connection.
 *
 * Each association has one UDP socket, opened with its first datagram:
 * dual-stack IPv6 where the host has it (IPv4 destinations as v4-mapped
 * addresses), else IPv4.  It is connected to the first destination, so
 * the kernel filters replies and reports ICMP errors; a datagram to a
 * second destination disconnects it for good and it then sends with
 * sendto(2) and takes replies from anyone.  (Linux releases the port of
 * a socket that disconnects unless bind(2) chose it, and the sandbox has
 * no bind: the source port changes once, at that switch.)  Domain
 * destinations are resolved by the c-ares resolver (dns.c, with its
 * cache); while a name is looked up its datagrams wait, at most
 * UDP_PEND_MAX of them.  Nothing goes where the TCP path could not:
 * port 0, multicast and broadcast are dropped, and with upstream_proxy
 * set udp_v1 is not offered at all (that traffic must leave through the
 * proxy, which would need a SOCKS5 UDP client of its own).
 *
 * Replies become frames with their source address and wait in a queue
 * per client that drain.c empties into the next response (POST or
 * stream), ahead of session data but in at most half the room when
 * sessions have data too.  Limits, all dropping and counting rather
 * than blocking: datagrams per second each way, per client and per
 * worker (token buckets of one second); bytes queued toward clients,
 * per client and per worker.  A reply leaves the queue for good when
 * its response is written (no replay store); a response given up before
 * that puts it back.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"
#include "stats.h"
#include "udp.h"

#define UDP_RX_BATCH	16		/* datagrams per recvmmsg(2) */
#define UDP_RX_ROUNDS	8		/* recvmmsg calls per wakeup */
#define UDP_DGRAM_MAX	65536
#define UDP_PEND_MAX	16		/* datagrams waiting for DNS */
#define UDP_LOG_S	60.0
#define UDP_NCLASS	4

enum xudp_mode {
	XU_FRESH = 0,		/* no socket yet, or nothing sent */
	XU_CONNECTED,		/* talks to xu_peer only */
	XU_UNCONNECTED		/* sendto(2), replies from anyone */
};

/* One datagram as a frame payload (either direction). */
struct xudp_rec {
	struct xudp_rec	*xr_next;
	uint8_t		 xr_sid[WIRE_SID_LEN];
	uint64_t	 xr_seq;
	uint32_t	 xr_len;
	uint8_t		 xr_class;
	uint8_t		 xr_data[];
};

struct xudp;
LIST_HEAD(xudp_list, xudp);

/* Per client (xclient's cl_udp). */
struct xudp_cl {
	struct xudp_rec	*uc_qh;		/* replies waiting for a response */
	struct xudp_rec	**uc_qt;
	size_t		 uc_qbytes;	/* queued and in responses */
	uint32_t	 uc_nassoc;
	double		 uc_tok[2];	/* datagram tokens up, down */
	double		 uc_tok_at;
	struct xudp_list uc_assoc;
};

struct xudp {
	uint8_t			 xu_sid[WIRE_SID_LEN];
	struct xclient		*xu_cl;
	int			 xu_fd;
	int			 xu_fam;
	enum xudp_mode		 xu_mode;
	struct sockaddr_storage	 xu_peer;	/* XU_CONNECTED */
	socklen_t		 xu_peerlen;
	ev_io			 xu_rio;
	ev_timer		 xu_idle;
	double			 xu_last;
	uint64_t		 xu_seq;	/* replies sent (frame seq) */
	struct dns_req	*xu_rq;		/* one lookup at a time */
	char			 xu_rqname[256];
	struct xudp_rec		*xu_pend;	/* waiting for it */
	uint32_t		 xu_npend;
	UT_hash_handle		 xu_hh;
	LIST_ENTRY(xudp)	 xu_entry;
};

static const size_t udp_class_cap[UDP_NCLASS] = {
	512, 2048, 16384, WIRE_UDP_HDR_MAX + WIRE_UDP_MAX_DATA
};
static const size_t udp_class_keep[UDP_NCLASS] = { 1024, 512, 64, 8 };

static struct {
	struct xudp	*u_byid;
	size_t		 u_nassoc;
	size_t		 u_qbytes;
	double		 u_tok[2];
	double		 u_tok_at;
	int		 u_was_on;
	struct xudp_rec	*u_free[UDP_NCLASS];
	size_t		 u_nfree[UDP_NCLASS];
	uint64_t	 u_st_up;	/* datagrams sent to targets */
	uint64_t	 u_st_down;	/* replies queued for clients */
	uint64_t	 u_st_rate;	/* dropped: datagrams per second */
	uint64_t	 u_st_queue;	/* dropped: bytes queued */
	uint64_t	 u_st_other;	/* dropped: filter, DNS, errors */
	uint64_t	 u_st_refused;	/* associations refused */
	double		 u_log_at;
	uint64_t	 u_log_n;
	int		 u_log_init;
} udp;

static uint8_t	 udp_rxbuf[UDP_RX_BATCH][UDP_DGRAM_MAX];

static void	udp_read_cb(struct ev_loop *, ev_io *, int);
static void	udp_idle_cb(struct ev_loop *, ev_timer *, int);
static void	udp_close(struct xudp *, int rst);
static void	udp_log(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static void
udp_log(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	double	 now = exit_now();

	if (!udp.u_log_init) {
		udp.u_log_init = 1;
		udp.u_log_at = now - UDP_LOG_S;
	}
	if (now - udp.u_log_at < UDP_LOG_S) {
		udp.u_log_n++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (udp.u_log_n > 0)
		log_warnx("udp: %s (and %llu more in the last minute)", buf,
		    (unsigned long long)udp.u_log_n);
	else
		log_warnx("udp: %s", buf);
	udp.u_log_at = now;
	udp.u_log_n = 0;
}

static struct xudp_rec *
udp_rec_get(size_t len)
{
	struct xudp_rec	*r;
	int		 c;

	for (c = 0; c < UDP_NCLASS; c++)
		if (len <= udp_class_cap[c])
			break;
	if (c == UDP_NCLASS)
		return (NULL);
	if ((r = udp.u_free[c]) != NULL) {
		udp.u_free[c] = r->xr_next;
		udp.u_nfree[c]--;
	} else if ((r = malloc(sizeof(*r) + udp_class_cap[c])) == NULL)
		return (NULL);
	r->xr_next = NULL;
	r->xr_class = (uint8_t)c;
	r->xr_len = (uint32_t)len;
	return (r);
}

static void
udp_rec_free(struct xudp_rec *r)
{
	int	 c = r->xr_class;

	if (udp.u_nfree[c] >= udp_class_keep[c]) {
		free(r);
		return;
	}
	r->xr_next = udp.u_free[c];
	udp.u_free[c] = r;
	udp.u_nfree[c]++;
}

/* A queued reply leaves for good: out of both byte counts. */
static void
udp_rec_done(struct xudp_cl *uc, struct xudp_rec *r)
{
	uc->uc_qbytes -= r->xr_len;
	udp.u_qbytes -= r->xr_len;
	udp_rec_free(r);
}

int
udp_offered(void)
{
	return (ex->ee_conf.ec_udp_enabled && !ex->ee_conf.ec_has_proxy);
}

void
udp_configure(void)
{
	struct xudp	*x, *tmp;
	int		 on = udp_offered();

	if (ex->ee_conf.ec_udp_enabled && ex->ee_conf.ec_has_proxy)
		log_info("udp: udp_v1 not offered: upstream_proxy is set and "
		    "datagrams would not go through it");
	if (!on && udp.u_was_on) {
		HASH_ITER(xu_hh, udp.u_byid, x, tmp)
			udp_close(x, 1);
	}
	udp.u_was_on = on;
}

static struct xudp_cl *
udp_cl(struct xclient *cl, int create)
{
	struct xudp_cl	*uc;

	if ((uc = cl->cl_udp) != NULL || !create)
		return (uc);
	if ((uc = calloc(1, sizeof(*uc))) == NULL)
		return (NULL);
	uc->uc_qt = &uc->uc_qh;
	LIST_INIT(&uc->uc_assoc);
	uc->uc_tok[0] = uc->uc_tok[1] = ex->ee_conf.ec_udp_max_dps_client;
	uc->uc_tok_at = exit_now();
	cl->cl_udp = uc;
	return (uc);
}

/* Token buckets of one second: client and worker, dir 0 up, 1 down. */
static int
udp_take(struct xudp_cl *uc, int dir)
{
	const struct exit_conf	*ec = &ex->ee_conf;
	double			 now = exit_now(), rc, rw;
	int			 i;

	rc = ec->ec_udp_max_dps_client;
	rw = ec->ec_udp_max_dps;
	if (udp.u_tok_at == 0) {
		udp.u_tok[0] = udp.u_tok[1] = rw;
		udp.u_tok_at = now;
	}
	for (i = 0; i < 2; i++) {
		uc->uc_tok[i] += (now - uc->uc_tok_at) * rc;
		if (uc->uc_tok[i] > rc)
			uc->uc_tok[i] = rc;
		udp.u_tok[i] += (now - udp.u_tok_at) * rw;
		if (udp.u_tok[i] > rw)
			udp.u_tok[i] = rw;
	}
	uc->uc_tok_at = udp.u_tok_at = now;
	if (uc->uc_tok[dir] < 1.0 || udp.u_tok[dir] < 1.0) {
		udp.u_st_rate++;
		return (-1);
	}
	uc->uc_tok[dir] -= 1.0;
	udp.u_tok[dir] -= 1.0;
	return (0);
}

static void
udp_touch(struct xudp *x)
{
	x->xu_last = exit_now();
}

static struct xudp *
udp_open(struct xclient *cl, struct xudp_cl *uc, const uint8_t *sid)
{
	const struct exit_conf	*ec = &ex->ee_conf;
	struct xudp		*x;
	const char		*why = NULL;

	if (ex->ee_shutdown)
		why = "shutting down";
	else if (udp.u_nassoc >= ec->ec_udp_max_assoc)
		why = "udp_max_associations reached";
	else if (uc->uc_nassoc >= ec->ec_udp_max_assoc_client)
		why = "udp_max_associations_per_client reached";
	if (why != NULL) {
		udp.u_st_refused++;
		udp_log("association refused: %s (%zu open, %u for this "
		    "client)", why, udp.u_nassoc, uc->uc_nassoc);
		client_queue_rst(cl, sid);
		return (NULL);
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		client_queue_rst(cl, sid);
		return (NULL);
	}
	memcpy(x->xu_sid, sid, WIRE_SID_LEN);
	x->xu_cl = cl;
	x->xu_fd = -1;
	x->xu_mode = XU_FRESH;
	ev_init(&x->xu_rio, udp_read_cb);
	x->xu_rio.data = x;
	ev_init(&x->xu_idle, udp_idle_cb);
	x->xu_idle.data = x;
	udp_touch(x);
	ev_timer_set(&x->xu_idle, ec->ec_udp_idle_timeout_s, 0);
	ev_timer_start(ex->ee_loop, &x->xu_idle);
	HASH_ADD(xu_hh, udp.u_byid, xu_sid, WIRE_SID_LEN, x);
	LIST_INSERT_HEAD(&uc->uc_assoc, x, xu_entry);
	uc->uc_nassoc++;
	udp.u_nassoc++;
	cl->cl_refs++;		/* client_gc keeps the client meanwhile */
	return (x);
}

/* Drop the client's queued replies of this association. */
static void
udp_purge(struct xudp_cl *uc, const uint8_t *sid)
{
	struct xudp_rec	**rp = &uc->uc_qh, *r;

	while ((r = *rp) != NULL) {
		if (memcmp(r->xr_sid, sid, WIRE_SID_LEN) == 0) {
			*rp = r->xr_next;
			udp_rec_done(uc, r);
		} else
			rp = &r->xr_next;
	}
	uc->uc_qt = rp;
}

static void
udp_close(struct xudp *x, int rst)
{
	struct xclient	*cl = x->xu_cl;
	struct xudp_cl	*uc = cl->cl_udp;
	struct xudp_rec	*r;

	if (rst)
		client_queue_rst(cl, x->xu_sid);
	ev_timer_stop(ex->ee_loop, &x->xu_idle);
	if (x->xu_fd != -1) {
		ev_io_stop(ex->ee_loop, &x->xu_rio);
		close(x->xu_fd);
	}
	if (x->xu_rq != NULL)
		dns_cancel(x->xu_rq);
	while ((r = x->xu_pend) != NULL) {
		x->xu_pend = r->xr_next;
		udp_rec_free(r);
	}
	udp_purge(uc, x->xu_sid);
	HASH_DELETE(xu_hh, udp.u_byid, x);
	LIST_REMOVE(x, xu_entry);
	uc->uc_nassoc--;
	udp.u_nassoc--;
	cl->cl_refs--;
	free(x);
}

/* udp_idle_timeout_s without a datagram either way: close quietly. */
static void
udp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xudp	*x = w->data;
	double		 left;

	left = x->xu_last + ex->ee_conf.ec_udp_idle_timeout_s - ev_now(loop);
	if (left > 0.001) {
		ev_timer_set(w, left, 0);
		ev_timer_start(loop, w);
		return;
	}
	log_debug("udp: association idle: closed");
	udp_close(x, 0);
}

/* Dual-stack IPv6 where the host has IPv6, else IPv4. */
static int
udp_socket(struct xudp *x)
{
	int	 fd, off = 0;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd != -1 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
	    sizeof(off)) == 0)
		x->xu_fam = AF_INET6;
	else {
		if (fd != -1)
			close(fd);
		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			udp_log("no socket for an association: %s",
			    strerror(errno));
			return (-1);
		}
		x->xu_fam = AF_INET;
	}
	x->xu_fd = fd;
	ev_io_set(&x->xu_rio, fd, EV_READ);
	ev_io_start(ex->ee_loop, &x->xu_rio);
	return (0);
}

/*
 * Reachable over UDP only where TCP could go too: no port 0, no
 * multicast, no limited broadcast.
 */
static int
udp_dest_ok(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;
	uint32_t			 a;

	if (ss->ss_family == AF_INET) {
		a = ntohl(sin->sin_addr.s_addr);
		return (sin->sin_port != 0 && !IN_MULTICAST(a) &&
		    a != INADDR_BROADCAST);
	}
	if (sin6->sin6_port == 0 || IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
		return (0);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&a, sin6->sin6_addr.s6_addr + 12, 4);
		a = ntohl(a);
		return (!IN_MULTICAST(a) && a != INADDR_BROADCAST);
	}
	return (1);
}

/* ss in the socket's family: IPv4 as v4-mapped on a dual-stack socket. */
static socklen_t
udp_sockaddr(const struct xudp *x, const struct sockaddr_storage *ss,
    struct sockaddr_storage *out)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	struct sockaddr_in6		*o6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET && x->xu_fam == AF_INET6) {
		o6->sin6_family = AF_INET6;
		o6->sin6_port = sin->sin_port;
		o6->sin6_addr.s6_addr[10] = 0xff;
		o6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(o6->sin6_addr.s6_addr + 12, &sin->sin_addr, 4);
		return (sizeof(*o6));
	}
	if (ss->ss_family != x->xu_fam)
		return (0);	/* IPv6 destination, IPv4-only host */
	memcpy(out, ss, sizeof(*out));
	return (ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6));
}

static int
udp_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
    socklen_t len)
{
	const struct sockaddr_in	*a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in	*b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6	*a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6	*b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	(void)len;
	return (a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0);
}

/* Send one datagram to a resolved, checked destination. */
static void
udp_sendto(struct xudp *x, const struct sockaddr_storage *dst,
    const uint8_t *data, size_t dlen)
{
	struct sockaddr_storage	 to;
	struct sockaddr		 unspec;
	socklen_t		 tl;
	ssize_t			 r;
	int			 tries;

	if (!udp_dest_ok(dst)) {
		udp.u_st_other++;
		log_debug("udp: destination refused (port 0, multicast or "
		    "broadcast)");
		return;
	}
	if (x->xu_fd == -1 && udp_socket(x) == -1) {
		udp.u_st_other++;
		return;
	}
	if ((tl = udp_sockaddr(x, dst, &to)) == 0) {
		udp.u_st_other++;
		return;
	}
	if (x->xu_mode == XU_FRESH) {
		if (connect(x->xu_fd, (struct sockaddr *)&to, tl) == -1) {
			udp.u_st_other++;
			log_debug("udp: connect: %s", strerror(errno));
			return;
		}
		x->xu_mode = XU_CONNECTED;
		x->xu_peer = to;
		x->xu_peerlen = tl;
	} else if (x->xu_mode == XU_CONNECTED &&
	    !udp_same(&to, &x->xu_peer, tl)) {
		/* A second destination: unconnected from now on. */
		memset(&unspec, 0, sizeof(unspec));
		unspec.sa_family = AF_UNSPEC;
		(void)connect(x->xu_fd, &unspec, sizeof(unspec));
		x->xu_mode = XU_UNCONNECTED;
	}
	for (tries = 0; tries < 2; tries++) {
		if (x->xu_mode == XU_CONNECTED)
			r = send(x->xu_fd, data, dlen, MSG_DONTWAIT);
		else
			r = sendto(x->xu_fd, data, dlen, MSG_DONTWAIT,
			    (struct sockaddr *)&to, tl);
		if (r >= 0) {
			udp.u_st_up++;
			ex->ee_stats.es_bytes_up += dlen;
			return;
		}
		/* An earlier ICMP error is reported once: send again. */
		if (errno != ECONNREFUSED)
			break;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		udp.u_st_queue++;
	else
		udp.u_st_other++;
}

/* The lookup of xu_rqname finished: send what waited for it. */
static void
udp_resolved(void *arg, int err, const struct xaddrs *xa)
{
	struct xudp		*x = arg;
	struct xudp_rec		*r;
	struct wire_udp_addr	 a;
	const uint8_t		*data;
	const char		*es;
	size_t			 dlen;
	int			 i, pick = -1;

	x->xu_rq = NULL;
	if (err == 0) {
		for (i = 0; i < xa->xa_n && pick == -1; i++)
			if (xa->xa_ss[i].ss_family == AF_INET ||
			    x->xu_fam != AF_INET)
				pick = i;
	}
	while ((r = x->xu_pend) != NULL) {
		x->xu_pend = r->xr_next;
		x->xu_npend--;
		if (pick == -1 || wire_udp_decode(r->xr_data, r->xr_len, &a,
		    &data, &dlen, &es) == -1) {
			udp.u_st_other++;
			udp_rec_free(r);
			continue;
		}
		udp_sendto(x, &xa->xa_ss[pick], data, dlen);
		udp_rec_free(r);
	}
	if (pick == -1)
		log_debug("udp: %s: %s", x->xu_rqname, err ? strerror(err) :
		    "no usable address");
}

/* A domain destination: cached, literal, or wait for the resolver. */
static void
udp_send_name(struct xudp *x, const struct wire_frame *f,
    const struct wire_udp_addr *a, const uint8_t *data, size_t dlen)
{
	struct xaddrs	 xa;
	struct xudp_rec	*r, **rp;
	char		 host[256];
	int		 i;

	memcpy(host, a->ua_addr, a->ua_alen);
	host[a->ua_alen] = '\0';
	if (dns_literal(host, a->ua_port, &xa) == 0 ||
	    dns_cached(host, a->ua_port, &xa) == 0) {
		for (i = 0; i < xa.xa_n; i++) {
			if (xa.xa_ss[i].ss_family == AF_INET ||
			    x->xu_fam != AF_INET) {
				udp_sendto(x, &xa.xa_ss[i], data, dlen);
				return;
			}
		}
		udp.u_st_other++;
		return;
	}
	if ((x->xu_rq != NULL && strcmp(x->xu_rqname, host) != 0) ||
	    x->xu_npend >= UDP_PEND_MAX) {
		udp.u_st_other++;	/* one name at a time, bounded */
		return;
	}
	if ((r = udp_rec_get(f->f_len)) == NULL) {
		udp.u_st_other++;
		return;
	}
	memcpy(r->xr_data, f->f_payload, f->f_len);
	for (rp = &x->xu_pend; *rp != NULL; rp = &(*rp)->xr_next)
		;
	*rp = r;
	x->xu_npend++;
	if (x->xu_rq == NULL) {
		snprintf(x->xu_rqname, sizeof(x->xu_rqname), "%s", host);
		if ((x->xu_rq = dns_start(host, a->ua_port, udp_resolved,
		    x)) == NULL) {
			/* Nothing pending can be sent: drop them. */
			while ((r = x->xu_pend) != NULL) {
				x->xu_pend = r->xr_next;
				udp_rec_free(r);
				udp.u_st_other++;
			}
			x->xu_npend = 0;
		}
	}
}

void
udp_route(struct xclient *cl, const struct wire_frame *f)
{
	struct wire_udp_addr	 a;
	struct sockaddr_storage	 ss;
	struct xudp_cl		*uc;
	struct xudp		*x;
	const uint8_t		*data;
	const char		*err;
	socklen_t		 sl;
	size_t			 dlen;

	if (!udp_offered()) {
		/* As an exit without udp_v1: an unknown session. */
		udp.u_st_refused++;
		client_queue_rst(cl, f->f_sid);
		return;
	}
	if (wire_udp_decode(f->f_payload, f->f_len, &a, &data, &dlen,
	    &err) == -1) {
		log_debug("udp: datagram dropped: %s", err);
		udp.u_st_other++;
		return;
	}
	HASH_FIND(xu_hh, udp.u_byid, f->f_sid, WIRE_SID_LEN, x);
	if (x != NULL && x->xu_cl != cl) {
		log_debug("udp: cross-client datagram: RST");
		client_queue_rst(cl, f->f_sid);
		return;
	}
	if ((uc = udp_cl(cl, 1)) == NULL)
		return;
	if (x == NULL && (x = udp_open(cl, uc, f->f_sid)) == NULL)
		return;
	if (udp_take(uc, 0) == -1)
		return;
	udp_touch(x);
	if (a.ua_atyp == WIRE_UDP_ATYP_DOMAIN) {
		udp_send_name(x, f, &a, data, dlen);
		return;
	}
	if (wire_udp_addr_to_sa(&a, &ss, &sl) == -1) {
		udp.u_st_other++;
		return;
	}
	udp_sendto(x, &ss, data, dlen);
}

void
udp_route_rst(struct xclient *cl, const uint8_t sid[WIRE_SID_LEN])
{
	struct xudp	*x;

	HASH_FIND(xu_hh, udp.u_byid, sid, WIRE_SID_LEN, x);
	if (x != NULL && x->xu_cl == cl)
		udp_close(x, 0);
}

/* One reply from a target: checked against the limits, then queued. */
static int
udp_from_target(struct xudp *x, const uint8_t *p, size_t n,
    const struct sockaddr *from, int flags)
{
	const struct exit_conf	*ec = &ex->ee_conf;
	struct xclient		*cl = x->xu_cl;
	struct xudp_cl		*uc = cl->cl_udp;
	struct wire_udp_addr	 src;
	struct xudp_rec		*r;
	uint8_t			 hdr[WIRE_UDP_HDR_MAX];
	size_t			 h, len;

	if ((flags & MSG_TRUNC) || wire_udp_addr_from_sa(&src, from) == -1) {
		udp.u_st_other++;
		return (0);
	}
	if (udp_take(uc, 1) == -1)
		return (0);
	h = wire_udp_hdr_encode(&src, hdr);
	len = h + n;
	if (uc->uc_qbytes + len > ec->ec_udp_queue_bytes_client ||
	    udp.u_qbytes + len > ec->ec_udp_queue_bytes) {
		udp.u_st_queue++;
		return (0);
	}
	if ((r = udp_rec_get(len)) == NULL) {
		udp.u_st_other++;
		return (0);
	}
	memcpy(r->xr_data, hdr, h);
	memcpy(r->xr_data + h, p, n);
	memcpy(r->xr_sid, x->xu_sid, WIRE_SID_LEN);
	r->xr_seq = x->xu_seq++;
	*uc->uc_qt = r;
	uc->uc_qt = &r->xr_next;
	uc->uc_qbytes += len;
	udp.u_qbytes += len;
	udp.u_st_down++;
	ex->ee_stats.es_bytes_down += n;
	return (1);
}

static void
udp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	static struct mmsghdr		 mm[UDP_RX_BATCH];
	static struct iovec		 iov[UDP_RX_BATCH];
	static struct sockaddr_storage	 from[UDP_RX_BATCH];
	struct xudp			*x = w->data;
	struct xclient			*cl = x->xu_cl;
	int				 i, n, round, queued = 0;

	for (round = 0; round < UDP_RX_ROUNDS; round++) {
		for (i = 0; i < UDP_RX_BATCH; i++) {
			iov[i].iov_base = udp_rxbuf[i];
			iov[i].iov_len = UDP_DGRAM_MAX;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(w->fd, mm, UDP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* ECONNREFUSED: ICMP for an earlier datagram. */
			if (n == -1 && errno == ECONNREFUSED)
				continue;
			break;
		}
		for (i = 0; i < n; i++)
			queued |= udp_from_target(x, udp_rxbuf[i],
			    mm[i].msg_len, (struct sockaddr *)&from[i],
			    mm[i].msg_hdr.msg_flags);
		if (n < UDP_RX_BATCH)
			break;
	}
	if (queued) {
		udp_touch(x);
		client_wake(cl);
	}
}

int
udp_client_has_work(struct xclient *cl)
{
	return (cl->cl_udp != NULL && cl->cl_udp->uc_qh != NULL);
}

void
udp_drain(struct xclient *cl, struct xresp *r, size_t maxframes,
    size_t *budget)
{
	struct xudp_cl		*uc = cl->cl_udp;
	struct xudp_rec		*rec;
	struct wire_frame	*f;
	size_t			 lim;

	if (uc == NULL || uc->uc_qh == NULL || r->r_nframes >= maxframes)
		return;
	lim = maxframes;
	if (!TAILQ_EMPTY(&cl->cl_ready))
		lim = r->r_nframes + (maxframes - r->r_nframes + 1) / 2;
	while (r->r_nframes < lim && (rec = uc->uc_qh) != NULL &&
	    rec->xr_len <= *budget) {
		if ((uc->uc_qh = rec->xr_next) == NULL)
			uc->uc_qt = &uc->uc_qh;
		f = &r->r_frames[r->r_nframes++];
		memset(f, 0, sizeof(*f));
		memcpy(f->f_sid, rec->xr_sid, WIRE_SID_LEN);
		f->f_seq = rec->xr_seq;
		f->f_flags = WIRE_F_ACK;
		f->f_payload = rec->xr_data;
		f->f_len = rec->xr_len;
		*budget -= rec->xr_len;
		rec->xr_next = r->r_udp;
		r->r_udp = rec;
		r->r_urgent = 1;	/* datagrams are interactive */
	}
}

void
udp_resp_done(struct xclient *cl, struct xresp *r, int delivered)
{
	struct xudp_cl	*uc = cl->cl_udp;
	struct xudp_rec	*rec;
	struct xudp	*x;
	int		 back = 0;

	while ((rec = r->r_udp) != NULL) {
		r->r_udp = rec->xr_next;
		if (uc == NULL) {
			udp_rec_free(rec);	/* cannot happen: counted */
			continue;
		}
		HASH_FIND(xu_hh, udp.u_byid, rec->xr_sid, WIRE_SID_LEN, x);
		if (delivered || x == NULL) {
			udp_rec_done(uc, rec);
			continue;
		}
		/* Not delivered: to the front again, order does not matter. */
		if ((rec->xr_next = uc->uc_qh) == NULL)
			uc->uc_qt = &rec->xr_next;
		uc->uc_qh = rec;
		back = 1;
	}
	if (back)
		client_wake(cl);
}

void
udp_client_close(struct xclient *cl)
{
	struct xudp_cl	*uc = cl->cl_udp;
	struct xudp	*x;

	if (uc == NULL)
		return;
	while ((x = LIST_FIRST(&uc->uc_assoc)) != NULL)
		udp_close(x, 0);
}

void
udp_client_free(struct xclient *cl)
{
	struct xudp_cl	*uc = cl->cl_udp;
	struct xudp_rec	*r;

	if (uc == NULL)
		return;
	udp_client_close(cl);
	while ((r = uc->uc_qh) != NULL) {
		uc->uc_qh = r->xr_next;
		udp_rec_done(uc, r);
	}
	free(uc);
	cl->cl_udp = NULL;
}

void
udp_shutdown(void)
{
	struct xudp	*x, *tmp;

	HASH_ITER(xu_hh, udp.u_byid, x, tmp)
		udp_close(x, 1);
}

void
udp_stats(struct stats *st)
{
	(void)stats_gauge(st, "udp_associations", (int64_t)udp.u_nassoc);
	(void)stats_gauge(st, "udp_dgrams_out", (int64_t)udp.u_st_up);
	(void)stats_gauge(st, "udp_dgrams_in", (int64_t)udp.u_st_down);
	(void)stats_gauge(st, "udp_queued_bytes", (int64_t)udp.u_qbytes);
	(void)stats_gauge(st, "udp_drop_rate", (int64_t)udp.u_st_rate);
	(void)stats_gauge(st, "udp_drop_queue", (int64_t)udp.u_st_queue);
	(void)stats_gauge(st, "udp_drop_other", (int64_t)udp.u_st_other);
	(void)stats_gauge(st, "udp_refused", (int64_t)udp.u_st_refused);
}
