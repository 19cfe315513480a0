/*
 * SOCKS5 UDP ASSOCIATE (RFC 1928 section 7) over the tunnel's udp_v1
 * extension (docs/udp.md).
 *
 * An association is a SOCKS connection whose request was CMD 3: local.c
 * hands its socket over (udp_associate) and it stays open only as the
 * association's lifeline.  Its datagrams use one relay socket, the UDP
 * twin of the SOCKS listener that the supervisor opened and passes with
 * every generation; datagrams are told apart by their source address,
 * which must be the TCP peer's IP (and the port the request named, or
 * the first one seen).  Each association is one tunnel session id; each
 * datagram one ACK frame "GUDP" 0x01 ATYP ADDR PORT DATA of that id.
 *
 * Datagrams wait in a bounded queue per association (at most a quarter
 * of udp_queue_bytes, all together at most udp_queue_bytes) and are
 * dropped, never waited for, when it is full.  tunnel_fill takes them
 * round robin across associations, at most half a batch while TCP
 * sessions have data too.  A datagram leaves the queue for good once its
 * batch is sealed: a lost batch loses it (UDP semantics), it is never
 * replayed and never enters the session engine's replay store.  A batch
 * given up before sealing (no POST slot, say) puts its datagrams back.
 *
 * Nothing is sent before the exit offered udp_v1: until the probe is
 * answered an ASSOCIATE waits (at most CARRIER_HS_TIMEOUT), an exit
 * without it gets the client "command not supported" (X'07').  The
 * association ends when its TCP connection closes (an RST tells the exit)
 * or when the exit resets it (over its limits, or UDP off there).
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <uthash.h>

#include "carrier.h"
#include "log.h"
#include "socks5.h"
#include "stats.h"
#include "udp.h"
#include "wproc.h"

#define UDP_RX_BATCH	16		/* datagrams per recvmmsg(2) */
#define UDP_RX_ROUNDS	16		/* recvmmsg calls per wakeup */
#define UDP_DGRAM_MAX	65536		/* receive room per datagram */
#define UDP_LOG_S	60.0		/* one refusal line a minute */
#define UDP_ASSOC_MIN_Q	(64 * 1024)	/* queue of one association */
#define UDP_NCLASS	4

enum uassoc_state {
	UA_WAIT = 0,		/* for the exit's features */
	UA_OPEN
};

/* A client's UDP address, hashed as raw bytes (no implicit padding). */
struct udp_key {
	uint8_t		 k_fam;
	uint8_t		 k_pad;
	uint16_t	 k_port;	/* host order; 0: not known yet */
	uint8_t		 k_addr[16];
};

/* One datagram as a frame payload: "GUDP" 0x01 ATYP ADDR PORT DATA. */
struct udp_rec {
	struct udp_rec	*ur_next;
	uint8_t		 ur_sid[WIRE_SID_LEN];
	uint64_t	 ur_seq;
	uint32_t	 ur_len;
	uint8_t		 ur_class;
	uint8_t		 ur_data[];
};

struct uassoc {
	uint8_t		 ua_sid[WIRE_SID_LEN];
	int		 ua_fd;		/* the TCP control connection */
	enum uassoc_state ua_state;
	int		 ua_sent;	/* a datagram went: the exit knows it */
	int		 ua_ready;	/* on udp.u_ready */
	int		 ua_inaddr;	/* in udp.u_byaddr (port known) */
	ev_io		 ua_rio;
	ev_timer	 ua_timer;	/* waiting for the features */
	struct udp_key	 ua_key;
	uint64_t	 ua_seq;	/* datagrams sent (frame seq) */
	struct udp_rec	*ua_qh;
	struct udp_rec	**ua_qt;
	size_t		 ua_qbytes;
	TAILQ_ENTRY(uassoc) ua_all;
	TAILQ_ENTRY(uassoc) ua_rdy;
	UT_hash_handle	 ua_hs;		/* by session id */
	UT_hash_handle	 ua_ha;		/* by client address */
};
TAILQ_HEAD(uassoc_list, uassoc);

