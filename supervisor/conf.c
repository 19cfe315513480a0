/*
 * YAML configuration → struct gr_conf, with defaults (supervisor only).
 *
 * libyaml's document API gives a node tree with line marks; the walk below
 * never recurses through it (sections, then values, then list items), so
 * an alias cycle or an alias bomb cannot make it loop or blow up.  Every
 * problem is reported as "file:line: key: reason" and parsing goes on, so
 * gooserelayd -n lists them all at once.
 */
#include "gr_config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_keys.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

/* A configuration is a few KiB; anything this big is not one. */
#define CONF_MAX_BYTES	(1024 * 1024)

static void	conf_defaults(struct gr_conf *, const char *);
static int	conf_parse(struct conf_ctx *, const char *, size_t);
static void	conf_walk_root(struct conf_ctx *, yaml_node_t *);
static void	conf_walk_section(struct conf_ctx *, int, yaml_node_t *);
static void	conf_set(struct conf_ctx *, int, yaml_node_t *, yaml_node_t *);
static void	conf_set_bool(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_set_uint(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_set_str(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_set_enum(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_set_ignored(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static const char *conf_key_name(yaml_node_t *, char *, size_t);
static void	conf_print(int, const char *, void *);

/* Built-in defaults, protocol.md 5.1 (newest GooseRelayVPN client). */
void
conf_carrier_defaults(struct carrier_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	snprintf(cc->cc_socks_host, sizeof(cc->cc_socks_host), "127.0.0.1");
	cc->cc_socks_port = 1080;
	cc->cc_transport = TM_APPS_SCRIPT;
	cc->cc_wire_compat = WIRE_COMPAT_CURRENT;
	cc->cc_nghosts = 1;
	snprintf(cc->cc_google_host[0], CONF_HOST_LEN, "216.239.38.120");
	cc->cc_nsni = 3;
	snprintf(cc->cc_sni[0], CONF_HOST_LEN, "www.google.com");
	snprintf(cc->cc_sni[1], CONF_HOST_LEN, "mail.google.com");
	snprintf(cc->cc_sni[2], CONF_HOST_LEN, "accounts.google.com");
	cc->cc_fronting_http = FRONT_HTTP_AUTO;
	cc->cc_replay_auto = 1;
	cc->cc_fresh_start_reset = 1;
	cc->cc_perf = PERF_LATENCY;
	cc->cc_coalesce_step_ms = 0;
	cc->cc_idle_slots_per_bucket = 1;
	cc->cc_idle_poll_max_buckets = 2;
	cc->cc_idle_poll_mode = IDLE_POLL_ALWAYS;
	cc->cc_tx_slots_per_bucket = 3;
	cc->cc_workers_per_endpoint = 3;
	cc->cc_post_pipeline = 1;
	cc->cc_poll_idle_sleep_ms = 5;
	cc->cc_poll_timeout_ms = 300000;
	cc->cc_blacklist_base_ms = 3000;
	cc->cc_blacklist_max_ms = 3600000;
	cc->cc_outage_grace_ms = 300000;
	cc->cc_max_request_bytes = 8 * 1024 * 1024;
	cc->cc_tx_buffer_budget = 64ULL * 1024 * 1024;
	cc->cc_stream_connect_timeout_ms = 5000;
	cc->cc_stream_ping_interval_ms = 20000;
	cc->cc_stream_reconnect_backoff_ms = 1000;
	cc->cc_session_stall_timeout_s = 60;
	cc->cc_routing_token = 1;
	cc->cc_dead_host_timeout_ms = 3000;
	cc->cc_stats_interval_s = 60;
	cc->cc_tune_sleep_min_ms = 2;
	cc->cc_tune_sleep_max_ms = 250;
	cc->cc_udp_enabled = 1;
	cc->cc_udp_max_assoc = 256;
	cc->cc_udp_queue_bytes = 4 * 1024 * 1024;
}

/* Built-in defaults, protocol.md 5.2; the latency preset is on top. */
void
conf_exit_defaults(struct exit_conf *ec)
{
	memset(ec, 0, sizeof(*ec));
	snprintf(ec->ec_server_host, sizeof(ec->ec_server_host), "0.0.0.0");
	ec->ec_server_port = 8443;
	ec->ec_perf = PERF_LATENCY;
	ec->ec_active_drain_window_ms = 150;
	ec->ec_long_poll_window_ms = 6000;
	ec->ec_upstream_dial_timeout_ms = 15000;
	ec->ec_coalesce_window_ms = 0;
	ec->ec_coalesce_window_busy_ms = 0;
	ec->ec_max_sessions = 4096;
	ec->ec_max_drain_frames_per_session = 8;
	ec->ec_max_request_body_bytes = 12 * 1024 * 1024;
	ec->ec_max_response_bytes = 6 * 1024 * 1024;
	ec->ec_initial_cap_enabled = 1;
	ec->ec_initial_response_bytes = 512 * 1024;
	ec->ec_second_cap_enabled = 1;
	ec->ec_second_response_bytes = 1024 * 1024;
	ec->ec_replay_enabled = 0;
	ec->ec_stream_enabled = 1;
	ec->ec_stats_interval_s = 60;
	ec->ec_tune_drain_min_ms = 50;
	ec->ec_tune_drain_max_ms = 250;
	ec->ec_tune_coalesce_max_ms = 25;
	ec->ec_tune_busy_max_ms = 10;
	ec->ec_idle_timeout_s = 600;
	ec->ec_stream_grace_s = 30;
	ec->ec_udp_enabled = 1;
	ec->ec_udp_idle_timeout_s = 60;
	ec->ec_udp_max_assoc = 4096;
	ec->ec_udp_max_assoc_client = 256;
	ec->ec_udp_max_dps = 200000;
	ec->ec_udp_max_dps_client = 50000;
	ec->ec_udp_queue_bytes = 64 * 1024 * 1024;
	ec->ec_udp_queue_bytes_client = 4 * 1024 * 1024;
}

static void
conf_defaults(struct gr_conf *conf, const char *name)
{
	memset(conf, 0, sizeof(*conf));
	conf_copy(conf->gc_path, sizeof(conf->gc_path), name);
	conf_carrier_defaults(&conf->gc_carrier);
	conf_exit_defaults(&conf->gc_exit);
	conf_copy(conf->gc_user, sizeof(conf->gc_user), GR_USER);
	conf_copy(conf->gc_chroot, sizeof(conf->gc_chroot), GR_EMPTY_DIR);
	conf_copy(conf->gc_control_socket, sizeof(conf->gc_control_socket),
	    RUNSTATEDIR "/gooserelayd.sock");
	conf_copy(conf->gc_resolv_conf, sizeof(conf->gc_resolv_conf),
	    "/etc/resolv.conf");
}

/* Bounded copy; returns -1 (and truncates) if src did not fit. */
int
conf_copy(char *dst, size_t len, const char *src)
{
	size_t	 n = strlen(src);

	if (len == 0)
		return (-1);
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return (-1);
	}
	memcpy(dst, src, n + 1);
	return (0);
}

static void
conf_print(int is_error, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s%s\n", is_error ? "" : "warning: ", msg);
}

/* Report "file:line: key: reason"; line 0 means no line. */
void
conf_msgl(struct conf_ctx *cx, int is_error, uint32_t line, const char *key,
    const char *fmt, ...)
{
	char	 reason[512], msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%" PRIu32 ": %s: %s", cx->cx_name,
	    line, key, reason);
	if (is_error)
		cx->cx_errors++;
	else
		cx->cx_warnings++;
	(cx->cx_cb != NULL ? cx->cx_cb : conf_print)(is_error, msg,
	    cx->cx_arg);
}

void
conf_msg(struct conf_ctx *cx, int is_error, yaml_node_t *node,
    const char *key, const char *fmt, ...)
{
	char	 reason[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	conf_msgl(cx, is_error, node != NULL ? conf_line(node) : cx->cx_kline,
	    key, "%s", reason);
}

/* libyaml marks count from 0. */
uint32_t
conf_line(yaml_node_t *node)
{
	return ((uint32_t)node->start_mark.line + 1);
}

yaml_node_t *
conf_node(struct conf_ctx *cx, int idx)
{
	return (yaml_document_get_node(cx->cx_doc, idx));
}

/* A JSON null, YAML ~ or an empty value: "not set", keep the default. */
int
conf_is_null(yaml_node_t *v)
{
	const char	*s;

	if (v == NULL || v->type != YAML_SCALAR_NODE ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	s = (const char *)v->data.scalar.value;
	return (*s == '\0' || strcmp(s, "~") == 0 ||
	    strcasecmp(s, "null") == 0);
}

/*
 * The text of a scalar value, or NULL after an error naming what was
 * expected.  Embedded NUL bytes are refused so C strings see it all.
 */
const char *
conf_scalar(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v,
    const char *what)
{
	const char	*s;

	if (v->type != YAML_SCALAR_NODE) {
		conf_msg(cx, 1, v, k->k_name, "expected %s", what);
		return (NULL);
	}
	s = (const char *)v->data.scalar.value;
	if (strlen(s) != v->data.scalar.length) {
		conf_msg(cx, 1, v, k->k_name, "contains a NUL byte");
		return (NULL);
	}
	return (s);
}

/* Record that k was set in the file at the current key's line. */
void
conf_mark(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	int	 i = conf_keys_index(k);

	(void)v;
	cx->cx_line[i] = cx->cx_kline;
	cx->cx_conf->gc_origin_kind[i] = CONF_ORIGIN_FILE;
	cx->cx_conf->gc_origin_line[i] = cx->cx_kline;
}

/* Record an origin for another key (aliases, derived values). */
void
conf_mark_name(struct conf_ctx *cx, int sect, const char *name,
    uint32_t line)
{
	int	 i;

	if ((i = conf_keys_find(sect, name)) < 0)
		return;
	cx->cx_line[i] = line;
	cx->cx_conf->gc_origin_kind[i] = CONF_ORIGIN_FILE;
	cx->cx_conf->gc_origin_line[i] = line;
}

int
confparse_file(const char *path, struct gr_conf *conf, confparse_msg_cb cb,
    void *arg)
{
	struct conf_ctx	 cx;
	struct stat	 st;
	char		*buf = NULL, real[PATH_MAX], tmp[CONF_PATH_LEN];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, saved;

	memset(&cx, 0, sizeof(cx));
	cx.cx_name = path;
	cx.cx_conf = conf;
	cx.cx_cb = cb;
	cx.cx_arg = arg;
	conf_defaults(conf, path);

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		conf_msgl(&cx, 1, 0, "file", "cannot open: %s",
		    strerror(errno));
		return (cx.cx_errors);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_msgl(&cx, 1, 0, "file", "not a regular file");
		goto done;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		conf_msgl(&cx, 1, 0, "file", "too large (%lld bytes, max %d)",
		    (long long)st.st_size, CONF_MAX_BYTES);
		goto done;
	}
	if ((buf = malloc(CONF_MAX_BYTES + 1)) == NULL) {
		conf_msgl(&cx, 1, 0, "file", "out of memory");
		goto done;
	}
	while (len <= CONF_MAX_BYTES) {
		n = read(fd, buf + len, CONF_MAX_BYTES + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_msgl(&cx, 1, 0, "file", "read: %s",
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_MAX_BYTES) {
		conf_msgl(&cx, 1, 0, "file", "too large (max %d bytes)",
		    CONF_MAX_BYTES);
		goto done;
	}

	/* Paths relative to the file (quota state, instance id) use this. */
	if (realpath(path, real) != NULL)
		conf_copy(tmp, sizeof(tmp), real);
	else
		conf_copy(tmp, sizeof(tmp), path);
	conf_copy(cx.cx_dir, sizeof(cx.cx_dir), dirname(tmp));
	conf_parse(&cx, buf, len);
done:
	saved = cx.cx_errors;
	close(fd);
	free(buf);
	return (saved);
}

int
confparse_mem(const char *name, const char *buf, size_t len,
    struct gr_conf *conf, confparse_msg_cb cb, void *arg)
{
	struct conf_ctx	 cx;
	char		 tmp[CONF_PATH_LEN];

	memset(&cx, 0, sizeof(cx));
	cx.cx_name = name;
	cx.cx_conf = conf;
	cx.cx_cb = cb;
	cx.cx_arg = arg;
	conf_defaults(conf, name);
	conf_copy(tmp, sizeof(tmp), name);
	conf_copy(cx.cx_dir, sizeof(cx.cx_dir), dirname(tmp));
	if (len > CONF_MAX_BYTES) {
		conf_msgl(&cx, 1, 0, "file", "too large (max %d bytes)",
		    CONF_MAX_BYTES);
		return (cx.cx_errors);
	}
	conf_parse(&cx, buf, len);
	return (cx.cx_errors);
}

static int
conf_parse(struct conf_ctx *cx, const char *buf, size_t len)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;

	if (!yaml_parser_initialize(&parser)) {
		conf_msgl(cx, 1, 0, "file", "cannot initialise the YAML parser");
		return (-1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		conf_msgl(cx, 1, (uint32_t)parser.problem_mark.line + 1,
		    "syntax", "%s%s%s",
		    parser.problem != NULL ? parser.problem : "parse error",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		yaml_parser_delete(&parser);
		return (-1);
	}
	cx->cx_doc = &doc;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		conf_msgl(cx, 1, 1, "file", "empty configuration");
	else {
		conf_walk_root(cx, root);
		conf_check_all(cx);
	}
	cx->cx_doc = NULL;
	yaml_document_delete(&doc);

	/* A second document is a mistake (a stray "---"): say so. */
	if (!yaml_parser_load(&parser, &doc))
		conf_msgl(cx, 1, (uint32_t)parser.problem_mark.line + 1,
		    "syntax", "%s%s%s",
		    parser.problem != NULL ? parser.problem : "parse error",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
	else {
		if ((root = yaml_document_get_root_node(&doc)) != NULL)
			conf_msgl(cx, 0, conf_line(root), "file", "more than "
			    "one YAML document; only the first is read");
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return (0);
}

/* A printable, bounded copy of a key for messages. */
static const char *
conf_key_name(yaml_node_t *k, char *buf, size_t len)
{
	const unsigned char	*s = k->data.scalar.value;
	size_t			 i;

	for (i = 0; i + 1 < len && i < k->data.scalar.length && i < 64; i++)
		buf[i] = isprint(s[i]) ? (char)s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

/*
 * The root is either sectioned (carrier:, exit:, top-level keys) or a
 * flat GooseRelayVPN JSON file whose keys say which role it is.
 */
static void
conf_walk_root(struct conf_ctx *cx, yaml_node_t *root)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	const char		*name, *cname = NULL, *ename = NULL;
	uint32_t		 cline = 0, eline = 0;
	int			 sectioned = 0, c, e, role;

	if (root->type != YAML_MAPPING_NODE) {
		conf_msg(cx, 1, root, "file",
		    "expected a mapping of keys at the top level");
		return;
	}
	for (p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		k = conf_node(cx, p->key);
		if (k == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		name = (const char *)k->data.scalar.value;
		if (strcmp(name, "carrier") == 0 || strcmp(name, "exit") == 0) {
			sectioned = 1;
			continue;
		}
		c = conf_keys_find(KS_CARRIER, name) >= 0;
		e = conf_keys_find(KS_EXIT, name) >= 0;
		if (c && !e && cname == NULL) {
			cname = name;
			cline = conf_line(k);
		}
		if (e && !c && ename == NULL) {
			ename = name;
			eline = conf_line(k);
		}
	}

	role = -1;
	if (!sectioned) {
		if (cname != NULL && ename != NULL) {
			conf_msgl(cx, 1, eline, ename, "server key in a file "
			    "with client keys (%s at line %" PRIu32 "); put "
			    "each under a carrier: or exit: section",
			    cname, cline);
			return;
		}
		if (cname == NULL && ename == NULL) {
			conf_msgl(cx, 1, conf_line(root), "file", "cannot tell "
			    "a client from a server configuration; use a "
			    "carrier: or exit: section");
			return;
		}
		role = cname != NULL ? KS_CARRIER : KS_EXIT;
		if (role == KS_CARRIER)
			cx->cx_conf->gc_has_carrier = 1;
		else
			cx->cx_conf->gc_has_exit = 1;
		cx->cx_sect_line[role] = conf_line(root);
	}

	for (p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		k = conf_node(cx, p->key);
		v = conf_node(cx, p->value);
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			conf_msg(cx, 1, k, "file", "keys must be strings");
			continue;
		}
		name = (const char *)k->data.scalar.value;
		if (sectioned && strcmp(name, "carrier") == 0) {
			cx->cx_conf->gc_has_carrier = 1;
			cx->cx_sect_line[KS_CARRIER] = conf_line(k);
			conf_walk_section(cx, KS_CARRIER, v);
		} else if (sectioned && strcmp(name, "exit") == 0) {
			cx->cx_conf->gc_has_exit = 1;
			cx->cx_sect_line[KS_EXIT] = conf_line(k);
			conf_walk_section(cx, KS_EXIT, v);
		} else if (sectioned || (conf_keys_find(KS_TOP, name) >= 0 &&
		    conf_keys_find(role, name) < 0))
			conf_set(cx, KS_TOP, k, v);
		else
			conf_set(cx, role, k, v);
	}
}

static void
conf_walk_section(struct conf_ctx *cx, int sect, yaml_node_t *node)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;

	if (conf_is_null(node))
		return;
	if (node->type != YAML_MAPPING_NODE) {
		conf_msg(cx, 1, node, sect == KS_CARRIER ? "carrier" : "exit",
		    "expected a mapping of keys");
		return;
	}
	for (p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top; p++) {
		k = conf_node(cx, p->key);
		v = conf_node(cx, p->value);
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			conf_msg(cx, 1, k, sect == KS_CARRIER ? "carrier" :
			    "exit", "keys must be strings");
			continue;
		}
		conf_set(cx, sect, k, v);
	}
}

/* One "key: value" of section sect. */
static void
conf_set(struct conf_ctx *cx, int sect, yaml_node_t *kn, yaml_node_t *v)
{
	const struct conf_key	*k;
	const char		*name = (const char *)kn->data.scalar.value;
	char			 buf[80];
	int			 i;

	cx->cx_kline = conf_line(kn);
	if (strncmp(name, "_comment", 8) == 0)	/* GooseRelayVPN's examples */
		return;
	if (strlen(name) != kn->data.scalar.length ||
	    (i = conf_keys_find(sect, name)) < 0) {
		conf_key_name(kn, buf, sizeof(buf));
		if (sect == KS_TOP && (conf_keys_find(KS_CARRIER, name) >= 0 ||
		    conf_keys_find(KS_EXIT, name) >= 0))
			conf_msg(cx, 0, kn, buf, "unknown top-level key "
			    "(ignored; it belongs under carrier: or exit:)");
		else if (sect != KS_TOP && conf_keys_find(KS_TOP, name) >= 0)
			conf_msg(cx, 0, kn, buf, "unknown key in this section "
			    "(ignored; it belongs at the top level)");
		else
			conf_msg(cx, 0, kn, buf, "unknown key (ignored)");
		return;
	}
	k = &conf_keys[i];
	if (cx->cx_line[i] != 0)
		conf_msg(cx, 0, kn, k->k_name, "duplicate key (line %" PRIu32
		    "); the last value wins", cx->cx_line[i]);
	cx->cx_sect = sect;
	if (conf_is_null(v) && k->k_type != KT_FN)
		return;
	switch (k->k_type) {
	case KT_BOOL:
		conf_set_bool(cx, k, v);
		break;
	case KT_UINT:
		conf_set_uint(cx, k, v);
		break;
	case KT_STR:
	case KT_HOST:
	case KT_PATH:
		conf_set_str(cx, k, v);
		break;
	case KT_ENUM:
		conf_set_enum(cx, k, v);
		break;
	case KT_IGNORE:
		conf_set_ignored(cx, k, v);
		break;
	case KT_FN:
		k->k_fn(cx, k, v);
		break;
	}
}

static void
conf_set_bool(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const char	*s;
	int		 i, *dst = conf_keys_ptr(cx->cx_conf, k);

	if (v->type != YAML_SCALAR_NODE ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		conf_msg(cx, 1, v, k->k_name, "expected true or false");
		return;
	}
	s = (const char *)v->data.scalar.value;
	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*dst = 1;
			conf_mark(cx, k, v);
			return;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*dst = 0;
			conf_mark(cx, k, v);
			return;
		}
	conf_msg(cx, 1, v, k->k_name, "expected true or false");
}

static void
conf_set_uint(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	const char	*s, *p;
	uint64_t	 n = 0;
	int		 neg = 0, big = 0;
	void		*dst = conf_keys_ptr(cx->cx_conf, k);

	if (v->type != YAML_SCALAR_NODE ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		conf_msg(cx, 1, v, k->k_name, "expected an integer");
		return;
	}
	s = (const char *)v->data.scalar.value;
	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0') {
		conf_msg(cx, 1, v, k->k_name, "expected an integer");
		return;
	}
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			conf_msg(cx, 1, v, k->k_name, "expected an integer");
			return;
		}
		if (n > (UINT64_MAX - 9) / 10)
			big = 1;
		else
			n = n * 10 + (uint64_t)(*p - '0');
	}
	if (neg && n == 0)
		neg = 0;
	/* GooseRelayVPN reads 0 as "not set" for keys that cannot be 0. */
	if (!neg && !big && n == 0 && (k->k_flags & KF_ZERO_DEFAULT))
		return;
	if (neg || big || n < k->k_min || n > k->k_max) {
		conf_msg(cx, 1, v, k->k_name, "%s%.24s is out of range "
		    "(%" PRIu64 "..%" PRIu64 ")", neg ? "-" : "",
		    neg ? s + 1 : s, k->k_min, k->k_max);
		return;
	}
	switch (k->k_len) {
	case 2:
		*(uint16_t *)dst = (uint16_t)n;
		break;
	case 4:
		*(uint32_t *)dst = (uint32_t)n;
		break;
	default:
		*(uint64_t *)dst = n;
		break;
	}
	conf_mark(cx, k, v);
}

/* Copy s without surrounding blanks (GooseRelayVPN trims every string). */
static int
conf_trim_copy(char *dst, size_t len, const char *s)
{
	size_t	 n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= len)
		return (-1);
	memmove(dst, s, n);
	dst[n] = '\0';
	return (0);
}

static void
conf_set_str(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	char		 tmp[CONF_PATH_LEN];
	const char	*s, *err, *p;

	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim_copy(tmp, sizeof(tmp) < k->k_len ? sizeof(tmp) :
	    k->k_len, s) == -1) {
		conf_msg(cx, 1, v, k->k_name, "too long (max %zu bytes)",
		    k->k_len - 1);
		return;
	}
	for (p = tmp; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p)) {
			conf_msg(cx, 1, v, k->k_name,
			    "contains control characters");
			return;
		}
	if (k->k_type == KT_HOST) {
		if (tmp[0] == '\0')		/* "" = default */
			return;
		if ((err = conf_values_host_error(tmp, 0)) != NULL) {
			conf_msg(cx, 1, v, k->k_name, "%s", err);
			return;
		}
	}
	if (k->k_type == KT_PATH && tmp[0] != '\0' && tmp[0] != '/' &&
	    (strcmp(k->k_name, "chroot") == 0 ||
	    strcmp(k->k_name, "control_socket") == 0)) {
		conf_msg(cx, 1, v, k->k_name, "must be an absolute path");
		return;
	}
	if (k->k_type == KT_STR && tmp[0] == '\0' &&
	    strcmp(k->k_name, "user") == 0) {
		conf_msg(cx, 1, v, k->k_name, "must not be empty");
		return;
	}
	conf_copy(conf_keys_ptr(cx->cx_conf, k), k->k_len, tmp);
	conf_mark(cx, k, v);
}

