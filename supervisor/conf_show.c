/*
 * gooserelayd -n -v: every effective value and where it came from
 * (default, preset, file:line), in the order of the key table.  KT_FN
 * values are printed by conf_dump.c, which redacts secrets.
 */
#include "gr_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf_keys.h"

static const char *const conf_show_sect[] = { "", "carrier.", "exit." };

static void	conf_show_key(const struct gr_conf *, const struct conf_key *,
		    char *, size_t);

/* The printable effective value of k. */
static void
conf_show_key(const struct gr_conf *conf, const struct conf_key *k,
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
conf_show_origin(const struct gr_conf *conf, const struct conf_key *k,
    char *buf, size_t len)
{
	int	 i = (int)(k - conf_keys), perf;

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
			    conf_defaults_uses_apps(&conf->gc_carrier) ?
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
	return (conf_show_origin(conf, &conf_keys[i], buf, len));
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
		snprintf(name, sizeof(name), "%s%s", conf_show_sect[k->k_sect],
		    k->k_name);
		conf_show_key(conf, k, val, sizeof(val));
		conf_show_origin(conf, k, org, sizeof(org));
		fprintf(fp, "%-44s %-24s # %s\n", name, val, org);
	}
}
