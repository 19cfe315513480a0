/*
 * Parsers for the keys that are more than a scalar: the tunnel key, the
 * endpoint lists, hosts, the upstream proxy and DNS servers.  Each checks
 * what GooseRelayVPN checks (docs/protocol.md 4.1, 5) with the same advice in
 * its message, and never echoes a secret.
 */
#include "gr_config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_keys.h"
#include "wire.h"

/* Pieces of scheme://[userinfo@]host[:port][/path?query]. */
struct conf_url {
	char		 u_scheme[16];
	char		 u_user[CONF_CRED_LEN];	/* raw userinfo, "" = none */
	char		 u_host[CONF_HOST_LEN];	/* without brackets */
	int		 u_v6;
	int		 u_has_port;
	uint16_t	 u_port;
	char		 u_rest[CONF_URL_LEN];	/* path, query, fragment */
};

typedef void	(*conf_values_item_fn)(struct conf_ctx *,
		    const struct conf_key *, yaml_node_t *, const char *,
		    size_t);

static int	conf_values_list(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, size_t, conf_values_item_fn);
static const char *conf_values_url(const char *, struct conf_url *);
static void	conf_values_script(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, const char *, size_t);
static void	conf_values_ghost(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, const char *, size_t);
static void	conf_values_sni_item(struct conf_ctx *,
		    const struct conf_key *, yaml_node_t *, const char *,
		    size_t);
static void	conf_values_relay(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, const char *, size_t);
static void	conf_values_stream(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, const char *, size_t);
static void	conf_values_dns(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *, const char *, size_t);
static int	conf_values_pct_decode(char *, size_t, const char *, size_t);

/*
 * tunnel_key (and legacy aes_key_hex): 64 hex characters, one per file.
 * The characters are read by wire_key_parse() (common/wire_aead.c), the
 * one key parser; this adds what an operator needs to hear: the
 * placeholder of the example file, the length found, how to make a key.
 */
void
conf_values_tunnel_key(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	char		 tmp[80];
	uint8_t		 key[WIRE_KEY_LEN];
	const char	*s, *err;
	size_t		 n;
	int		 top;

	if (conf_is_null(v))
		return;
	cx->cx_key_tried = 1;
	if ((s = conf_scalar(cx, k, v, "a string of 64 hex characters")) ==
	    NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp), s) == -1) {
		conf_msg(cx, 1, v, k->k_name, "must be exactly 64 hex "
		    "characters (got %zu)", strlen(s));
		return;
	}
	n = strlen(tmp);
	if (n == 0) {
		conf_msg(cx, 1, v, k->k_name, "is empty; generate a key with: "
		    "openssl rand -hex 32");
		return;
	}
	if (strncmp(tmp, "REPLACE_WITH", 12) == 0 ||
	    strncmp(tmp, "SAME_VALUE_AS", 13) == 0 ||
	    strncmp(tmp, "YOUR_", 5) == 0) {
		conf_msg(cx, 1, v, k->k_name, "still the placeholder text; "
		    "generate a key with: openssl rand -hex 32 (the same "
		    "value on client and server)");
		explicit_bzero(tmp, sizeof(tmp));
		return;
	}
	if (wire_key_parse(tmp, key, &err) == -1) {
		if (n != 2 * WIRE_KEY_LEN)
			conf_msg(cx, 1, v, k->k_name, "%s (got %zu)", err, n);
		else
			conf_msg(cx, 1, v, k->k_name, "%s", err);
		explicit_bzero(tmp, sizeof(tmp));
		explicit_bzero(key, sizeof(key));
		return;
	}
	explicit_bzero(tmp, sizeof(tmp));
	if (cx->cx_have_key &&
	    memcmp(key, cx->cx_conf->gc_key, sizeof(key)) != 0) {
		conf_msg(cx, 1, v, k->k_name, "differs from the tunnel_key at "
		    "line %" PRIu32 " (carrier and exit must use the same "
		    "key)", cx->cx_key_line);
		explicit_bzero(key, sizeof(key));
		return;
	}
	memcpy(cx->cx_conf->gc_key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	cx->cx_have_key = 1;
	cx->cx_key_line = cx->cx_kline;
	conf_mark(cx, k, v);
	/* The top-level row carries the origin printed by the dump. */
	if ((top = conf_find(cx, KS_TOP, "tunnel_key")) >= 0) {
		cx->cx_conf->gc_origin_kind[top] = CONF_ORIGIN_FILE;
		cx->cx_conf->gc_origin_line[top] = cx->cx_kline;
	}
}

