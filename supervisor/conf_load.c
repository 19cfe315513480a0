/*
 * YAML configuration → struct gr_conf (supervisor only): read the file,
 * walk its sections and keys through the table of conf_keys.c, then the
 * checks of conf_check.c.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_keys.h"

/* A configuration is a few KiB; anything this big is not one. */
#define CONF_MAX_BYTES	(1024 * 1024)

static void	conf_load_ctx(struct conf_ctx *, const char *, struct gr_conf *,
		    confparse_msg_cb, void *);
static int	conf_load_parse(struct conf_ctx *, const char *, size_t);
static void	conf_load_root(struct conf_ctx *, yaml_node_t *);
static void	conf_load_section(struct conf_ctx *, int, yaml_node_t *);
static void	conf_load_set(struct conf_ctx *, int, yaml_node_t *,
		    yaml_node_t *);
static void	conf_load_bool(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_load_uint(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_load_str(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_load_enum(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static void	conf_load_ignored(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
static const char *conf_load_key_name(yaml_node_t *, char *, size_t);
static yaml_node_t *conf_load_lookup(struct conf_ctx *, yaml_node_t *,
		    const char *);
static int	conf_load_listed(struct conf_ctx *, yaml_node_t *);
static int	conf_load_v15_direct(struct conf_ctx *, yaml_node_t *);

/* A fresh context over the key table, conf set to the defaults. */
static void
conf_load_ctx(struct conf_ctx *cx, const char *name, struct gr_conf *conf,
    confparse_msg_cb cb, void *arg)
{
	memset(cx, 0, sizeof(*cx));
	cx->cx_name = name;
	cx->cx_conf = conf;
	cx->cx_cb = cb;
	cx->cx_arg = arg;
	cx->cx_keys = conf_keys;
	cx->cx_nkeys = conf_nkeys;
	conf_defaults_init(conf, name);
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

	conf_load_ctx(&cx, path, conf, cb, arg);

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
	conf_load_parse(&cx, buf, len);
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

	conf_load_ctx(&cx, name, conf, cb, arg);
	conf_copy(tmp, sizeof(tmp), name);
	conf_copy(cx.cx_dir, sizeof(cx.cx_dir), dirname(tmp));
	if (len > CONF_MAX_BYTES) {
		conf_msgl(&cx, 1, 0, "file", "too large (max %d bytes)",
		    CONF_MAX_BYTES);
		return (cx.cx_errors);
	}
	conf_load_parse(&cx, buf, len);
	return (cx.cx_errors);
}

static int
conf_load_parse(struct conf_ctx *cx, const char *buf, size_t len)
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
		conf_load_root(cx, root);
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

/* The value of name in mapping map (the last one: the last value wins). */
static yaml_node_t *
conf_load_lookup(struct conf_ctx *cx, yaml_node_t *map, const char *name)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v = NULL;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = conf_node(cx, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, name) == 0)
			v = conf_node(cx, p->value);
	}
	return (v);
}

/* A string that is not blank, or a list with one. */
static int
conf_load_listed(struct conf_ctx *cx, yaml_node_t *v)
{
	yaml_node_item_t	*it;
	yaml_node_t		*item;
	size_t			 n;

	if (v == NULL || conf_is_null(v))
		return (0);
	if (v->type == YAML_SEQUENCE_NODE) {
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++)
			if ((item = conf_node(cx, *it)) != NULL &&
			    item->type == YAML_SCALAR_NODE &&
			    conf_load_listed(cx, item))
				return (1);
		return (0);
	}
	if (v->type != YAML_SCALAR_NODE)
		return (0);
	for (n = 0; n < v->data.scalar.length; n++)
		if (!isspace(v->data.scalar.value[n]))
			return (1);
	return (0);
}

/*
 * GooseRelayVPN v1.5 and v1.6 have no transport_mode: in their
 * client_config.json a relay_urls with an entry means direct mode, and
 * script_keys is then never read (LoadClient checks it only when
 * relay_urls is empty), so a placeholder left there loads.  The same
 * file must load here: the carrier mapping map is read that way when it
 * lists relay_urls but neither transport_mode nor direct_stream_urls
 * (only newer clients know those); conf_check.c then picks
 * direct_post.  Decided before the keys are read, as the keys may come
 * in any order.
 */
static int
conf_load_v15_direct(struct conf_ctx *cx, yaml_node_t *map)
{
	yaml_node_t	*tm;

	tm = conf_load_lookup(cx, map, "transport_mode");
	return ((tm == NULL || conf_is_null(tm)) &&
	    conf_load_listed(cx, conf_load_lookup(cx, map, "relay_urls")) &&
	    !conf_load_listed(cx, conf_load_lookup(cx, map,
	    "direct_stream_urls")));
}

/* A printable, bounded copy of a key for messages. */
static const char *
conf_load_key_name(yaml_node_t *k, char *buf, size_t len)
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
conf_load_root(struct conf_ctx *cx, yaml_node_t *root)
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
		if (role == KS_CARRIER) {
			cx->cx_conf->gc_has_carrier = 1;
			cx->cx_v15_direct = conf_load_v15_direct(cx, root);
		} else
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
			conf_load_section(cx, KS_CARRIER, v);
		} else if (sectioned && strcmp(name, "exit") == 0) {
			cx->cx_conf->gc_has_exit = 1;
			cx->cx_sect_line[KS_EXIT] = conf_line(k);
			conf_load_section(cx, KS_EXIT, v);
		} else if (sectioned || (conf_keys_find(KS_TOP, name) >= 0 &&
		    conf_keys_find(role, name) < 0))
			conf_load_set(cx, KS_TOP, k, v);
		else
			conf_load_set(cx, role, k, v);
	}
}

