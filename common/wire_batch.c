/*
 * Batch codec (docs/protocol.md 1.2, 1.5): layout, compression and parsing.
 *
 * Sealing walks the batch as a list of pieces (headers built on the stack,
 * payloads where the caller keeps them) and encrypts each piece straight
 * into the output buffer, so raw batches are never copied as plaintext.
 * Only when compression is worth trying is the body assembled, in a
 * scratch buffer owned by the wire_aead (reused, so no steady-state
 * malloc).
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "wire.h"

#define WIRE_BATCH_HDR		(WIRE_CID_LEN + 2)
#define WIRE_ZSTD_MIN		512	/* compress BODY >= this only */
#define WIRE_ZSTD_PROBE		4096	/* bytes examined for entropy */
#define WIRE_ZSTD_DISTINCT	224	/* ... must have fewer distinct */
#define WIRE_PEND_SIZE		16384	/* coalesce small pieces */
#define WIRE_PEND_SMALL		4096	/* payloads up to this are copied */

/* Receives each piece of a batch plaintext in order; 1 stops the walk. */
typedef int (*wire_batch_piece_fn)(void *, const uint8_t *, size_t);

/* Emit the plaintext of a batch piece by piece (flags < 0: no byte). */
static int
wire_batch_walk(int flags, const uint8_t cid[WIRE_CID_LEN],
    const struct wire_frame *fr, size_t nframes, wire_batch_piece_fn fn,
    void *arg)
{
	uint8_t	 hdr[WIRE_FRAME_WORST_HDR];
	uint8_t	 b;
	size_t	 i, hl, fl;
	int	 r;

	if (flags >= 0) {
		b = flags;
		if ((r = fn(arg, &b, 1)) != 0)
			return (r);
	}
	if ((r = fn(arg, cid, WIRE_CID_LEN)) != 0)
		return (r);
	hdr[0] = nframes >> 8;
	hdr[1] = nframes;
	if ((r = fn(arg, hdr, 2)) != 0)
		return (r);
	for (i = 0; i < nframes; i++) {
		fl = wire_frame_size(&fr[i]);
		hdr[0] = fl >> 24;
		hdr[1] = fl >> 16;
		hdr[2] = fl >> 8;
		hdr[3] = fl;
		hl = WIRE_FRAME_LEN_HDR + wire_frame_encode_hdr(&fr[i],
		    hdr + WIRE_FRAME_LEN_HDR);
		if ((r = fn(arg, hdr, hl)) != 0)
			return (r);
		if (fr[i].f_len > 0 &&
		    (r = fn(arg, fr[i].f_payload, fr[i].f_len)) != 0)
			return (r);
		if (fr[i].f_len2 > 0 &&
		    (r = fn(arg, fr[i].f_payload2, fr[i].f_len2)) != 0)
			return (r);
	}
	return (0);
}

/* Distinct byte values among the first WIRE_ZSTD_PROBE bytes of BODY. */
struct wire_batch_distinct {
	uint64_t	 d_seen[4];
	size_t		 d_bytes;
	unsigned int	 d_count;
};

static int
wire_batch_distinct_piece(void *arg, const uint8_t *p, size_t n)
{
	struct wire_batch_distinct *d = arg;
	size_t	 i;
	uint64_t bit;

	if (n > WIRE_ZSTD_PROBE - d->d_bytes)
		n = WIRE_ZSTD_PROBE - d->d_bytes;
	for (i = 0; i < n; i++) {
		bit = (uint64_t)1 << (p[i] & 63);
		if ((d->d_seen[p[i] >> 6] & bit) == 0) {
			d->d_seen[p[i] >> 6] |= bit;
			/* Enough: it will not be compressed. */
			if (++d->d_count >= WIRE_ZSTD_DISTINCT)
				return (1);
		}
	}
	d->d_bytes += n;
	return (d->d_bytes >= WIRE_ZSTD_PROBE);
}

static int
wire_batch_append_piece(void *arg, const uint8_t *p, size_t n)
{
	struct wbuf *wb = arg;

	/* Space was reserved up front. */
	memcpy(wb->wb_data + wb->wb_len, p, n);
	wb->wb_len += n;
	return (0);
}

