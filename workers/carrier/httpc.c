/*
 * HTTP/1.1 client on libev for the carrier's POST transports.
 *
 * One pool per target (address to dial, port, TLS server name).  Each
 * request takes an idle keep-alive connection or dials a new one; there is
 * no pipelining, so concurrency is one connection per request in flight.
 * Connections, their read buffer, request buffer, response parser and
 * inflate state are kept and reused, so a steady stream of exchanges on
 * kept-alive connections allocates nothing.
 *
 * The TCP peer, the TLS server name and the Host header are independent
 * (domain fronting): the pool dials ht_connect, sends ht_sni in the TLS
 * ClientHello and verifies the certificate against it, and each request
 * carries its own Host header.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ev.h>
#include <tls.h>

#include "httpc.h"
#include "txpace.h"

#define HTTPC_RBUF		(64 * 1024)

enum httpc_cstate {
	CS_CONNECTING = 0,
	CS_HANDSHAKE,
	CS_WRITING,
	CS_READING,
	CS_DONE,		/* response handed to the callback */
	CS_IDLE
};

struct httpc_call;

struct httpc_conn {
	TAILQ_ENTRY(httpc_conn)	 c_entry;	/* pool's idle list */
	struct httpc_pool	*c_pool;
	struct httpc_call	*c_call;
	struct txpace_conn	 c_pace;	/* exchange rate (post.c) */
	int			 c_fd;
	struct tls		*c_tls;
	enum httpc_cstate	 c_state;
	int			 c_reused;	/* served an exchange before */
	int			 c_events;
	ev_io			 c_io;
	ev_timer		 c_timer;	/* connect or idle limit */
	struct wbuf		 c_out;		/* request head + body */
	size_t			 c_off;
	struct httpc_rparse	*c_rp;
	uint8_t			 c_rbuf[HTTPC_RBUF];
};

struct httpc_call {
	TAILQ_ENTRY(httpc_call)	 k_entry;	/* pool's active/free list */
	struct httpc_pool	*k_pool;
	struct httpc_conn	*k_conn;
	httpc_cb		 k_cb;
	void			*k_arg;
	ev_timer		 k_timer;	/* whole exchange; or async fail */
	int			 k_active;
	int			 k_retried;
	int			 k_sent;
	int			 k_perr;	/* pending error (async start) */
	char			 k_err[1024];
};

TAILQ_HEAD(httpc_conns, httpc_conn);
TAILQ_HEAD(httpc_calls, httpc_call);

struct httpc_pool {
	struct ev_loop		*p_loop;
	struct httpc_target	 p_target;
	struct tls_config	*p_tlscfg;
	size_t			 p_maxidle;
	size_t			 p_maxbody;
	double			 p_ctimeout;
	double			 p_itimeout;
	unsigned		 p_deadms;	/* dead_host_timeout_ms */
	struct httpc_conns	 p_idle;
	size_t			 p_nidle;
	struct httpc_calls	 p_calls;
	size_t			 p_ncalls;
	struct httpc_calls	 p_free;
	struct sockaddr_storage	 p_addr;
	socklen_t		 p_addrlen;
	unsigned		 p_aidx;	/* which ht_connect address */
	int			 p_incb;	/* callbacks running */
	int			 p_dying;	/* free once p_incb == 0 */
	uint64_t		 p_redials;	/* requests sent again */
	char			 p_name[600];	/* "sni (ip:port)" for errors */
};

