/*
 * The direct_post endpoint: one relay URL (http(s)://VPS:8443/tunnel)
 * behind the cendpoint interface of endpoint.h, on the httpc client.
 * It performs one exchange and classifies the outcome (protocol.md 2.7,
 * 4.4); batching and rollback belong to post.c.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "endpoint.h"
#include "httpc.h"
#include "log.h"
#include "direct.h"
#include "rtoken.h"

struct direct {
	struct httpc_pool	*d_pool;
	char			 d_host[CONF_HOST_LEN + 8];	/* Host: */
	char			 d_path[CONF_URL_LEN];
};

struct direct_call {
	struct cendpoint	*dc_ep;
	struct httpc_call	*dc_call;
	cendpoint_cb		 dc_cb;
	void			*dc_arg;
};

static void
direct_done(struct httpc_call *hc, int err, const char *errstr, int sent,
    struct httpc_resp *resp, void *arg)
{
	struct direct_call	*dc = arg;
	struct cendpoint	*ep = dc->dc_ep;
	cendpoint_cb		 cb = dc->dc_cb;
	void			*cbarg = dc->dc_arg;
	enum ep_result		 res;
	char			 detail[160];
	const uint8_t		*body = NULL;
	size_t			 len = 0;
	struct txpace_conn	*tc = NULL;
	int			 binary = 0, fd = -1;

	free(dc);
	detail[0] = '\0';
	switch (err) {
	case HTTPC_OK:
		if (resp->hs_status == 200) {
			body = resp->hs_body.wb_data;
			len = resp->hs_body.wb_len;
			binary = strncasecmp(resp->hs_ctype,
			    "application/octet-stream", 24) == 0;
			fd = resp->hs_fd;
			tc = resp->hs_pace;
			res = len > 0 ? EP_OK : EP_FAIL_HARD;
			if (len == 0)
				snprintf(detail, sizeof(detail), "empty 200");
		} else {
			/* epcheck.c tells a wrong key from a v1.5 server. */
			if (resp->hs_status == 204)
				res = EP_FAIL_KEY;
			else if (resp->hs_status == 429)
				res = EP_FAIL_RATE;
			else if (resp->hs_status >= 500)
				res = EP_FAIL_SOFT;
			else
				res = EP_FAIL_HARD;
			snprintf(detail, sizeof(detail), "HTTP %d%s",
			    resp->hs_status, resp->hs_status == 204 ?
			    " (the request could not be decrypted)" : "");
		}
		break;
	case HTTPC_ERR_OFFLINE:
		res = EP_FAIL_OFFLINE;
		break;
	case HTTPC_ERR_TIMEOUT:
		res = EP_FAIL_SOFT;
		break;
	case HTTPC_ERR_CONNECT:
	case HTTPC_ERR_IO:
		res = EP_FAIL_TRANSPORT;
		break;
	default:
		res = EP_FAIL_HARD;
		break;
	}
	if (err != HTTPC_OK)
		snprintf(detail, sizeof(detail), "%s",
		    errstr ? errstr : "error");
	/* The connection's TCP_INFO sizes the next requests (post.c). */
	ep->ep_resp_fd = fd;
	ep->ep_resp_pace = tc;
	cb(ep, res, sent, body, len, binary, detail, cbarg);
}

static int
direct_exchange(struct cendpoint *ep, const uint8_t *body, size_t len,
    int binary, double timeout, cendpoint_cb cb, void *arg)
{
	struct direct		*d = ep->ep_priv;
	struct direct_call	*dc;
	struct httpc_req	 req;
	char			 path[CONF_URL_LEN + 64];

	/* The routing token for a balancer in front of exits (rtoken.c). */
	if (rtoken_path(d->d_path, path, sizeof(path)) == -1)
		return (-1);
	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		return (-1);
	dc->dc_ep = ep;
	dc->dc_cb = cb;
	dc->dc_arg = arg;
	memset(&req, 0, sizeof(req));
	req.hr_method = "POST";
	req.hr_host = d->d_host;
	req.hr_path = path;
	req.hr_ctype = binary ? "application/octet-stream" : "text/plain";
	req.hr_body = body;
	req.hr_bodylen = len;
	req.hr_timeout = timeout;
	dc->dc_call = httpc_request(d->d_pool, &req, direct_done, dc);
	if (dc->dc_call == NULL) {
		free(dc);
		return (-1);
	}
	return (0);
}