/*
 * Walk a list value (a single scalar counts as a one-item list), calling
 * fn for each non-empty trimmed string.  Returns -1 if the value was not
 * usable at all.
 */
static int
conf_values_list(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v, size_t max, conf_values_item_fn fn)
{
	yaml_node_item_t	*it;
	yaml_node_t		*item;
	char			 tmp[CONF_URL_LEN];
	const char		*s;
	size_t			 idx;

	if (v->type == YAML_SCALAR_NODE) {
		if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
			return (-1);
		if (conf_trim(tmp, sizeof(tmp), s) == -1) {
			conf_msg(cx, 1, v, k->k_name, "too long (max %zu "
			    "bytes)", sizeof(tmp) - 1);
			return (-1);
		}
		if (tmp[0] != '\0')
			fn(cx, k, v, tmp, 0);
		return (0);
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		conf_msg(cx, 1, v, k->k_name, "expected a list");
		return (-1);
	}
	idx = 0;
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, idx++) {
		if ((item = conf_node(cx, *it)) == NULL)
			continue;
		if (idx >= max) {
			conf_msg(cx, 1, item, k->k_name, "too many entries "
			    "(max %zu)", max);
			return (-1);
		}
		if (item->type == YAML_MAPPING_NODE &&
		    fn == conf_values_script) {
			fn(cx, k, item, NULL, idx);
			continue;
		}
		if (item->type != YAML_SCALAR_NODE) {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: expected "
			    "a string", idx);
			continue;
		}
		s = (const char *)item->data.scalar.value;
		if (strlen(s) != item->data.scalar.length) {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: contains "
			    "a NUL byte", idx);
			continue;
		}
		if (conf_trim(tmp, sizeof(tmp), s) == -1) {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: too long "
			    "(max %zu bytes)", idx, sizeof(tmp) - 1);
			continue;
		}
		fn(cx, k, item, tmp, idx);
	}
	return (0);
}

/* script_keys: ids or /exec URLs, or {"id": ..., "account": ...}. */
void
conf_values_script_keys(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;

	cc->cc_nscripts = 0;
	if (conf_is_null(v))
		return;
	if (conf_values_list(cx, k, v, CONF_MAX_SCRIPTS,
	    conf_values_script) == 0)
		conf_mark(cx, k, v);
}

