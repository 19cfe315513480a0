/*
 * Endpoint health, buckets, slots and quota for the POST transports
 * (docs/protocol.md 4.3-4.5).  Pure bookkeeping: the caller supplies the time.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "log.h"
#include "health.h"
#include "stats.h"

#define HEALTH_SLOW_RTT		2.0	/* s: an outlier, a "slow success" */
#define HEALTH_SLOW_WINDOW	120.0
#define HEALTH_NSLOW		8
#define HEALTH_DATA_WINDOW	15.0
#define HEALTH_RTT_UNKNOWN	0.100

struct health_bucket {
	char		 hb_key[CONF_URL_LEN + 8];	/* acct:X | url:U */
	char		 hb_qkey[96];		/* acct:X | urlsha256:hex */
	char		 hb_label[CONF_ACCOUNT_LEN];
	int		 hb_idle;
	int		 hb_active;
	double		 hb_quota_until;
	uint32_t	 hb_today;
	double		 hb_dayend;
};

struct health {
	struct health_set	*h_set;
	struct cendpoint	*h_ep;
	struct health_bucket	*h_bucket;
	char			 h_id[CONF_URL_LEN];
	char			 h_short[64];
	int			 h_fail;
	double			 h_until;
	int			 h_offline;
	int			 h_listed;	/* transition already logged */
	int			 h_gone;	/* removed by a reload */
	double			 h_rtt;		/* EWMA, < 0 = unknown */
	double			 h_slow[HEALTH_NSLOW];
	size_t			 h_nslow;
	double			 h_lastdata;
	uint64_t		 h_ok;
	uint64_t		 h_nfail;
	uint32_t		 h_today;
	double			 h_dayend;
};

struct health_set {
	int			 hs_fronted;
	double			 hs_base;
	double			 hs_max;
	double			 hs_grace;
	uint32_t		 hs_idle_per_bucket;
	uint32_t		 hs_idle_max_buckets;
	enum conf_idle_poll	 hs_idle_mode;
	uint32_t		 hs_tx_per_bucket;
	struct health		**hs_eps;
	size_t			 hs_n;
	struct health_bucket	**hs_buckets;
	size_t			 hs_nb;
	size_t			 hs_rr;
	int			 hs_idle;	/* idle polls in flight */
	size_t			 hs_sessions;
	double			 hs_nosess_since;
	double			 hs_outage_since;	/* 0 = no outage */
	int			 hs_outage_logged;
	int			 hs_abort_logged;
	void			(*hs_hook)(const char *, size_t, void *);
	void			*hs_hookarg;
};

uint32_t
health_fnv32a(const void *p, size_t n)
{
	const uint8_t	*b = p;
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619U;
	}
	return (h);
}

void
health_shorten(const char *id, char *buf, size_t len)
{
	const char	*s = id, *p;
	size_t		 n;

	/* A deployment URL: keep just the id. */
	if ((p = strstr(id, "/macros/s/")) != NULL) {
		s = p + 10;
		n = strcspn(s, "/?");
	} else
		n = strlen(s);
	if (n > 14)
		snprintf(buf, len, "%.6s...%.6s", s, s + n - 6);
	else
		snprintf(buf, len, "%.*s", (int)n, s);
}

/* ------------------------------------------------------------------ */

struct health_set *
health_set_new(const struct carrier_conf *cc, int fronted)
{
	struct health_set	*hs;

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return (NULL);
	hs->hs_fronted = fronted;
	health_set_configure(hs, cc);
	return (hs);
}

/* The knobs of a (new) configuration; state and endpoints stay. */
void
health_set_configure(struct health_set *hs, const struct carrier_conf *cc)
{
	hs->hs_base = cc->cc_blacklist_base_ms / 1000.;
	hs->hs_max = cc->cc_blacklist_max_ms / 1000.;
	if (hs->hs_base <= 0)
		hs->hs_base = 3.;
	if (hs->hs_max < hs->hs_base)
		hs->hs_max = hs->hs_base;
	hs->hs_grace = cc->cc_outage_grace_ms / 1000.;
	hs->hs_idle_per_bucket = cc->cc_idle_slots_per_bucket;
	hs->hs_idle_max_buckets = cc->cc_idle_poll_max_buckets;
	if (hs->hs_idle_max_buckets < 1)
		hs->hs_idle_max_buckets = 1;
	hs->hs_idle_mode = cc->cc_idle_poll_mode;
	hs->hs_tx_per_bucket = cc->cc_tx_slots_per_bucket;
	if (hs->hs_tx_per_bucket < 1)
		hs->hs_tx_per_bucket = 1;
}

