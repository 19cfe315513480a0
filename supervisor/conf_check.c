/*
 * Checks that need the whole file: performance_mode presets under the
 * explicit keys, transport_mode rules (docs/protocol.md 4.1), keys that must
 * agree, paths relative to the file, and the exit's DNS servers.
 */
#include "gr_config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_keys.h"

#define CONF_CHECK_CA_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"

static void	conf_check_presets(struct conf_ctx *);
static void	conf_check_carrier(struct conf_ctx *);
static void	conf_check_legacy_mode(struct conf_ctx *);
static void	conf_check_exit(struct conf_ctx *);
static uint32_t	conf_check_line(struct conf_ctx *, int, const char *);
static int	conf_check_set(struct conf_ctx *, int, const char *);
static void	conf_check_path(struct conf_ctx *, int, const char *, char *,
		    size_t, const char *);
static void	conf_check_derived(struct conf_ctx *, int, const char *);

void
conf_check_all(struct conf_ctx *cx)
{
	struct gr_conf	*conf = cx->cx_conf;
	int		 sect;

	conf_check_presets(cx);
	if (conf->gc_has_carrier)
		conf_check_carrier(cx);
	if (conf->gc_has_exit)
		conf_check_exit(cx);
	if ((conf->gc_has_carrier || conf->gc_has_exit) && !cx->cx_have_key &&
	    !cx->cx_key_tried) {
		sect = conf->gc_has_carrier ? KS_CARRIER : KS_EXIT;
		conf_msgl(cx, 1, cx->cx_sect_line[sect], "tunnel_key",
		    "required (64 hex characters; generate one with: openssl "
		    "rand -hex 32)");
	}
}

/* Where key was set, or the line of its section. */
static uint32_t
conf_check_line(struct conf_ctx *cx, int sect, const char *key)
{
	int	 i;

	if ((i = conf_keys_find(sect, key)) >= 0 && cx->cx_line[i] != 0)
		return (cx->cx_line[i]);
	return (cx->cx_sect_line[sect]);
}

static int
conf_check_set(struct conf_ctx *cx, int sect, const char *key)
{
	int	 i;

	return ((i = conf_keys_find(sect, key)) >= 0 && cx->cx_line[i] != 0);
}

static void
conf_check_derived(struct conf_ctx *cx, int sect, const char *key)
{
	int	 i;

	if ((i = conf_keys_find(sect, key)) >= 0) {
		cx->cx_conf->gc_origin_kind[i] = CONF_ORIGIN_DERIVED;
		cx->cx_conf->gc_origin_line[i] = 0;
	}
}

/* Preset values fill every key of the mode that the file left alone. */
static void
conf_check_presets(struct conf_ctx *cx)
{
	const struct conf_preset	*p;
	const struct conf_key		*k;
	void				*dst;
	size_t				 i;
	int				 idx, perf;

	for (i = 0; i < conf_npresets; i++) {
		p = &conf_presets[i];
		perf = p->p_sect == KS_CARRIER ?
		    (int)cx->cx_conf->gc_carrier.cc_perf :
		    (int)cx->cx_conf->gc_exit.ec_perf;
		if (p->p_perf != perf ||
		    (idx = conf_keys_find(p->p_sect, p->p_key)) < 0 ||
		    cx->cx_line[idx] != 0)
			continue;
		k = &conf_keys[idx];
		dst = conf_keys_ptr(cx->cx_conf, k);
		if (k->k_len == 2)
			*(uint16_t *)dst = (uint16_t)p->p_value;
		else if (k->k_len == 4)
			*(uint32_t *)dst = (uint32_t)p->p_value;
		else
			*(uint64_t *)dst = p->p_value;
		cx->cx_conf->gc_origin_kind[idx] = CONF_ORIGIN_PRESET;
	}
}

/*
 * A path key: relative paths are taken beside the config file; unset
 * ones get def (relative too), or stay "" if def is NULL.
 */
