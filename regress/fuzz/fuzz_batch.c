/* FUZZ-SOURCES: common/wbuf.c common/wire_frame.c common/wire_aead.c common/wire_batch.c common/wire_b64.c common/wire_body.c */
/* FUZZ-LIBS: -lcrypto -lzstd -lz */
/*
 * Batch decoder with a fixed key (the one in ../shared/vectors).  The
 * first input byte picks what the rest is:
 *   0  a binary envelope          (wire_body_open, binary)
 *   1  a base64 text body         (wire_body_open, text)
 *   2  a decrypted plaintext      (wire_batch_parse)
 *   3  a plaintext sealed here, then opened, so the whole open path
 *      runs past GCM authentication on fuzzed content
 *   4  base64 text: the hand-written and libcrypto codecs must
 *      agree, and decode -> encode -> decode must be stable
 * Whatever decodes is re-sealed in every layout and must come back with
 * the same client id and frames.
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct wire_aead	*fuzz_batch_aead;
static struct wire_batch fuzz_batch_b, fuzz_batch_b2;
static struct wbuf	 fuzz_batch_out, fuzz_batch_scratch, fuzz_batch_b64;

static void
fuzz_batch_init(void)
{
	uint8_t		 key[WIRE_KEY_LEN];
	const char	*err;

	if (wire_key_parse("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", key, &err) != 0 ||
	    (fuzz_batch_aead = wire_aead_new(key)) == NULL)
		abort();
	wire_batch_init(&fuzz_batch_b);
	wire_batch_init(&fuzz_batch_b2);
}

/* Re-seal the decoded frames and check they survive unchanged. */
static void
fuzz_batch_reseal(const struct wire_batch *b)
{
	struct wire_encopts eo;
	const char	*err = NULL;
	size_t		 i;
	int		 k;

	for (k = 0; k < 3; k++) {
		eo.eo_layout = k == 2 ? WIRE_LAYOUT_V15 : WIRE_LAYOUT_V16;
		eo.eo_compress = k == 1;
		wbuf_reset(&fuzz_batch_out);
		if (wire_body_seal(fuzz_batch_aead, b->b_cid, b->b_frames,
		    b->b_nframes, &eo, k == 1, &fuzz_batch_out,
		    &fuzz_batch_scratch, &err) != 0)
			abort();
		if (wire_body_open(fuzz_batch_aead, fuzz_batch_out.wb_data,
		    fuzz_batch_out.wb_len, k == 1, &fuzz_batch_b2, &err) != 0)
			abort();
		if (memcmp(fuzz_batch_b2.b_cid, b->b_cid, WIRE_CID_LEN) != 0 ||
		    fuzz_batch_b2.b_nframes != b->b_nframes)
			abort();
		for (i = 0; i < b->b_nframes; i++) {
			const struct wire_frame *x = &b->b_frames[i];
			const struct wire_frame *y = &fuzz_batch_b2.b_frames[i];

			if (memcmp(x->f_sid, y->f_sid, WIRE_SID_LEN) != 0 ||
			    x->f_seq != y->f_seq || x->f_flags != y->f_flags ||
			    x->f_tlen != y->f_tlen || x->f_len != y->f_len ||
			    (x->f_tlen && memcmp(x->f_target, y->f_target,
			    x->f_tlen) != 0) ||
			    (x->f_len && memcmp(x->f_payload, y->f_payload,
			    x->f_len) != 0))
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char	*err = NULL;
	size_t		 l;
	int		 r;
	char		*enc;

	if (fuzz_batch_aead == NULL)
		fuzz_batch_init();
	if (n < 1)
		return (0);
	switch (d[0] % 5) {
	case 0:
		r = wire_body_open(fuzz_batch_aead, d + 1, n - 1, 0,
		    &fuzz_batch_b, &err);
		break;
	case 1:
		r = wire_body_open(fuzz_batch_aead, d + 1, n - 1, 1,
		    &fuzz_batch_b, &err);
		break;
	case 2:
		r = wire_batch_parse(&fuzz_batch_b, d + 1, n - 1, &err);
		break;
	case 3:
		wbuf_reset(&fuzz_batch_out);
		if (wire_aead_seal(fuzz_batch_aead, d + 1, n - 1,
		    &fuzz_batch_out, &err) != 0)
			abort();
		/* open into a copy: out is reused by the reseal check */
		wbuf_reset(&fuzz_batch_b64);
		if (wbuf_append(&fuzz_batch_b64, fuzz_batch_out.wb_data,
		    fuzz_batch_out.wb_len) != 0)
			abort();
		r = wire_batch_open(fuzz_batch_aead, fuzz_batch_b64.wb_data,
		    fuzz_batch_b64.wb_len, &fuzz_batch_b, &err);
		break;
	default:
		/* Differential: hand-written and libcrypto codecs agree. */
		r = wire_b64_decode_evp(&fuzz_batch_out, (const char *)d + 1,
		    n - 1, &err);
		if (wire_b64_decode(&fuzz_batch_b64, (const char *)d + 1,
		    n - 1, &err) != 0) {
			if (err == NULL || r == 0)
				abort();
			return (0);
		}
		if (r != 0 || fuzz_batch_out.wb_len != fuzz_batch_b64.wb_len ||
		    (fuzz_batch_out.wb_len && memcmp(fuzz_batch_out.wb_data,
		    fuzz_batch_b64.wb_data, fuzz_batch_out.wb_len) != 0))
			abort();
		l = wire_b64_enclen(fuzz_batch_b64.wb_len);
		if ((enc = malloc(l + 1)) == NULL)
			abort();
		if (wire_b64_encode(enc, fuzz_batch_b64.wb_data,
		    fuzz_batch_b64.wb_len) != l)
			abort();
		{
			char	*e2;

			if ((e2 = malloc(l + 1)) == NULL ||
			    wire_b64_encode_evp(e2, fuzz_batch_b64.wb_data,
			    fuzz_batch_b64.wb_len) != l ||
			    (l && memcmp(e2, enc, l) != 0))
				abort();
			free(e2);
		}
		wbuf_reset(&fuzz_batch_out);
		wbuf_append(&fuzz_batch_out, fuzz_batch_b64.wb_data,
		    fuzz_batch_b64.wb_len);
		if (wire_b64_decode(&fuzz_batch_b64, enc, l, &err) != 0 ||
		    fuzz_batch_b64.wb_len != fuzz_batch_out.wb_len ||
		    (l && memcmp(fuzz_batch_b64.wb_data,
		    fuzz_batch_out.wb_data, fuzz_batch_out.wb_len) != 0))
			abort();
		free(enc);
		return (0);
	}
	if (r != 0) {
		if (err == NULL || fuzz_batch_b.b_nframes != 0)
			abort();
		return (0);
	}
	fuzz_batch_reseal(&fuzz_batch_b);
	return (0);
}
