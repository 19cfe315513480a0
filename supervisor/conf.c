/*
 * The parse context's helpers, shared by every conf_*.c file: messages
 * "file:line: key: reason", nodes, scalars, marks of where a key was set,
 * bounded copies and trimming.  This is the bottom of the parser: it
 * calls no other conf_*.c file (scripts/depgraph.py checks that the
 * parser's files point one way: conf_load, conf_check, conf_keys, then
 * conf_values and conf_dump, then this file and conf_defaults).
 */
#include "gr_config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf_keys.h"

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

/*
 * Index of the key name in section sect of the table being parsed, or -1.
 * The table comes with the context (conf_load.c puts conf_keys[] there) so
 * that the value parsers the table points at need not point back at it.
 */
int
conf_find(const struct conf_ctx *cx, int sect, const char *name)
{
	size_t	 i;

	for (i = 0; i < cx->cx_nkeys; i++)
		if (cx->cx_keys[i].k_sect == sect &&
		    strcmp(cx->cx_keys[i].k_name, name) == 0)
			return ((int)i);
	return (-1);
}

/* Record that k was set in the file at the current key's line. */
void
conf_mark(struct conf_ctx *cx, const struct conf_key *k, yaml_node_t *v)
{
	int	 i = (int)(k - cx->cx_keys);

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

	if ((i = conf_find(cx, sect, name)) < 0)
		return;
	cx->cx_line[i] = line;
	cx->cx_conf->gc_origin_kind[i] = CONF_ORIGIN_FILE;
	cx->cx_conf->gc_origin_line[i] = line;
}

/*
 * Copy s without surrounding blanks, as Go's strings.TrimSpace
 * (GooseRelayVPN trims every string); -1 if it does not fit in len.
 */
int
conf_trim(char *dst, size_t len, const char *s)
{
	size_t	 n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= len)
		return (-1);
	memmove(dst, s, n);
	dst[n] = '\0';
	return (0);
}
