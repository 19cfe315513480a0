/*
 * apps_script transport: domain-fronted HTTPS to Apps Script deployments.
 * See fronted.h for the model; protocol.md 2.5, 2.7, 4.2, 4.4.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>
#include <tls.h>

#include "log.h"
#include "httpc.h"
#include "health.h"
#include "rtoken.h"
#include "fronted.h"

#define FRONTED_MAX_REDIRECTS	5
#define FRONTED_PROBE_TIMEOUT	8.0
#define FRONTED_PROBE_BODY	4096
#define FRONTED_PREFLIGHT_CAP	20.0
#define FRONTED_OFFLINE_EVERY	5.0
#define FRONTED_OFFLINE_DIAL	2.0
#define FRONTED_DEFAULT_GHOST	"216.239.38.120"
#define FRONTED_DEFAULT_SNI	"www.google.com"
#define FRONTED_LEGACY_TEXT	"GooseRelay forwarder OK"

struct fronted_pool {
	struct httpc_pool	*fp_pool;
	char			 fp_sni[CONF_HOST_LEN];
	char			 fp_host[CONF_HOST_LEN];
	int			 fp_dead;	/* dropped by the SNI probe */
	/* SNI probe */
	int			 fp_ok;
	int			 fp_tries;
	double			 fp_lat[2];
};

struct fronted_ep;
struct fcall;

/* Final result of one request (after redirects). */
typedef void	(*fcall_cb)(struct fcall *, int herr, const char *errstr,
		    int sent, int status, const uint8_t *, size_t, void *);

struct fcall {
	TAILQ_ENTRY(fcall)	 fc_entry;
	struct fronted_ep	*fc_ep;
	struct fronted_pool	*fc_pool;
	struct httpc_call	*fc_hc;
	fcall_cb		 fc_cb;
	void			*fc_arg;
	/* for exchanges */
	cendpoint_cb		 fc_ecb;
	void			*fc_earg;
	int			 fc_redirects;
	int			 fc_sent;
	double			 fc_start;
	double			 fc_deadline;
	ev_timer		 fc_defer;	/* follow the redirect */
	char			 fc_host[CONF_HOST_LEN];
	char			 fc_path[2048];
	char			 fc_detail[512];
};

TAILQ_HEAD(fcalls, fcall);

struct fronted_ep {
	struct cendpoint	 fe_ep;
	struct fronted		*fe_f;
	char			 fe_id[CONF_SCRIPT_ID_LEN];
	char			 fe_path[CONF_SCRIPT_ID_LEN + 32];
	char			 fe_short[64];
	struct fcalls		 fe_calls;
};

struct fronted {
	struct ev_loop		*f_loop;
	struct tls_config	*f_tls;
	struct health_set	*f_hs;
	struct fronted_pool	*f_pools;
	size_t			 f_npools;
	size_t			 f_rr;
	struct fcalls		 f_free;
	char			 f_ghost[CONF_HOST_LEN];
	/* local-offline recovery probe (4.4) */
	ev_timer		 f_otimer;
	ev_io			 f_oio;
	int			 f_ofd;
	double			 f_ostart;
	/* SNI probe */
	size_t			 f_probing;
	void			(*f_probe_done)(size_t, void *);
	void			*f_probe_arg;
};

static void	fronted_ep_free(struct cendpoint *);
static void	fronted_ep_cancel_all(struct cendpoint *);
static int	fronted_ep_exchange(struct cendpoint *, const uint8_t *,
		    size_t, int, double, cendpoint_cb, void *);

static const struct cendpoint_ops fronted_ops = {
	.eo_exchange = fronted_ep_exchange,
	.eo_cancel_all = fronted_ep_cancel_all,
	.eo_free = fronted_ep_free,
};

/* ------------------------------------------------------------------ */