/*
 * Encrypting sink: small pieces (headers, tiny payloads) are gathered in
 * a stack buffer so a batch of many small frames costs few EVP calls;
 * large payloads go to EVP_EncryptUpdate directly from where they live.
 */
struct wire_batch_enc {
	struct wire_aead *e_aead;
	struct wbuf	*e_out;
	const char	*e_err;
	size_t		 e_total;	/* bytes given to EVP so far */
	size_t		 e_plen;
	uint8_t		 e_pend[WIRE_PEND_SIZE];
};

static int
wire_batch_enc_flush(struct wire_batch_enc *e)
{
	if (e->e_plen == 0)
		return (0);
	if (wire_aead_seal_update(e->e_aead, e->e_out, e->e_pend, e->e_plen,
	    &e->e_err) == -1)
		return (-1);
	e->e_total += e->e_plen;
	e->e_plen = 0;
	return (0);
}

/*
 * Per EVP call overhead dominates for pieces of a few KiB, so those are
 * copied into the gather buffer.  A large piece is encrypted in place,
 * after topping the gathered bytes up to a 16-byte boundary of the GCM
 * stream so the bulk call starts block-aligned (OpenSSL's fast path).
 */
static int
wire_batch_enc_piece(void *arg, const uint8_t *p, size_t n)
{
	struct wire_batch_enc *e = arg;
	size_t	 k;

	if (n <= WIRE_PEND_SMALL) {
		if (n > sizeof(e->e_pend) - e->e_plen &&
		    wire_batch_enc_flush(e) == -1)
			return (-1);
		memcpy(e->e_pend + e->e_plen, p, n);
		e->e_plen += n;
		return (0);
	}
	k = (16 - (e->e_total + e->e_plen) % 16) % 16;
	if (k > sizeof(e->e_pend) - e->e_plen && wire_batch_enc_flush(e) == -1)
		return (-1);
	k = (16 - (e->e_total + e->e_plen) % 16) % 16;
	memcpy(e->e_pend + e->e_plen, p, k);
	e->e_plen += k;
	if (wire_batch_enc_flush(e) == -1)
		return (-1);
	if (wire_aead_seal_update(e->e_aead, e->e_out, p + k, n - k,
	    &e->e_err) == -1)
		return (-1);
	e->e_total += n - k;
	return (0);
}

size_t
wire_batch_plainsize(const struct wire_frame *fr, size_t nframes)
{
	size_t	 i, n = 1 + WIRE_BATCH_HDR;

	for (i = 0; i < nframes; i++)
		n += WIRE_FRAME_LEN_HDR + wire_frame_size(&fr[i]);
	return (n);
}

/*
 * Try zstd on the assembled plaintext in scratch 0 (flags byte + BODY).
 * Returns 1 and seals when the result is strictly smaller, 0 when the raw
 * form should be sent, -1 on error.
 */
static int
wire_batch_seal_zstd(struct wire_aead *a, struct wbuf *asmb,
    struct wbuf *out, const char **errstr)
{
	struct wbuf	*z = wire_aead_scratch(a, 1);
	ZSTD_CCtx	*zc;
	size_t		 blen = asmb->wb_len - 1, r;

	if ((zc = wire_aead_zcctx(a)) == NULL)
		return (0);	/* no compressor: raw is always valid */
	wbuf_reset(z);
	if (wbuf_reserve(z, blen) == -1) {
		*errstr = "seal: out of memory";
		return (-1);
	}
	z->wb_data[0] = WIRE_BF_ZSTD;
	/* Capacity blen - 1: anything not strictly smaller fails here. */
	r = ZSTD_compress2(zc, z->wb_data + 1, blen - 1, asmb->wb_data + 1,
	    blen);
	if (ZSTD_isError(r))
		return (0);
	z->wb_len = 1 + r;
	if (wire_aead_seal(a, z->wb_data, z->wb_len, out, errstr) == -1)
		return (-1);
	return (1);
}