static void
conf_check_path(struct conf_ctx *cx, int sect, const char *key, char *dst,
    size_t len, const char *def)
{
	char	 tmp[CONF_PATH_LEN];

	if (!conf_check_set(cx, sect, key)) {
		if (def == NULL)
			return;
		if (def[0] == '/')
			conf_copy(dst, len, def);
		else if (snprintf(tmp, sizeof(tmp), "%s/%s", cx->cx_dir, def) <
		    (int)sizeof(tmp))
			conf_copy(dst, len, tmp);
		conf_check_derived(cx, sect, key);
		return;
	}
	if (dst[0] == '\0' || dst[0] == '/')
		return;
	if (snprintf(tmp, sizeof(tmp), "%s/%s", cx->cx_dir, dst) >=
	    (int)sizeof(tmp)) {
		conf_msgl(cx, 1, conf_check_line(cx, sect, key), key,
		    "path too long");
		return;
	}
	conf_copy(dst, len, tmp);
}

static int
conf_check_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (strcmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&a6));
	return (0);
}

static int
conf_check_tls(const char *url)
{
	return (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "wss://", 6) == 0);
}

/*
 * GooseRelayVPN v1.5 and v1.6 have no transport_mode: a non-empty
 * relay_urls means direct POST (their LoadClient: useFronting =
 * len(relayURLs) == 0).  Newer clients default to apps_script, which
 * rejects relay_urls, so a file without transport_mode that lists
 * relay_urls (and no direct_stream_urls, which only newer clients know)
 * cannot be a working newer config: conf_load.c decided to read it the
 * way v1.5 did (cx_v15_direct) and left script_keys unread.  An explicit
 * transport_mode always wins.
 */
static void
conf_check_legacy_mode(struct conf_ctx *cx)
{
	if (!cx->cx_v15_direct)
		return;
	cx->cx_conf->gc_carrier.cc_transport = TM_DIRECT_POST;
	conf_check_derived(cx, KS_CARRIER, "transport_mode");
}