/* Record sizes (payload room) and how many of each to keep for reuse. */
static const size_t udp_class_cap[UDP_NCLASS] = {
	512, 2048, 16384, WIRE_UDP_HDR_MAX + WIRE_UDP_MAX_DATA
};
static const size_t udp_class_keep[UDP_NCLASS] = { 1024, 512, 64, 8 };

static struct {
	int		 u_init;
	int		 u_fd;		/* the relay socket, or -1 */
	ev_io		 u_io;
	uint16_t	 u_port;	/* its port: BND.PORT */
	struct uassoc	*u_bysid;
	struct uassoc	*u_byaddr;
	struct uassoc_list u_all;	/* oldest first */
	struct uassoc_list u_ready;	/* with queued datagrams */
	size_t		 u_nassoc;
	size_t		 u_qbytes;	/* queued and held by batches */
	struct udp_rec	*u_free[UDP_NCLASS];
	size_t		 u_nfree[UDP_NCLASS];
	uint64_t	 u_st_out;	/* datagrams into the tunnel */
	uint64_t	 u_st_in;	/* datagrams back to clients */
	uint64_t	 u_st_frag;	/* FRAG != 0, dropped */
	uint64_t	 u_st_queue;	/* queue full, dropped */
	uint64_t	 u_st_other;	/* unknown source, bad header, ... */
	uint64_t	 u_st_refused;	/* associations refused or reset */
	uint64_t	 u_st_assoc;	/* associations opened */
	double		 u_log_at;
	uint64_t	 u_log_n;
} udp;

static uint8_t		 udp_rxbuf[UDP_RX_BATCH][UDP_DGRAM_MAX];
static const uint8_t	 udp_zero3[WIRE_UDP_SOCKS_PREFIX];