static void
conf_values_script(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	yaml_node_pair_t	*p;
	yaml_node_t		*pk, *pv;
	char			 idbuf[CONF_URL_LEN], acct[CONF_ACCOUNT_LEN];
	const char		*id, *q, *seg;
	size_t			 n, i;

	acct[0] = '\0';
	if (s == NULL) {
		/* {"id": ..., "account": ...} */
		idbuf[0] = '\0';
		for (p = item->data.mapping.pairs.start;
		    p < item->data.mapping.pairs.top; p++) {
			pk = conf_node(cx, p->key);
			pv = conf_node(cx, p->value);
			if (pk == NULL || pv == NULL ||
			    pk->type != YAML_SCALAR_NODE)
				continue;
			q = (const char *)pk->data.scalar.value;
			if (pv->type != YAML_SCALAR_NODE) {
				conf_msg(cx, 1, pv, k->k_name, "entry %zu: "
				    "%s: expected a string", idx, q);
				return;
			}
			if (strcmp(q, "id") == 0) {
				if (conf_trim(idbuf, sizeof(idbuf),
				    (const char *)pv->data.scalar.value) ==
				    -1) {
					conf_msg(cx, 1, pv, k->k_name, "entry "
					    "%zu: id too long", idx);
					return;
				}
			} else if (strcmp(q, "account") == 0) {
				if (conf_trim(acct, sizeof(acct),
				    (const char *)pv->data.scalar.value) ==
				    -1) {
					conf_msg(cx, 1, pv, k->k_name, "entry "
					    "%zu: account label too long "
					    "(max %zu)", idx,
					    sizeof(acct) - 1);
					return;
				}
				for (q = acct; *q != '\0'; q++)
					if (iscntrl((unsigned char)*q)) {
						conf_msg(cx, 1, pv, k->k_name,
						    "entry %zu: account label "
						    "contains control "
						    "characters", idx);
						return;
					}
			} else if (strncmp(q, "_comment", 8) != 0)
				conf_msg(cx, 0, pk, k->k_name, "entry %zu: "
				    "unknown key (ignored)", idx);
		}
		s = idbuf;
	}

	if (*s == '\0') {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: empty deployment "
		    "id", idx);
		return;
	}
	if (strcmp(s, "REPLACE_WITH_DEPLOYMENT_ID") == 0 ||
	    strcmp(s, "OPTIONAL_SECOND_DEPLOYMENT_ID") == 0) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: still the "
		    "placeholder text from the example config; paste your "
		    "Deployment ID", idx);
		return;
	}
	if (strstr(s, "/edit") != NULL || strstr(s, "script.google.com/d/") !=
	    NULL || strstr(s, "/home/projects/") != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: this is the Apps "
		    "Script editor URL, not a Deployment ID; copy the string "
		    "between /s/ and /exec of the Web App URL (Deploy, "
		    "Manage deployments)", idx);
		return;
	}
	if (strpbrk(s, " \t\r\n") != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: contains "
		    "whitespace; paste the Deployment ID without spaces or "
		    "line breaks", idx);
		return;
	}
	/* A pasted https://script.google.com/macros/s/<ID>/exec URL. */
	id = s;
	if (strstr(s, "://") != NULL) {
		if (strncasecmp(s, "https://script.google.com/", 26) != 0 ||
		    (seg = strstr(s, "/s/")) == NULL) {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: not an "
			    "Apps Script Web App URL (https://script.google."
			    "com/macros/s/<ID>/exec)", idx);
			return;
		}
		id = seg + 3;
		n = strcspn(id, "/?#");
		if (n >= sizeof(idbuf)) {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: too "
			    "long", idx);
			return;
		}
		memmove(idbuf, id, n);
		idbuf[n] = '\0';
		id = idbuf;
	}
	if (strncmp(id, "AKfycb", 6) != 0) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: deployment IDs "
		    "start with \"AKfycb\"; this may be the script ID from the "
		    "editor instead of the Deployment ID", idx);
		return;
	}
	n = strlen(id);
	if (n < 50) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: deployment ID "
		    "looks too short (%zu chars; expected about 70); it may be "
		    "truncated", idx, n);
		return;
	}
	if (n >= CONF_SCRIPT_ID_LEN) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: deployment ID too "
		    "long (%zu chars, max %d)", idx, n, CONF_SCRIPT_ID_LEN - 1);
		return;
	}
	for (q = id; *q != '\0'; q++)
		if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
			conf_msg(cx, 1, item, k->k_name, "entry %zu: invalid "
			    "character in deployment ID", idx);
			return;
		}
	for (i = 0; i < cc->cc_nscripts; i++)
		if (strcmp(cc->cc_scripts[i].cs_id, id) == 0) {
			conf_msg(cx, 0, item, k->k_name, "entry %zu: duplicate "
			    "deployment ID (ignored)", idx);
			return;
		}
	conf_copy(cc->cc_scripts[cc->cc_nscripts].cs_id, CONF_SCRIPT_ID_LEN,
	    id);
	conf_copy(cc->cc_scripts[cc->cc_nscripts].cs_account,
	    CONF_ACCOUNT_LEN, acct);
	cc->cc_nscripts++;
}

