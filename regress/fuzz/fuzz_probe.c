/* FUZZ-SOURCES: common/wire_probe.c common/wbuf.c */
/* FUZZ-LIBS: -ljansson */
/*
 * Version probe payload and probe reply JSON.  The input is tried as a
 * whole probe payload, as the JSON after the probe prefix, and as a
 * reply; whatever decodes must survive encode -> decode unchanged.
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_probe_one(const uint8_t *d, size_t n)
{
	struct wire_probe p, q;
	struct wbuf	 out = { 0 };
	const char	*err = NULL;

	if (wire_probe_decode(d, n, &p, &err) != 0) {
		if (err == NULL)
			abort();
		return;
	}
	if (!wire_probe_is(d, n))
		abort();
	/* The encoder substitutes protocol 1 for 0. */
	if (p.p_protocol == 0)
		p.p_protocol = WIRE_PROTOCOL_VERSION;
	if (wire_probe_encode(&p, &out) != 0 ||
	    wire_probe_decode(out.wb_data, out.wb_len, &q, &err) != 0 ||
	    memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	wbuf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wire_probe_reply r, s;
	struct wbuf	 out = { 0 };
	const char	*err = NULL;
	size_t		 pl = sizeof(WIRE_PROBE_PREFIX) - 1;
	uint8_t		*buf;

	fuzz_probe_one(d, n);
	if ((buf = malloc(pl + n + 1)) == NULL)
		abort();
	memcpy(buf, WIRE_PROBE_PREFIX, pl);
	if (n > 0)
		memcpy(buf + pl, d, n);
	fuzz_probe_one(buf, pl + n);
	free(buf);

	if (wire_probe_reply_decode(d, n, &r, &err) == 0) {
		if (wire_probe_reply_encode(&r, &out) != 0 ||
		    wire_probe_reply_decode(out.wb_data, out.wb_len, &s,
		    &err) != 0 || memcmp(&r, &s, sizeof(r)) != 0)
			abort();
		wbuf_free(&out);
	} else if (err == NULL)
		abort();
	return (0);
}