static void	udp_sock_cb(struct ev_loop *, ev_io *, int);
static void	udp_ctl_cb(struct ev_loop *, ev_io *, int);
static void	udp_timer_cb(struct ev_loop *, ev_timer *, int);
static void	udp_end(struct uassoc *, int rst);
static void	udp_log(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static void
udp_init(void)
{
	if (udp.u_init)
		return;
	udp.u_init = 1;
	udp.u_fd = -1;
	TAILQ_INIT(&udp.u_all);
	TAILQ_INIT(&udp.u_ready);
	udp.u_log_at = -UDP_LOG_S;
}

/*
 * Refusals and resets, rate-limited: the first at once, then one line a
 * minute with how many more there were.
 */
static void
udp_log(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	double	 now = ev_now(carrier->c_loop);

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

/* Records come from free lists per size: no malloc in steady state. */
static struct udp_rec *
udp_rec_get(size_t len)
{
	struct udp_rec	*r;
	int		 c;

	for (c = 0; c < UDP_NCLASS; c++)
		if (len <= udp_class_cap[c])
			break;
	if (c == UDP_NCLASS)
		return (NULL);
	if ((r = udp.u_free[c]) != NULL) {
		udp.u_free[c] = r->ur_next;
		udp.u_nfree[c]--;
	} else if ((r = malloc(sizeof(*r) + udp_class_cap[c])) == NULL)
		return (NULL);
	r->ur_next = NULL;
	r->ur_class = (uint8_t)c;
	r->ur_len = (uint32_t)len;
	return (r);
}

/* A record leaves the accounting for good. */
static void
udp_rec_put(struct udp_rec *r)
{
	int	 c = r->ur_class;

	udp.u_qbytes -= r->ur_len;
	if (udp.u_nfree[c] >= udp_class_keep[c]) {
		free(r);
		return;
	}
	r->ur_next = udp.u_free[c];
	udp.u_free[c] = r;
	udp.u_nfree[c]++;
}

static size_t
udp_assoc_cap(void)
{
	size_t	 q = carrier->c_conf.cc_udp_queue_bytes / 4;

	return (q > UDP_ASSOC_MIN_Q ? q : UDP_ASSOC_MIN_Q);
}

static int
udp_key_from_sa(struct udp_key *k, const struct sockaddr *sa)
{
	memset(k, 0, sizeof(*k));
	k->k_fam = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(k->k_addr, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
		k->k_port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(k->k_addr,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		k->k_port =
		    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else
		return (-1);
	return (0);
}

static socklen_t
udp_key_to_sa(const struct udp_key *k, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (k->k_fam == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, k->k_addr, 4);
		sin->sin_port = htons(k->k_port);
		return (sizeof(*sin));
	}
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, k->k_addr, 16);
	sin6->sin6_port = htons(k->k_port);
	return (sizeof(*sin6));
}

/*
 * Take this generation's relay socket (a dup of the supervisor's, or a
 * new one after socks_host/socks_port changed).  None: udp_enabled is
 * off or the socket could not be bound; associations end.
 */
void
udp_configure(struct carrier *car, struct wproc_conf *wc)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct uassoc		*a;
	int			 i, nfd = -1;

	udp_init();
	for (i = 0; i < wc->wc_nlisteners; i++) {
		if (wc->wc_listeners[i].kind != LISTENER_SOCKS_UDP ||
		    wc->wc_listeners[i].fd == -1)
			continue;
		if (nfd == -1)
			nfd = wc->wc_listeners[i].fd;
		else
			close(wc->wc_listeners[i].fd);
		wc->wc_listeners[i].fd = -1;
	}
	if (udp.u_fd != -1) {
		ev_io_stop(car->c_loop, &udp.u_io);
		close(udp.u_fd);
		udp.u_fd = -1;
	}
	if (nfd == -1) {
		while ((a = TAILQ_FIRST(&udp.u_all)) != NULL)
			udp_end(a, 1);
		return;
	}
	udp.u_fd = nfd;
	if (getsockname(nfd, (struct sockaddr *)&ss, &sl) == 0)
		udp.u_port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	ev_io_init(&udp.u_io, udp_sock_cb, nfd, EV_READ);
	ev_io_start(car->c_loop, &udp.u_io);
}

/*
 * The request's reply: BND.ADDR is the address the client reached us on
 * (the TCP connection's local address), BND.PORT the relay socket's,
 * which is the SOCKS port.  Failures carry 0.0.0.0:0.
 */
static int
udp_reply(int fd, uint8_t rep)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	uint8_t			 out[4 + 16 + 2];
	size_t			 n;

	memset(out, 0, sizeof(out));
	out[0] = SOCKS5_VER;
	out[1] = rep;
	out[3] = SOCKS5_ATYP_IPV4;
	n = 4 + 4;
	if (rep == SOCKS5_REP_OK &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			out[3] = SOCKS5_ATYP_IPV6;
			memcpy(out + 4,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			n = 4 + 16;
		} else
			memcpy(out + 4,
			    &((struct sockaddr_in *)&ss)->sin_addr, 4);
		out[n] = udp.u_port >> 8;
		out[n + 1] = udp.u_port & 0xff;
	}
	n += 2;
	return (send(fd, out, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1);
}

/* Reply and close a control connection that never became one. */
static void
udp_refuse_fd(int fd, uint8_t rep)
{
	(void)udp_reply(fd, rep);
	close(fd);
}

/*
 * Datagrams must come from the TCP peer's IP.  The port is the one the
 * request named (RFC 1928: DST.PORT) when its DST.ADDR is that IP or all
 * zeros; otherwise (no port, or a client behind a NAT that named its
 * private address) the first datagram from that IP sets it.
 */
static int
udp_client_key(int fd, const struct wire_udp_addr *dst, struct udp_key *k)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	static const uint8_t	 zero[16];
	size_t			 alen;
	int			 fam;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    udp_key_from_sa(k, (struct sockaddr *)&ss) == -1)
		return (-1);
	k->k_port = 0;
	fam = dst->ua_atyp == WIRE_UDP_ATYP_IPV4 ? AF_INET :
	    dst->ua_atyp == WIRE_UDP_ATYP_IPV6 ? AF_INET6 : -1;
	alen = fam == AF_INET ? 4 : 16;
	if (fam == k->k_fam && dst->ua_port != 0 &&
	    (memcmp(dst->ua_addr, zero, alen) == 0 ||
	    memcmp(dst->ua_addr, k->k_addr, alen) == 0))
		k->k_port = dst->ua_port;
	return (0);
}

