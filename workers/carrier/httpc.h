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

struct httpc_resp {
	int		 hs_status;
	char		 hs_ctype[128];
	char		 hs_location[2048];	/* for 3xx */
	struct wbuf	 hs_body;		/* decoded (de-chunked, gunzipped) */
	int		 hs_fd;			/* socket (TCP_INFO) or -1 */
	struct txpace_conn *hs_pace;		/* its exchange snapshot */
};

/* Failure classes for err in the callback. */
#define HTTPC_OK		0
#define HTTPC_ERR_CONNECT	1	/* dial failed (errno-like detail) */
#define HTTPC_ERR_TLS		2	/* handshake / verify failed */
#define HTTPC_ERR_TIMEOUT	3
#define HTTPC_ERR_IO		4	/* reset, EOF mid-response */
#define HTTPC_ERR_PROTO		5	/* unparsable response */
#define HTTPC_ERR_TOOBIG	6	/* body over the cap */
#define HTTPC_ERR_OFFLINE	7	/* ENETUNREACH & co: local network */

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

/*
 * The response parser on its own, without sockets (httpc_rparse.c): used
 * by the client and exposed for unit tests and the fuzz harness.  Feed
 * bytes as they arrive; httpc_rparse_feed returns 1 when a whole response
 * was parsed, 0 when it needs more, -1 on error (*err = HTTPC_ERR_*,
 * *errstr static).  At EOF call httpc_rparse_eof (a body delimited by EOF
 * ends there).
 */
struct httpc_rparse;
struct httpc_rparse *httpc_rparse_new(size_t maxbody);
void		 httpc_rparse_free(struct httpc_rparse *);
void		 httpc_rparse_reset(struct httpc_rparse *);
int		 httpc_rparse_feed(struct httpc_rparse *, const uint8_t *,
		    size_t, size_t *used, int *err, const char **errstr);
int		 httpc_rparse_eof(struct httpc_rparse *, int *err,
		    const char **errstr);
struct httpc_resp *httpc_rparse_resp(struct httpc_rparse *);
int		 httpc_rparse_keepalive(const struct httpc_rparse *);
void		 httpc_rparse_nokeep(struct httpc_rparse *);
size_t		 httpc_rparse_seen(const struct httpc_rparse *);

#endif /* GR_HTTPC_H */
