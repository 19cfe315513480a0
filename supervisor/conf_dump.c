/*
 * Printers for the values of KT_FN keys (the table of conf_keys.c points
 * at them), for gooserelayd -n -v (conf_show.c).  Secrets never leave
 * this file in clear:
 * the tunnel key, socks_pass and proxy credentials are redacted, URL
 * credentials hidden and deployment ids shortened to first6...last6.
 */
#include "gr_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf_keys.h"

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

/*
 * "[a, b]" from n strings of stride bytes at v; urls: through
 * conf_dump_url (credentials hidden).
 */
static void
conf_dump_items(char *buf, size_t len, const char *v, size_t stride,
    uint32_t n, int urls)
{
	uint32_t	 i;

	snprintf(buf, len, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			conf_dump_cat(buf, len, ", ");
		if (urls)
			conf_dump_url(buf, len, v + i * stride);
		else
			conf_dump_cat(buf, len, v + i * stride);
	}
	conf_dump_cat(buf, len, "]");
}

void
conf_dump_ghosts(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_items(buf, len, conf->gc_carrier.cc_google_host[0],
	    CONF_HOST_LEN, conf->gc_carrier.cc_nghosts, 0);
}

void
conf_dump_sni(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_items(buf, len, conf->gc_carrier.cc_sni[0], CONF_HOST_LEN,
	    conf->gc_carrier.cc_nsni, 0);
}

void
conf_dump_dns(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_items(buf, len, conf->gc_exit.ec_dns[0], CONF_HOST_LEN,
	    conf->gc_exit.ec_ndns, 0);
}

void
conf_dump_relay(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_items(buf, len, conf->gc_carrier.cc_relay_urls[0],
	    CONF_URL_LEN, conf->gc_carrier.cc_nrelay, 1);
}

void
conf_dump_stream(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	(void)k;
	conf_dump_items(buf, len, conf->gc_carrier.cc_stream_urls[0],
	    CONF_URL_LEN, conf->gc_carrier.cc_nstream, 1);
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