static void	httpc_conn_io(struct ev_loop *, ev_io *, int);
static void	httpc_conn_timer(struct ev_loop *, ev_timer *, int);
static void	httpc_call_timer(struct ev_loop *, ev_timer *, int);
static void	httpc_conn_close(struct httpc_conn *);
static void	httpc_conn_step(struct httpc_conn *);
static void	httpc_call_fail(struct httpc_call *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	httpc_call_attach(struct httpc_call *, struct httpc_conn *);
static void	httpc_pool_destroy(struct httpc_pool *);

uint64_t
httpc_pool_redials(const struct httpc_pool *p)
{
	return (p->p_redials);
}

const char *
httpc_err_str(int err)
{
	switch (err) {
	case HTTPC_OK:
		return ("ok");
	case HTTPC_ERR_CONNECT:
		return ("connect");
	case HTTPC_ERR_TLS:
		return ("tls");
	case HTTPC_ERR_TIMEOUT:
		return ("timeout");
	case HTTPC_ERR_IO:
		return ("io");
	case HTTPC_ERR_PROTO:
		return ("protocol");
	case HTTPC_ERR_TOOBIG:
		return ("too big");
	case HTTPC_ERR_OFFLINE:
		return ("offline");
	}
	return ("unknown");
}

/* Errors that mean this host has no usable network, not a bad peer. */
static int
httpc_errno_class(int e)
{
	switch (e) {
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
#ifdef EHOSTDOWN
	case EHOSTDOWN:
#endif
		return (HTTPC_ERR_OFFLINE);
	}
	return (HTTPC_ERR_CONNECT);
}

static void
httpc_conn_want(struct httpc_conn *c, int events)
{
	if (c->c_events == events && ev_is_active(&c->c_io))
		return;
	ev_io_stop(c->c_pool->p_loop, &c->c_io);
	ev_io_set(&c->c_io, c->c_fd, events);
	c->c_events = events;
	ev_io_start(c->c_pool->p_loop, &c->c_io);
}

/*
 * ht_connect is one or more numeric addresses, space-separated, in the
 * order to try them; p_aidx picks one.  Host names were resolved by the
 * supervisor (supervisor/resolve.c): this sandbox cannot, and a name
 * is refused here rather than handed to getaddrinfo.
 */
static int
httpc_pool_resolve(struct httpc_pool *p, char *err, size_t errlen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&p->p_addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&p->p_addr;
	char			 one[INET6_ADDRSTRLEN];
	const char		*s = p->p_target.ht_connect;
	unsigned		 i, n = 0;
	size_t			 len;

	if (p->p_addrlen != 0)
		return (0);
	for (i = 0; s[strspn(s, " ")] != '\0'; i++) {
		s += strspn(s, " ");
		s += strcspn(s, " ");
	}
	if (i == 0) {
		snprintf(err, errlen, "no address to dial");
		return (-1);
	}
	s = p->p_target.ht_connect;
	for (n = p->p_aidx % i;; n--) {
		s += strspn(s, " ");
		if (n == 0)
			break;
		s += strcspn(s, " ");
	}
	len = strcspn(s, " ");
	memset(&p->p_addr, 0, sizeof(p->p_addr));
	if (len < sizeof(one)) {
		memcpy(one, s, len);
		one[len] = '\0';
		if (inet_pton(AF_INET, one, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(p->p_target.ht_port);
			p->p_addrlen = sizeof(*sin);
			return (0);
		}
		if (inet_pton(AF_INET6, one, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(p->p_target.ht_port);
			p->p_addrlen = sizeof(*sin6);
			return (0);
		}
	}
	snprintf(err, errlen, "%.*s is not a numeric address (host names "
	    "are resolved by gooserelayd when it loads the configuration)",
	    (int)(len > 200 ? 200 : len), s);
	return (-1);
}

/* A dial failed: the next address of ht_connect, if it has several. */
static void
httpc_pool_next_addr(struct httpc_pool *p)
{
	if (strchr(p->p_target.ht_connect, ' ') == NULL)
		return;
	p->p_aidx++;
	p->p_addrlen = 0;
}

void
httpc_pool_set_connect(struct httpc_pool *p, const char *connect)
{
	if (connect == NULL || connect[0] == '\0' ||
	    strcmp(connect, p->p_target.ht_connect) == 0)
		return;
	snprintf(p->p_target.ht_connect, sizeof(p->p_target.ht_connect),
	    "%s", connect);
	p->p_aidx = 0;
	p->p_addrlen = 0;
	httpc_pool_flush(p);
}

static struct httpc_conn *
httpc_conn_new(struct httpc_pool *p)
{
	struct httpc_conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->c_rp = httpc_rparse_new(p->p_maxbody)) == NULL) {
		free(c);
		return (NULL);
	}
	c->c_pool = p;
	c->c_fd = -1;
	ev_init(&c->c_io, httpc_conn_io);
	c->c_io.data = c;
	ev_init(&c->c_timer, httpc_conn_timer);
	c->c_timer.data = c;
	return (c);
}

/* Start dialing; on failure fills err and returns the HTTPC_ERR class. */
static int
httpc_conn_dial(struct httpc_conn *c, char *err, size_t errlen)
{
	struct httpc_pool	*p = c->c_pool;
	int			 one = 1, e;

	if (httpc_pool_resolve(p, err, errlen) == -1)
		return (HTTPC_ERR_OFFLINE);
	c->c_fd = socket(p->p_addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->c_fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (HTTPC_ERR_CONNECT);
	}
	setsockopt(c->c_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->c_fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	httpc_dead_host_opts(c->c_fd, p->p_deadms, 1);
	if (connect(c->c_fd, (struct sockaddr *)&p->p_addr, p->p_addrlen) ==
	    -1 && errno != EINPROGRESS) {
		e = errno;
		httpc_pool_next_addr(p);
		snprintf(err, errlen, "connect to %s: %s", p->p_name,
		    strerror(e));
		return (httpc_errno_class(e));
	}
	if (p->p_target.ht_tls) {
		if ((c->c_tls = tls_client()) == NULL) {
			snprintf(err, errlen, "tls_client failed");
			return (HTTPC_ERR_TLS);
		}
		if (tls_configure(c->c_tls, p->p_tlscfg) == -1 ||
		    tls_connect_socket(c->c_tls, c->c_fd,
		    p->p_target.ht_sni) == -1) {
			snprintf(err, errlen, "TLS setup for %s: %s",
			    p->p_name, tls_error(c->c_tls));
			return (HTTPC_ERR_TLS);
		}
	}
	c->c_state = CS_CONNECTING;
	httpc_conn_want(c, EV_WRITE);
	ev_timer_set(&c->c_timer, p->p_ctimeout, 0.);
	ev_timer_start(p->p_loop, &c->c_timer);
	return (HTTPC_OK);
}

static void
httpc_conn_close(struct httpc_conn *c)
{
	struct httpc_pool	*p = c->c_pool;

	if (c->c_state == CS_IDLE) {
		TAILQ_REMOVE(&p->p_idle, c, c_entry);
		p->p_nidle--;
	}
	ev_io_stop(p->p_loop, &c->c_io);
	ev_timer_stop(p->p_loop, &c->c_timer);
	if (c->c_tls != NULL) {
		/* Best effort close_notify; never wait for the peer. */
		if (c->c_state >= CS_WRITING)
			(void)tls_close(c->c_tls);
		tls_free(c->c_tls);
	}
	if (c->c_fd != -1)
		close(c->c_fd);
	httpc_rparse_free(c->c_rp);
	wbuf_free(&c->c_out);
	free(c);
}

static void
httpc_conn_idle(struct httpc_conn *c)
{
	struct httpc_pool	*p = c->c_pool;

	if (p->p_dying || p->p_nidle >= p->p_maxidle) {
		httpc_conn_close(c);
		return;
	}
	c->c_call = NULL;
	c->c_state = CS_IDLE;
	c->c_reused = 1;
	TAILQ_INSERT_HEAD(&p->p_idle, c, c_entry);
	p->p_nidle++;
	/* Watch for the server closing it while it waits. */
	httpc_conn_want(c, EV_READ);
	ev_timer_stop(p->p_loop, &c->c_timer);
	ev_timer_set(&c->c_timer, p->p_itimeout, 0.);
	ev_timer_start(p->p_loop, &c->c_timer);
}

static void
httpc_call_release(struct httpc_call *k)
{
	struct httpc_pool	*p = k->k_pool;

	ev_timer_stop(p->p_loop, &k->k_timer);
	if (k->k_active) {
		TAILQ_REMOVE(&p->p_calls, k, k_entry);
		p->p_ncalls--;
		k->k_active = 0;
		TAILQ_INSERT_HEAD(&p->p_free, k, k_entry);
	}
	k->k_conn = NULL;
}

static void
httpc_pool_leave_cb(struct httpc_pool *p)
{
	if (--p->p_incb == 0 && p->p_dying)
		httpc_pool_destroy(p);
}

static void
httpc_call_fail(struct httpc_call *k, int err, const char *fmt, ...)
{
	struct httpc_pool	*p = k->k_pool;
	struct httpc_conn	*c = k->k_conn, *nc;
	va_list			 ap;
	int			 retry, r, e = errno;

	va_start(ap, fmt);
	vsnprintf(k->k_err, sizeof(k->k_err), fmt, ap);
	va_end(ap);

	/*
	 * A kept-alive connection the server closed before answering: the
	 * request was not acted on, so try once more on a fresh connection.
	 */
	retry = 0;
	if (c != NULL && c->c_reused && !k->k_retried && !p->p_dying &&
	    httpc_rparse_seen(c->c_rp) == 0 &&
	    (err == HTTPC_ERR_IO || err == HTTPC_ERR_TLS) && e != ETIMEDOUT)
		retry = 1;
	/*
	 * ETIMEDOUT: the host acknowledged nothing for dead_host_timeout_ms
	 * (failover.c), which a fresh connection would wait out again.
	 */
	if (c != NULL) {
		c->c_call = NULL;
		if (retry && (nc = httpc_conn_new(p)) != NULL) {
			/* The request bytes move to the new connection. */
			nc->c_out = c->c_out;
			memset(&c->c_out, 0, sizeof(c->c_out));
			httpc_conn_close(c);
			k->k_conn = NULL;
			k->k_retried = 1;
			k->k_sent = 0;
			p->p_redials++;
			r = httpc_conn_dial(nc, k->k_err, sizeof(k->k_err));
			if (r == HTTPC_OK) {
				httpc_call_attach(k, nc);
				return;
			}
			err = r;
			httpc_conn_close(nc);
		} else
			httpc_conn_close(c);
		k->k_conn = NULL;
	}
	httpc_call_release(k);
	p->p_incb++;
	k->k_cb(k, err, k->k_err, k->k_sent, NULL, k->k_arg);
	httpc_pool_leave_cb(p);
}

static void
httpc_call_done(struct httpc_call *k)
{
	struct httpc_pool	*p = k->k_pool;
	struct httpc_conn	*c = k->k_conn;
	int			 keep;

	keep = httpc_rparse_keepalive(c->c_rp);
	c->c_state = CS_DONE;
	c->c_call = NULL;
	ev_io_stop(p->p_loop, &c->c_io);
	httpc_call_release(k);
	/* The connection is out of every list while the callback runs. */
	p->p_incb++;
	httpc_rparse_resp(c->c_rp)->hs_fd = c->c_fd;
	httpc_rparse_resp(c->c_rp)->hs_pace = &c->c_pace;
	k->k_cb(k, HTTPC_OK, NULL, 1, httpc_rparse_resp(c->c_rp), k->k_arg);
	if (keep && !p->p_dying)
		httpc_conn_idle(c);
	else
		httpc_conn_close(c);
	httpc_pool_leave_cb(p);
}

/* Read what is there; returns 1 when the call was finished (or failed). */
static int
httpc_conn_read(struct httpc_conn *c)
{
	struct httpc_call	*k = c->c_call;
	const char		*es;
	ssize_t			 n;
	size_t			 used;
	int			 r, err;

	for (;;) {
		if (c->c_tls != NULL) {
			n = tls_read(c->c_tls, c->c_rbuf, sizeof(c->c_rbuf));
			if (n == TLS_WANT_POLLIN) {
				httpc_conn_want(c, EV_READ);
				return (0);
			}
			if (n == TLS_WANT_POLLOUT) {
				httpc_conn_want(c, EV_WRITE);
				return (0);
			}
			if (n == -1) {
				httpc_call_fail(k, HTTPC_ERR_IO,
				    "TLS read from %s: %s", c->c_pool->p_name,
				    tls_error(c->c_tls));
				return (1);
			}
		} else {
			n = recv(c->c_fd, c->c_rbuf, sizeof(c->c_rbuf), 0);
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR) {
					httpc_conn_want(c, EV_READ);
					return (0);
				}
				httpc_call_fail(k, HTTPC_ERR_IO,
				    "read from %s: %s", c->c_pool->p_name,
				    strerror(errno));
				return (1);
			}
		}
		if (n == 0) {
			if (httpc_rparse_eof(c->c_rp, &err, &es) == 1) {
				httpc_call_done(k);
				return (1);
			}
			httpc_call_fail(k, err, "%s: %s", c->c_pool->p_name,
			    es);
			return (1);
		}
		r = httpc_rparse_feed(c->c_rp, c->c_rbuf, n, &used, &err,
		    &es);
		if (r == -1) {
			httpc_call_fail(k, err, "%s: %s", c->c_pool->p_name,
			    es);
			return (1);
		}
		if (r == 1) {
			/* Extra bytes after the response: do not reuse. */
			if (used != (size_t)n)
				httpc_rparse_nokeep(c->c_rp);
			httpc_call_done(k);
			return (1);
		}
	}
}