static void
conf_check_carrier(struct conf_ctx *cx)
{
	struct gr_conf		*conf = cx->cx_conf;
	struct carrier_conf	*cc = &conf->gc_carrier;
	const char		*mode;
	uint32_t		 tline, i;
	int			 tls = 0;

	if ((cc->cc_socks_user[0] == '\0') != (cc->cc_socks_pass[0] == '\0'))
		conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER,
		    cc->cc_socks_user[0] != '\0' ? "socks_user" :
		    "socks_pass"), cc->cc_socks_user[0] != '\0' ? "socks_user" :
		    "socks_pass", "socks_user and socks_pass must both be set "
		    "or both be empty");
	if (strlen(cc->cc_socks_user) > 255 || strlen(cc->cc_socks_pass) > 255)
		conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER, "socks_user"),
		    "socks_user", "RFC 1929 allows at most 255 bytes for the "
		    "user name and the password");
	if (cc->cc_socks_user[0] == '\0' &&
	    !conf_check_loopback(cc->cc_socks_host))
		conf_msgl(cx, 0, conf_check_line(cx, KS_CARRIER, "socks_host"),
		    "socks_host", "listening on a non-loopback address without "
		    "socks_user/socks_pass: anyone who can reach it can use "
		    "the tunnel");
	if (cc->cc_blacklist_base_ms > cc->cc_blacklist_max_ms)
		conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER,
		    "endpoint_blacklist_base_ms"), "endpoint_blacklist_base_ms",
		    "must not exceed endpoint_blacklist_max_ms (%u)",
		    cc->cc_blacklist_max_ms);

	if (cc->cc_tune_sleep_min_ms > cc->cc_tune_sleep_max_ms)
		conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER,
		    "auto_tune_poll_idle_sleep_min_ms"),
		    "auto_tune_poll_idle_sleep_min_ms", "must not exceed "
		    "auto_tune_poll_idle_sleep_max_ms (%u)",
		    cc->cc_tune_sleep_max_ms);

	conf_check_legacy_mode(cx);

	/* docs/protocol.md 4.1 */
	tline = conf_check_line(cx, KS_CARRIER, "transport_mode");
	mode = conf_keys_transport_names[cc->cc_transport];
	switch (cc->cc_transport) {
	case TM_APPS_SCRIPT:
		if (cc->cc_nscripts == 0)
			conf_msgl(cx, 1, tline, "script_keys", "required with "
			    "transport_mode %s: deploy Code.gs as a Web App "
			    "and list its Deployment ID", mode);
		if (cc->cc_nrelay > 0)
			conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER,
			    "relay_urls"), "relay_urls", "not allowed with "
			    "transport_mode %s (use direct_post or auto)",
			    mode);
		if (cc->cc_nstream > 0)
			conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER,
			    "direct_stream_urls"), "direct_stream_urls", "not "
			    "allowed with transport_mode %s (use "
			    "direct_stream or auto)", mode);
		tls = 1;
		break;
	case TM_DIRECT_POST:
		if (cc->cc_nrelay == 0)
			conf_msgl(cx, 1, tline, "relay_urls", "required with "
			    "transport_mode %s", mode);
		if (cc->cc_nscripts > 0 || cc->cc_nstream > 0) {
			conf_msgl(cx, 0, tline, "transport_mode", "%s ignores "
			    "script_keys and direct_stream_urls", mode);
			cc->cc_nscripts = cc->cc_nstream = 0;
		}
		for (i = 0; i < cc->cc_nrelay; i++)
			tls |= conf_check_tls(cc->cc_relay_urls[i]);
		break;
	case TM_DIRECT_STREAM:
		if (cc->cc_nstream == 0)
			conf_msgl(cx, 1, tline, "direct_stream_urls", "required "
			    "with transport_mode %s", mode);
		if (cc->cc_nscripts > 0 || cc->cc_nrelay > 0) {
			conf_msgl(cx, 0, tline, "transport_mode", "%s ignores "
			    "script_keys and relay_urls", mode);
			cc->cc_nscripts = cc->cc_nrelay = 0;
		}
		for (i = 0; i < cc->cc_nstream; i++)
			tls |= conf_check_tls(cc->cc_stream_urls[i]);
		break;
	case TM_AUTO:
		if (cc->cc_nstream == 0 && cc->cc_nrelay == 0 &&
		    cc->cc_nscripts == 0)
			conf_msgl(cx, 1, tline, "transport_mode", "auto needs "
			    "direct_stream_urls, relay_urls or script_keys");
		/* Exactly one POST fallback: relay_urls, else script_keys. */
		if (cc->cc_nrelay > 0 && cc->cc_nscripts > 0) {
			conf_msgl(cx, 0, conf_check_line(cx, KS_CARRIER,
			    "script_keys"), "script_keys", "ignored: "
			    "relay_urls is the POST fallback of transport_mode "
			    "auto");
			cc->cc_nscripts = 0;
		}
		tls = cc->cc_nscripts > 0;
		for (i = 0; i < cc->cc_nrelay; i++)
			tls |= conf_check_tls(cc->cc_relay_urls[i]);
		for (i = 0; i < cc->cc_nstream; i++)
			tls |= conf_check_tls(cc->cc_stream_urls[i]);
		break;
	}

	/* Storm guard: per-transport defaults for what the file left. */
	if (cc->cc_max_live == 0)
		conf_check_derived(cx, KS_CARRIER, "max_live_sessions");
	if (cc->cc_new_rate == 0)
		conf_check_derived(cx, KS_CARRIER, "new_sessions_per_s");
	if (cc->cc_new_burst == 0)
		conf_check_derived(cx, KS_CARRIER, "new_sessions_burst");
	conf_defaults_limits(cc);

	if (tls)
		conf_check_path(cx, KS_CARRIER, "ca_file", conf->gc_ca_file,
		    sizeof(conf->gc_ca_file), CONF_CHECK_CA_DEFAULT);
	else
		conf_check_path(cx, KS_CARRIER, "ca_file", conf->gc_ca_file,
		    sizeof(conf->gc_ca_file), NULL);
	if (tls && conf->gc_ca_file[0] == '\0')
		conf_msgl(cx, 1, conf_check_line(cx, KS_CARRIER, "ca_file"),
		    "ca_file", "required: the transport uses TLS");
	cc->cc_has_ca = tls && conf->gc_ca_file[0] != '\0';
	conf_check_path(cx, KS_CARRIER, "quota_state_path",
	    conf->gc_quota_state_path, sizeof(conf->gc_quota_state_path),
	    ".goose-quota-state.json");
	if (cc->cc_instance_id[0] == '\0')
		conf_check_path(cx, KS_CARRIER, "client_instance_id_file",
		    conf->gc_instance_file, sizeof(conf->gc_instance_file),
		    ".goose-client-instance");
}