/*
 * NULL if s is a bare host name or IP literal, else why not.  Ports are
 * refused: where one is allowed the caller has split it off.
 */
const char *
conf_values_host_error(const char *s, int dns_only)
{
	unsigned char	 a[16];
	const char	*p, *label;

	if (*s == '\0')
		return ("empty host name");
	if (*s == '[' || (strchr(s, ':') != NULL &&
	    inet_pton(AF_INET6, s, a) != 1))
		return ("must be a bare host name or IP address, without a "
		    "port");
	if (inet_pton(AF_INET6, s, a) == 1 || inet_pton(AF_INET, s, a) == 1)
		return (dns_only ? "must be a DNS name, not an IP address" :
		    NULL);
	if (strlen(s) > 253)
		return ("host name too long");
	label = s;
	for (p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63)
				return ("is not a valid host name");
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return ("is not a valid host name");
	}
	return (NULL);
}

/* google_host: host/IP, list, or comma-separated string; port fixed. */
void
conf_values_google_host(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	char			 saved[CONF_HOST_LEN];

	if (conf_is_null(v))
		return;
	conf_copy(saved, sizeof(saved), cc->cc_google_host[0]);
	cc->cc_nghosts = 0;
	if (conf_values_list(cx, k, v, CONF_MAX_GHOSTS,
	    conf_values_ghost) == -1 || cc->cc_nghosts == 0) {
		/* Nothing usable: keep the default, as GooseRelayVPN does. */
		cc->cc_nghosts = 1;
		conf_copy(cc->cc_google_host[0], CONF_HOST_LEN, saved);
		return;
	}
	conf_mark(cx, k, v);
}

static void
conf_values_ghost(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	char			 one[CONF_HOST_LEN];
	const char		*err, *comma;
	size_t			 n;

	/* GooseRelayVPN also takes "ip1,ip2" in one string. */
	while (*s != '\0') {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n >= sizeof(one)) {
			conf_msg(cx, 1, item, k->k_name, "host name too long");
			return;
		}
		memcpy(one, s, n);
		one[n] = '\0';
		s += n + (comma != NULL);
		if (conf_trim(one, sizeof(one), one) == -1 ||
		    one[0] == '\0')
			continue;
		if ((err = conf_values_host_error(one, 0)) != NULL) {
			conf_msg(cx, 1, item, k->k_name, "%s%s", err,
			    strstr(err, "port") != NULL ? " (port 443 is "
			    "fixed)" : "");
			return;
		}
		if (cc->cc_nghosts >= CONF_MAX_GHOSTS) {
			conf_msg(cx, 1, item, k->k_name, "too many hosts (max "
			    "%d)", CONF_MAX_GHOSTS);
			return;
		}
		conf_copy(cc->cc_google_host[cc->cc_nghosts++], CONF_HOST_LEN,
		    one);
	}
	(void)idx;
}

/* sni: one name or a list; "" or [] keep the default three. */
void
conf_values_sni(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	struct carrier_conf	 def;

	if (conf_is_null(v))
		return;
	cc->cc_nsni = 0;
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
		goto keep;
	if (conf_values_list(cx, k, v, CONF_MAX_SNI,
	    conf_values_sni_item) == -1 || cc->cc_nsni == 0)
		goto keep;
	conf_mark(cx, k, v);
	return;
keep:
	conf_defaults_carrier(&def);
	cc->cc_nsni = def.cc_nsni;
	memcpy(cc->cc_sni, def.cc_sni, sizeof(cc->cc_sni));
}

static void
conf_values_sni_item(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	const char		*err;

	if (*s == '\0') {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: empty server "
		    "name", idx);
		return;
	}
	if ((err = conf_values_host_error(s, 1)) != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: %s", idx, err);
		return;
	}
	if (strlen(s) >= CONF_HOST_LEN)
		return;
	conf_copy(cc->cc_sni[cc->cc_nsni++], CONF_HOST_LEN, s);
}

/*
 * A small URL splitter: the supervisor links no URL library and only
 * needs scheme, userinfo, host, port and the rest, checked strictly.
 */
