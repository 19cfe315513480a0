/*
 * The HTTP/1.1 response parser of httpc.c, without sockets (nodejs
 * http-parser): status, the headers the POST transports read
 * (Content-Type, Location, Content-Encoding), Content-Length, chunked and
 * EOF-delimited bodies, gzip decoded as it arrives, a body cap.  The
 * client feeds it what a connection reads; unit tests and the fuzz
 * harness (regress/fuzz/fuzz_http_resp.c) feed it bytes directly.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <zlib.h>

#include "httpc_rparse.h"

#define HTTPC_MAX_HEADER	(32 * 1024)	/* response head bytes */
#define HTTPC_ZCHUNK		(64 * 1024)

enum httpc_hdr {
	HH_NONE = 0,
	HH_CTYPE,
	HH_LOCATION,
	HH_CENC
};

struct httpc_rparse {
	http_parser	 rp_parser;
	struct httpc_resp rp_resp;
	size_t		 rp_maxbody;
	size_t		 rp_seen;		/* bytes fed since reset */
	char		 rp_field[24];		/* current header name */
	size_t		 rp_flen;
	int		 rp_invalue;		/* last callback was a value */
	enum httpc_hdr	 rp_which;
	size_t		 rp_vlen;
	char		 rp_cenc[32];
	int		 rp_gzip;
	int		 rp_zinit;
	int		 rp_zend;		/* gzip stream complete */
	z_stream	 rp_z;
	int		 rp_done;
	int		 rp_keepalive;
	int		 rp_err;
	const char	*rp_errstr;
};

static int	httpc_rparse_on_begin(http_parser *);
static int	httpc_rparse_on_field(http_parser *, const char *, size_t);
static int	httpc_rparse_on_value(http_parser *, const char *, size_t);
static int	httpc_rparse_on_headers(http_parser *);
static int	httpc_rparse_on_body(http_parser *, const char *, size_t);
static int	httpc_rparse_on_complete(http_parser *);

static const http_parser_settings httpc_rparse_settings = {
	.on_message_begin = httpc_rparse_on_begin,
	.on_header_field = httpc_rparse_on_field,
	.on_header_value = httpc_rparse_on_value,
	.on_headers_complete = httpc_rparse_on_headers,
	.on_body = httpc_rparse_on_body,
	.on_message_complete = httpc_rparse_on_complete,
};

static int
httpc_rparse_fail(struct httpc_rparse *rp, int err, const char *errstr)
{
	if (rp->rp_err == 0) {
		rp->rp_err = err;
		rp->rp_errstr = errstr;
	}
	return (-1);
}

struct httpc_rparse *
httpc_rparse_new(size_t maxbody)
{
	struct httpc_rparse	*rp;

	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return (NULL);
	rp->rp_maxbody = maxbody;
	httpc_rparse_reset(rp);
	return (rp);
}

void
httpc_rparse_free(struct httpc_rparse *rp)
{
	if (rp == NULL)
		return;
	if (rp->rp_zinit)
		inflateEnd(&rp->rp_z);
	wbuf_free(&rp->rp_resp.hs_body);
	free(rp);
}

void
httpc_rparse_reset(struct httpc_rparse *rp)
{
	http_parser_init(&rp->rp_parser, HTTP_RESPONSE);
	rp->rp_parser.data = rp;
	rp->rp_resp.hs_status = 0;
	rp->rp_resp.hs_ctype[0] = '\0';
	rp->rp_resp.hs_location[0] = '\0';
	rp->rp_resp.hs_fd = -1;
	rp->rp_resp.hs_pace = NULL;
	wbuf_reset(&rp->rp_resp.hs_body);
	rp->rp_seen = 0;
	rp->rp_flen = 0;
	rp->rp_invalue = 1;
	rp->rp_which = HH_NONE;
	rp->rp_vlen = 0;
	rp->rp_cenc[0] = '\0';
	rp->rp_gzip = 0;
	rp->rp_zend = 0;
	rp->rp_done = 0;
	rp->rp_keepalive = 0;
	rp->rp_err = 0;
	rp->rp_errstr = NULL;
}

struct httpc_resp *
httpc_rparse_resp(struct httpc_rparse *rp)
{
	return (&rp->rp_resp);
}

int
httpc_rparse_keepalive(const struct httpc_rparse *rp)
{
	return (rp->rp_done && rp->rp_keepalive);
}

/* Extra bytes came after the response: the connection is not reused. */
void
httpc_rparse_nokeep(struct httpc_rparse *rp)
{
	rp->rp_keepalive = 0;
}

