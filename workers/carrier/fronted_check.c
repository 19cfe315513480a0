/*
 * apps_script checks outside the traffic (docs/protocol.md 2.7): the SNI
 * probe that keeps the SNI hosts which answer (and are not far slower
 * than the rest), and the pre-flight of every deployment, a doGet (is
 * Code.gs deployed, public, current?) then a probe POST through Code.gs
 * to the exit.  They use fronted.c's calls (fronted_int.h); post.c runs
 * them before traffic starts.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <jansson.h>

#include "log.h"
#include "httpc.h"
#include "health.h"
#include "fronted.h"
#include "fronted_int.h"

#define FRONTED_PROBE_TIMEOUT	8.0
#define FRONTED_PROBE_BODY	4096
#define FRONTED_PREFLIGHT_CAP	20.0
#define FRONTED_LEGACY_TEXT	"GooseRelay forwarder OK"

/*
 * Judge a doGet answer (2.7 step 1).  Returns EP_OK or a class, and a
 * message in buf.
 */
static enum ep_result
fronted_check_judge(const char *label, int status, const uint8_t *b,
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
fronted_check_body_ok(int status, const uint8_t *b, size_t len)
{
	char	 buf[256];

	if (status != 200 || len > FRONTED_PROBE_BODY)
		return (0);
	if (len == strlen(FRONTED_LEGACY_TEXT) &&
	    memcmp(b, FRONTED_LEGACY_TEXT, len) == 0)
		return (1);
	return (fronted_check_judge("", status, b, len, buf, sizeof(buf)) ==
	    EP_OK);
}

static void	fronted_check_sni_next(struct fronted *, struct fronted_ep *,
		    struct fronted_pool *);

static int
fronted_check_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
fronted_check_lat(const struct fronted_pool *p)
{
	/* Median of one or two samples: the best one when one failed. */
	if (p->fp_ok == 1)
		return (p->fp_lat[0]);
	return ((p->fp_lat[0] + p->fp_lat[1]) / 2);
}

static void
fronted_check_sni_finish(struct fronted *f)
{
	double	 lat[CONF_MAX_SNI * CONF_MAX_GHOSTS], med;
	size_t	 i, ngood = 0, kept;
	char	 dropped[512];
	size_t	 off = 0;

	dropped[0] = '\0';
	for (i = 0; i < f->f_npools; i++)
		if (f->f_pools[i].fp_ok > 0)
			lat[ngood++] = fronted_check_lat(&f->f_pools[i]);
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
		qsort(lat, ngood, sizeof(lat[0]), fronted_check_cmp);
		med = ngood % 2 ? lat[ngood / 2] :
		    (lat[ngood / 2 - 1] + lat[ngood / 2]) / 2;
		kept = ngood;
		for (i = 0; i < f->f_npools && kept > 2; i++)
			if (!f->f_pools[i].fp_dead &&
			    fronted_check_lat(&f->f_pools[i]) > 3 * med) {
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
fronted_check_sni_got(struct fcall *fc, int herr, const char *errstr, int sent,
    int status, const uint8_t *b, size_t len, void *arg)
{
	struct fronted_pool	*p = arg;
	struct fronted_ep	*fe = fc->fc_ep;
	struct fronted		*f = fe->fe_f;

	(void)sent;
	if (herr == HTTPC_OK && fronted_check_body_ok(status, b, len)) {
		p->fp_lat[p->fp_ok++] = ev_now(f->f_loop) - fc->fc_start;
	} else
		log_debug("SNI probe %s via %s: %s", p->fp_sni, p->fp_host,
		    herr != HTTPC_OK ? errstr : "unexpected answer");
	if (++p->fp_tries < 2) {
		fronted_check_sni_next(f, fe, p);
		return;
	}
	if (--f->f_probing == 0)
		fronted_check_sni_finish(f);
}

static void
fronted_check_sni_next(struct fronted *f, struct fronted_ep *fe,
    struct fronted_pool *p)
{
	if (fronted_fcall_start(fe, p, NULL, NULL, 0, FRONTED_PROBE_TIMEOUT,
	    fronted_check_sni_got, p) != NULL)
		return;
	p->fp_tries = 2;
	if (--f->f_probing == 0)
		fronted_check_sni_finish(f);
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
		fronted_check_sni_next(f, ep->ep_priv, &f->f_pools[i]);
	}
}

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
fronted_check_pf_end(struct fronted_pfe *pe, enum ep_result r, const char *msg)
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
fronted_check_pf_got(struct fcall *fc, int herr, const char *errstr, int sent,
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
		fronted_check_pf_end(pe, r, msg);
		return;
	}
	if (pe->pe_step == 1) {
		r = fronted_check_judge(fe->fe_short, status, b, len, msg,
		    sizeof(msg));
		if (r != EP_OK && r != EP_FAIL_SOFT) {
			fronted_check_pf_end(pe, r, msg);
			return;
		}
		pe->pe_step = 2;
		left = pf->pf_deadline - ev_now(pf->pf_f->f_loop);
		if (left <= 0 || (pe->pe_fc = fronted_fcall_start(fe, NULL,
		    NULL, pf->pf_probe, pf->pf_probelen, left,
		    fronted_check_pf_got, pe)) == NULL)
			fronted_check_pf_end(pe, EP_FAIL_SOFT, "no time left "
			    "for the probe POST");
		return;
	}
	/* Step 2: the probe batch through Code.gs and the exit. */
	r = fronted_classify(status, b, len, &why);
	if (r != EP_OK) {
		snprintf(msg, sizeof(msg), "probe POST: HTTP %d: %s", status,
		    why);
		fronted_check_pf_end(pe, r, msg);
		return;
	}
	if (pf->pf_check != NULL &&
	    (bad = pf->pf_check(b, len, pf->pf_arg)) != NULL) {
		fronted_check_pf_end(pe, EP_FAIL_HARD, bad);
		return;
	}
	fronted_check_pf_end(pe, EP_OK, "doGet and probe POST answered");
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
		    FRONTED_PREFLIGHT_CAP, fronted_check_pf_got, pe);
		if (pe->pe_fc == NULL)
			fronted_check_pf_end(pe, EP_FAIL_SOFT, "cannot start");
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
