/*
 * apps_script transport: domain-fronted HTTPS to Apps Script deployments.
 * See fronted.h for the model; docs/protocol.md 2.5, 2.7, 4.2, 4.4.
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
#include <tls.h>

#include "log.h"
#include "httpc.h"
#include "health.h"
#include "rtoken.h"
#include "fronted.h"
#include "fronted_int.h"

#define FRONTED_MAX_REDIRECTS	5
#define FRONTED_OFFLINE_EVERY	5.0
#define FRONTED_OFFLINE_DIAL	2.0
#define FRONTED_DEFAULT_GHOST	"216.239.38.120"
#define FRONTED_DEFAULT_SNI	"www.google.com"

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
struct fcall *
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

/* An httpc failure class as an endpoint result. */
enum ep_result
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
	maxidle = 2 * cc->cc_workers_per_endpoint *
	    (cc->cc_nscripts ? cc->cc_nscripts : 1);
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