/* Make the association reachable by its client address (port known). */
static void
udp_bind_addr(struct uassoc *a)
{
	struct uassoc	*o;

	HASH_FIND(ua_ha, udp.u_byaddr, &a->ua_key, sizeof(a->ua_key), o);
	if (o != NULL) {
		/* The newest association from this address wins. */
		HASH_DELETE(ua_ha, udp.u_byaddr, o);
		o->ua_inaddr = 0;
	}
	HASH_ADD(ua_ha, udp.u_byaddr, ua_key, sizeof(a->ua_key), a);
	a->ua_inaddr = 1;
}

/* The exit's features are known: open the association or refuse it. */
static void
udp_answer(struct uassoc *a)
{
	struct carrier	*car = carrier;

	ev_timer_stop(car->c_loop, &a->ua_timer);
	if (!(car->c_features & WIRE_FEAT_UDP) || udp.u_fd == -1) {
		(void)udp_reply(a->ua_fd, SOCKS5_REP_CMD);
		udp_end(a, 0);
		return;
	}
	if (udp_reply(a->ua_fd, SOCKS5_REP_OK) == -1) {
		udp_end(a, 0);
		return;
	}
	a->ua_state = UA_OPEN;
	udp.u_st_assoc++;
	if (a->ua_key.k_port != 0)
		udp_bind_addr(a);
}

void
udp_associate(struct lconn *lc, const uint8_t *req, size_t len)
{
	struct carrier		*car = lc->lc_car;
	const struct carrier_conf *cc = &car->c_conf;
	struct wire_udp_addr	 dst;
	struct uassoc		*a, *o;
	const char		*err;
	int			 fd;

	udp_init();
	/* VER CMD RSV, then the address socks5_parse_req accepted. */
	if (len < 4 || wire_udp_addr_decode(req + 3, len - 3, &dst,
	    &err) == -1)
		memset(&dst, 0, sizeof(dst));
	fd = local_detach(lc);
	if (!cc->cc_udp_enabled || udp.u_fd == -1 ||
	    cc->cc_wire_compat == WIRE_COMPAT_V15 ||
	    (car->c_probe_answered && !(car->c_features & WIRE_FEAT_UDP))) {
		log_debug("udp: ASSOCIATE refused: %s",
		    !cc->cc_udp_enabled ? "udp_enabled is off" :
		    udp.u_fd == -1 ? "no UDP relay socket" :
		    "the exit does not offer udp_v1");
		udp_refuse_fd(fd, SOCKS5_REP_CMD);
		return;
	}
	if (udp.u_nassoc >= cc->cc_udp_max_assoc) {
		udp.u_st_refused++;
		udp_log("refused an ASSOCIATE: %zu associations "
		    "(udp_max_associations %u)", udp.u_nassoc,
		    cc->cc_udp_max_assoc);
		udp_refuse_fd(fd, SOCKS5_REP_FAIL);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		udp_refuse_fd(fd, SOCKS5_REP_FAIL);
		return;
	}
	if (udp_client_key(fd, &dst, &a->ua_key) == -1) {
		free(a);
		close(fd);
		return;
	}
	do {
		if (RAND_bytes(a->ua_sid, sizeof(a->ua_sid)) != 1)
			fatalx("RAND_bytes failed");
		HASH_FIND(ua_hs, udp.u_bysid, a->ua_sid, WIRE_SID_LEN, o);
	} while (o != NULL ||
	    sess_table_find(&car->c_table, a->ua_sid) != NULL);
	a->ua_fd = fd;
	a->ua_state = UA_WAIT;
	a->ua_qt = &a->ua_qh;
	ev_io_init(&a->ua_rio, udp_ctl_cb, fd, EV_READ);
	a->ua_rio.data = a;
	ev_timer_init(&a->ua_timer, udp_timer_cb, CARRIER_HS_TIMEOUT, 0);
	a->ua_timer.data = a;
	ev_io_start(car->c_loop, &a->ua_rio);
	HASH_ADD(ua_hs, udp.u_bysid, ua_sid, WIRE_SID_LEN, a);
	TAILQ_INSERT_TAIL(&udp.u_all, a, ua_all);
	udp.u_nassoc++;
	if (car->c_probe_answered)
		udp_answer(a);
	else
		ev_timer_start(car->c_loop, &a->ua_timer);
}