static const char *
conf_values_url(const char *s, struct conf_url *u)
{
	const char	*p, *auth, *end, *at, *h, *hend;
	size_t		 n;
	unsigned long	 port;
	char		*ep, tmp[8];
	unsigned char	 a[16];

	memset(u, 0, sizeof(*u));
	if (strpbrk(s, " \t\r\n") != NULL)
		return ("contains whitespace");
	if ((p = strstr(s, "://")) == NULL || p == s ||
	    (size_t)(p - s) >= sizeof(u->u_scheme))
		return ("must be an absolute URL (scheme://host[:port]/path)");
	for (n = 0; s + n < p; n++) {
		if (!isalpha((unsigned char)s[n]) &&
		    !(n > 0 && (isdigit((unsigned char)s[n]) ||
		    s[n] == '+' || s[n] == '-' || s[n] == '.')))
			return ("must be an absolute URL "
			    "(scheme://host[:port]/path)");
		u->u_scheme[n] = (char)tolower((unsigned char)s[n]);
	}
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	if (conf_copy(u->u_rest, sizeof(u->u_rest), end) == -1)
		return ("too long");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	h = auth;
	if (at != NULL) {
		if ((size_t)(at - auth) >= sizeof(u->u_user))
			return ("credentials too long");
		memcpy(u->u_user, auth, (size_t)(at - auth));
		h = at + 1;
	}
	if (*h == '[') {
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL)
			return ("unterminated [IPv6] address");
		n = (size_t)(hend - h - 1);
		if (n >= sizeof(u->u_host))
			return ("host name too long");
		memcpy(u->u_host, h + 1, n);
		if (inet_pton(AF_INET6, u->u_host, a) != 1)
			return ("invalid IPv6 address");
		u->u_v6 = 1;
		p = hend + 1;
		if (p < end && *p != ':')
			return ("invalid host");
	} else {
		for (p = h; p < end && *p != ':'; p++)
			;
		n = (size_t)(p - h);
		if (n >= sizeof(u->u_host))
			return ("host name too long");
		memcpy(u->u_host, h, n);
		if (n > 0 && conf_values_host_error(u->u_host, 0) != NULL)
			return ("invalid host name");
	}
	if (u->u_host[0] == '\0')
		return ("host is required");
	if (p < end && *p == ':') {
		n = (size_t)(end - p - 1);
		if (n == 0 || n >= sizeof(tmp))
			return ("invalid port");
		memcpy(tmp, p + 1, n);
		tmp[n] = '\0';
		if (!isdigit((unsigned char)tmp[0]))
			return ("invalid port");
		port = strtoul(tmp, &ep, 10);
		if (*ep != '\0' || port < 1 || port > 65535)
			return ("port must be 1..65535");
		u->u_has_port = 1;
		u->u_port = (uint16_t)port;
	}
	return (NULL);
}

/* Reassemble a URL with another scheme and rest. */
static int
conf_values_url_build(char *dst, size_t len, const struct conf_url *u,
    const char *scheme, const char *rest)
{
	char	 port[8] = "";
	int	 n;

	if (u->u_has_port)
		snprintf(port, sizeof(port), ":%u", u->u_port);
	n = snprintf(dst, len, "%s://%s%s%s%s%s%s%s", scheme, u->u_user,
	    u->u_user[0] != '\0' ? "@" : "", u->u_v6 ? "[" : "", u->u_host,
	    u->u_v6 ? "]" : "", port, rest);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

void
conf_values_relay_urls(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	cx->cx_conf->gc_carrier.cc_nrelay = 0;
	if (conf_is_null(v))
		return;
	if (conf_values_list(cx, k, v, CONF_MAX_URLS, conf_values_relay) == 0)
		conf_mark(cx, k, v);
}

/*
 * The URL rebuilt from u with scheme and rest, appended to urls[*n]
 * unless already there (conf_values_list bounds *n).
 */
static void
conf_values_url_add(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, size_t idx, const struct conf_url *u,
    const char *scheme, const char *rest, char (*urls)[CONF_URL_LEN],
    uint32_t *n)
{
	char		 out[CONF_URL_LEN];
	uint32_t	 i;

	if (conf_values_url_build(out, sizeof(out), u, scheme, rest) == -1) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: too long", idx);
		return;
	}
	for (i = 0; i < *n; i++)
		if (strcmp(urls[i], out) == 0)
			return;
	conf_copy(urls[(*n)++], CONF_URL_LEN, out);
}