void
health_set_free(struct health_set *hs)
{
	size_t	 i;

	if (hs == NULL)
		return;
	for (i = 0; i < hs->hs_n; i++) {
		if (hs->hs_eps[i]->h_ep != NULL)
			hs->hs_eps[i]->h_ep->ep_health = NULL;
		free(hs->hs_eps[i]);
	}
	for (i = 0; i < hs->hs_nb; i++)
		free(hs->hs_buckets[i]);
	free(hs->hs_eps);
	free(hs->hs_buckets);
	free(hs);
}

static void
health_sha256_hex(const char *s, char out[65])
{
	uint8_t		 md[32];
	unsigned int	 mdlen = sizeof(md);
	size_t		 i;

	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static struct health_bucket *
health_bucket_get(struct health_set *hs, const char *id, const char *account)
{
	struct health_bucket	*b, **nb;
	char			 key[sizeof(b->hb_key)], hex[65];
	size_t			 i;

	if (account != NULL && account[0] != '\0')
		snprintf(key, sizeof(key), "acct:%s", account);
	else
		snprintf(key, sizeof(key), "url:%s", id);
	for (i = 0; i < hs->hs_nb; i++)
		if (strcmp(hs->hs_buckets[i]->hb_key, key) == 0)
			return (hs->hs_buckets[i]);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	nb = reallocarray(hs->hs_buckets, hs->hs_nb + 1, sizeof(*nb));
	if (nb == NULL) {
		free(b);
		return (NULL);
	}
	hs->hs_buckets = nb;
	hs->hs_buckets[hs->hs_nb++] = b;
	memcpy(b->hb_key, key, sizeof(key));
	if (account != NULL && account[0] != '\0') {
		snprintf(b->hb_qkey, sizeof(b->hb_qkey), "acct:%s", account);
		snprintf(b->hb_label, sizeof(b->hb_label), "%s", account);
	} else {
		health_sha256_hex(id, hex);
		snprintf(b->hb_qkey, sizeof(b->hb_qkey), "urlsha256:%s", hex);
	}
	return (b);
}

struct health *
health_add(struct health_set *hs, struct cendpoint *ep, const char *id,
    const char *account)
{
	struct health	*h, **n;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	if ((h->h_bucket = health_bucket_get(hs, id, account)) == NULL ||
	    (n = reallocarray(hs->hs_eps, hs->hs_n + 1, sizeof(*n))) == NULL) {
		free(h);
		return (NULL);
	}
	hs->hs_eps = n;
	hs->hs_eps[hs->hs_n++] = h;
	h->h_set = hs;
	h->h_ep = ep;
	h->h_rtt = -1;
	snprintf(h->h_id, sizeof(h->h_id), "%s", id);
	health_shorten(id, h->h_short, sizeof(h->h_short));
	if (account != NULL && account[0] != '\0') {
		size_t l = strlen(h->h_short);

		snprintf(h->h_short + l, sizeof(h->h_short) - l, "@%s",
		    account);
	}
	if (ep != NULL) {
		ep->ep_health = h;
		snprintf(ep->ep_key, sizeof(ep->ep_key), "%s",
		    h->h_bucket->hb_qkey);
	}
	return (h);
}

size_t
health_count(const struct health_set *hs)
{
	return (hs->hs_n);
}

struct cendpoint *
health_endpoint(const struct health_set *hs, size_t i)
{
	return (i < hs->hs_n ? hs->hs_eps[i]->h_ep : NULL);
}

void
health_set_sessions(struct health_set *hs, size_t n, double now)
{
	if (n == 0 && (hs->hs_sessions != 0 || hs->hs_nosess_since == 0))
		hs->hs_nosess_since = now;
	hs->hs_sessions = n;
}

double
health_ttl(const struct health_set *hs, const char *id, int n)
{
	char		 buf[CONF_URL_LEN + 16];
	double		 ttl;
	int		 j, len;

	if (n <= 0)
		return (0);
	if (n <= 5)
		ttl = hs->hs_base * (double)(1U << (n - 1));
	else if (n == 6)
		ttl = 300;
	else if (n == 7)
		ttl = 900;
	else if (n == 8)
		ttl = 1800;
	else
		ttl = hs->hs_max;
	if (ttl > hs->hs_max)
		ttl = hs->hs_max;
	/* Deterministic +-20 %, so endpoints failing together spread out. */
	len = snprintf(buf, sizeof(buf), "%s#%d", id, n);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(buf))
		len = sizeof(buf) - 1;
	j = (int)(health_fnv32a(buf, len) % 41) - 20;
	return (ttl * (100 + j) / 100.);
}