size_t
httpc_rparse_seen(const struct httpc_rparse *rp)
{
	return (rp->rp_seen);
}

static int
httpc_rparse_on_begin(http_parser *p)
{
	struct httpc_rparse	*rp = p->data;

	/* A 1xx interim response was skipped: start clean. */
	rp->rp_resp.hs_ctype[0] = '\0';
	rp->rp_resp.hs_location[0] = '\0';
	rp->rp_cenc[0] = '\0';
	wbuf_reset(&rp->rp_resp.hs_body);
	return (0);
}

static int
httpc_rparse_on_field(http_parser *p, const char *at, size_t len)
{
	struct httpc_rparse	*rp = p->data;
	size_t			 n;

	if (rp->rp_invalue) {
		rp->rp_invalue = 0;
		rp->rp_flen = 0;
		rp->rp_which = HH_NONE;
	}
	/* Names longer than the buffer are of no interest: keep a prefix. */
	n = sizeof(rp->rp_field) - 1 - rp->rp_flen;
	if (len < n)
		n = len;
	memcpy(rp->rp_field + rp->rp_flen, at, n);
	rp->rp_flen += n;
	rp->rp_field[rp->rp_flen] = '\0';
	if (len > n)
		rp->rp_flen = sizeof(rp->rp_field) - 1;	/* stays unknown */
	return (0);
}

static int
httpc_rparse_on_value(http_parser *p, const char *at, size_t len)
{
	struct httpc_rparse	*rp = p->data;
	char			*dst;
	size_t			 cap;

	if (!rp->rp_invalue) {
		rp->rp_invalue = 1;
		rp->rp_vlen = 0;
		if (strcasecmp(rp->rp_field, "content-type") == 0)
			rp->rp_which = HH_CTYPE;
		else if (strcasecmp(rp->rp_field, "location") == 0)
			rp->rp_which = HH_LOCATION;
		else if (strcasecmp(rp->rp_field, "content-encoding") == 0)
			rp->rp_which = HH_CENC;
		else
			rp->rp_which = HH_NONE;
	}
	switch (rp->rp_which) {
	case HH_CTYPE:
		dst = rp->rp_resp.hs_ctype;
		cap = sizeof(rp->rp_resp.hs_ctype);
		break;
	case HH_LOCATION:
		dst = rp->rp_resp.hs_location;
		cap = sizeof(rp->rp_resp.hs_location);
		break;
	case HH_CENC:
		dst = rp->rp_cenc;
		cap = sizeof(rp->rp_cenc);
		break;
	default:
		return (0);
	}
	if (rp->rp_vlen + len >= cap) {
		/* A cut Location would send us somewhere else. */
		if (rp->rp_which == HH_LOCATION)
			return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "Location header too long"));
		if (rp->rp_which == HH_CENC)
			return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "Content-Encoding header too long"));
		len = cap - 1 - rp->rp_vlen;	/* Content-Type: keep prefix */
	}
	memcpy(dst + rp->rp_vlen, at, len);
	rp->rp_vlen += len;
	dst[rp->rp_vlen] = '\0';
	return (0);
}

static int
httpc_rparse_on_headers(http_parser *p)
{
	struct httpc_rparse	*rp = p->data;
	int			 zr;

	rp->rp_resp.hs_status = p->status_code;
	if (p->status_code >= 100 && p->status_code < 200)
		return (0);
	rp->rp_gzip = 0;
	if (rp->rp_cenc[0] != '\0' && strcasecmp(rp->rp_cenc, "identity")) {
		if (strcasecmp(rp->rp_cenc, "gzip") &&
		    strcasecmp(rp->rp_cenc, "x-gzip") &&
		    strcasecmp(rp->rp_cenc, "deflate"))
			return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "unsupported Content-Encoding"));
		rp->rp_gzip = 1;
		rp->rp_zend = 0;
		/* 15 + 32: zlib or gzip header, detected. */
		if (!rp->rp_zinit) {
			memset(&rp->rp_z, 0, sizeof(rp->rp_z));
			zr = inflateInit2(&rp->rp_z, 15 + 32);
			if (zr != Z_OK)
				return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
				    "inflateInit failed"));
			rp->rp_zinit = 1;
		} else if (inflateReset(&rp->rp_z) != Z_OK)
			return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "inflateReset failed"));
	} else if (p->content_length != ULLONG_MAX &&
	    p->content_length > rp->rp_maxbody)
		return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
		    "response body over the size cap"));
	return (0);
}