static void
conf_check_exit(struct conf_ctx *cx)
{
	struct gr_conf		*conf = cx->cx_conf;
	struct exit_conf	*ec = &conf->gc_exit;
	int			 n;

	if (ec->ec_replay_enabled && ec->ec_max_response_bytes > 8388608)
		conf_msgl(cx, 1, conf_check_line(cx, KS_EXIT,
		    "max_response_bytes_pre_encode"),
		    "max_response_bytes_pre_encode", "must be at most 8388608 "
		    "when downstream_replay_enabled is true");
	if (ec->ec_tune_drain_min_ms > ec->ec_tune_drain_max_ms)
		conf_msgl(cx, 1, conf_check_line(cx, KS_EXIT,
		    "auto_tune_active_drain_min_ms"),
		    "auto_tune_active_drain_min_ms", "must not exceed "
		    "auto_tune_active_drain_max_ms (%u)",
		    ec->ec_tune_drain_max_ms);
	if (ec->ec_ndns > 0)
		return;
	conf_check_path(cx, KS_EXIT, "resolv_conf", conf->gc_resolv_conf,
	    sizeof(conf->gc_resolv_conf), NULL);
	n = conf_check_resolv(conf->gc_resolv_conf, ec);
	if (n <= 0) {
		conf_msgl(cx, 0, conf_check_line(cx, KS_EXIT, "resolv_conf"),
		    "dns_servers", "%s %s; using 127.0.0.1",
		    n < 0 ? "cannot read" : "no nameserver line in",
		    conf->gc_resolv_conf);
		conf_copy(ec->ec_dns[0], CONF_HOST_LEN, "127.0.0.1");
		ec->ec_ndns = 1;
	}
	conf_check_derived(cx, KS_EXIT, "dns_servers");
}

/*
 * The nameserver lines of a resolv.conf(5), at most CONF_MAX_DNS, into
 * ec_dns (read here because the exit worker cannot open files).
 * Returns how many, or -1 if the file cannot be read.
 */
int
conf_check_resolv(const char *path, struct exit_conf *ec)
{
	FILE	*fp;
	char	 line[512], *p, *e;
	int	 lines = 0;

	ec->ec_ndns = 0;
	if ((fp = fopen(path, "re")) == NULL)
		return (-1);
	while (ec->ec_ndns < CONF_MAX_DNS && lines++ < 1000 &&
	    fgets(line, sizeof(line), fp) != NULL) {
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "nameserver", 10) != 0 ||
		    (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10;
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && !isspace((unsigned char)*e) &&
		    *e != '#' && *e != ';'; e++)
			;
		*e = '\0';
		/* Drop a zone index (fe80::1%eth0): c-ares wants the IP. */
		if ((e = strchr(p, '%')) != NULL)
			*e = '\0';
		if (*p == '\0' || conf_values_dns_error(p) != NULL)
			continue;
		conf_copy(ec->ec_dns[ec->ec_ndns++], CONF_HOST_LEN, p);
	}
	fclose(fp);
	return ((int)ec->ec_ndns);
}