static void
health_day_roll(double *dayend, uint32_t *count, double now)
{
	if (now >= *dayend) {
		*count = 0;
		*dayend = (double)health_pt_next_midnight((time_t)now);
	}
}

static int
health_h_quarantined(const struct health *h, double now)
{
	return (h->h_bucket->hb_quota_until > now);
}

static int
health_h_usable(const struct health *h, double now)
{
	return (!h->h_gone && h->h_until <= now &&
	    !health_h_quarantined(h, now));
}

int
health_usable(const struct cendpoint *ep, double now)
{
	return (ep->ep_health == NULL || health_h_usable(ep->ep_health, now));
}

int
health_quarantined(const struct cendpoint *ep, double now)
{
	return (ep->ep_health != NULL &&
	    health_h_quarantined(ep->ep_health, now));
}

double
health_blacklisted_for(const struct cendpoint *ep, double now)
{
	const struct health	*h = ep->ep_health;
	double			 t;

	if (h == NULL)
		return (0);
	t = h->h_until > h->h_bucket->hb_quota_until ? h->h_until :
	    h->h_bucket->hb_quota_until;
	return (t > now ? t - now : 0);
}

int
health_failcount(const struct cendpoint *ep)
{
	return (ep->ep_health ? ep->ep_health->h_fail : 0);
}

static uint32_t
health_permille(const struct health_bucket *b, double now)
{
	if (now >= b->hb_dayend)
		return (0);
	return ((uint32_t)((uint64_t)b->hb_today * 1000 / HEALTH_QUOTA_DAILY));
}

static size_t
health_nslow(const struct health *h, double now)
{
	size_t	 i, n = 0;

	for (i = 0; i < h->h_nslow && i < HEALTH_NSLOW; i++)
		if (now - h->h_slow[i] < HEALTH_SLOW_WINDOW)
			n++;
	return (n);
}

static double
health_h_score(const struct health *h, double now)
{
	double	 s;

	s = h->h_rtt >= 0 ? h->h_rtt : HEALTH_RTT_UNKNOWN;
	s += 0.250 * h->h_fail;
	s += 0.400 * health_nslow(h, now);
	if (h->h_lastdata > 0 && now - h->h_lastdata < HEALTH_DATA_WINDOW)
		s -= 0.075;
	s += 0.001 * health_permille(h->h_bucket, now);
	if (now < h->h_dayend)
		s += 0.005 * h->h_today;
	return (s);
}

double
health_score(const struct health_set *hs, const struct cendpoint *ep,
    double now)
{
	(void)hs;
	return (ep->ep_health ? health_h_score(ep->ep_health, now) : 0);
}

/* Idle long-polls allowed in flight now (4.3). */
static int
health_idle_cap(const struct health_set *hs, double now)
{
	size_t	 i, j, nb = 0;
	int	 cap, seen;
	double	 idle_for;

	for (i = 0; i < hs->hs_nb; i++) {
		seen = 0;
		for (j = 0; j < hs->hs_n && !seen; j++)
			if (hs->hs_eps[j]->h_bucket == hs->hs_buckets[i] &&
			    health_h_usable(hs->hs_eps[j], now))
				seen = 1;
		nb += seen;
	}
	if (hs->hs_sessions == 0 && nb > hs->hs_idle_max_buckets)
		nb = hs->hs_idle_max_buckets;
	cap = (int)(nb * hs->hs_idle_per_bucket);
	/* Someone must be listening for a pure download. */
	if (hs->hs_sessions > 0 && nb > 0 && cap < 2)
		cap = 2;
	if (hs->hs_sessions == 0) {
		idle_for = hs->hs_nosess_since > 0 ?
		    now - hs->hs_nosess_since : 0;
		switch (hs->hs_idle_mode) {
		case IDLE_POLL_ALWAYS:
			break;
		case IDLE_POLL_ADAPTIVE:
			if (idle_for >= 300)
				cap = 0;
			else if (idle_for >= 30 && cap > 1)
				cap = 1;
			break;
		case IDLE_POLL_OFF:
			cap = 0;
			break;
		}
	}
	return (cap);
}