int
fronted_parse_id(const char *in, char *out, size_t outlen,
    const char **errstr)
{
	const char	*s = in, *p, *e;
	size_t		 n, i;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (strncasecmp(s, "https://", 8) == 0 ||
	    strncasecmp(s, "http://", 7) == 0) {
		if (strstr(s, "/home/projects/") != NULL ||
		    strstr(s, "/edit") != NULL ||
		    strstr(s, "/d/") != NULL) {
			*errstr = "this is the script editor URL, not the web "
			    "app: use the Deployment ID (Deploy > Manage "
			    "deployments)";
			return (-1);
		}
		if ((p = strstr(s, "/s/")) == NULL ||
		    strstr(s, "/macros/") == NULL) {
			*errstr = "not an Apps Script /macros/s/<ID>/exec URL";
			return (-1);
		}
		p += 3;
		e = p + strcspn(p, "/?#");
		if (*e == '/' && strncmp(e, "/exec", 5) != 0 &&
		    strncmp(e, "/dev", 4) != 0) {
			*errstr = "the URL must end in /exec";
			return (-1);
		}
		s = p;
		n = e - p;
	}
	if (n < 50) {
		*errstr = "deployment id too short (expected AKfycb... of at "
		    "least 50 characters)";
		return (-1);
	}
	if (strncmp(s, "AKfycb", 6) != 0) {
		*errstr = "deployment id must start with AKfycb";
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_') {
			*errstr = "deployment id has characters other than "
			    "letters, digits, - and _";
			return (-1);
		}
	if (n >= outlen) {
		*errstr = "deployment id too long";
		return (-1);
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return (0);
}

enum ep_result
fronted_classify(int status, const uint8_t *b, size_t len,
    const char **detail)
{
	enum ep_result	 r;
	const char	*why;

	switch (status) {
	case 200:
		if (len == 0) {
			*detail = "empty 200 response";
			return (EP_FAIL_HARD);
		}
		if (!health_nonbatch(b, len)) {
			*detail = NULL;
			return (EP_OK);
		}
		return (health_classify_text(b, len, detail));
	case 204:
		*detail = "HTTP 204 (the request could not be decrypted)";
		return (EP_FAIL_KEY);
	case 429:
		*detail = "deployment rate-limited";
		return (EP_FAIL_RATE);
	case 404:
		*detail = "deployment not found: wrong Deployment ID, deleted "
		    "or never published";
		return (EP_FAIL_HARD);
	case 401:
	case 403:
		*detail = "access denied: the deployment must be a web app "
		    "with Who has access = Anyone";
		return (EP_FAIL_HARD);
	}
	if (status >= 500 && status <= 599) {
		r = health_classify_text(b, len, &why);
		if (r == EP_FAIL_SOFT && (len == 0 ||
		    strstr(why, "exit") != NULL ||
		    strstr(why, "unexpected") != NULL)) {
			*detail = "Apps Script could not reach the exit (check "
			    "RELAY_URLS in Code.gs, the exit's firewall and "
			    "that it runs)";
			return (EP_FAIL_SOFT);
		}
		*detail = why;
		return (r);
	}
	if (status >= 300 && status <= 399) {
		*detail = "unexpected redirect (not to a Google host)";
		return (EP_FAIL_HARD);
	}
	*detail = "unexpected HTTP status";
	return (EP_FAIL_HARD);
}

/* ------------------------------------------------------------------ */
/* Requests with redirects. */

static struct fcall *
fronted_fcall_get(struct fronted *f)
{
	struct fcall	*fc;

	if ((fc = TAILQ_FIRST(&f->f_free)) != NULL)
		TAILQ_REMOVE(&f->f_free, fc, fc_entry);
	else if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return (NULL);
	fc->fc_hc = NULL;
	fc->fc_redirects = 0;
	fc->fc_sent = 0;
	fc->fc_detail[0] = '\0';
	return (fc);
}

static void
fronted_fcall_put(struct fcall *fc)
{
	struct fronted	*f = fc->fc_ep->fe_f;

	ev_timer_stop(f->f_loop, &fc->fc_defer);
	TAILQ_REMOVE(&fc->fc_ep->fe_calls, fc, fc_entry);
	TAILQ_INSERT_HEAD(&f->f_free, fc, fc_entry);
}

static struct fronted_pool *
fronted_pick_pool(struct fronted *f)
{
	size_t	 i;
	struct fronted_pool *p;

	for (i = 0; i < f->f_npools; i++) {
		p = &f->f_pools[(f->f_rr + i) % f->f_npools];
		if (!p->fp_dead) {
			f->f_rr = (f->f_rr + i + 1) % f->f_npools;
			return (p);
		}
	}
	return (&f->f_pools[f->f_rr++ % f->f_npools]);
}

/* Finish: hand the outcome to the caller, then recycle the call. */
static void
fronted_fcall_end(struct fcall *fc, int herr, const char *errstr, int status,
    const uint8_t *b, size_t len)
{
	struct fronted	*f = fc->fc_ep->fe_f;

	fc->fc_hc = NULL;
	ev_timer_stop(f->f_loop, &fc->fc_defer);
	/*
	 * Out of the endpoint's list while the callback runs (it may cancel
	 * everything or start new calls), recycled only afterwards (the
	 * detail string it was given lives in here).
	 */
	TAILQ_REMOVE(&fc->fc_ep->fe_calls, fc, fc_entry);
	fc->fc_cb(fc, herr, errstr, fc->fc_sent, status, b, len, fc->fc_arg);
	TAILQ_INSERT_HEAD(&f->f_free, fc, fc_entry);
}

static void	fronted_fcall_redirect(struct ev_loop *, ev_timer *, int);

/* Is this Location one we follow, over the same fronted setup? */
static int
fronted_location(struct fcall *fc, const char *loc)
{
	const char	*h, *p;
	size_t		 hl, sl;

	if (strncasecmp(loc, "https://", 8) != 0)
		return (-1);
	h = loc + 8;
	hl = strcspn(h, "/?#");
	p = h + hl;
	if (hl == 0 || hl >= sizeof(fc->fc_host))
		return (-1);
	memcpy(fc->fc_host, h, hl);
	fc->fc_host[hl] = '\0';
	if (hl > 4 && strcmp(fc->fc_host + hl - 4, ":443") == 0)
		fc->fc_host[hl - 4] = '\0';
	sl = strlen(fc->fc_host);
	if (!(sl >= 11 && strcasecmp(fc->fc_host + sl - 11, ".google.com") ==
	    0) && !(sl >= 22 && strcasecmp(fc->fc_host + sl - 22,
	    ".googleusercontent.com") == 0))
		return (-1);
	if (*p == '\0')
		p = "/";
	else if (*p != '/')
		return (-1);
	if (strlen(p) >= sizeof(fc->fc_path))
		return (-1);
	snprintf(fc->fc_path, sizeof(fc->fc_path), "%s", p);
	return (0);
}

static void
fronted_fcall_http(struct httpc_call *hc, int err, const char *errstr,
    int sent, struct httpc_resp *resp, void *arg)
{
	struct fcall	*fc = arg;

	(void)hc;
	fc->fc_hc = NULL;
	if (fc->fc_redirects == 0)
		fc->fc_sent = sent;
	if (err != HTTPC_OK) {
		fronted_fcall_end(fc, err, errstr, 0, NULL, 0);
		return;
	}
	if ((resp->hs_status == 301 || resp->hs_status == 302 ||
	    resp->hs_status == 303 || resp->hs_status == 307 ||
	    resp->hs_status == 308) && resp->hs_location[0] != '\0' &&
	    fc->fc_redirects < FRONTED_MAX_REDIRECTS &&
	    fronted_location(fc, resp->hs_location) == 0) {
		/*
		 * Follow from the loop, once this connection is back in the
		 * pool, so the GET can reuse it.
		 */
		fc->fc_redirects++;
		ev_timer_set(&fc->fc_defer, 0., 0.);
		ev_timer_start(fc->fc_ep->fe_f->f_loop, &fc->fc_defer);
		return;
	}
	fronted_fcall_end(fc, HTTPC_OK, NULL, resp->hs_status,
	    resp->hs_body.wb_data, resp->hs_body.wb_len);
}

static void
fronted_fcall_redirect(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fcall		*fc = w->data;
	struct httpc_req	 req;
	double			 left;

	(void)revents;
	left = fc->fc_deadline - ev_now(loop);
	if (left <= 0) {
		fronted_fcall_end(fc, HTTPC_ERR_TIMEOUT,
		    "no answer in time (following the redirect)", 0, NULL, 0);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.hr_method = "GET";
	req.hr_host = fc->fc_host;
	req.hr_path = fc->fc_path;
	req.hr_timeout = left;
	req.hr_accept_gzip = 1;
	fc->fc_hc = httpc_request(fc->fc_pool->fp_pool, &req,
	    fronted_fcall_http, fc);
	if (fc->fc_hc == NULL)
		fronted_fcall_end(fc, HTTPC_ERR_PROTO,
		    "cannot follow the redirect", 0, NULL, 0);
}

/* Start a POST (body != NULL) or GET of the deployment's exec URL. */
static struct fcall *
fronted_fcall_start(struct fronted_ep *fe, struct fronted_pool *pool,
    const char *query, const uint8_t *body, size_t len, double timeout,
    fcall_cb cb, void *arg)
{
	struct fronted		*f = fe->fe_f;
	struct fcall		*fc;
	struct httpc_req	 req;

	if ((fc = fronted_fcall_get(f)) == NULL)
		return (NULL);
	fc->fc_ep = fe;
	fc->fc_pool = pool != NULL ? pool : fronted_pick_pool(f);
	fc->fc_cb = cb;
	fc->fc_arg = arg;
	fc->fc_start = ev_now(f->f_loop);
	fc->fc_deadline = fc->fc_start + timeout;
	ev_init(&fc->fc_defer, fronted_fcall_redirect);
	fc->fc_defer.data = fc;
	/* A POST reaches the exit: Code.gs passes the routing token on. */
	if (query == NULL && body != NULL)
		query = rtoken_query();
	snprintf(fc->fc_path, sizeof(fc->fc_path), "%s%s", fe->fe_path,
	    query ? query : "");
	memset(&req, 0, sizeof(req));
	req.hr_method = body != NULL ? "POST" : "GET";
	req.hr_host = FRONTED_HOST_SCRIPT;
	req.hr_path = fc->fc_path;
	req.hr_ctype = body != NULL ? "text/plain" : NULL;
	req.hr_body = body;
	req.hr_bodylen = len;
	req.hr_timeout = timeout;
	req.hr_accept_gzip = 1;
	TAILQ_INSERT_TAIL(&fe->fe_calls, fc, fc_entry);
	fc->fc_hc = httpc_request(fc->fc_pool->fp_pool, &req,
	    fronted_fcall_http, fc);
	if (fc->fc_hc == NULL) {
		fronted_fcall_put(fc);
		return (NULL);
	}
	return (fc);
}

static void
fronted_fcall_cancel(struct fcall *fc)
{
	if (fc->fc_hc != NULL)
		httpc_cancel(fc->fc_hc);
	fc->fc_hc = NULL;
	fronted_fcall_put(fc);
}

/* ------------------------------------------------------------------ */
/* The endpoint. */

static enum ep_result
fronted_herr_class(int herr)
{
	switch (herr) {
	case HTTPC_ERR_OFFLINE:
		return (EP_FAIL_OFFLINE);
	case HTTPC_ERR_TOOBIG:
		return (EP_FAIL_HARD);
	default:
		return (EP_FAIL_TRANSPORT);
	}
}

static void
fronted_exchange_done(struct fcall *fc, int herr, const char *errstr,
    int sent, int status, const uint8_t *b, size_t len, void *arg)
{
	struct fronted_ep	*fe = fc->fc_ep;
	enum ep_result		 r;
	const char		*why;
	char			*d = fc->fc_detail;
	size_t			 dl = sizeof(fc->fc_detail);
	double			 now = ev_now(fe->fe_f->f_loop);

	(void)arg;
	if (herr != HTTPC_OK) {
		r = fronted_herr_class(herr);
		snprintf(d, dl, "%s", errstr ? errstr : httpc_err_str(herr));
		fc->fc_ecb(&fe->fe_ep, r, sent, NULL, 0, 0, d, fc->fc_earg);
		return;
	}
	/* Each answer from Google costs one UrlFetch of the account (4.5). */
	health_count_request(&fe->fe_ep, now);
	r = fronted_classify(status, b, len, &why);
	if (r == EP_OK) {
		fc->fc_ecb(&fe->fe_ep, EP_OK, 1, b, len, 0, NULL,
		    fc->fc_earg);
		return;
	}
	snprintf(d, dl, "HTTP %d: %s", status, why);
	fc->fc_ecb(&fe->fe_ep, r, 1, NULL, 0, 0, d, fc->fc_earg);
}

static int
fronted_ep_exchange(struct cendpoint *ep, const uint8_t *body, size_t len,
    int binary, double timeout, cendpoint_cb cb, void *arg)
{
	struct fronted_ep	*fe = ep->ep_priv;
	struct fcall		*fc;

	/* Apps Script only carries text (1.4). */
	if (binary)
		return (-1);
	fc = fronted_fcall_start(fe, NULL, NULL, body != NULL ? body :
	    (const uint8_t *)"", len, timeout, fronted_exchange_done, NULL);
	if (fc == NULL)
		return (-1);
	fc->fc_ecb = cb;
	fc->fc_earg = arg;
	return (0);
}

static void
fronted_ep_cancel_all(struct cendpoint *ep)
{
	struct fronted_ep	*fe = ep->ep_priv;
	struct fcall		*fc;

	while ((fc = TAILQ_FIRST(&fe->fe_calls)) != NULL)
		fronted_fcall_cancel(fc);
}

static void
fronted_ep_free(struct cendpoint *ep)
{
	if (ep == NULL)
		return;
	fronted_ep_cancel_all(ep);
	free(ep->ep_priv);
}

struct cendpoint *
fronted_endpoint_new(struct fronted *f, const char *id, const char *account,
    char *err, size_t errlen)
{
	struct fronted_ep	*fe;
	const char		*es;
	char			 url[CONF_URL_LEN];
	size_t			 l;

	if ((fe = calloc(1, sizeof(*fe))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (fronted_parse_id(id, fe->fe_id, sizeof(fe->fe_id), &es) == -1) {
		snprintf(err, errlen, "script_keys: %s", es);
		free(fe);
		return (NULL);
	}
	fe->fe_f = f;
	TAILQ_INIT(&fe->fe_calls);
	snprintf(fe->fe_path, sizeof(fe->fe_path), "/macros/s/%s/exec",
	    fe->fe_id);
	snprintf(url, sizeof(url), "https://%s%s", FRONTED_HOST_SCRIPT,
	    fe->fe_path);
	health_shorten(fe->fe_id, fe->fe_short, sizeof(fe->fe_short));
	if (account != NULL && account[0] != '\0') {
		l = strlen(fe->fe_short);
		snprintf(fe->fe_short + l, sizeof(fe->fe_short) - l, "@%s",
		    account);
	}
	fe->fe_ep.ep_ops = &fronted_ops;
	fe->fe_ep.ep_priv = fe;
	fe->fe_ep.ep_text_only = 1;
	fe->fe_ep.ep_fronted = 1;
	fe->fe_ep.ep_resp_fd = -1;
	snprintf(fe->fe_ep.ep_label, sizeof(fe->fe_ep.ep_label), "%s",
	    fe->fe_short);
	if (f->f_hs != NULL &&
	    health_add(f->f_hs, &fe->fe_ep, url, account) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(fe);
		return (NULL);
	}
	return (&fe->fe_ep);
}

/* ------------------------------------------------------------------ */
/* Local-offline recovery probe: TCP to google_host:443 every 5 s. */

static void
fronted_offline_close(struct fronted *f)
{
	ev_io_stop(f->f_loop, &f->f_oio);
	if (f->f_ofd != -1)
		close(f->f_ofd);
	f->f_ofd = -1;
}

static void
fronted_offline_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fronted	*f = w->data;
	socklen_t	 sl;
	int		 e = 0;

	(void)loop;
	(void)revents;
	sl = sizeof(e);
	if (getsockopt(f->f_ofd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		e = errno;
	fronted_offline_close(f);
	if (e == 0 && f->f_hs != NULL) {
		log_info("network reachable again (%s:443 answers): retrying "
		    "endpoints", f->f_ghost);
		health_clear_offline(f->f_hs);
	}
}

static void
fronted_offline_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fronted		*f = w->data;
	struct addrinfo		 hints, *res;
	double			 now = ev_now(loop);

	(void)revents;
	if (f->f_ofd != -1) {
		if (now - f->f_ostart < FRONTED_OFFLINE_DIAL)
			return;
		fronted_offline_close(f);	/* 2 s: still down */
	}
	if (f->f_hs == NULL || !health_all_offline(f->f_hs, now))
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(f->f_ghost, "443", &hints, &res) != 0)
		return;
	f->f_ofd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (f->f_ofd != -1 && connect(f->f_ofd, res->ai_addr,
	    res->ai_addrlen) == -1 && errno != EINPROGRESS)
		fronted_offline_close(f);
	freeaddrinfo(res);
	if (f->f_ofd == -1)
		return;
	f->f_ostart = now;
	ev_io_set(&f->f_oio, f->f_ofd, EV_WRITE);
	ev_io_start(loop, &f->f_oio);
}

/* ------------------------------------------------------------------ */

struct fronted *
fronted_new(struct ev_loop *loop, const struct carrier_conf *cc,
    const uint8_t *ca, size_t calen, struct health_set *hs, char *err,
    size_t errlen)
{
	struct fronted		*f;
	struct httpc_target	 t;
	const char		*ghost[CONF_MAX_GHOSTS], *sni[CONF_MAX_SNI];
	size_t			 ng, ns, i, j, maxidle;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	f->f_loop = loop;
	f->f_hs = hs;
	f->f_ofd = -1;
	TAILQ_INIT(&f->f_free);
	if ((f->f_tls = tls_config_new()) == NULL) {
		snprintf(err, errlen, "tls_config_new failed");
		goto fail;
	}
	if (ca != NULL && calen > 0) {
		if (tls_config_set_ca_mem(f->f_tls, ca, calen) == -1) {
			snprintf(err, errlen, "CA bundle: %s",
			    tls_config_error(f->f_tls));
			goto fail;
		}
	} else if (tls_config_set_ca_file(f->f_tls,
	    tls_default_ca_cert_file()) == -1) {
		snprintf(err, errlen, "CA bundle %s: %s",
		    tls_default_ca_cert_file(), tls_config_error(f->f_tls));
		goto fail;
	}
	/* Fronting: TLS 1.3 only, the certificate checked against the SNI. */
	if (tls_config_set_protocols(f->f_tls, TLS_PROTOCOL_TLSv1_3) == -1 ||
	    tls_config_set_alpn(f->f_tls, "http/1.1") == -1) {
		snprintf(err, errlen, "TLS setup: %s",
		    tls_config_error(f->f_tls));
		goto fail;
	}
	if (cc->cc_fronting_http == FRONT_HTTP_H2)
		log_warnx("fronting_http_version h2: HTTP/2 is not "
		    "implemented, using HTTP/1.1");

	ng = cc->cc_nghosts;
	for (i = 0; i < ng && i < CONF_MAX_GHOSTS; i++)
		ghost[i] = cc->cc_google_host[i];
	if (ng == 0) {
		ghost[0] = FRONTED_DEFAULT_GHOST;
		ng = 1;
	}
	ns = cc->cc_nsni;
	for (i = 0; i < ns && i < CONF_MAX_SNI; i++)
		sni[i] = cc->cc_sni[i];
	if (ns == 0) {
		sni[0] = FRONTED_DEFAULT_SNI;
		ns = 1;
	}
	/* The recovery probe dials the first address (resolve.c). */
	snprintf(f->f_ghost, sizeof(f->f_ghost), "%s", ng > 0 &&
	    cc->cc_nghosts > 0 && cc->cc_ghost_addr[0][0] != '\0' ?
	    cc->cc_ghost_addr[0] : ghost[0]);
	f->f_ghost[strcspn(f->f_ghost, " ")] = '\0';
	maxidle = 2 * (cc->cc_workers_per_endpoint ? cc->cc_workers_per_endpoint
	    : 3) * (cc->cc_nscripts ? cc->cc_nscripts : 1);
	if (maxidle > 64)
		maxidle = 64;
	if ((f->f_pools = calloc(ng * ns, sizeof(*f->f_pools))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < ns; i++)
		for (j = 0; j < ng; j++) {
			struct fronted_pool *p = &f->f_pools[f->f_npools];

			memset(&t, 0, sizeof(t));
			t.ht_tls = 1;
			t.ht_port = FRONTED_PORT;
			/* The supervisor's addresses of a name (resolve.c). */
			snprintf(t.ht_connect, sizeof(t.ht_connect), "%s",
			    j < cc->cc_nghosts && cc->cc_ghost_addr[j][0] !=
			    '\0' ? cc->cc_ghost_addr[j] : ghost[j]);
			snprintf(t.ht_sni, sizeof(t.ht_sni), "%s", sni[i]);
			snprintf(p->fp_sni, sizeof(p->fp_sni), "%s", sni[i]);
			snprintf(p->fp_host, sizeof(p->fp_host), "%s",
			    ghost[j]);
			p->fp_pool = httpc_pool_new(loop, &t, f->f_tls,
			    maxidle, FRONTED_MAX_BODY);
			if (p->fp_pool == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			f->f_npools++;
		}
	ev_init(&f->f_oio, fronted_offline_io);
	f->f_oio.data = f;
	ev_timer_init(&f->f_otimer, fronted_offline_tick,
	    FRONTED_OFFLINE_EVERY, FRONTED_OFFLINE_EVERY);
	f->f_otimer.data = f;
	if (hs != NULL) {
		ev_timer_start(loop, &f->f_otimer);
		ev_unref(loop);		/* never keeps the loop alive alone */
	}
	return (f);
 fail:
	fronted_free(f);
	return (NULL);
}

void
fronted_free(struct fronted *f)
{
	struct fcall	*fc;
	size_t		 i;

	if (f == NULL)
		return;
	if (ev_is_active(&f->f_otimer)) {
		ev_ref(f->f_loop);
		ev_timer_stop(f->f_loop, &f->f_otimer);
	}
	fronted_offline_close(f);
	for (i = 0; i < f->f_npools; i++)
		httpc_pool_free(f->f_pools[i].fp_pool);
	free(f->f_pools);
	while ((fc = TAILQ_FIRST(&f->f_free)) != NULL) {
		TAILQ_REMOVE(&f->f_free, fc, fc_entry);
		free(fc);
	}
	if (f->f_tls != NULL)
		tls_config_free(f->f_tls);
	free(f);
}

size_t
fronted_nsni(const struct fronted *f)
{
	size_t	 i, n = 0;

	for (i = 0; i < f->f_npools; i++)
		n += !f->f_pools[i].fp_dead;
	return (n);
}

/* ------------------------------------------------------------------ */
/* doGet checks (SNI probe, pre-flight step 1). */

/*
 * Judge a doGet answer (2.7 step 1).  Returns EP_OK or a class, and a
 * message in buf.
 */
static enum ep_result
fronted_judge_get(const char *label, int status, const uint8_t *b,
    size_t len, char *buf, size_t buflen)
{
	json_t		*j, *v, *p;
	json_error_t	 je;
	long long	 ver, proto;
	enum ep_result	 r;

	if (status == 429) {
		snprintf(buf, buflen, "deployment %s is rate-limited (HTTP "
		    "429)", label);
		return (EP_FAIL_RATE);
	}
	if (status == 404) {
		snprintf(buf, buflen, "deployment %s not found (HTTP 404): "
		    "wrong Deployment ID, deleted, or never published", label);
		return (EP_FAIL_HARD);
	}
	if (len > 0 && health_memcasemem(b, len, "<html")) {
		snprintf(buf, buflen, "deployment %s answered an HTML page "
		    "(HTTP %d): it is not public; set Who has access to "
		    "Anyone and deploy again", label, status);
		return (EP_FAIL_HARD);
	}
	if (status == 200 && len > 0 && b[0] == '{' &&
	    (j = json_loadb((const char *)b, len, 0, &je)) != NULL) {
		v = json_object_get(j, "version");
		p = json_object_get(j, "protocol");
		ver = json_is_integer(v) ? json_integer_value(v) : 0;
		proto = json_is_integer(p) ? json_integer_value(p) : 0;
		if (!json_is_true(json_object_get(j, "ok")))
			r = EP_FAIL_SOFT;
		else if (ver == 0 || proto == 0) {
			snprintf(buf, buflen, "Code.gs on %s is outdated: "
			    "deploy the current contrib/apps-script/Code.gs",
			    label);
			r = EP_FAIL_HARD;
		} else if (proto != 1) {
			snprintf(buf, buflen, "Code.gs on %s speaks protocol "
			    "%lld, not 1: deploy the matching Code.gs", label,
			    proto);
			r = EP_FAIL_HARD;
		} else {
			snprintf(buf, buflen, "deployment %s: forwarder v%lld, "
			    "protocol 1, %lld relay URL(s)", label, ver,
			    json_is_integer(json_object_get(j, "relay_count"))
			    ? json_integer_value(json_object_get(j,
			    "relay_count")) : 0);
			r = EP_OK;
		}
		json_decref(j);
		if (r != EP_FAIL_SOFT)
			return (r);
	}
	if (status == 200 && len > 0 &&
	    health_memcasemem(b, len, "GooseRelay")) {
		snprintf(buf, buflen, "deployment %s runs a legacy Code.gs "
		    "(plain-text doGet): deploy the current Code.gs as a new "
		    "version", label);
		return (EP_FAIL_HARD);
	}
	snprintf(buf, buflen, "deployment %s: unexpected doGet response "
	    "(HTTP %d, %zu bytes)", label, status, len);
	return (EP_FAIL_SOFT);
}

/* SNI probe: legacy text or JSON ok/protocol 1 within 4 KiB. */
static int
fronted_probe_body_ok(int status, const uint8_t *b, size_t len)
{
	char	 buf[256];

	if (status != 200 || len > FRONTED_PROBE_BODY)
		return (0);
	if (len == strlen(FRONTED_LEGACY_TEXT) &&
	    memcmp(b, FRONTED_LEGACY_TEXT, len) == 0)
		return (1);
	return (fronted_judge_get("", status, b, len, buf, sizeof(buf)) ==
	    EP_OK);
}

static void	fronted_sni_next(struct fronted *, struct fronted_ep *,
		    struct fronted_pool *);

static int
fronted_cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
fronted_pool_lat(const struct fronted_pool *p)
{
	/* Median of one or two samples: the best one when one failed. */
	if (p->fp_ok == 1)
		return (p->fp_lat[0]);
	return ((p->fp_lat[0] + p->fp_lat[1]) / 2);
}

static void
fronted_sni_finish(struct fronted *f)
{
	double	 lat[CONF_MAX_SNI * CONF_MAX_GHOSTS], med;
	size_t	 i, ngood = 0, kept;
	char	 dropped[512];
	size_t	 off = 0;

	dropped[0] = '\0';
	for (i = 0; i < f->f_npools; i++)
		if (f->f_pools[i].fp_ok > 0)
			lat[ngood++] = fronted_pool_lat(&f->f_pools[i]);
	if (ngood == 0) {
		log_warnx("SNI probe: no SNI answered; keeping all %zu",
		    f->f_npools);
		goto done;
	}
	for (i = 0; i < f->f_npools; i++)
		if (f->f_pools[i].fp_ok == 0) {
			f->f_pools[i].fp_dead = 1;
			off += snprintf(dropped + off, off < sizeof(dropped) ?
			    sizeof(dropped) - off : 0, " %s(failed)",
			    f->f_pools[i].fp_sni);
		}
	if (ngood >= 3) {
		qsort(lat, ngood, sizeof(lat[0]), fronted_cmp_double);
		med = ngood % 2 ? lat[ngood / 2] :
		    (lat[ngood / 2 - 1] + lat[ngood / 2]) / 2;
		kept = ngood;
		for (i = 0; i < f->f_npools && kept > 2; i++)
			if (!f->f_pools[i].fp_dead &&
			    fronted_pool_lat(&f->f_pools[i]) > 3 * med) {
				f->f_pools[i].fp_dead = 1;
				kept--;
				off += snprintf(dropped + off,
				    off < sizeof(dropped) ?
				    sizeof(dropped) - off : 0, " %s(slow)",
				    f->f_pools[i].fp_sni);
			}
	}
	if (dropped[0] != '\0')
		log_warnx("SNI probe: kept %zu of %zu; dropped:%s",
		    fronted_nsni(f), f->f_npools, dropped);
	else
		log_info("SNI probe: all %zu SNI hosts answer", f->f_npools);
 done:
	if (f->f_probe_done != NULL)
		f->f_probe_done(fronted_nsni(f), f->f_probe_arg);
}

static void
fronted_sni_got(struct fcall *fc, int herr, const char *errstr, int sent,
    int status, const uint8_t *b, size_t len, void *arg)
{
	struct fronted_pool	*p = arg;
	struct fronted_ep	*fe = fc->fc_ep;
	struct fronted		*f = fe->fe_f;

	(void)sent;
	if (herr == HTTPC_OK && fronted_probe_body_ok(status, b, len)) {
		p->fp_lat[p->fp_ok++] = ev_now(f->f_loop) - fc->fc_start;
	} else
		log_debug("SNI probe %s via %s: %s", p->fp_sni, p->fp_host,
		    herr != HTTPC_OK ? errstr : "unexpected answer");
	if (++p->fp_tries < 2) {
		fronted_sni_next(f, fe, p);
		return;
	}
	if (--f->f_probing == 0)
		fronted_sni_finish(f);
}

static void
fronted_sni_next(struct fronted *f, struct fronted_ep *fe,
    struct fronted_pool *p)
{
	if (fronted_fcall_start(fe, p, NULL, NULL, 0, FRONTED_PROBE_TIMEOUT,
	    fronted_sni_got, p) != NULL)
		return;
	p->fp_tries = 2;
	if (--f->f_probing == 0)
		fronted_sni_finish(f);
}

void
fronted_sni_probe(struct fronted *f, struct cendpoint *ep,
    void (*done)(size_t, void *), void *arg)
{
	size_t	 i, n;

	f->f_probe_done = done;
	f->f_probe_arg = arg;
	if (f->f_npools < 2 || ep == NULL) {
		/* Nothing to choose from: report at once, from the loop. */
		if (done != NULL)
			done(f->f_npools, arg);
		return;
	}
	n = f->f_npools;
	f->f_probing = n;
	for (i = 0; i < n; i++) {
		f->f_pools[i].fp_ok = f->f_pools[i].fp_tries = 0;
		f->f_pools[i].fp_dead = 0;
		fronted_sni_next(f, ep->ep_priv, &f->f_pools[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Pre-flight. */

struct fronted_pf;

struct fronted_pfe {
	struct fronted_pf	*pe_pf;
	struct fronted_ep	*pe_fe;
	struct fcall		*pe_fc;
	int			 pe_step;
};

struct fronted_pf {
	struct fronted		*pf_f;
	struct fronted_pfe	*pf_e;
	size_t			 pf_n;
	size_t			 pf_left;
	size_t			 pf_ok;
	uint8_t			*pf_probe;	/* our copy */
	size_t			 pf_probelen;
	fronted_check_fn	 pf_check;
	void			(*pf_done)(size_t, void *);
	void			*pf_arg;
	double			 pf_deadline;
};

static void
fronted_pf_end(struct fronted_pfe *pe, enum ep_result r, const char *msg)
{
	struct fronted_pf	*pf = pe->pe_pf;
	struct fronted		*f = pf->pf_f;
	double			 now = ev_now(f->f_loop);

	pe->pe_fc = NULL;
	if (r == EP_OK) {
		log_info("pre-flight %s: ok (%s)", pe->pe_fe->fe_short, msg);
		pf->pf_ok++;
	} else
		log_warnx("pre-flight %s: %s", pe->pe_fe->fe_short, msg);
	if (f->f_hs != NULL && r != EP_OK)
		health_report(&pe->pe_fe->fe_ep, r, 0, 0, now, msg);
	if (--pf->pf_left > 0)
		return;
	if (pf->pf_ok == 0)
		log_warnx("pre-flight: no Apps Script endpoint is healthy; "
		    "continuing anyway");
	if (pf->pf_done != NULL)
		pf->pf_done(pf->pf_ok, pf->pf_arg);
	free(pf->pf_probe);
	free(pf->pf_e);
	free(pf);
}

static void
fronted_pf_got(struct fcall *fc, int herr, const char *errstr, int sent,
    int status, const uint8_t *b, size_t len, void *arg)
{
	struct fronted_pfe	*pe = arg;
	struct fronted_pf	*pf = pe->pe_pf;
	struct fronted_ep	*fe = pe->pe_fe;
	enum ep_result		 r;
	const char		*why, *bad;
	char			 msg[600];
	double			 left;

	(void)fc;
	(void)sent;
	if (herr != HTTPC_OK) {
		r = fronted_herr_class(herr);
		snprintf(msg, sizeof(msg), "cannot reach the Google edge "
		    "(%s); check the network or try another google_host / "
		    "sni", errstr ? errstr : httpc_err_str(herr));
		if (r == EP_FAIL_TRANSPORT)
			r = EP_FAIL_SOFT;
		fronted_pf_end(pe, r, msg);
		return;
	}
	if (pe->pe_step == 1) {
		r = fronted_judge_get(fe->fe_short, status, b, len, msg,
		    sizeof(msg));
		if (r != EP_OK && r != EP_FAIL_SOFT) {
			fronted_pf_end(pe, r, msg);
			return;
		}
		pe->pe_step = 2;
		left = pf->pf_deadline - ev_now(pf->pf_f->f_loop);
		if (left <= 0 || (pe->pe_fc = fronted_fcall_start(fe, NULL,
		    NULL, pf->pf_probe, pf->pf_probelen, left, fronted_pf_got,
		    pe)) == NULL)
			fronted_pf_end(pe, EP_FAIL_SOFT, "no time left for the "
			    "probe POST");
		return;
	}
	/* Step 2: the probe batch through Code.gs and the exit. */
	r = fronted_classify(status, b, len, &why);
	if (r != EP_OK) {
		snprintf(msg, sizeof(msg), "probe POST: HTTP %d: %s", status,
		    why);
		fronted_pf_end(pe, r, msg);
		return;
	}
	if (pf->pf_check != NULL &&
	    (bad = pf->pf_check(b, len, pf->pf_arg)) != NULL) {
		fronted_pf_end(pe, EP_FAIL_HARD, bad);
		return;
	}
	fronted_pf_end(pe, EP_OK, "doGet and probe POST answered");
}

void
fronted_preflight(struct fronted *f, struct cendpoint **eps, size_t n,
    const uint8_t *probe, size_t probelen, fronted_check_fn check,
    void (*done)(size_t, void *), void *arg)
{
	struct fronted_pf	*pf;
	struct fronted_pfe	*pe;
	double			 now = ev_now(f->f_loop);
	size_t			 i;

	if ((pf = calloc(1, sizeof(*pf))) == NULL ||
	    (pf->pf_e = calloc(n ? n : 1, sizeof(*pf->pf_e))) == NULL ||
	    (pf->pf_probe = malloc(probelen ? probelen : 1)) == NULL) {
		if (pf != NULL)
			free(pf->pf_e);
		free(pf);
		if (done != NULL)
			done(0, arg);
		return;
	}
	memcpy(pf->pf_probe, probe, probelen);
	pf->pf_f = f;
	pf->pf_n = n;
	pf->pf_probelen = probelen;
	pf->pf_check = check;
	pf->pf_done = done;
	pf->pf_arg = arg;
	pf->pf_deadline = now + FRONTED_PREFLIGHT_CAP;
	/* Count first: a synchronous failure must not end it early. */
	pf->pf_left = n + 1;
	for (i = 0; i < n; i++) {
		pe = &pf->pf_e[i];
		pe->pe_pf = pf;
		pe->pe_fe = eps[i]->ep_priv;
		pe->pe_step = 1;
		if (health_quarantined(eps[i], now)) {
			log_info("pre-flight %s: skipped (quota quarantine "
			    "until the Pacific midnight reset)",
			    pe->pe_fe->fe_short);
			pf->pf_left--;
			continue;
		}
		pe->pe_fc = fronted_fcall_start(pe->pe_fe, NULL, NULL, NULL, 0,
		    FRONTED_PREFLIGHT_CAP, fronted_pf_got, pe);
		if (pe->pe_fc == NULL)
			fronted_pf_end(pe, EP_FAIL_SOFT, "cannot start");
	}
	/* Drop the extra count; finishes now if nothing was started. */
	if (--pf->pf_left == 0) {
		if (pf->pf_done != NULL)
			pf->pf_done(pf->pf_ok, pf->pf_arg);
		free(pf->pf_probe);
		free(pf->pf_e);
		free(pf);
	}
}

/* ------------------------------------------------------------------ */

int
fronted_setup(struct ev_loop *loop, const struct carrier_conf *cc,
    const uint8_t *ca, size_t calen, struct fronted_setup *fs, char *err,
    size_t errlen)
{
	char	 e[256];
	size_t	 i;

	memset(fs, 0, sizeof(*fs));
	if (cc->cc_nscripts == 0) {
		snprintf(err, errlen, "apps_script needs script_keys");
		return (-1);
	}
	if ((fs->fs_health = health_set_new(cc, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	fs->fs_fronted = fronted_new(loop, cc, ca, calen, fs->fs_health, err,
	    errlen);
	if (fs->fs_fronted == NULL)
		goto fail;
	for (i = 0; i < cc->cc_nscripts && i < CONF_MAX_SCRIPTS; i++) {
		fs->fs_eps[i] = fronted_endpoint_new(fs->fs_fronted,
		    cc->cc_scripts[i].cs_id, cc->cc_scripts[i].cs_account, e,
		    sizeof(e));
		if (fs->fs_eps[i] == NULL) {
			snprintf(err, errlen, "script_keys #%zu: %s", i + 1, e);
			goto fail;
		}
		fs->fs_neps++;
	}
	return (0);
 fail:
	fronted_teardown(fs);
	return (-1);
}

void
fronted_teardown(struct fronted_setup *fs)
{
	size_t	 i;

	/* The health set points at the endpoints: it goes first. */
	health_set_free(fs->fs_health);
	fs->fs_health = NULL;
	for (i = 0; i < fs->fs_neps; i++)
		fs->fs_eps[i]->ep_ops->eo_free(fs->fs_eps[i]);
	fs->fs_neps = 0;
	fronted_free(fs->fs_fronted);
	fs->fs_fronted = NULL;
}