static void
conf_set_enum(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	char		 tmp[32], list[160];
	const char	*s;
	int		 i;

	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim_copy(tmp, sizeof(tmp), s) == 0) {
		if (tmp[0] == '\0')
			return;
		for (i = 0; k->k_enum[i] != NULL; i++)
			if (strcasecmp(tmp, k->k_enum[i]) == 0) {
				*(int *)conf_keys_ptr(cx->cx_conf, k) = i;
				conf_mark(cx, k, v);
				return;
			}
	}
	list[0] = '\0';
	for (i = 0; k->k_enum[i] != NULL; i++) {
		if (i > 0)
			strncat(list, k->k_enum[i + 1] == NULL ? " or " : ", ",
			    sizeof(list) - strlen(list) - 1);
		strncat(list, k->k_enum[i], sizeof(list) - strlen(list) - 1);
	}
	conf_msg(cx, 1, v, k->k_name, "must be %s", list);
}

/* GooseRelayVPN diagnostics knobs: accepted, said to do nothing here. */
static void
conf_set_ignored(struct conf_ctx *cx, const struct conf_key *k,
    yaml_node_t *v)
{
	const char	*s;

	if (v->type != YAML_SCALAR_NODE)
		return;
	s = (const char *)v->data.scalar.value;
	if (*s == '\0' || strcasecmp(s, "false") == 0)
		return;
	conf_msg(cx, 0, v, k->k_name, "not supported by gooserelayd "
	    "(ignored)");
}