static int
health_excluded(const struct cendpoint *ep, struct cendpoint *const *ex,
    size_t nex)
{
	size_t	 i;

	for (i = 0; i < nex; i++)
		if (ex[i] == ep)
			return (1);
	return (0);
}

struct cendpoint *
health_acquire(struct health_set *hs, enum health_slot kind,
    struct cendpoint *const *exclude, size_t nexclude, double now,
    const char **why)
{
	struct health	*h, *best = NULL;
	double		 s, bests = 0;
	size_t		 i, k;
	int		 anyfree = 0, below = 0, usable = 0, pass;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (hs->hs_n == 0) {
		*why = "no endpoints";
		return (NULL);
	}
	if (kind == HS_IDLE && hs->hs_idle >= health_idle_cap(hs, now)) {
		*why = "no idle slot";
		return (NULL);
	}
	/* Skip nearly spent accounts while another account has room. */
	for (i = 0; i < hs->hs_n; i++) {
		h = hs->hs_eps[i];
		if (health_h_usable(h, now) &&
		    health_permille(h->h_bucket, now) <
		    HEALTH_QUOTA_SKIP_PERMILLE)
			below = 1;
	}
	/*
	 * Idle polls: at most idle_slots_per_bucket per bucket on the first
	 * pass; the second pass lets the pure-download floor go over it.
	 */
	for (pass = kind == HS_IDLE ? 0 : 1; pass < 2 && best == NULL;
	    pass++)
	for (k = 0; k < hs->hs_n; k++) {
		h = hs->hs_eps[(hs->hs_rr + k) % hs->hs_n];
		if (!health_h_usable(h, now) ||
		    health_excluded(h->h_ep, exclude, nexclude))
			continue;
		usable = 1;
		if (below && health_permille(h->h_bucket, now) >=
		    HEALTH_QUOTA_SKIP_PERMILLE)
			continue;
		if (kind == HS_ACTIVE &&
		    h->h_bucket->hb_active >= (int)hs->hs_tx_per_bucket)
			continue;
		if (pass == 0 &&
		    h->h_bucket->hb_idle >= (int)hs->hs_idle_per_bucket)
			continue;
		anyfree = 1;
		s = health_h_score(h, now);
		/* Spread standing long-polls over buckets. */
		if (kind == HS_IDLE)
			s += 1.0 * h->h_bucket->hb_idle;
		if (best == NULL || s < bests) {
			best = h;
			bests = s;
		}
	}
	if (best == NULL) {
		*why = !usable ? "every endpoint is blacklisted" :
		    !anyfree ? "no active slot" : "no endpoint";
		return (NULL);
	}
	hs->hs_rr = (hs->hs_rr + 1) % hs->hs_n;
	if (kind == HS_IDLE) {
		hs->hs_idle++;
		best->h_bucket->hb_idle++;
	} else
		best->h_bucket->hb_active++;
	return (best->h_ep);
}

void
health_release(struct cendpoint *ep, enum health_slot kind)
{
	struct health	*h = ep->ep_health;

	if (h == NULL)
		return;
	if (kind == HS_IDLE) {
		if (h->h_set->hs_idle > 0)
			h->h_set->hs_idle--;
		if (h->h_bucket->hb_idle > 0)
			h->h_bucket->hb_idle--;
	} else if (h->h_bucket->hb_active > 0)
		h->h_bucket->hb_active--;
}

