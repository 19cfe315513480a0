/*
 * Version probe (docs/protocol.md 2.6): the ACK payload
 * "goose_version_probe:v1|{json}" and the server's RST + JSON reply.
 * JSON through jansson.  Unknown keys and unknown feature strings are
 * ignored (Go peers add fields over time); known keys with the wrong
 * type are errors.
 */
#include "gr_config.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "wire.h"

#define WIRE_PROBE_BARE		"goose_version_probe:v1"

static const struct {
	unsigned int	 bit;
	const char	*name;
} wire_probe_features[] = {
	{ WIRE_FEAT_ZSTD,		"zstd" },
	{ WIRE_FEAT_RAW_B64,		"raw_base64" },
	{ WIRE_FEAT_BINARY,		"binary_batch_v1" },
	{ WIRE_FEAT_RUN_RESET,		"client_run_reset_v1" },
	{ WIRE_FEAT_REPLAY,		"downstream_replay_v1" },
	{ WIRE_FEAT_UPSTREAM_ACK,	"upstream_ack_v1" },
	{ WIRE_FEAT_SESS_CHECK,		"session_check_v1" },
	{ WIRE_FEAT_RX_WINDOW,		"rx_window_v1" },
	{ WIRE_FEAT_UDP,		"udp_v1" },
};
#define WIRE_PROBE_NFEAT \
	(sizeof(wire_probe_features) / sizeof(wire_probe_features[0]))

const char *
wire_feature_name(unsigned int bit)
{
	size_t	 i;

	for (i = 0; i < WIRE_PROBE_NFEAT; i++)
		if (wire_probe_features[i].bit == bit)
			return (wire_probe_features[i].name);
	return (NULL);
}

int
wire_probe_is(const uint8_t *p, size_t n)
{
	size_t	 pl = sizeof(WIRE_PROBE_PREFIX) - 1;
	size_t	 bl = sizeof(WIRE_PROBE_BARE) - 1;

	if (n >= pl && memcmp(p, WIRE_PROBE_PREFIX, pl) == 0)
		return (1);
	return (n == bl && memcmp(p, WIRE_PROBE_BARE, bl) == 0);
}