static int
httpc_rparse_inflate(struct httpc_rparse *rp, const uint8_t *at, size_t len)
{
	struct wbuf	*b = &rp->rp_resp.hs_body;
	size_t		 room;
	int		 zr;

	if (rp->rp_zend)
		return (0);	/* bytes after the gzip trailer: ignored */
	rp->rp_z.next_in = (Bytef *)(uintptr_t)at;
	rp->rp_z.avail_in = len;
	for (;;) {
		if (b->wb_len > rp->rp_maxbody)
			return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
			    "response body over the size cap"));
		if (wbuf_reserve(b, HTTPC_ZCHUNK) == -1)
			return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
			    "out of memory for the response body"));
		room = b->wb_cap - b->wb_len;
		/* One byte over the cap is enough to know it is too big. */
		if (room > rp->rp_maxbody - b->wb_len + 1)
			room = rp->rp_maxbody - b->wb_len + 1;
		if (room > UINT_MAX)
			room = UINT_MAX;
		rp->rp_z.next_out = b->wb_data + b->wb_len;
		rp->rp_z.avail_out = room;
		zr = inflate(&rp->rp_z, Z_NO_FLUSH);
		b->wb_len += room - rp->rp_z.avail_out;
		if (zr == Z_STREAM_END) {
			rp->rp_zend = 1;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "corrupt gzip response body"));
		if (rp->rp_z.avail_in == 0 && rp->rp_z.avail_out != 0)
			break;
		if (zr == Z_BUF_ERROR && rp->rp_z.avail_out != 0)
			break;
	}
	if (b->wb_len > rp->rp_maxbody)
		return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
		    "response body over the size cap"));
	return (0);
}

static int
httpc_rparse_on_body(http_parser *p, const char *at, size_t len)
{
	struct httpc_rparse	*rp = p->data;
	struct wbuf		*b = &rp->rp_resp.hs_body;

	if (rp->rp_gzip)
		return (httpc_rparse_inflate(rp, (const uint8_t *)at, len));
	if (len > rp->rp_maxbody - b->wb_len)
		return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
		    "response body over the size cap"));
	if (wbuf_append(b, at, len) == -1)
		return (httpc_rparse_fail(rp, HTTPC_ERR_TOOBIG,
		    "out of memory for the response body"));
	return (0);
}

static int
httpc_rparse_on_complete(http_parser *p)
{
	struct httpc_rparse	*rp = p->data;

	/* Interim 1xx: wait for the real response. */
	if (p->status_code >= 100 && p->status_code < 200 &&
	    p->status_code != 101)
		return (0);
	if (rp->rp_gzip && !rp->rp_zend)
		return (httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
		    "truncated gzip response body"));
	rp->rp_done = 1;
	rp->rp_keepalive = http_should_keep_alive(p);
	/* Stop right after this message; anything left is not ours. */
	http_parser_pause(p, 1);
	return (0);
}

int
httpc_rparse_feed(struct httpc_rparse *rp, const uint8_t *data, size_t len,
    size_t *used, int *err, const char **errstr)
{
	enum http_errno	 he;
	size_t		 n;

	*used = 0;
	if (rp->rp_done)
		return (1);
	if (rp->rp_err)
		goto fail;
	if (len == 0)
		return (0);
	n = http_parser_execute(&rp->rp_parser, &httpc_rparse_settings,
	    (const char *)data, len);
	*used = n;
	rp->rp_seen += n;
	if (rp->rp_err)
		goto fail;
	he = HTTP_PARSER_ERRNO(&rp->rp_parser);
	if (rp->rp_done)
		return (1);
	if (he != HPE_OK) {
		if (he == HPE_HEADER_OVERFLOW)
			httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    "response header too large");
		else
			httpc_rparse_fail(rp, HTTPC_ERR_PROTO,
			    http_errno_description(he));
		goto fail;
	}
	return (0);
 fail:
	*err = rp->rp_err;
	*errstr = rp->rp_errstr;
	return (-1);
}

int
httpc_rparse_eof(struct httpc_rparse *rp, int *err, const char **errstr)
{
	if (rp->rp_done)
		return (1);
	if (rp->rp_err == 0) {
		/* A body delimited by the end of the connection ends here. */
		http_parser_execute(&rp->rp_parser, &httpc_rparse_settings,
		    NULL, 0);
		if (rp->rp_done) {
			rp->rp_keepalive = 0;
			return (1);
		}
		if (rp->rp_err == 0)
			httpc_rparse_fail(rp, HTTPC_ERR_IO, rp->rp_seen == 0 ?
			    "connection closed before any response" :
			    "connection closed in the middle of the response");
	}
	*err = rp->rp_err;
	*errstr = rp->rp_errstr;
	return (-1);
}