void
health_count_request(struct cendpoint *ep, double now)
{
	struct health	*h = ep->ep_health;

	if (h == NULL)
		return;
	health_day_roll(&h->h_dayend, &h->h_today, now);
	health_day_roll(&h->h_bucket->hb_dayend, &h->h_bucket->hb_today, now);
	h->h_today++;
	h->h_bucket->hb_today++;
}

uint32_t
health_today(const struct cendpoint *ep, double now)
{
	const struct health	*h = ep->ep_health;

	if (h == NULL || now >= h->h_dayend)
		return (0);
	return (h->h_today);
}

char *
health_quota_json(const struct health_set *hs, double now)
{
	json_t		*root, *arr, *e;
	char		 until[40], *s;
	size_t		 i;

	root = json_object();
	arr = json_array();
	json_object_set_new(root, "version", json_integer(1));
	for (i = 0; i < hs->hs_nb; i++) {
		if (hs->hs_buckets[i]->hb_quota_until <= now)
			continue;
		health_pt_rfc3339(hs->hs_buckets[i]->hb_quota_until, until);
		e = json_object();
		json_object_set_new(e, "key",
		    json_string(hs->hs_buckets[i]->hb_qkey));
		json_object_set_new(e, "until", json_string(until));
		json_array_append_new(arr, e);
	}
	json_object_set_new(root, "entries", arr);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return (s);
}

void
health_set_quota_hook(struct health_set *hs,
    void (*fn)(const char *, size_t, void *), void *arg)
{
	hs->hs_hook = fn;
	hs->hs_hookarg = arg;
}

static void
health_quota_save(struct health_set *hs, double now)
{
	char	*s;

	if (hs->hs_hook == NULL)
		return;
	if ((s = health_quota_json(hs, now)) == NULL)
		return;
	hs->hs_hook(s, strlen(s), hs->hs_hookarg);
	free(s);
}

int
health_quota_load(struct health_set *hs, const char *buf, size_t len,
    double now, const char **errstr)
{
	json_t		*root, *entries, *e, *k, *u;
	json_error_t	 jerr;
	double		 until;
	size_t		 i, j, nq = 0;

	if (len == 0) {
		*errstr = NULL;
		return (0);
	}
	if ((root = json_loadb(buf, len, 0, &jerr)) == NULL) {
		*errstr = "quota state is not JSON";
		return (-1);
	}
	entries = json_object_get(root, "entries");
	if (!json_is_integer(json_object_get(root, "version")) ||
	    json_integer_value(json_object_get(root, "version")) != 1 ||
	    !json_is_array(entries)) {
		json_decref(root);
		*errstr = "quota state: not version 1 with entries";
		return (-1);
	}
	json_array_foreach(entries, i, e) {
		k = json_object_get(e, "key");
		u = json_object_get(e, "until");
		if (!json_is_string(k) || !json_is_string(u) ||
		    health_pt_parse_rfc3339(json_string_value(u), &until) == -1)
			continue;	/* one bad entry spoils nothing else */
		if (until <= now)
			continue;
		for (j = 0; j < hs->hs_nb; j++)
			if (strcmp(hs->hs_buckets[j]->hb_qkey,
			    json_string_value(k)) == 0) {
				hs->hs_buckets[j]->hb_quota_until = until;
				nq++;
			}
	}
	json_decref(root);
	if (nq > 0)
		log_info("quota state: %zu endpoint group%s still quarantined "
		    "until the Pacific midnight reset", nq, nq == 1 ? "" : "s");
	*errstr = NULL;
	return (0);
}