/* relay_urls: http(s) POST endpoints, used as given. */
static void
conf_values_relay(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	struct conf_url		 u;
	const char		*err;

	if (*s == '\0')
		return;
	if ((err = conf_values_url(s, &u)) != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: %s", idx, err);
		return;
	}
	if (strcmp(u.u_scheme, "http") != 0 &&
	    strcmp(u.u_scheme, "https") != 0) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: scheme must be "
		    "http or https", idx);
		return;
	}
	conf_values_url_add(cx, k, item, idx, &u, u.u_scheme, u.u_rest,
	    cc->cc_relay_urls, &cc->cc_nrelay);
}

void
conf_values_stream_urls(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	cx->cx_conf->gc_carrier.cc_nstream = 0;
	if (conf_is_null(v))
		return;
	if (conf_values_list(cx, k, v, CONF_MAX_URLS, conf_values_stream) ==
	    0)
		conf_mark(cx, k, v);
}

/*
 * URL userinfo the carrier sends as Basic auth on the stream's upgrade
 * (as GooseRelayVPN's Go client does through net/http): the characters
 * Go's net/url accepts there, and escapes that decode.  -1: bad.
 */
static int
conf_values_userinfo(const char *ui)
{
	char		 tmp[CONF_CRED_LEN];
	const char	*p, *colon = strchr(ui, ':');
	size_t		 ulen;

	ulen = colon != NULL ? (size_t)(colon - ui) : strlen(ui);
	for (p = ui; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("-._:~!$&'()*+,;=%@", *p) == NULL)
			return (-1);
	if (conf_values_pct_decode(tmp, sizeof(tmp), ui, ulen) == -1 ||
	    (colon != NULL && conf_values_pct_decode(tmp, sizeof(tmp),
	    colon + 1, strlen(colon + 1)) == -1))
		return (-1);
	return (0);
}

/*
 * direct_stream_urls: ws(s), or http(s) turned into ws(s); an empty
 * path, "/" or "/tunnel" becomes "/stream" (docs/protocol.md 4.1).
 */
static void
conf_values_stream(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	struct conf_url		 u;
	const char		*err, *scheme, *rest;
	char			 path[CONF_URL_LEN];
	size_t			 plen;

	if (*s == '\0')
		return;
	if ((err = conf_values_url(s, &u)) != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: %s", idx, err);
		return;
	}
	if (u.u_user[0] != '\0' && conf_values_userinfo(u.u_user) == -1) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: invalid userinfo "
		    "(expected user[:password]@, percent-encoded)", idx);
		return;
	}
	if (strcmp(u.u_scheme, "ws") == 0 || strcmp(u.u_scheme, "http") == 0)
		scheme = "ws";
	else if (strcmp(u.u_scheme, "wss") == 0 ||
	    strcmp(u.u_scheme, "https") == 0)
		scheme = "wss";
	else {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: scheme must be ws "
		    "or wss (or http/https)", idx);
		return;
	}
	plen = strcspn(u.u_rest, "?#");
	if ((plen == 0) || (plen == 1 && u.u_rest[0] == '/') ||
	    (plen == 7 && strncmp(u.u_rest, "/tunnel", 7) == 0)) {
		snprintf(path, sizeof(path), "/stream%s", u.u_rest + plen);
		rest = path;
	} else
		rest = u.u_rest;
	conf_values_url_add(cx, k, item, idx, &u, scheme, rest,
	    cc->cc_stream_urls, &cc->cc_nstream);
}

