/*
 * gooserelayd -n -v: every effective value and where it came from
 * (default, preset, file:line).  Secrets never leave this file in clear:
 * the tunnel key, socks_pass and proxy credentials are redacted, URL
 * credentials hidden and deployment ids shortened to first6...last6.
 */
#include "gr_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf_keys.h"

static const char *const conf_dump_sect[] = { "", "carrier.", "exit." };

/* first6...last6 of a deployment id (the whole id is a credential). */
const char *
confparse_short_id(const char *id, char *buf, size_t len)
{
	size_t	 n = strlen(id);

	if (n <= 12)
		snprintf(buf, len, "%.*s\xe2\x80\xa6", n > 6 ? 6 : (int)n, id);
	else
		snprintf(buf, len, "%.6s\xe2\x80\xa6%s", id, id + n - 6);
	return (buf);
}

/* Append to buf, bounded. */
static void
conf_dump_cat(char *buf, size_t len, const char *s)
{
	size_t	 n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s", s);
}

/* A URL with any user:pass@ replaced. */
static void
conf_dump_url(char *buf, size_t len, const char *url)
{
	const char	*auth, *end, *at, *p;
	char		 tmp[CONF_URL_LEN + 32];

	if ((auth = strstr(url, "://")) == NULL) {
		conf_dump_cat(buf, len, url);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* The last '@' ends the userinfo: a password may hold one. */
	for (at = NULL, p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL) {
		conf_dump_cat(buf, len, url);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*s(redacted)%s", (int)(auth - url), url,
	    at);
	conf_dump_cat(buf, len, tmp);
}

void
conf_dump_secret(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)conf;
	(void)k;
	snprintf(buf, len, "(redacted)");
}

void
conf_dump_scripts(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	const struct carrier_conf	*cc = &conf->gc_carrier;
	char				 s[64];
	uint32_t			 i;

	(void)k;
	snprintf(buf, len, "[");
	for (i = 0; i < cc->cc_nscripts; i++) {
		if (i > 0)
			conf_dump_cat(buf, len, ", ");
		conf_dump_cat(buf, len, confparse_short_id(
		    cc->cc_scripts[i].cs_id, s, sizeof(s)));
		if (cc->cc_scripts[i].cs_account[0] != '\0') {
			conf_dump_cat(buf, len, "@");
			conf_dump_cat(buf, len, cc->cc_scripts[i].cs_account);
		}
	}
	conf_dump_cat(buf, len, "]");
}

static void
conf_dump_list(char *buf, size_t len, const char (*v)[CONF_HOST_LEN],
    uint32_t n)
{
	uint32_t	 i;

	snprintf(buf, len, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			conf_dump_cat(buf, len, ", ");
		conf_dump_cat(buf, len, v[i]);
	}
	conf_dump_cat(buf, len, "]");
}

static void
conf_dump_urls(char *buf, size_t len, const char (*v)[CONF_URL_LEN],
    uint32_t n)
{
	uint32_t	 i;

	snprintf(buf, len, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			conf_dump_cat(buf, len, ", ");
		conf_dump_url(buf, len, v[i]);
	}
	conf_dump_cat(buf, len, "]");
}

void
conf_dump_ghosts(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_list(buf, len, conf->gc_carrier.cc_google_host,
	    conf->gc_carrier.cc_nghosts);
}

void
conf_dump_sni(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_list(buf, len, conf->gc_carrier.cc_sni,
	    conf->gc_carrier.cc_nsni);
}

void
conf_dump_dns(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_list(buf, len, conf->gc_exit.ec_dns, conf->gc_exit.ec_ndns);
}

void
conf_dump_relay(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_urls(buf, len, conf->gc_carrier.cc_relay_urls,
	    conf->gc_carrier.cc_nrelay);
}

void
conf_dump_stream(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_urls(buf, len, conf->gc_carrier.cc_stream_urls,
	    conf->gc_carrier.cc_nstream);
}

void
conf_dump_proxy(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	const struct exit_conf	*ec = &conf->gc_exit;
	int			 v6;

	(void)k;
	if (!ec->ec_has_proxy) {
		snprintf(buf, len, "\"\"");
		return;
	}
	v6 = strchr(ec->ec_proxy_host, ':') != NULL;
	snprintf(buf, len, "socks5://%s%s%s%s:%u",
	    ec->ec_proxy_user[0] != '\0' ? "(redacted)@" : "", v6 ? "[" : "",
	    ec->ec_proxy_host, v6 ? "]" : "", ec->ec_proxy_port);
}

void
conf_dump_instance(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "%s", conf->gc_carrier.cc_instance_id[0] != '\0' ?
	    conf->gc_carrier.cc_instance_id : "auto");
}