int
wire_batch_seal(struct wire_aead *a, const uint8_t cid[WIRE_CID_LEN],
    const struct wire_frame *fr, size_t nframes,
    const struct wire_encopts *eo, struct wbuf *out, const char **errstr)
{
	struct wire_batch_enc	 enc;
	struct wire_batch_distinct d;
	struct wbuf		*asmb;
	enum wire_layout	 layout = eo ? eo->eo_layout : WIRE_LAYOUT_V16;
	size_t			 i, bodylen, start = out->wb_len;
	int			 flags, r;

	if (nframes > WIRE_MAX_FRAMES) {
		*errstr = "batch: more than 65535 frames";
		return (-1);
	}
	bodylen = WIRE_BATCH_HDR;
	for (i = 0; i < nframes; i++) {
		if (wire_frame_check(&fr[i], errstr) == -1)
			return (-1);
		bodylen += WIRE_FRAME_LEN_HDR + wire_frame_size(&fr[i]);
	}
	flags = layout == WIRE_LAYOUT_V15 ? -1 : WIRE_BF_RAW;

	if (layout == WIRE_LAYOUT_V16 && eo != NULL && eo->eo_compress &&
	    bodylen >= WIRE_ZSTD_MIN) {
		memset(&d, 0, sizeof(d));
		wire_batch_walk(-1, cid, fr, nframes,
		    wire_batch_distinct_piece, &d);
		if (d.d_count < WIRE_ZSTD_DISTINCT) {
			asmb = wire_aead_scratch(a, 0);
			wbuf_reset(asmb);
			if (wbuf_reserve(asmb, 1 + bodylen) == -1) {
				*errstr = "seal: out of memory";
				return (-1);
			}
			wire_batch_walk(WIRE_BF_RAW, cid, fr, nframes,
			    wire_batch_append_piece, asmb);
			if ((r = wire_batch_seal_zstd(a, asmb, out,
			    errstr)) != 0)
				return (r == 1 ? 0 : -1);
			/* Not smaller: seal the raw body already built. */
			return (wire_aead_seal(a, asmb->wb_data, asmb->wb_len,
			    out, errstr));
		}
	}

	/* One pass: encrypt the pieces where they are. */
	if (wire_aead_seal_begin(a, out, bodylen + (flags >= 0),
	    errstr) == -1)
		return (-1);
	enc.e_aead = a;
	enc.e_out = out;
	enc.e_err = NULL;
	enc.e_total = 0;
	enc.e_plen = 0;
	if (wire_batch_walk(flags, cid, fr, nframes, wire_batch_enc_piece,
	    &enc) != 0 || wire_batch_enc_flush(&enc) == -1) {
		*errstr = enc.e_err ? enc.e_err : "seal: encrypt failed";
		out->wb_len = start;
		return (-1);
	}
	if (wire_aead_seal_finish(a, out, errstr) == -1) {
		out->wb_len = start;
		return (-1);
	}
	return (0);
}