static void
direct_cancel_all(struct cendpoint *ep)
{
	/* httpc_pool_free cancels; calls in flight are owned by post.c. */
}

static void
direct_free(struct cendpoint *ep)
{
	struct direct	*d = ep->ep_priv;

	if (d != NULL) {
		httpc_pool_free(d->d_pool);
		free(d);
	}
	free(ep);
}

static const struct cendpoint_ops direct_ops = {
	.eo_exchange = direct_exchange,
	.eo_cancel_all = direct_cancel_all,
	.eo_free = direct_free,
};

struct cendpoint *
direct_new(struct ev_loop *loop, const char *url, const char *addr,
    struct tls_config *tc, size_t maxidle)
{
	struct cendpoint	*ep;
	struct direct		*d;
	struct httpc_target	 t;
	char			 buf[CONF_URL_LEN];
	const char		*prot, *ads, *path;
	int			 port;

	if (strlen(url) >= sizeof(buf) ||
	    snprintf(buf, sizeof(buf), "%s", url) < 0 ||
	    lws_parse_uri(buf, &prot, &ads, &port, &path) != 0)
		return (NULL);
	memset(&t, 0, sizeof(t));
	if (strcmp(prot, "https") == 0) {
		t.ht_tls = 1;
		if (!strchr(strstr(url, "://") + 3, ':'))
			port = 443;
	} else if (strcmp(prot, "http") != 0)
		return (NULL);
	if (port <= 0 || port > 65535)
		return (NULL);
	if ((ep = calloc(1, sizeof(*ep))) == NULL ||
	    (d = calloc(1, sizeof(*d))) == NULL) {
		free(ep);
		return (NULL);
	}
	ep->ep_resp_fd = -1;
	/* Dial the supervisor's addresses; the name stays for Host/SNI. */
	snprintf(t.ht_connect, sizeof(t.ht_connect), "%s",
	    addr != NULL && addr[0] != '\0' ? addr : ads);
	snprintf(t.ht_sni, sizeof(t.ht_sni), "%s", ads);
	t.ht_port = (uint16_t)port;
	snprintf(d->d_host, sizeof(d->d_host), strchr(ads, ':') != NULL ?
	    "[%s]:%d" : "%s:%d", ads, port);		/* [IPv6]:port */
	snprintf(d->d_path, sizeof(d->d_path), "/%s", path[0] ? path :
	    "tunnel");
	d->d_pool = httpc_pool_new(loop, &t, t.ht_tls ? tc : NULL, maxidle,
	    DIRECT_MAX_BODY);
	if (d->d_pool == NULL) {
		free(d);
		free(ep);
		return (NULL);
	}
	ep->ep_ops = &direct_ops;
	ep->ep_priv = d;
	snprintf(ep->ep_label, sizeof(ep->ep_label), "%s://%s:%d",
	    t.ht_tls ? "https" : "http", ads, port);
	snprintf(ep->ep_key, sizeof(ep->ep_key), "url:%s", ep->ep_label);
	return (ep);
}

uint64_t
direct_redials(struct cendpoint *ep)
{
	struct direct	*d = ep->ep_priv;

	return (d != NULL ? httpc_pool_redials(d->d_pool) : 0);
}

void
direct_set_dead_host(struct cendpoint *ep, unsigned ms)
{
	struct direct	*d = ep->ep_priv;

	if (d != NULL)
		httpc_pool_set_dead_host(d->d_pool, ms);
}

void
direct_set_addr(struct cendpoint *ep, const char *addr)
{
	struct direct	*d = ep->ep_priv;

	if (d != NULL)
		httpc_pool_set_connect(d->d_pool, addr);
}