/* The probe was never answered: the tunnel is not up. */
static void
udp_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct uassoc	*a = w->data;

	udp_log("the exit did not answer the version probe in %.0f s: "
	    "ASSOCIATE failed", CARRIER_HS_TIMEOUT);
	(void)udp_reply(a->ua_fd, SOCKS5_REP_FAIL);
	udp_end(a, 0);
}

/*
 * The control connection carries nothing after the reply: what the
 * client sends is discarded, and EOF or an error ends the association.
 */
static void
udp_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uassoc	*a = w->data;
	uint8_t		 buf[512];
	ssize_t		 r;
	int		 i;

	for (i = 0; i < 16; i++) {
		r = read(a->ua_fd, buf, sizeof(buf));
		if (r > 0)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		udp_end(a, 1);
		return;
	}
}

/* End an association; rst: tell the exit (if it ever heard of it). */
static void
udp_end(struct uassoc *a, int rst)
{
	struct carrier	*car = carrier;
	struct udp_rec	*r;

	if (rst && a->ua_sent)
		tunnel_queue_rst(car, a->ua_sid);
	while ((r = a->ua_qh) != NULL) {
		a->ua_qh = r->ur_next;
		udp_rec_put(r);
	}
	if (a->ua_ready)
		TAILQ_REMOVE(&udp.u_ready, a, ua_rdy);
	if (a->ua_inaddr)
		HASH_DELETE(ua_ha, udp.u_byaddr, a);
	HASH_DELETE(ua_hs, udp.u_bysid, a);
	TAILQ_REMOVE(&udp.u_all, a, ua_all);
	udp.u_nassoc--;
	ev_io_stop(car->c_loop, &a->ua_rio);
	ev_timer_stop(car->c_loop, &a->ua_timer);
	close(a->ua_fd);
	free(a);
}

void
udp_features(struct carrier *car)
{
	struct uassoc	*a, *next;

	if (!udp.u_init)
		return;
	for (a = TAILQ_FIRST(&udp.u_all); a != NULL; a = next) {
		next = TAILQ_NEXT(a, ua_all);
		if (a->ua_state == UA_WAIT)
			udp_answer(a);
		else if (!(car->c_features & WIRE_FEAT_UDP)) {
			udp_log("the exit no longer offers udp_v1: "
			    "association closed");
			udp_end(a, 0);
		}
	}
}

/* Which association a datagram from this address belongs to. */
static struct uassoc *
udp_lookup(const struct udp_key *k)
{
	struct uassoc	*a;

	HASH_FIND(ua_ha, udp.u_byaddr, k, sizeof(*k), a);
	if (a != NULL)
		return (a);
	/* The oldest association from this IP whose port is not known. */
	TAILQ_FOREACH(a, &udp.u_all, ua_all) {
		if (a->ua_state != UA_OPEN || a->ua_inaddr ||
		    a->ua_key.k_port != 0 || a->ua_key.k_fam != k->k_fam ||
		    memcmp(a->ua_key.k_addr, k->k_addr, 16) != 0)
			continue;
		a->ua_key.k_port = k->k_port;
		udp_bind_addr(a);
		return (a);
	}
	return (NULL);
}