/* client_instance_id: "auto"/"" or <= 128 of [A-Za-z0-9._:-]. */
void
conf_values_instance_id(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct carrier_conf	*cc = &cx->cx_conf->gc_carrier;
	char			 tmp[CONF_INSTANCE_LEN];
	const char		*s, *p;

	if (conf_is_null(v))
		return;
	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp), s) == -1) {
		conf_msg(cx, 1, v, k->k_name, "too long (max %d characters)",
		    CONF_INSTANCE_LEN - 1);
		return;
	}
	if (strcasecmp(tmp, "auto") == 0)
		tmp[0] = '\0';
	for (p = tmp; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._:-", *p) == NULL) {
			conf_msg(cx, 1, v, k->k_name, "may only contain "
			    "letters, digits and . _ : -");
			return;
		}
	conf_copy(cc->cc_instance_id, sizeof(cc->cc_instance_id), tmp);
	conf_mark(cx, k, v);
}

/* Legacy server listen_addr "host:port"; explicit keys win over it. */
void
conf_values_listen_addr(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct exit_conf	*ec = &cx->cx_conf->gc_exit;
	struct conf_url		 u;
	char			 tmp[CONF_HOST_LEN + 16], url[CONF_HOST_LEN + 32];
	const char		*s, *err;
	int			 ih, ip;

	if (conf_is_null(v))
		return;
	if ((s = conf_scalar(cx, k, v, "a string (host:port)")) == NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp), s) == -1 || tmp[0] == '\0')
		return;
	/* ":8443" means every address, as in Go. */
	snprintf(url, sizeof(url), "tcp://%s%s", tmp[0] == ':' ? "0.0.0.0" :
	    "", tmp);
	if ((err = conf_values_url(url, &u)) != NULL || !u.u_has_port ||
	    u.u_user[0] != '\0' || u.u_rest[0] != '\0') {
		conf_msg(cx, 0, v, k->k_name, "not host:port (ignored)");
		return;
	}
	conf_mark(cx, k, v);
	ih = conf_find(cx, KS_EXIT, "server_host");
	ip = conf_find(cx, KS_EXIT, "server_port");
	if (ih >= 0 && cx->cx_line[ih] == 0) {
		conf_copy(ec->ec_server_host, sizeof(ec->ec_server_host),
		    u.u_host);
		cx->cx_conf->gc_origin_kind[ih] = CONF_ORIGIN_FILE;
		cx->cx_conf->gc_origin_line[ih] = cx->cx_kline;
	}
	if (ip >= 0 && cx->cx_line[ip] == 0) {
		ec->ec_server_port = u.u_port;
		cx->cx_conf->gc_origin_kind[ip] = CONF_ORIGIN_FILE;
		cx->cx_conf->gc_origin_line[ip] = cx->cx_kline;
	}
}

/* %XX escapes of URL credentials; %00 is refused. */
static int
conf_values_pct_decode(char *dst, size_t len, const char *s, size_t n)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= len)
			return (-1);
		if (s[i] == '%') {
			if (i + 2 >= n)
				return (-1);
			hi = wire_aead_hexval((unsigned char)s[i + 1]);
			lo = wire_aead_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return (-1);
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			dst[o++] = s[i];
	}
	dst[o] = '\0';
	return (0);
}