void
wire_batch_init(struct wire_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void
wire_batch_free(struct wire_batch *b)
{
	free(b->b_frames);
	wbuf_free(&b->b_plain);
	wbuf_free(&b->b_body);
	wbuf_free(&b->b_raw);
	ZSTD_freeDCtx(b->b_zdctx);
	memset(b, 0, sizeof(*b));
}

/*
 * Parse BODY = cid || count || { len || frame }* that must be consumed
 * exactly.  Frames point into p.
 */
static int
wire_batch_parse_body(struct wire_batch *b, const uint8_t *p, size_t n,
    const char **errstr)
{
	struct wire_frame *nf;
	size_t	 off, count, i, flen;

	b->b_nframes = 0;
	if (n < WIRE_BATCH_HDR) {
		*errstr = "batch: short header";
		return (-1);
	}
	count = (size_t)p[WIRE_CID_LEN] << 8 | p[WIRE_CID_LEN + 1];
	off = WIRE_BATCH_HDR;
	if (count > (n - off) / (WIRE_FRAME_LEN_HDR + WIRE_FRAME_HDR)) {
		*errstr = "batch: frame count larger than the batch";
		return (-1);
	}
	if (count > b->b_fcap) {
		if ((nf = reallocarray(b->b_frames, count,
		    sizeof(*nf))) == NULL) {
			*errstr = "batch: out of memory";
			return (-1);
		}
		b->b_frames = nf;
		b->b_fcap = count;
	}
	for (i = 0; i < count; i++) {
		if (n - off < WIRE_FRAME_LEN_HDR) {
			*errstr = "batch: short frame length";
			return (-1);
		}
		flen = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
		    (size_t)p[off + 2] << 8 | p[off + 3];
		off += WIRE_FRAME_LEN_HDR;
		if (n - off < flen) {
			*errstr = "batch: short frame body";
			return (-1);
		}
		if (wire_frame_decode(p + off, flen, &b->b_frames[i],
		    errstr) == -1)
			return (-1);
		off += flen;
	}
	if (off != n) {
		*errstr = "batch: trailing bytes after the last frame";
		return (-1);
	}
	memcpy(b->b_cid, p, WIRE_CID_LEN);
	b->b_nframes = count;
	return (0);
}

/* Grow the body buffer for a decompressor, never past the cap + 1. */
static int
wire_batch_grow(struct wbuf *wb, const char **errstr)
{
	size_t	 room, want;

	if (wb->wb_len > WIRE_DECOMP_CAP) {
		*errstr = "batch: decompressed body larger than 64 MiB";
		return (-1);
	}
	/* Double, but never past cap + 1 (one byte shows the overflow). */
	room = WIRE_DECOMP_CAP + 1 - wb->wb_len;
	want = wb->wb_len < 65536 ? 65536 : wb->wb_len;
	if (want > room)
		want = room;
	if (wbuf_setcap(wb, wb->wb_len + want) == -1) {
		*errstr = "batch: out of memory";
		return (-1);
	}
	return (0);
}

static int
wire_batch_unzstd(struct wire_batch *b, const uint8_t *src, size_t n,
    const char **errstr)
{
	struct wbuf	*wb = &b->b_body;
	ZSTD_inBuffer	 in = { src, n, 0 };
	ZSTD_outBuffer	 o;
	unsigned long long ds;
	size_t		 r = 1;

	wbuf_reset(wb);
	if (b->b_zdctx == NULL) {
		if ((b->b_zdctx = ZSTD_createDCtx()) == NULL) {
			*errstr = "batch: out of memory";
			return (-1);
		}
		/* A 64 MiB window is enough for any legal body. */
		ZSTD_DCtx_setParameter(b->b_zdctx, ZSTD_d_windowLogMax, 26);
	}
	ZSTD_DCtx_reset(b->b_zdctx, ZSTD_reset_session_only);
	ds = ZSTD_getFrameContentSize(src, n);
	if (ds == ZSTD_CONTENTSIZE_ERROR) {
		*errstr = "batch: corrupt zstd body";
		return (-1);
	}
	/* One frame spanning the body, with its size declared (Go, us). */
	if (ds != ZSTD_CONTENTSIZE_UNKNOWN &&
	    ZSTD_findFrameCompressedSize(src, n) == n) {
		/* Sizes declared: one shot, bounded before allocating. */
		if (ds > WIRE_DECOMP_CAP) {
			*errstr = "batch: decompressed body larger than 64 MiB";
			return (-1);
		}
		if (wbuf_reserve(wb, ds + 1) == -1) {
			*errstr = "batch: out of memory";
			return (-1);
		}
		r = ZSTD_decompressDCtx(b->b_zdctx, wb->wb_data, ds, src, n);
		if (ZSTD_isError(r) || r != ds) {
			*errstr = "batch: corrupt zstd body";
			return (-1);
		}
		wb->wb_len = ds;
		return (0);
	}
	for (;;) {
		if (wb->wb_cap == wb->wb_len && wire_batch_grow(wb,
		    errstr) == -1)
			return (-1);
		o.dst = wb->wb_data + wb->wb_len;
		o.size = wb->wb_cap - wb->wb_len;
		o.pos = 0;
		r = ZSTD_decompressStream(b->b_zdctx, &o, &in);
		if (ZSTD_isError(r)) {
			*errstr = "batch: corrupt zstd body";
			return (-1);
		}
		wb->wb_len += o.pos;
		if (wb->wb_len > WIRE_DECOMP_CAP) {
			*errstr = "batch: decompressed body larger than 64 MiB";
			return (-1);
		}
		if (r == 0 && in.pos == in.size)
			return (0);
		if (in.pos == in.size && o.pos < o.size) {
			*errstr = "batch: truncated zstd body";
			return (-1);
		}
	}
}

/* Legacy raw DEFLATE (RFC 1951) bodies; decode only, rare: may malloc. */
static int
wire_batch_inflate(struct wire_batch *b, const uint8_t *src, size_t n,
    const char **errstr)
{
	struct wbuf	*wb = &b->b_body;
	z_stream	 zs;
	int		 zr;

	wbuf_reset(wb);
	memset(&zs, 0, sizeof(zs));
	if (n > UINT32_MAX || inflateInit2(&zs, -15) != Z_OK) {
		*errstr = "batch: cannot start inflate";
		return (-1);
	}
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = n;
	for (;;) {
		if (wb->wb_cap == wb->wb_len && wire_batch_grow(wb,
		    errstr) == -1)
			goto fail;
		zs.next_out = wb->wb_data + wb->wb_len;
		zs.avail_out = wb->wb_cap - wb->wb_len > UINT32_MAX ?
		    UINT32_MAX : wb->wb_cap - wb->wb_len;
		zr = inflate(&zs, Z_NO_FLUSH);
		wb->wb_len = zs.next_out - wb->wb_data;
		if (wb->wb_len > WIRE_DECOMP_CAP) {
			*errstr = "batch: decompressed body larger than 64 MiB";
			goto fail;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && zs.avail_out > 0) {
			*errstr = "batch: truncated deflate body";
			goto fail;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			*errstr = "batch: corrupt deflate body";
			goto fail;
		}
	}
	if (zs.avail_in != 0) {
		*errstr = "batch: trailing bytes after the deflate body";
		goto fail;
	}
	inflateEnd(&zs);
	return (0);
 fail:
	inflateEnd(&zs);
	return (-1);
}

/*
 * Parse a decrypted plaintext: layout v1.6 first (flags byte, optional
 * decompression, exact parse), then the v1.5 layout (no flags byte) as
 * docs/protocol.md 1.5 rule 1 allows.  The v1.6 error is reported when both
 * fail, since that is what current peers speak.
 */
int
wire_batch_parse(struct wire_batch *b, const uint8_t *p, size_t n,
    const char **errstr)
{
	const char *err16 = NULL, *err15 = NULL;
	int	 r = -1;

	b->b_nframes = 0;
	if (n == 0) {
		*errstr = "batch: empty plaintext";
		return (-1);
	}
	switch (p[0]) {
	case WIRE_BF_RAW:
		r = wire_batch_parse_body(b, p + 1, n - 1, &err16);
		break;
	case WIRE_BF_DEFLATE:
		if ((r = wire_batch_inflate(b, p + 1, n - 1, &err16)) == 0)
			r = wire_batch_parse_body(b, b->b_body.wb_data,
			    b->b_body.wb_len, &err16);
		break;
	case WIRE_BF_ZSTD:
		if ((r = wire_batch_unzstd(b, p + 1, n - 1, &err16)) == 0)
			r = wire_batch_parse_body(b, b->b_body.wb_data,
			    b->b_body.wb_len, &err16);
		break;
	default:
		err16 = "batch: unknown flags byte";
		break;
	}
	if (r == 0) {
		b->b_layout = WIRE_LAYOUT_V16;
		b->b_bflags = p[0];
		return (0);
	}
	if (wire_batch_parse_body(b, p, n, &err15) == 0) {
		b->b_layout = WIRE_LAYOUT_V15;
		b->b_bflags = 0;
		return (0);
	}
	*errstr = err16;
	return (-1);
}

int
wire_batch_open(struct wire_aead *a, const uint8_t *env, size_t n,
    struct wire_batch *b, const char **errstr)
{
	b->b_nframes = 0;
	if (wire_aead_open(a, env, n, &b->b_plain, errstr) == -1)
		return (-1);
	return (wire_batch_parse(b, b->b_plain.wb_data, b->b_plain.wb_len,
	    errstr));
}