static void
conf_load_section(struct conf_ctx *cx, int sect, yaml_node_t *node)
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
	if (sect == KS_CARRIER)
		cx->cx_v15_direct = conf_load_v15_direct(cx, node);
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
		conf_load_set(cx, sect, k, v);
	}
}

/* One "key: value" of section sect. */
static void
conf_load_set(struct conf_ctx *cx, int sect, yaml_node_t *kn, yaml_node_t *v)
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
		conf_load_key_name(kn, buf, sizeof(buf));
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
	if (sect == KS_CARRIER && cx->cx_v15_direct &&
	    strcmp(k->k_name, "script_keys") == 0) {
		/* Not parsed: a placeholder there is no error (as in v1.5). */
		if (!conf_is_null(v) && (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top > v->data.sequence.items.start))
			conf_msg(cx, 0, kn, k->k_name, "ignored: relay_urls "
			    "without transport_mode means direct_post, as in "
			    "GooseRelayVPN v1.5 (set transport_mode to "
			    "choose)");
		return;
	}
	if (cx->cx_line[i] != 0)
		conf_msg(cx, 0, kn, k->k_name, "duplicate key (line %" PRIu32
		    "); the last value wins", cx->cx_line[i]);
	cx->cx_sect = sect;
	if (conf_is_null(v) && k->k_type != KT_FN)
		return;
	switch (k->k_type) {
	case KT_BOOL:
		conf_load_bool(cx, k, v);
		break;
	case KT_UINT:
		conf_load_uint(cx, k, v);
		break;
	case KT_STR:
	case KT_HOST:
	case KT_PATH:
		conf_load_str(cx, k, v);
		break;
	case KT_ENUM:
		conf_load_enum(cx, k, v);
		break;
	case KT_IGNORE:
		conf_load_ignored(cx, k, v);
		break;
	case KT_FN:
		k->k_fn(cx, k, v);
		break;
	}
}

static void
conf_load_bool(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
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
conf_load_uint(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
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

static void
conf_load_str(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	char		 tmp[CONF_PATH_LEN];
	const char	*s, *err, *p;

	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp) < k->k_len ? sizeof(tmp) :
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
conf_load_enum(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	char		 tmp[32], list[160];
	const char	*s;
	int		 i;

	if ((s = conf_scalar(cx, k, v, "a string")) == NULL)
		return;
	if (conf_trim(tmp, sizeof(tmp), s) == 0) {
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
conf_load_ignored(struct conf_ctx *cx, const struct conf_key *k,
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