/* Serialise a JSON value compactly, appended to out. */
static int
wire_probe_dump(json_t *j, struct wbuf *out)
{
	size_t	 n;

	if ((n = json_dumpb(j, NULL, 0, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == 0)
		return (-1);
	if (wbuf_reserve(out, n) == -1)
		return (-1);
	if (json_dumpb(j, (char *)out->wb_data + out->wb_len, n,
	    JSON_COMPACT | JSON_PRESERVE_ORDER) != n)
		return (-1);
	out->wb_len += n;
	return (0);
}

int
wire_probe_encode(const struct wire_probe *p, struct wbuf *out)
{
	json_t	*j;
	size_t	 start = out->wb_len;
	int	 r = -1;

	if ((j = json_object()) == NULL)
		return (-1);
	if (json_object_set_new(j, "type", json_string("version_probe")) ||
	    json_object_set_new(j, "client_version",
	    json_stringn(p->p_client_version, strnlen(p->p_client_version,
	    sizeof(p->p_client_version)))) ||
	    json_object_set_new(j, "protocol",
	    json_integer(p->p_protocol ? p->p_protocol :
	    WIRE_PROTOCOL_VERSION)))
		goto done;
	if (p->p_instance_id[0] != '\0' && json_object_set_new(j,
	    "client_instance_id", json_stringn(p->p_instance_id,
	    strnlen(p->p_instance_id, sizeof(p->p_instance_id)))))
		goto done;
	if (p->p_run_id[0] != '\0' && json_object_set_new(j, "run_id",
	    json_stringn(p->p_run_id, strnlen(p->p_run_id,
	    sizeof(p->p_run_id)))))
		goto done;
	if (p->p_reset_previous && json_object_set_new(j, "reset_previous",
	    json_true()))
		goto done;
	if (p->p_upstream_ack && json_object_set_new(j, "upstream_ack",
	    json_true()))
		goto done;
	if (p->p_rx_window > 0 && json_object_set_new(j, "rx_window",
	    json_integer(p->p_rx_window)))
		goto done;
	if (wbuf_append(out, WIRE_PROBE_PREFIX,
	    sizeof(WIRE_PROBE_PREFIX) - 1) == -1 ||
	    wire_probe_dump(j, out) == -1)
		goto done;
	r = 0;
 done:
	if (r == -1)
		out->wb_len = start;
	json_decref(j);
	return (r);
}

/*
 * Copy a JSON string into a fixed field.  trunc != 0: informational text
 * (versions), cut to fit; otherwise too long is an error.
 */
static int
wire_probe_str(json_t *o, const char *key, char *dst, size_t dsz,
    int trunc, int idchars, const char **errstr, const char *bad)
{
	json_t		*v;
	const char	*s;
	size_t		 n, i;

	dst[0] = '\0';
	if ((v = json_object_get(o, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v)) {
		*errstr = bad;
		return (-1);
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= dsz) {
		if (!trunc) {
			*errstr = bad;
			return (-1);
		}
		n = dsz - 1;
		/* Cut on a UTF-8 character boundary. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		/* Ids: printable ASCII without spaces; text: no controls. */
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    (idchars && ((unsigned char)s[i] > 0x7e || s[i] == ' '))) {
			*errstr = bad;
			return (-1);
		}
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (0);
}

static int
wire_probe_int(json_t *o, const char *key, long long lo, long long hi,
    long long *val, const char **errstr, const char *bad)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		*errstr = bad;
		return (-1);
	}
	*val = json_integer_value(v);
	return (0);
}

static int
wire_probe_bool(json_t *o, const char *key, int *val, const char **errstr,
    const char *bad)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_boolean(v)) {
		*errstr = bad;
		return (-1);
	}
	*val = json_is_true(v);
	return (0);
}

static json_t *
wire_probe_load(const uint8_t *p, size_t n, const char **errstr,
    const char *bad)
{
	json_error_t	 e;
	json_t		*j;

	/* Duplicate keys would make the meaning ambiguous. */
	j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		*errstr = bad;
		return (NULL);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*errstr = bad;
		return (NULL);
	}
	return (j);
}

int
wire_probe_decode(const uint8_t *p, size_t n, struct wire_probe *pr,
    const char **errstr)
{
	size_t	 pl = sizeof(WIRE_PROBE_PREFIX) - 1;
	long long v;
	json_t	*j, *t;
	int	 r = -1;

	memset(pr, 0, sizeof(*pr));
	if (!wire_probe_is(p, n)) {
		*errstr = "probe: not a version probe payload";
		return (-1);
	}
	/* The bare prefix (with or without '|') is a probe without JSON. */
	if (n <= pl)
		return (0);
	if ((j = wire_probe_load(p + pl, n - pl, errstr,
	    "probe: payload is not a JSON object")) == NULL)
		return (-1);
	if ((t = json_object_get(j, "type")) != NULL && !json_is_null(t) &&
	    (!json_is_string(t) ||
	    strcmp(json_string_value(t), "version_probe") != 0)) {
		*errstr = "probe: type is not \"version_probe\"";
		goto done;
	}
	v = 0;
	if (wire_probe_str(j, "client_version", pr->p_client_version,
	    sizeof(pr->p_client_version), 1, 0, errstr,
	    "probe: bad client_version") == -1 ||
	    wire_probe_int(j, "protocol", 0, INT32_MAX, &v, errstr,
	    "probe: bad protocol") == -1 ||
	    wire_probe_str(j, "client_instance_id", pr->p_instance_id,
	    sizeof(pr->p_instance_id), 0, 1, errstr,
	    "probe: bad client_instance_id") == -1 ||
	    wire_probe_str(j, "run_id", pr->p_run_id, sizeof(pr->p_run_id),
	    0, 1, errstr, "probe: bad run_id") == -1 ||
	    wire_probe_bool(j, "reset_previous", &pr->p_reset_previous,
	    errstr, "probe: bad reset_previous") == -1 ||
	    wire_probe_bool(j, "upstream_ack", &pr->p_upstream_ack,
	    errstr, "probe: bad upstream_ack") == -1)
		goto done;
	pr->p_protocol = (int)v;
	v = 0;
	if (wire_probe_int(j, "rx_window", 0, UINT32_MAX, &v, errstr,
	    "probe: bad rx_window") == -1)
		goto done;
	pr->p_rx_window = (uint32_t)v;
	r = 0;
 done:
	json_decref(j);
	if (r == -1)
		memset(pr, 0, sizeof(*pr));
	return (r);
}