void
health_report(struct cendpoint *ep, enum ep_result r, double rtt,
    int got_data, double now, const char *detail)
{
	struct health		*h = ep->ep_health;
	struct health_set	*hs;
	struct health_bucket	*b;
	double			 ttl;
	char			 until[40];
	size_t			 i;

	if (h == NULL)
		return;
	hs = h->h_set;
	b = h->h_bucket;
	if (detail == NULL)
		detail = "";
	if (r == EP_OK) {
		h->h_fail = 0;
		h->h_until = 0;
		h->h_offline = 0;
		h->h_listed = 0;
		h->h_ok++;
		hs->hs_outage_since = 0;
		hs->hs_outage_logged = 0;
		hs->hs_abort_logged = 0;
		if (rtt >= HEALTH_SLOW_RTT)
			h->h_slow[h->h_nslow++ % HEALTH_NSLOW] = now;
		else if (rtt >= 0)
			h->h_rtt = h->h_rtt < 0 ? rtt :
			    h->h_rtt + (rtt - h->h_rtt) / 8;
		if (got_data)
			h->h_lastdata = now;
		return;
	}
	h->h_nfail++;
	switch (r) {
	case EP_FAIL_OFFLINE:
		/* The local network, not this endpoint: flat, not ramped. */
		h->h_offline = 1;
		if (h->h_until < now + HEALTH_OFFLINE_TTL)
			h->h_until = now + HEALTH_OFFLINE_TTL;
		h->h_listed = 1;
		return;
	case EP_FAIL_RATE:
		if (h->h_fail < 3)
			h->h_fail = 3;
		h->h_fail++;
		break;
	case EP_FAIL_HARD:
	case EP_FAIL_KEY:
		if (h->h_fail < 5)
			h->h_fail = 5;
		h->h_fail++;
		break;
	case EP_FAIL_QUOTA:
		h->h_fail++;
		b->hb_quota_until = (double)health_pt_next_midnight(
		    (time_t)now);
		health_pt_rfc3339(b->hb_quota_until, until);
		log_warnx("endpoint %s: daily quota exhausted (%s); %s "
		    "quarantined until %s (Pacific midnight)", h->h_short,
		    detail, b->hb_label[0] ? "account" : "deployment", until);
		for (i = 0; i < hs->hs_n; i++)
			if (hs->hs_eps[i]->h_bucket == b)
				hs->hs_eps[i]->h_listed = 1;
		health_quota_save(hs, now);
		break;
	default:
		h->h_fail++;
		break;
	}
	h->h_offline = 0;
	ttl = health_ttl(hs, h->h_id, h->h_fail);
	h->h_until = now + ttl;
	/* The caller says it once (epfail.c), with the TTL as its delay. */
	h->h_listed = 1;
}

int
health_all_offline(const struct health_set *hs, double now)
{
	size_t	 i;

	if (hs->hs_n == 0)
		return (0);
	for (i = 0; i < hs->hs_n; i++)
		if (health_h_usable(hs->hs_eps[i], now) ||
		    !hs->hs_eps[i]->h_offline)
			return (0);
	return (1);
}

void
health_clear_offline(struct health_set *hs)
{
	size_t	 i;

	for (i = 0; i < hs->hs_n; i++)
		if (hs->hs_eps[i]->h_offline) {
			hs->hs_eps[i]->h_offline = 0;
			hs->hs_eps[i]->h_until = 0;
		}
}

enum health_outage
health_outage(struct health_set *hs, double now)
{
	size_t	 i;
	double	 grace;
	int	 offline;

	for (i = 0; i < hs->hs_n; i++)
		if (health_h_usable(hs->hs_eps[i], now))
			return (HO_NONE);
	/* The outage lasts until a success, not until a TTL runs out. */
	if (hs->hs_outage_since == 0)
		hs->hs_outage_since = now;
	offline = health_all_offline(hs, now);
	grace = hs->hs_grace;
	if (!offline && grace > HEALTH_OUTAGE_CAP)
		grace = HEALTH_OUTAGE_CAP;
	if (!hs->hs_outage_logged) {
		log_warnx("all %zu endpoint%s unavailable%s; holding sessions "
		    "for up to %.0fs", hs->hs_n, hs->hs_n == 1 ? "" : "s",
		    offline ? " (local network down?)" : "", grace);
		hs->hs_outage_logged = 1;
	}
	if (now - hs->hs_outage_since < grace)
		return (HO_HOLD);
	if (!hs->hs_abort_logged) {
		log_warnx("all %zu endpoint%s unavailable for %.0fs (outage "
		    "grace): aborting %zu local session%s", hs->hs_n,
		    hs->hs_n == 1 ? "" : "s", now - hs->hs_outage_since,
		    hs->hs_sessions, hs->hs_sessions == 1 ? "" : "s");
		hs->hs_abort_logged = 1;
	}
	return (HO_ABORT);
}