static void
httpc_conn_step(struct httpc_conn *c)
{
	struct httpc_pool	*p = c->c_pool;
	struct httpc_call	*k = c->c_call;
	socklen_t		 sl;
	ssize_t			 n;
	int			 e, r;

	switch (c->c_state) {
	case CS_CONNECTING:
		e = 0;
		sl = sizeof(e);
		if (getsockopt(c->c_fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
			e = errno;
		if (e != 0) {
			httpc_pool_next_addr(p);
			httpc_call_fail(k, httpc_errno_class(e),
			    "connect to %s: %s", p->p_name, strerror(e));
			return;
		}
		if (c->c_tls == NULL) {
			ev_timer_stop(p->p_loop, &c->c_timer);
			c->c_state = CS_WRITING;
			goto writing;
		}
		c->c_state = CS_HANDSHAKE;
		/* FALLTHROUGH */
	case CS_HANDSHAKE:
		r = tls_handshake(c->c_tls);
		if (r == TLS_WANT_POLLIN) {
			httpc_conn_want(c, EV_READ);
			return;
		}
		if (r == TLS_WANT_POLLOUT) {
			httpc_conn_want(c, EV_WRITE);
			return;
		}
		if (r == -1) {
			httpc_call_fail(k, HTTPC_ERR_TLS,
			    "TLS handshake with %s: %s", p->p_name,
			    tls_error(c->c_tls));
			return;
		}
		ev_timer_stop(p->p_loop, &c->c_timer);
		c->c_state = CS_WRITING;
		/* FALLTHROUGH */
	case CS_WRITING:
 writing:
		while (c->c_off < c->c_out.wb_len) {
			if (c->c_tls != NULL) {
				n = tls_write(c->c_tls,
				    c->c_out.wb_data + c->c_off,
				    c->c_out.wb_len - c->c_off);
				if (n == TLS_WANT_POLLOUT) {
					httpc_conn_want(c, EV_WRITE);
					return;
				}
				if (n == TLS_WANT_POLLIN) {
					httpc_conn_want(c, EV_READ);
					return;
				}
				if (n == -1) {
					httpc_call_fail(k, HTTPC_ERR_IO,
					    "TLS write to %s: %s", p->p_name,
					    tls_error(c->c_tls));
					return;
				}
			} else {
				n = send(c->c_fd, c->c_out.wb_data + c->c_off,
				    c->c_out.wb_len - c->c_off, MSG_NOSIGNAL);
				if (n == -1) {
					if (errno == EAGAIN || errno == EINTR) {
						httpc_conn_want(c, EV_WRITE);
						return;
					}
					httpc_call_fail(k, HTTPC_ERR_IO,
					    "write to %s: %s", p->p_name,
					    strerror(errno));
					return;
				}
			}
			c->c_off += n;
		}
		k->k_sent = 1;
		c->c_state = CS_READING;
		/* FALLTHROUGH */
	case CS_READING:
		(void)httpc_conn_read(c);
		return;
	case CS_IDLE:
		/* Readable while idle: EOF, junk or a TLS ticket. */
		if (c->c_tls != NULL) {
			n = tls_read(c->c_tls, c->c_rbuf, sizeof(c->c_rbuf));
			if (n == TLS_WANT_POLLIN)
				return;
		}
		httpc_conn_close(c);
		return;
	case CS_DONE:
		return;
	}
}

static void
httpc_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	httpc_conn_step(w->data);
}

static void
httpc_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpc_conn	*c = w->data;
	struct httpc_pool	*p = c->c_pool;

	(void)loop;
	(void)revents;
	if (c->c_state == CS_IDLE) {
		httpc_conn_close(c);
		return;
	}
	/* Dial or handshake too slow: the path, not the peer (4.4). */
	if (c->c_state == CS_HANDSHAKE)
		httpc_call_fail(c->c_call, HTTPC_ERR_OFFLINE,
		    "TLS handshake timeout with %s", p->p_name);
	else if (c->c_state == CS_CONNECTING) {
		httpc_pool_next_addr(p);
		httpc_call_fail(c->c_call, HTTPC_ERR_OFFLINE,
		    "connect timeout to %s", p->p_name);
	}
}