/* upstream_proxy: socks5://[user:pass@]host:port; never echoed. */
void
conf_values_upstream_proxy(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	struct exit_conf	*ec = &cx->cx_conf->gc_exit;
	struct conf_url		 u;
	char			 tmp[CONF_URL_LEN];
	const char		*s, *err, *colon;
	size_t			 ulen;

	if (conf_is_null(v))
		return;
	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp), s) == -1) {
		conf_msg(cx, 1, v, k->k_name, "too long");
		return;
	}
	ec->ec_has_proxy = 0;
	ec->ec_proxy_host[0] = ec->ec_proxy_user[0] = ec->ec_proxy_pass[0] =
	    '\0';
	if (tmp[0] == '\0') {
		conf_mark(cx, k, v);
		return;
	}
	err = conf_values_url(tmp, &u);
	if (err == NULL && strcmp(u.u_scheme, "socks5") != 0 &&
	    strcmp(u.u_scheme, "socks5h") != 0)
		err = "";
	if (err != NULL && (*err == '\0' || strstr(err, "absolute") != NULL)) {
		conf_msg(cx, 1, v, k->k_name, "must be a socks5:// URL (e.g. "
		    "socks5://127.0.0.1:40000)");
		goto out;
	}
	if (err != NULL) {
		conf_msg(cx, 1, v, k->k_name, "%s (expected socks5://[user:"
		    "pass@]host:port)", err);
		goto out;
	}
	if (!u.u_has_port) {
		conf_msg(cx, 1, v, k->k_name, "missing port (e.g. "
		    "socks5://127.0.0.1:40000)");
		goto out;
	}
	if (u.u_rest[0] != '\0' && strcmp(u.u_rest, "/") != 0) {
		conf_msg(cx, 1, v, k->k_name, "must not have a path");
		goto out;
	}
	if (u.u_user[0] != '\0') {
		colon = strchr(u.u_user, ':');
		ulen = colon != NULL ? (size_t)(colon - u.u_user) :
		    strlen(u.u_user);
		if (conf_values_pct_decode(ec->ec_proxy_user,
		    sizeof(ec->ec_proxy_user), u.u_user, ulen) == -1 ||
		    (colon != NULL && conf_values_pct_decode(ec->ec_proxy_pass,
		    sizeof(ec->ec_proxy_pass), colon + 1, strlen(colon + 1)) ==
		    -1) || ec->ec_proxy_user[0] == '\0') {
			conf_msg(cx, 1, v, k->k_name, "invalid credentials "
			    "(expected user:pass@, percent-encoded)");
			ec->ec_proxy_user[0] = ec->ec_proxy_pass[0] = '\0';
			goto out;
		}
		if (strlen(ec->ec_proxy_user) > 255 ||
		    strlen(ec->ec_proxy_pass) > 255) {
			conf_msg(cx, 1, v, k->k_name, "credentials too long "
			    "for SOCKS5 (max 255 bytes each)");
			goto out;
		}
	}
	conf_copy(ec->ec_proxy_host, sizeof(ec->ec_proxy_host), u.u_host);
	ec->ec_proxy_port = u.u_port;
	ec->ec_has_proxy = 1;
	conf_mark(cx, k, v);
out:
	explicit_bzero(&u, sizeof(u));
	explicit_bzero(tmp, sizeof(tmp));
}

/* NULL if s is "ip", "ip:port" or "[ip6]:port", else why not. */
const char *
conf_values_dns_error(const char *s)
{
	char		 url[CONF_HOST_LEN + 16];
	struct conf_url	 u;
	unsigned char	 a[16];

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return (NULL);
	snprintf(url, sizeof(url), "dns://%s", s);
	if (conf_values_url(url, &u) != NULL || u.u_user[0] != '\0' ||
	    u.u_rest[0] != '\0' || (!u.u_v6 && inet_pton(AF_INET, u.u_host,
	    a) != 1))
		return ("must be an IP address, optionally with :port");
	return (NULL);
}

void
conf_values_dns_servers(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	cx->cx_conf->gc_exit.ec_ndns = 0;
	if (conf_is_null(v))
		return;
	if (conf_values_list(cx, k, v, CONF_MAX_DNS, conf_values_dns) == 0 &&
	    cx->cx_conf->gc_exit.ec_ndns > 0)
		conf_mark(cx, k, v);
}

static void
conf_values_dns(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *item, const char *s, size_t idx)
{
	struct exit_conf	*ec = &cx->cx_conf->gc_exit;
	const char		*err;

	if (*s == '\0')
		return;
	if ((err = conf_values_dns_error(s)) != NULL) {
		conf_msg(cx, 1, item, k->k_name, "entry %zu: %s", idx, err);
		return;
	}
	conf_copy(ec->ec_dns[ec->ec_ndns++], CONF_HOST_LEN, s);
}