int
wire_probe_reply_encode(const struct wire_probe_reply *pr, struct wbuf *out)
{
	json_t	*j, *fa;
	size_t	 i, start = out->wb_len;
	int	 r = -1;

	if ((j = json_object()) == NULL)
		return (-1);
	if (json_object_set_new(j, "ok", json_boolean(pr->pr_ok)) ||
	    json_object_set_new(j, "protocol", json_integer(pr->pr_protocol)) ||
	    json_object_set_new(j, "server_version",
	    json_stringn(pr->pr_server_version, strnlen(pr->pr_server_version,
	    sizeof(pr->pr_server_version)))) ||
	    json_object_set_new(j, "max_frame_payload",
	    json_integer(pr->pr_max_frame_payload)))
		goto done;
	if ((fa = json_array()) == NULL ||
	    json_object_set_new(j, "features", fa))
		goto done;
	for (i = 0; i < WIRE_PROBE_NFEAT; i++)
		if ((pr->pr_features & wire_probe_features[i].bit) &&
		    json_array_append_new(fa,
		    json_string(wire_probe_features[i].name)))
			goto done;
	if (wire_probe_dump(j, out) == -1)
		goto done;
	r = 0;
 done:
	if (r == -1)
		out->wb_len = start;
	json_decref(j);
	return (r);
}

int
wire_probe_reply_decode(const uint8_t *p, size_t n,
    struct wire_probe_reply *pr, const char **errstr)
{
	json_t		*j, *fa, *e;
	const char	*s;
	long long	 v;
	size_t		 i, k;
	int		 r = -1;

	memset(pr, 0, sizeof(*pr));
	if ((j = wire_probe_load(p, n, errstr,
	    "probe reply: payload is not a JSON object")) == NULL)
		return (-1);
	if (wire_probe_bool(j, "ok", &pr->pr_ok, errstr,
	    "probe reply: bad ok") == -1)
		goto done;
	v = 0;
	if (wire_probe_int(j, "protocol", 0, INT32_MAX, &v, errstr,
	    "probe reply: bad protocol") == -1)
		goto done;
	pr->pr_protocol = (int)v;
	v = 0;
	if (wire_probe_int(j, "max_frame_payload", 0, UINT32_MAX, &v, errstr,
	    "probe reply: bad max_frame_payload") == -1)
		goto done;
	pr->pr_max_frame_payload = (uint32_t)v;
	if (wire_probe_str(j, "server_version", pr->pr_server_version,
	    sizeof(pr->pr_server_version), 1, 0, errstr,
	    "probe reply: bad server_version") == -1)
		goto done;
	if ((fa = json_object_get(j, "features")) != NULL &&
	    !json_is_null(fa)) {
		if (!json_is_array(fa)) {
			*errstr = "probe reply: features is not an array";
			goto done;
		}
		json_array_foreach(fa, i, e) {
			if (!json_is_string(e)) {
				*errstr =
				    "probe reply: feature is not a string";
				goto done;
			}
			s = json_string_value(e);
			for (k = 0; k < WIRE_PROBE_NFEAT; k++)
				if (strcmp(s, wire_probe_features[k].name) == 0)
					pr->pr_features |=
					    wire_probe_features[k].bit;
		}
	}
	r = 0;
 done:
	json_decref(j);
	if (r == -1)
		memset(pr, 0, sizeof(*pr));
	return (r);
}