static void
httpc_call_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpc_call	*k = w->data;
	struct httpc_conn	*c = k->k_conn;

	(void)loop;
	(void)revents;
	if (k->k_perr != HTTPC_OK) {
		/* An error found while starting, reported asynchronously. */
		int e = k->k_perr;
		char msg[sizeof(k->k_err)];

		k->k_perr = HTTPC_OK;
		/* Not k_err itself: httpc_call_fail formats into it. */
		snprintf(msg, sizeof(msg), "%s", k->k_err);
		httpc_call_fail(k, e, "%s", msg);
		return;
	}
	if (c != NULL && c->c_state == CS_HANDSHAKE)
		httpc_call_fail(k, HTTPC_ERR_TIMEOUT,
		    "timeout during the TLS handshake with %s",
		    k->k_pool->p_name);
	else if (c != NULL && c->c_state == CS_CONNECTING)
		httpc_call_fail(k, HTTPC_ERR_TIMEOUT,
		    "timeout connecting to %s", k->k_pool->p_name);
	else
		httpc_call_fail(k, HTTPC_ERR_TIMEOUT,
		    "no complete response from %s in time",
		    k->k_pool->p_name);
}

static int
httpc_call_attach(struct httpc_call *k, struct httpc_conn *c)
{
	k->k_conn = c;
	c->c_call = k;
	c->c_off = 0;
	httpc_rparse_reset(c->c_rp);
	if (c->c_state == CS_IDLE) {
		TAILQ_REMOVE(&c->c_pool->p_idle, c, c_entry);
		c->c_pool->p_nidle--;
		ev_timer_stop(c->c_pool->p_loop, &c->c_timer);
		c->c_state = CS_WRITING;
		httpc_conn_want(c, EV_WRITE);
	}
	return (0);
}

