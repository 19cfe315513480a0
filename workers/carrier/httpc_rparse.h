/*
 * The HTTP/1.1 response parser of httpc.c on its own, without sockets
 * (httpc_rparse.c): the response it yields and the failure classes it
 * shares with the client.
 */
#ifndef GR_HTTPC_RPARSE_H
#define GR_HTTPC_RPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct txpace_conn;

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

/*
 * The parser: used by the client, the unit tests and the fuzz harness.
 * Feed bytes as they arrive; httpc_rparse_feed returns 1 when a whole
 * response was parsed, 0 when it needs more, -1 on error (*err =
 * HTTPC_ERR_*, *errstr static).  At EOF call httpc_rparse_eof (a body
 * delimited by EOF ends there).
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

#endif /* GR_HTTPC_RPARSE_H */
