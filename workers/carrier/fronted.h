/*
 * The apps_script transport: domain-fronted HTTPS to Google Apps Script
 * deployments running contrib/apps-script/Code.gs (docs/protocol.md 2.5, 2.7,
 * 4.2).  TCP to google_host:443, TLS 1.3 with SNI = one of the configured
 * Google names (certificate checked against it), Host script.google.com,
 * POST /macros/s/<id>/exec with the base64 batch, then the 302 to
 * script.googleusercontent.com followed with a GET over the same setup.
 *
 * One struct fronted holds the TLS configuration and one httpc pool per
 * (google_host, SNI) pair, shared by every deployment; requests go round
 * robin over the pools.  Each deployment is a struct cendpoint whose ops
 * the POST loop (post.c) drives like any other endpoint.
 */
#ifndef GR_FRONTED_H
#define GR_FRONTED_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "endpoint.h"

struct ev_loop;
struct fronted;
struct health_set;

#define FRONTED_PORT		443
#define FRONTED_MAX_BODY	(32U * 1024 * 1024)	/* 4.2, 1.6 */
#define FRONTED_HOST_SCRIPT	"script.google.com"
#define FRONTED_HOST_ECHO	"script.googleusercontent.com"

/*
 * ca/calen: PEM bundle from the supervisor (wproc_conf.wc_ca); NULL uses
 * the system bundle, which is only readable before the chroot.  hs may be
 * NULL (no health bookkeeping).  Returns NULL with a reason in err.
 */
struct fronted	*fronted_new(struct ev_loop *, const struct carrier_conf *,
		    const uint8_t *ca, size_t calen, struct health_set *hs,
		    char *err, size_t errlen);
void		 fronted_free(struct fronted *);

/*
 * A deployment id as users paste it: bare "AKfycb..." or a full
 * https://script.google.com/macros/s/<id>/exec (or /a/macros/<domain>/s/
 * <id>/exec, or .../dev) URL.  Writes the bare id; -1 with errstr when it
 * is not one (editor URLs, spaces, too short, wrong prefix).
 */
int		 fronted_parse_id(const char *in, char *out, size_t outlen,
		    const char **errstr);

/*
 * One endpoint per deployment (registered with the health set under its
 * exec URL and account).  Free it with ep->ep_ops->eo_free.
 */
struct cendpoint *fronted_endpoint_new(struct fronted *, const char *id,
		    const char *account, char *err, size_t errlen);

/*
 * Startup SNI probe (2.7): with more than one SNI, two doGet requests of
 * the first endpoint per SNI (8 s, <= 4 KiB, 200 + JSON ok/protocol 1 or
 * the legacy text); SNIs with no success are dropped (all kept if all
 * fail); with >= 3 good SNIs, those slower than 3x the median go too
 * (keeping >= 2).  done(nkept, arg) is called from the loop.
 */
void		 fronted_sni_probe(struct fronted *, struct cendpoint *,
		    void (*done)(size_t, void *), void *arg);
size_t		 fronted_nsni(const struct fronted *);

/*
 * Pre-flight (2.7) of every endpoint in parallel, 20 s cap: step 1 doGet,
 * step 2 POST of probe (the sealed version-probe batch as base64 text).
 * check(body, len, arg) judges a 200 batch reply: NULL if it is a good
 * version reply, else a message ("tunnel_key mismatch ...").  Each
 * endpoint's outcome is logged with the 2.7 wording and fed to health.
 * done(nok, arg) once all finished (the carrier continues either way).
 */
typedef const char *(*fronted_check_fn)(const uint8_t *, size_t, void *);
void		 fronted_preflight(struct fronted *, struct cendpoint **,
		    size_t, const uint8_t *probe, size_t probelen,
		    fronted_check_fn check, void (*done)(size_t, void *),
		    void *arg);

/*
 * Everything the POST loop needs for apps_script in one call: a health set
 * (fronted flavour), the transport, and one endpoint per script_keys entry
 * (ids validated; a bad one is an error naming its position).  Then:
 *	health_set_quota_hook(fs.fs_health, <calls wproc_send_quota>, NULL);
 *	wo_quota_load: health_quota_load(fs.fs_health, json, len, now, &es);
 *	pick: health_acquire(fs.fs_health, HS_IDLE or HS_ACTIVE, tried, n,
 *	    now, &why), exchange, then health_release + health_report;
 *	while waiting with sessions: health_outage() (HO_ABORT: abort all);
 *	at start: fronted_sni_probe(), then fronted_preflight().
 */
struct fronted_setup {
	struct health_set	*fs_health;
	struct fronted		*fs_fronted;
	struct cendpoint	*fs_eps[CONF_MAX_SCRIPTS];
	size_t			 fs_neps;
};
int		 fronted_setup(struct ev_loop *, const struct carrier_conf *,
		    const uint8_t *ca, size_t calen, struct fronted_setup *,
		    char *err, size_t errlen);
void		 fronted_teardown(struct fronted_setup *);

/* Classification of one HTTP outcome of the Apps Script path (4.4). */
enum ep_result	 fronted_classify(int status, const uint8_t *, size_t,
		    const char **detail);

#endif /* GR_FRONTED_H */