static int
httpc_build(struct wbuf *out, const struct httpc_req *req)
{
	char	 head[4096];
	int	 n;

	wbuf_reset(out);
	n = snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: gooserelayd\r\n"
	    "Connection: keep-alive\r\n"
	    "%s",
	    req->hr_method, req->hr_path, req->hr_host,
	    req->hr_accept_gzip ? "Accept-Encoding: gzip\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return (-1);
	if (wbuf_append(out, head, n) == -1)
		return (-1);
	if (req->hr_body != NULL || strcmp(req->hr_method, "GET") != 0) {
		n = snprintf(head, sizeof(head),
		    "%s%s%sContent-Length: %zu\r\n",
		    req->hr_ctype ? "Content-Type: " : "",
		    req->hr_ctype ? req->hr_ctype : "",
		    req->hr_ctype ? "\r\n" : "", req->hr_bodylen);
		if (n < 0 || (size_t)n >= sizeof(head) ||
		    wbuf_append(out, head, n) == -1)
			return (-1);
	}
	if (wbuf_append(out, "\r\n", 2) == -1)
		return (-1);
	if (req->hr_bodylen > 0 &&
	    wbuf_append(out, req->hr_body, req->hr_bodylen) == -1)
		return (-1);
	return (0);
}

static int
httpc_token_ok(const char *s, size_t max)
{
	size_t	 i;

	/* No CR, LF or NUL tricks in what goes into the request head. */
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || i >= max)
			return (0);
	return (i > 0);
}