/* The printable effective value of k. */
void
conf_dump_key(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	const void	*p = conf_keys_cptr(conf, k);
	uint64_t	 n;

	switch (k->k_type) {
	case KT_BOOL:
		snprintf(buf, len, "%s", *(const int *)p ? "true" : "false");
		break;
	case KT_UINT:
		if (k->k_len == 2)
			n = *(const uint16_t *)p;
		else if (k->k_len == 4)
			n = *(const uint32_t *)p;
		else
			n = *(const uint64_t *)p;
		snprintf(buf, len, "%" PRIu64, n);
		break;
	case KT_STR:
	case KT_HOST:
	case KT_PATH:
		if ((k->k_flags & KF_SECRET) && *(const char *)p != '\0')
			snprintf(buf, len, "(redacted)");
		else
			snprintf(buf, len, "\"%s\"", (const char *)p);
		break;
	case KT_ENUM:
		snprintf(buf, len, "%s", k->k_enum[*(const int *)p]);
		break;
	case KT_FN:
		if (k->k_dump != NULL)
			k->k_dump(conf, k, buf, len);
		else
			buf[0] = '\0';
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

static const char *
conf_dump_origin(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	int	 i = conf_keys_index(k), perf;

	switch (conf->gc_origin_kind[i]) {
	case CONF_ORIGIN_PRESET:
		perf = k->k_sect == KS_EXIT ? (int)conf->gc_exit.ec_perf :
		    (int)conf->gc_carrier.cc_perf;
		snprintf(buf, len, "preset %s", conf_keys_perf_names[perf]);
		break;
	case CONF_ORIGIN_FILE:
		snprintf(buf, len, "%s:%" PRIu32, conf->gc_path,
		    conf->gc_origin_line[i]);
		break;
	case CONF_ORIGIN_DEMO:
		snprintf(buf, len, "demo");
		break;
	case CONF_ORIGIN_DERIVED:
		if (strcmp(k->k_name, "dns_servers") == 0)
			snprintf(buf, len, "from %s", conf->gc_resolv_conf);
		else if (strcmp(k->k_name, "ca_file") == 0)
			snprintf(buf, len, "default (TLS transport)");
		else if (strcmp(k->k_name, "transport_mode") == 0)
			snprintf(buf, len, "relay_urls (GooseRelayVPN v1.5)");
		else if (strncmp(k->k_name, "max_live", 8) == 0 ||
		    strncmp(k->k_name, "new_sessions", 12) == 0)
			snprintf(buf, len, "default for %s",
			    conf_carrier_uses_apps(&conf->gc_carrier) ?
			    "Apps Script" : "direct transports");
		else
			snprintf(buf, len, "default (beside the config file)");
		break;
	default:
		snprintf(buf, len, "default");
		break;
	}
	return (buf);
}

const char *
confparse_origin(const struct gr_conf *conf, const char *section,
    const char *key, char *buf, size_t len)
{
	int	 sect = KS_TOP, i;

	if (section != NULL && strcmp(section, "carrier") == 0)
		sect = KS_CARRIER;
	else if (section != NULL && strcmp(section, "exit") == 0)
		sect = KS_EXIT;
	if ((i = conf_keys_find(sect, key)) < 0) {
		snprintf(buf, len, "unknown");
		return (buf);
	}
	return (conf_dump_origin(conf, &conf_keys[i], buf, len));
}

void
confparse_dump(const struct gr_conf *conf, FILE *fp)
{
	const struct conf_key	*k;
	char			 val[4096], org[CONF_PATH_LEN + 32], name[64];
	size_t			 i;

	fprintf(fp, "# effective configuration of %s%s\n", conf->gc_path,
	    conf->gc_demo ? " (embedded loopback demo)" : "");
	for (i = 0; i < conf_nkeys; i++) {
		k = &conf_keys[i];
		if (k->k_flags & KF_NODUMP)
			continue;
		if ((k->k_sect == KS_CARRIER && !conf->gc_has_carrier) ||
		    (k->k_sect == KS_EXIT && !conf->gc_has_exit))
			continue;
		if (k->k_sect == KS_TOP && strcmp(k->k_name, "tunnel_key") ==
		    0 && !conf->gc_has_carrier && !conf->gc_has_exit)
			continue;
		snprintf(name, sizeof(name), "%s%s", conf_dump_sect[k->k_sect],
		    k->k_name);
		conf_dump_key(conf, k, val, sizeof(val));
		conf_dump_origin(conf, k, org, sizeof(org));
		fprintf(fp, "%-44s %-24s # %s\n", name, val, org);
	}
}
