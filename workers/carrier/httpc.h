/*
 * HTTP/1.1 client for the carrier's POST transports, on libev: plain TCP
 * (direct_post) or libtls (direct_post over https, and the domain-fronted
 * Apps Script path where the TCP peer, the TLS SNI and the Host header are
 * three different names).  Keep-alive pool per target, Content-Length and
 * chunked responses (nodejs http-parser), gzip bodies decoded, timeouts.
 */
#ifndef GR_HTTPC_H
#define GR_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "httpc_rparse.h"
#include "wire.h"

struct ev_loop;
struct tls_config;
struct txpace_conn;

struct httpc_target {
	int		 ht_tls;		/* 0 = plain TCP */
	char		 ht_connect[256];	/* host or IP to dial */
	uint16_t	 ht_port;
	char		 ht_sni[256];		/* TLS server name */
};

struct httpc_req {
	const char	*hr_method;		/* "POST" or "GET" */
	const char	*hr_host;		/* Host header */
	const char	*hr_path;		/* "/tunnel", "/macros/s/ID/exec" */
	const char	*hr_ctype;		/* request Content-Type or NULL */
	const uint8_t	*hr_body;
	size_t		 hr_bodylen;
	double		 hr_timeout;		/* seconds, whole exchange */
	int		 hr_accept_gzip;	/* send Accept-Encoding: gzip */
};

struct httpc_pool;
struct httpc_call;

/*
 * Done: err == HTTPC_OK and resp filled, or err != 0 and errstr set.
 * sent says whether the request body was fully written (for rollback vs
 * abort decisions).  resp is valid only during the callback.
 */
typedef void	(*httpc_cb)(struct httpc_call *, int err, const char *errstr,
		    int sent, struct httpc_resp *resp, void *arg);

struct httpc_pool *httpc_pool_new(struct ev_loop *, const struct httpc_target *,
		    struct tls_config *, size_t maxidle, size_t maxbody);
void		 httpc_pool_free(struct httpc_pool *);
struct httpc_call *httpc_request(struct httpc_pool *, const struct httpc_req *,
		    httpc_cb, void *arg);
void		 httpc_cancel(struct httpc_call *);	/* no callback after */

/* Additions (fronted engineer): */

/* Dial + TLS handshake limit (default 15 s) and idle keep-alive (90 s). */
void		 httpc_pool_set_timeouts(struct httpc_pool *, double connect,
		    double idle);
/* dead_host_timeout_ms for the pool's connections; 0: the kernel's. */
void		 httpc_pool_set_dead_host(struct httpc_pool *, unsigned ms);
/* TCP_USER_TIMEOUT (and keepalive) on one socket, as the pool does. */
void		 httpc_dead_host_opts(int fd, unsigned ms, int keepalive);
/* Close every idle keep-alive connection (e.g. after a network change). */
void		 httpc_pool_flush(struct httpc_pool *);
const struct httpc_target *httpc_pool_target(const struct httpc_pool *);
/* New addresses to dial (a reload after a DNS change); flushes idle. */
void		 httpc_pool_set_connect(struct httpc_pool *, const char *);
/* Requests in flight / idle connections held (stats, tests). */
size_t		 httpc_pool_active(const struct httpc_pool *);
size_t		 httpc_pool_idle(const struct httpc_pool *);
/*
 * Requests sent again on a fresh connection because the server closed a
 * kept-alive one under them (it may have restarted: liveness.c).
 */
uint64_t	 httpc_pool_redials(const struct httpc_pool *);
const char	*httpc_err_str(int);

#endif /* GR_HTTPC_H */