void
health_remove(struct cendpoint *ep)
{
	struct health		*h = ep->ep_health;
	struct health_set	*hs;
	size_t			 i;

	if (h == NULL || h->h_gone)
		return;
	hs = h->h_set;
	for (i = 0; i < hs->hs_n; i++)
		if (hs->hs_eps[i] == h) {
			memmove(&hs->hs_eps[i], &hs->hs_eps[i + 1],
			    (hs->hs_n - i - 1) * sizeof(hs->hs_eps[0]));
			hs->hs_n--;
			break;
		}
	if (hs->hs_rr >= hs->hs_n)
		hs->hs_rr = 0;
	h->h_gone = 1;
}

void
health_forget(struct cendpoint *ep)
{
	struct health	*h = ep->ep_health;

	if (h == NULL)
		return;
	if (!h->h_gone)
		health_remove(ep);
	ep->ep_health = NULL;
	free(h);
}

void
health_ep_stats(const struct cendpoint *ep, double now,
    struct stats_endpoint *se, char *id, size_t idlen, char *account,
    size_t accountlen)
{
	const struct health	*h = ep->ep_health;
	const char		*s, *p;
	double			 bl;

	memset(se, 0, sizeof(*se));
	se->se_script = -1;
	se->se_healthy = 1;
	if (idlen > 0)
		id[0] = '\0';
	if (accountlen > 0)
		account[0] = '\0';
	if (h == NULL)
		return;
	/* The exec URL of a deployment: only its id goes out, shortened. */
	if ((p = strstr(h->h_id, "/macros/s/")) != NULL) {
		s = p + 10;
		snprintf(id, idlen, "%.*s", (int)strcspn(s, "/?"), s);
	} else
		snprintf(id, idlen, "%s", h->h_id);
	snprintf(account, accountlen, "%s", h->h_bucket->hb_label);
	se->se_healthy = health_h_usable(h, now);
	se->se_ok = h->h_ok;
	se->se_fail = h->h_nfail;
	se->se_today = now < h->h_dayend ? h->h_today : 0;
	se->se_quota = health_h_quarantined(h, now);
	bl = h->h_until > h->h_bucket->hb_quota_until ? h->h_until :
	    h->h_bucket->hb_quota_until;
	se->se_bl_ms = bl > now ? (uint64_t)((bl - now) * 1000) : 0;
	se->se_rtt_ms = h->h_rtt >= 0 ? (uint64_t)(h->h_rtt * 1000 + 0.5) :
	    0;
}

int
health_stats(const struct health_set *hs, double now, char *buf,
    size_t len)
{
	const struct health	*h;
	size_t			 i, off = 0;
	int			 n;
	double			 bl;

	if (len == 0)
		return (0);
	buf[0] = '\0';
	for (i = 0; i < hs->hs_n; i++) {
		h = hs->hs_eps[i];
		bl = h->h_until > h->h_bucket->hb_quota_until ? h->h_until :
		    h->h_bucket->hb_quota_until;
		n = snprintf(buf + off, len - off, "%s%s ok=%llu fail=%llu "
		    "today=%u", i ? " | " : "", h->h_short,
		    (unsigned long long)h->h_ok,
		    (unsigned long long)h->h_nfail,
		    now < h->h_dayend ? h->h_today : 0);
		if (n < 0 || (size_t)n >= len - off)
			return (-1);
		off += n;
		if (bl > now) {
			n = snprintf(buf + off, len - off, " bl=%.0fs",
			    bl - now);
			if (n < 0 || (size_t)n >= len - off)
				return (-1);
			off += n;
		}
	}
	return ((int)off);
}

const char *
ep_result_str(enum ep_result r)
{
	switch (r) {
	case EP_OK:
		return ("ok");
	case EP_FAIL_SOFT:
		return ("transient failure");
	case EP_FAIL_RATE:
		return ("rate limited");
	case EP_FAIL_QUOTA:
		return ("quota exhausted");
	case EP_FAIL_HARD:
		return ("hard failure");
	case EP_FAIL_OFFLINE:
		return ("local network unreachable");
	case EP_FAIL_TRANSPORT:
		return ("transport error");
	case EP_FAIL_KEY:
		return ("the exit could not decrypt it");
	}
	return ("unknown");
}