/* One datagram from a client: checked, converted, queued. */
static int
udp_from_client(const uint8_t *p, size_t n, const struct sockaddr *sa,
    int flags)
{
	struct carrier		*car = carrier;
	struct wire_udp_addr	 dst;
	struct udp_key		 k;
	struct uassoc		*a;
	struct udp_rec		*r;
	const char		*err = NULL;
	uint8_t			 frag;
	size_t			 len;

	if (udp_key_from_sa(&k, sa) == -1 ||
	    (a = udp_lookup(&k)) == NULL) {
		udp.u_st_other++;	/* not from an associated client */
		return (0);
	}
	if ((flags & MSG_TRUNC) || wire_udp_socks_decode(p, n, &dst, &frag,
	    &err) == -1) {
		log_debug("udp: datagram dropped: %s",
		    err != NULL ? err : "truncated");
		udp.u_st_other++;
		return (0);
	}
	if (frag != 0) {
		/* RFC 1928: fragmentation is optional; we do not do it. */
		udp.u_st_frag++;
		return (0);
	}
	len = n - WIRE_UDP_SOCKS_PREFIX + WIRE_UDP_PREFIX;
	if (udp.u_qbytes + len > car->c_conf.cc_udp_queue_bytes ||
	    a->ua_qbytes + len > udp_assoc_cap()) {
		udp.u_st_queue++;
		return (0);
	}
	if ((r = udp_rec_get(len)) == NULL) {
		udp.u_st_other++;
		return (0);
	}
	memcpy(r->ur_data, WIRE_UDP_MAGIC, 4);
	r->ur_data[4] = WIRE_UDP_VERSION;
	memcpy(r->ur_data + WIRE_UDP_PREFIX, p + WIRE_UDP_SOCKS_PREFIX,
	    n - WIRE_UDP_SOCKS_PREFIX);
	memcpy(r->ur_sid, a->ua_sid, WIRE_SID_LEN);
	r->ur_seq = a->ua_seq++;
	*a->ua_qt = r;
	a->ua_qt = &r->ur_next;
	a->ua_qbytes += len;
	udp.u_qbytes += len;
	if (!a->ua_ready) {
		a->ua_ready = 1;
		TAILQ_INSERT_TAIL(&udp.u_ready, a, ua_rdy);
	}
	udp.u_st_out++;
	return (1);
}

static void
udp_sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	static struct mmsghdr		 mm[UDP_RX_BATCH];
	static struct iovec		 iov[UDP_RX_BATCH];
	static struct sockaddr_storage	 from[UDP_RX_BATCH];
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
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_debug("udp: recvmmsg: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			queued |= udp_from_client(udp_rxbuf[i], mm[i].msg_len,
			    (struct sockaddr *)&from[i],
			    mm[i].msg_hdr.msg_flags);
		if (n < UDP_RX_BATCH)
			break;
	}
	if (queued)
		tunnel_kick(carrier);
}

int
udp_has_work(struct carrier *car)
{
	return (udp.u_init && !TAILQ_EMPTY(&udp.u_ready));
}

void
udp_fill(struct carrier *car, struct tunnel_batch *tb, size_t maxf,
    size_t *budget)
{
	struct wire_frame	*f;
	struct uassoc		*a;
	struct udp_rec		*r;
	size_t			 lim, need;

	if (!udp_has_work(car) || tb->tb_n >= maxf)
		return;
	lim = maxf;
	if (!TAILQ_EMPTY(&car->c_readyq))
		lim = tb->tb_n + (maxf - tb->tb_n + 1) / 2;
	if (lim > TB_MAXFRAMES)
		lim = TB_MAXFRAMES;
	while (tb->tb_n < lim && (a = TAILQ_FIRST(&udp.u_ready)) != NULL) {
		r = a->ua_qh;
		need = r->ur_len + WIRE_FRAME_HDR + WIRE_FRAME_LEN_HDR;
		if (need > *budget)
			break;
		if ((a->ua_qh = r->ur_next) == NULL)
			a->ua_qt = &a->ua_qh;
		a->ua_qbytes -= r->ur_len;
		/* One datagram per association per round. */
		TAILQ_REMOVE(&udp.u_ready, a, ua_rdy);
		if (a->ua_qh != NULL)
			TAILQ_INSERT_TAIL(&udp.u_ready, a, ua_rdy);
		else
			a->ua_ready = 0;
		f = &tb->tb_frames[tb->tb_n++];
		memset(f, 0, sizeof(*f));
		memcpy(f->f_sid, r->ur_sid, WIRE_SID_LEN);
		f->f_seq = r->ur_seq;
		f->f_flags = WIRE_F_ACK;
		f->f_payload = r->ur_data;
		f->f_len = r->ur_len;
		r->ur_next = tb->tb_udp;
		tb->tb_udp = r;
		*budget -= need;
		a->ua_sent = 1;
	}
}

void
udp_sealed(struct tunnel_batch *tb)
{
	struct udp_rec	*r;

	while ((r = tb->tb_udp) != NULL) {
		tb->tb_udp = r->ur_next;
		udp_rec_put(r);
	}
}

