/*
 * HTTP/WebSocket bodies (docs/protocol.md 1.4): the sealed envelope either raw
 * (binary) or as unpadded base64 text.  Batches in the v1.5 layout get
 * padded text: GooseRelayVPN v1.5 decodes with Go's StdEncoding, which
 * rejects a body without its '=' padding (v1.6+ strips it either way).
 */
#include "gr_config.h"

#include <stdint.h>
#include <string.h>

#include "wire.h"

int
wire_body_seal(struct wire_aead *a, const uint8_t cid[WIRE_CID_LEN],
    const struct wire_frame *fr, size_t nframes,
    const struct wire_encopts *eo, int text, struct wbuf *out,
    struct wbuf *scratch, const char **errstr)
{
	size_t	 n, pad;

	if (!text)
		return (wire_batch_seal(a, cid, fr, nframes, eo, out, errstr));
	wbuf_reset(scratch);
	if (wire_batch_seal(a, cid, fr, nframes, eo, scratch, errstr) == -1)
		return (-1);
	n = wire_b64_enclen(scratch->wb_len);
	pad = eo != NULL && eo->eo_layout == WIRE_LAYOUT_V15 ?
	    (4 - n % 4) % 4 : 0;
	if (wbuf_reserve(out, n + pad) == -1) {
		*errstr = "body: out of memory";
		return (-1);
	}
	out->wb_len += wire_b64_encode((char *)out->wb_data + out->wb_len,
	    scratch->wb_data, scratch->wb_len);
	while (pad-- > 0)
		out->wb_data[out->wb_len++] = '=';
	return (0);
}

int
wire_body_open(struct wire_aead *a, const uint8_t *body, size_t n, int text,
    struct wire_batch *b, const char **errstr)
{
	b->b_nframes = 0;
	if (!text)
		return (wire_batch_open(a, body, n, b, errstr));
	if (wire_b64_decode(&b->b_raw, (const char *)body, n, errstr) == -1)
		return (-1);
	return (wire_batch_open(a, b->b_raw.wb_data, b->b_raw.wb_len, b,
	    errstr));
}