struct httpc_call *
httpc_request(struct httpc_pool *p, const struct httpc_req *req,
    httpc_cb cb, void *arg)
{
	struct httpc_call	*k;
	struct httpc_conn	*c;
	int			 r;

	if (p->p_dying || req->hr_method == NULL || req->hr_host == NULL ||
	    req->hr_path == NULL || !httpc_token_ok(req->hr_method, 16) ||
	    !httpc_token_ok(req->hr_host, 255) ||
	    !httpc_token_ok(req->hr_path, 2048) ||
	    (req->hr_ctype != NULL && strpbrk(req->hr_ctype, "\r\n")))
		return (NULL);
	if ((k = TAILQ_FIRST(&p->p_free)) != NULL)
		TAILQ_REMOVE(&p->p_free, k, k_entry);
	else if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	k->k_pool = p;
	k->k_conn = NULL;
	k->k_cb = cb;
	k->k_arg = arg;
	k->k_retried = 0;
	k->k_sent = 0;
	k->k_perr = HTTPC_OK;
	k->k_err[0] = '\0';
	ev_init(&k->k_timer, httpc_call_timer);
	k->k_timer.data = k;

	if ((c = TAILQ_FIRST(&p->p_idle)) == NULL &&
	    (c = httpc_conn_new(p)) == NULL) {
		TAILQ_INSERT_HEAD(&p->p_free, k, k_entry);
		return (NULL);
	}
	if (httpc_build(&c->c_out, req) == -1) {
		if (c->c_state != CS_IDLE)
			httpc_conn_close(c);
		TAILQ_INSERT_HEAD(&p->p_free, k, k_entry);
		return (NULL);
	}
	k->k_active = 1;
	TAILQ_INSERT_TAIL(&p->p_calls, k, k_entry);
	p->p_ncalls++;
	if (c->c_state == CS_IDLE)
		httpc_call_attach(k, c);
	else {
		k->k_conn = c;
		c->c_call = k;
		c->c_off = 0;
		r = httpc_conn_dial(c, k->k_err, sizeof(k->k_err));
		if (r != HTTPC_OK) {
			/* Report it from the loop, never from in here. */
			k->k_perr = r;
			ev_timer_set(&k->k_timer, 0., 0.);
			ev_timer_start(p->p_loop, &k->k_timer);
			return (k);
		}
	}
	if (req->hr_timeout > 0) {
		ev_timer_set(&k->k_timer, req->hr_timeout, 0.);
		ev_timer_start(p->p_loop, &k->k_timer);
	}
	return (k);
}