void
udp_unfill(struct carrier *car, struct tunnel_batch *tb)
{
	struct udp_rec	*r;
	struct uassoc	*a;

	while ((r = tb->tb_udp) != NULL) {
		tb->tb_udp = r->ur_next;
		HASH_FIND(ua_hs, udp.u_bysid, r->ur_sid, WIRE_SID_LEN, a);
		if (a == NULL || a->ua_state != UA_OPEN) {
			udp_rec_put(r);
			continue;
		}
		/* Order does not matter for datagrams: to the front. */
		if ((r->ur_next = a->ua_qh) == NULL)
			a->ua_qt = &r->ur_next;
		a->ua_qh = r;
		a->ua_qbytes += r->ur_len;
		if (!a->ua_ready) {
			a->ua_ready = 1;
			TAILQ_INSERT_TAIL(&udp.u_ready, a, ua_rdy);
		}
	}
}

/* A reply from the exit: "GUDP" 0x01 SOURCE DATA -> RSV FRAG SOURCE DATA. */
void
udp_rx_frame(struct carrier *car, const struct wire_frame *f)
{
	struct wire_udp_addr	 src;
	struct sockaddr_storage	 ss;
	struct iovec		 iov[2];
	struct msghdr		 mh;
	struct uassoc		*a;
	const uint8_t		*data;
	const char		*err;
	size_t			 dlen;

	if (!udp.u_init)
		return;
	HASH_FIND(ua_hs, udp.u_bysid, f->f_sid, WIRE_SID_LEN, a);
	if (a == NULL || a->ua_state != UA_OPEN || !a->ua_inaddr ||
	    udp.u_fd == -1) {
		udp.u_st_other++;
		return;
	}
	if (wire_udp_decode(f->f_payload, f->f_len, &src, &data, &dlen,
	    &err) == -1 || src.ua_atyp == WIRE_UDP_ATYP_DOMAIN) {
		log_debug("udp: datagram from the exit dropped: %s",
		    src.ua_atyp == WIRE_UDP_ATYP_DOMAIN ? "domain source" :
		    err);
		udp.u_st_other++;
		return;
	}
	iov[0].iov_base = (void *)udp_zero3;
	iov[0].iov_len = sizeof(udp_zero3);
	iov[1].iov_base = (void *)(f->f_payload + WIRE_UDP_PREFIX);
	iov[1].iov_len = f->f_len - WIRE_UDP_PREFIX;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &ss;
	mh.msg_namelen = udp_key_to_sa(&a->ua_key, &ss);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(udp.u_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		if (errno == EAGAIN || errno == ENOBUFS)
			udp.u_st_queue++;
		else
			udp.u_st_other++;
		return;
	}
	udp.u_st_in++;
}

void
udp_rx_rst(struct carrier *car, const uint8_t sid[WIRE_SID_LEN])
{
	struct uassoc	*a;

	if (!udp.u_init)
		return;
	HASH_FIND(ua_hs, udp.u_bysid, sid, WIRE_SID_LEN, a);
	if (a == NULL)
		return;
	udp.u_st_refused++;
	udp_log("the exit reset an association (its UDP limits, or UDP off "
	    "there)");
	udp_end(a, 0);
}

size_t
udp_shutdown(struct carrier *car)
{
	struct uassoc	*a;
	size_t		 n = 0;

	if (!udp.u_init)
		return (0);
	if (udp.u_fd != -1)
		ev_io_stop(car->c_loop, &udp.u_io);
	while ((a = TAILQ_FIRST(&udp.u_all)) != NULL) {
		if (a->ua_sent)
			n++;
		udp_end(a, 1);
	}
	return (n);
}

void
udp_stats(struct stats *st)
{
	(void)stats_gauge(st, "udp_associations", (int64_t)udp.u_nassoc);
	(void)stats_gauge(st, "udp_dgrams_out", (int64_t)udp.u_st_out);
	(void)stats_gauge(st, "udp_dgrams_in", (int64_t)udp.u_st_in);
	(void)stats_gauge(st, "udp_drop_frag", (int64_t)udp.u_st_frag);
	(void)stats_gauge(st, "udp_drop_queue", (int64_t)udp.u_st_queue);
	(void)stats_gauge(st, "udp_drop_other", (int64_t)udp.u_st_other);
	(void)stats_gauge(st, "udp_refused", (int64_t)udp.u_st_refused);
}