void
httpc_cancel(struct httpc_call *k)
{
	if (k == NULL || !k->k_active)
		return;
	if (k->k_conn != NULL) {
		k->k_conn->c_call = NULL;
		httpc_conn_close(k->k_conn);
	}
	httpc_call_release(k);
}

struct httpc_pool *
httpc_pool_new(struct ev_loop *loop, const struct httpc_target *t,
    struct tls_config *cfg, size_t maxidle, size_t maxbody)
{
	struct httpc_pool	*p;

	if (t->ht_tls && cfg == NULL)
		return (NULL);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->p_loop = loop;
	p->p_target = *t;
	p->p_target.ht_connect[sizeof(p->p_target.ht_connect) - 1] = '\0';
	p->p_target.ht_sni[sizeof(p->p_target.ht_sni) - 1] = '\0';
	p->p_tlscfg = cfg;
	p->p_maxidle = maxidle;
	p->p_maxbody = maxbody;
	p->p_ctimeout = 15.;
	p->p_itimeout = 90.;
	TAILQ_INIT(&p->p_idle);
	TAILQ_INIT(&p->p_calls);
	TAILQ_INIT(&p->p_free);
	if (t->ht_tls)
		snprintf(p->p_name, sizeof(p->p_name), "%s (%s:%u)",
		    p->p_target.ht_sni, p->p_target.ht_connect, t->ht_port);
	else
		snprintf(p->p_name, sizeof(p->p_name), "%s:%u",
		    p->p_target.ht_connect, t->ht_port);
	return (p);
}

void
httpc_pool_set_timeouts(struct httpc_pool *p, double connect, double idle)
{
	if (connect > 0)
		p->p_ctimeout = connect;
	if (idle > 0)
		p->p_itimeout = idle;
}

/*
 * A host that acknowledges nothing for ms ends the connection (failover.c
 * says why): TCP_USER_TIMEOUT, which Linux applies to connect() too, and
 * with keepalive, probes after ms of silence one second apart, so a held
 * long poll on a host that died is noticed as well.  0: the kernel's.
 */
void
httpc_dead_host_opts(int fd, unsigned ms, int keepalive)
{
	int	 v, one = 1;

	if (ms == 0)
		return;
#ifdef TCP_USER_TIMEOUT
	v = (int)ms;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v));
#endif
	if (!keepalive)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL)
	v = ms < 1000 ? 1 : (int)(ms / 1000);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof(one));
#endif
}

void
httpc_pool_set_dead_host(struct httpc_pool *p, unsigned ms)
{
	p->p_deadms = ms;
}

void
httpc_pool_flush(struct httpc_pool *p)
{
	struct httpc_conn	*c;

	while ((c = TAILQ_FIRST(&p->p_idle)) != NULL)
		httpc_conn_close(c);
}

const struct httpc_target *
httpc_pool_target(const struct httpc_pool *p)
{
	return (&p->p_target);
}

size_t
httpc_pool_active(const struct httpc_pool *p)
{
	return (p->p_ncalls);
}

size_t
httpc_pool_idle(const struct httpc_pool *p)
{
	return (p->p_nidle);
}

static void
httpc_pool_destroy(struct httpc_pool *p)
{
	struct httpc_call	*k;

	while ((k = TAILQ_FIRST(&p->p_calls)) != NULL)
		httpc_cancel(k);
	httpc_pool_flush(p);
	while ((k = TAILQ_FIRST(&p->p_free)) != NULL) {
		TAILQ_REMOVE(&p->p_free, k, k_entry);
		free(k);
	}
	free(p);
}

void
httpc_pool_free(struct httpc_pool *p)
{
	struct httpc_call	*k;

	if (p == NULL)
		return;
	if (p->p_incb > 0) {
		/* Inside one of our callbacks: finish when it returns. */
		p->p_dying = 1;
		while ((k = TAILQ_FIRST(&p->p_calls)) != NULL)
			httpc_cancel(k);
		httpc_pool_flush(p);
		return;
	}
	httpc_pool_destroy(p);
}
