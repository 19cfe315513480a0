/*
 * Wire codec tests: the known-answer vectors in ../shared/vectors, round
 * trips of every frame kind through both layouts and both body encodings,
 * compression policy, legacy DEFLATE, tampering, limits, probe/GACK
 * payloads and the zero-allocation steady state.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>
#include <zstd.h>

#include "wire.h"

/* Allocations of the whole process, for the steady-state test. */
#include "alloc_count.h"

static const char *test_wire_keyhex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static size_t
test_wire_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t	 n = strlen(s) / 2, i;
	unsigned int v;

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = v;
	}
	return (n);
}

static struct wire_aead *
test_wire_aead(const char *hex)
{
	uint8_t		 key[WIRE_KEY_LEN];
	const char	*err = NULL;
	struct wire_aead *a;

	assert_int_equal(wire_key_parse(hex, key, &err), 0);
	assert_non_null(a = wire_aead_new(key));
	return (a);
}

static json_t *
test_wire_vectors(void)
{
	char		 path[4096];
	const char	*top = getenv("top_srcdir");
	json_error_t	 e;
	json_t		*j;

	/*
	 * The vectors live in the project's ../shared/vectors; the tree
	 * and release tarballs carry a copy in regress/data/vectors for a
	 * checkout or tarball without ../shared (CI, users).
	 */
	snprintf(path, sizeof(path), "%s/../shared/vectors/batches.json",
	    top ? top : TEST_WIRE_TOP_SRCDIR);
	if (access(path, R_OK) == -1)
		snprintf(path, sizeof(path),
		    "%s/regress/data/vectors/batches.json",
		    top ? top : TEST_WIRE_TOP_SRCDIR);
	j = json_load_file(path, 0, &e);
	if (j == NULL)
		fail_msg("cannot load %s: %s", path, e.text);
	return (j);
}

/* Compare decoded frames against a vector's "frames" array. */
static void
test_wire_check_frames(const struct wire_batch *b, json_t *frames)
{
	uint8_t		 buf[WIRE_MAX_PAYLOAD];
	size_t		 i, n;
	json_t		*f;
	const char	*tgt;

	assert_int_equal(b->b_nframes, json_array_size(frames));
	json_array_foreach(frames, i, f) {
		const struct wire_frame *d = &b->b_frames[i];

		n = test_wire_unhex(json_string_value(json_object_get(f,
		    "session_id")), buf, sizeof(buf));
		assert_int_equal(n, WIRE_SID_LEN);
		assert_memory_equal(d->f_sid, buf, WIRE_SID_LEN);
		assert_int_equal(d->f_seq,
		    json_integer_value(json_object_get(f, "seq")));
		assert_int_equal(d->f_flags,
		    json_integer_value(json_object_get(f, "flags")));
		tgt = json_string_value(json_object_get(f, "target"));
		assert_int_equal(d->f_tlen, strlen(tgt));
		if (d->f_tlen)
			assert_memory_equal(d->f_target, tgt, d->f_tlen);
		n = test_wire_unhex(json_string_value(json_object_get(f,
		    "payload_hex")), buf, sizeof(buf));
		assert_int_equal(d->f_len, n);
		assert_int_equal(d->f_len2, 0);
		if (n)
			assert_memory_equal(d->f_payload, buf, n);
	}
}

/* Every positive vector, as given, padded, unpadded, with whitespace. */
static void
test_wire_vectors_positive(void **state)
{
	json_t		*j = test_wire_vectors(), *v;
	struct wire_batch b;
	struct wire_aead *a;
	uint8_t		 cid[WIRE_CID_LEN];
	char		*txt;
	const char	*body, *err, *layout;
	size_t		 i, n, variant;

	wire_batch_init(&b);
	json_array_foreach(json_object_get(j, "positive"), i, v) {
		a = test_wire_aead(json_string_value(json_object_get(v,
		    "key_hex")));
		test_wire_unhex(json_string_value(json_object_get(v,
		    "client_id_hex")), cid, sizeof(cid));
		body = json_string_value(json_object_get(v,
		    "body_base64_text"));
		layout = json_string_value(json_object_get(v, "layout"));
		n = strlen(body);
		assert_non_null(txt = malloc(n + 16));
		for (variant = 0; variant < 3; variant++) {
			size_t	 l;

			switch (variant) {
			case 0:		/* as given */
				memcpy(txt, body, n + 1);
				break;
			case 1:		/* toggle the padding */
				memcpy(txt, body, n + 1);
				l = n;
				if (l > 0 && txt[l - 1] == '=') {
					while (l > 0 && txt[l - 1] == '=')
						l--;
				} else
					while (l % 4)
						txt[l++] = '=';
				txt[l] = '\0';
				break;
			default:	/* surrounding whitespace */
				snprintf(txt, n + 16, " \r\n\t%s\r\n ", body);
				break;
			}
			err = NULL;
			if (wire_body_open(a, (uint8_t *)txt, strlen(txt), 1,
			    &b, &err) != 0)
				fail_msg("%s variant %zu: %s",
				    json_string_value(json_object_get(v,
				    "name")), variant, err);
			assert_memory_equal(b.b_cid, cid, WIRE_CID_LEN);
			assert_int_equal(b.b_layout,
			    strcmp(layout, "v1.5") == 0 ? WIRE_LAYOUT_V15 :
			    WIRE_LAYOUT_V16);
			test_wire_check_frames(&b, json_object_get(v,
			    "frames"));
		}
		if (strstr(json_string_value(json_object_get(v, "name")),
		    "zstd") != NULL)
			assert_int_equal(b.b_bflags, WIRE_BF_ZSTD);
		free(txt);
		wire_aead_free(a);
	}
	wire_batch_free(&b);
	json_decref(j);
}

/*
 * The encoder builds byte for byte the plaintext GooseRelayVPN built:
 * re-seal each vector's frames in its layout (raw) and compare the
 * decrypted plaintexts; for the zstd vector compare the decompressed
 * bodies.
 */
static void
test_wire_vectors_reencode(void **state)
{
	json_t		*j = test_wire_vectors(), *v;
	struct wire_encopts eo;
	struct wire_batch b, b2;
	struct wire_aead *a;
	struct wbuf	 out = { 0 }, ref = { 0 }, mine = { 0 };
	const char	*body, *err = NULL;
	size_t		 i;
	int		 zstd;

	wire_batch_init(&b);
	wire_batch_init(&b2);
	json_array_foreach(json_object_get(j, "positive"), i, v) {
		a = test_wire_aead(json_string_value(json_object_get(v,
		    "key_hex")));
		body = json_string_value(json_object_get(v,
		    "body_base64_text"));
		assert_int_equal(wire_body_open(a, (const uint8_t *)body,
		    strlen(body), 1, &b, &err), 0);
		zstd = b.b_bflags == WIRE_BF_ZSTD;
		eo.eo_layout = b.b_layout;
		eo.eo_compress = zstd;
		/* reference plaintext (or decompressed body) */
		wbuf_reset(&ref);
		if (zstd)
			wbuf_append(&ref, b.b_body.wb_data, b.b_body.wb_len);
		else
			wbuf_append(&ref, b.b_plain.wb_data, b.b_plain.wb_len);
		wbuf_reset(&out);
		assert_int_equal(wire_batch_seal(a, b.b_cid, b.b_frames,
		    b.b_nframes, &eo, &out, &err), 0);
		assert_int_equal(wire_aead_open(a, out.wb_data, out.wb_len,
		    &mine, &err), 0);
		if (zstd) {
			assert_int_equal(mine.wb_data[0], WIRE_BF_ZSTD);
			assert_int_equal(wire_batch_open(a, out.wb_data,
			    out.wb_len, &b2, &err), 0);
			assert_int_equal(b2.b_body.wb_len, ref.wb_len);
			assert_memory_equal(b2.b_body.wb_data, ref.wb_data,
			    ref.wb_len);
		} else {
			assert_int_equal(mine.wb_len, ref.wb_len);
			assert_memory_equal(mine.wb_data, ref.wb_data,
			    ref.wb_len);
		}
		wire_aead_free(a);
	}
	wbuf_free(&out);
	wbuf_free(&ref);
	wbuf_free(&mine);
	wire_batch_free(&b);
	wire_batch_free(&b2);
	json_decref(j);
}

/* Every negative vector is rejected, for the stated reason. */
static void
test_wire_vectors_negative(void **state)
{
	json_t		*j = test_wire_vectors(), *v;
	struct wire_batch b;
	struct wire_aead *a;
	const char	*body, *err, *expect, *want = NULL;
	size_t		 i;

	wire_batch_init(&b);
	json_array_foreach(json_object_get(j, "negative"), i, v) {
		a = test_wire_aead(json_string_value(json_object_get(v,
		    "key_hex")));
		body = json_string_value(json_object_get(v,
		    "body_base64_text"));
		expect = json_string_value(json_object_get(v, "expect"));
		if (strstr(expect, "authentication") != NULL)
			want = "authentication failed";
		else if (strstr(expect, "shorter than nonce+tag") != NULL)
			want = "shorter than nonce+tag";
		else if (strstr(expect, "base64") != NULL)
			want = "not base64";
		else
			fail_msg("unknown expectation %s", expect);
		err = NULL;
		assert_int_equal(wire_body_open(a, (const uint8_t *)body,
		    strlen(body), 1, &b, &err), -1);
		assert_non_null(err);
		if (strstr(err, want) == NULL)
			fail_msg("%s: error \"%s\" does not say \"%s\"",
			    json_string_value(json_object_get(v, "name")),
			    err, want);
		assert_int_equal(b.b_nframes, 0);
		wire_aead_free(a);
	}
	wire_batch_free(&b);
	json_decref(j);
}

static const uint8_t test_wire_cid[WIRE_CID_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf
};

/* Frame content equality, pieces of the original concatenated. */
static void
test_wire_same_frame(const struct wire_frame *o, const struct wire_frame *d)
{
	assert_memory_equal(o->f_sid, d->f_sid, WIRE_SID_LEN);
	assert_int_equal(o->f_seq, d->f_seq);
	assert_int_equal(o->f_flags, d->f_flags);
	assert_int_equal(o->f_tlen, d->f_tlen);
	if (o->f_tlen)
		assert_memory_equal(o->f_target, d->f_target, o->f_tlen);
	assert_int_equal(wire_frame_paylen(o), d->f_len);
	assert_int_equal(d->f_len2, 0);
	if (o->f_len)
		assert_memory_equal(o->f_payload, d->f_payload, o->f_len);
	if (o->f_len2)
		assert_memory_equal(o->f_payload2, d->f_payload + o->f_len,
		    o->f_len2);
}

static void
test_wire_fill_text(uint8_t *p, size_t n)
{
	static const char words[] = "the quick brown fox jumps over the "
	    "lazy dog GET /index.html HTTP/1.1 Host: example.com ";
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = words[(i * 7 + i / 13) % (sizeof(words) - 1)];
}

/* Seal, open, compare; returns the batch flags byte seen. */
static int
test_wire_round(struct wire_aead *a, const struct wire_frame *fr, size_t n,
    enum wire_layout layout, int compress, int text)
{
	struct wire_encopts eo = { layout, compress };
	struct wbuf	 out = { 0 }, scratch = { 0 };
	struct wire_batch b;
	const char	*err = NULL;
	size_t		 i;
	int		 bf;

	wire_batch_init(&b);
	if (wire_body_seal(a, test_wire_cid, fr, n, &eo, text, &out,
	    &scratch, &err) != 0)
		fail_msg("seal: %s", err);
	if (!text && (!compress || layout == WIRE_LAYOUT_V15))
		assert_int_equal(out.wb_len, WIRE_ENVELOPE_OVERHEAD +
		    wire_batch_plainsize(fr, n) -
		    (layout == WIRE_LAYOUT_V15));
	/* Unpadded as Go's RawStdEncoding; padded for v1.5 (StdEncoding). */
	if (text && layout == WIRE_LAYOUT_V16)
		for (i = 0; i < out.wb_len; i++)
			assert_true(out.wb_data[i] != '=');
	if (text && layout == WIRE_LAYOUT_V15)
		assert_int_equal(out.wb_len % 4, 0);
	if (wire_body_open(a, out.wb_data, out.wb_len, text, &b, &err) != 0)
		fail_msg("open: %s", err);
	assert_memory_equal(b.b_cid, test_wire_cid, WIRE_CID_LEN);
	assert_int_equal(b.b_layout, layout);
	assert_int_equal(b.b_nframes, n);
	for (i = 0; i < n; i++)
		test_wire_same_frame(&fr[i], &b.b_frames[i]);
	bf = b.b_bflags;
	wire_batch_free(&b);
	wbuf_free(&out);
	wbuf_free(&scratch);
	return (bf);
}

static uint8_t test_wire_big[2 * WIRE_MAX_PAYLOAD];

/* Build one frame of every kind. */
static size_t
test_wire_kinds(struct wire_frame *fr, struct wbuf *probe, uint8_t *gack)
{
	static const char tgt[] = "example.com:443";
	struct wire_probe p;
	size_t	 n = 0;

	memset(fr, 0, 8 * sizeof(*fr));
	/* SYN + target + connect data */
	memset(fr[n].f_sid, 1, WIRE_SID_LEN);
	fr[n].f_flags = WIRE_F_SYN;
	fr[n].f_tlen = sizeof(tgt) - 1;
	fr[n].f_target = tgt;
	fr[n].f_payload = test_wire_big;
	fr[n].f_len = 517;
	n++;
	/* data, split in two pieces */
	memset(fr[n].f_sid, 1, WIRE_SID_LEN);
	fr[n].f_seq = 1;
	fr[n].f_payload = test_wire_big + 1000;
	fr[n].f_len = 3000;
	fr[n].f_payload2 = test_wire_big + 70000;
	fr[n].f_len2 = 20000;
	n++;
	/* FIN */
	memset(fr[n].f_sid, 1, WIRE_SID_LEN);
	fr[n].f_seq = 2;
	fr[n].f_flags = WIRE_F_FIN;
	n++;
	/* RST */
	memset(fr[n].f_sid, 2, WIRE_SID_LEN);
	fr[n].f_flags = WIRE_F_RST;
	n++;
	/* ACK + GACK */
	memset(fr[n].f_sid, 3, WIRE_SID_LEN);
	fr[n].f_flags = WIRE_F_ACK;
	wire_gack_encode(gack, 0x0102030405060708ULL);
	fr[n].f_payload = gack;
	fr[n].f_len = WIRE_GACK_LEN;
	n++;
	/* ACK + probe */
	memset(&p, 0, sizeof(p));
	strcpy(p.p_client_version, "gooserelayd-test");
	p.p_protocol = 1;
	assert_int_equal(wire_probe_encode(&p, probe), 0);
	memset(fr[n].f_sid, 4, WIRE_SID_LEN);
	fr[n].f_flags = WIRE_F_ACK;
	fr[n].f_payload = probe->wb_data;
	fr[n].f_len = probe->wb_len;
	n++;
	/* max-size data frame */
	memset(fr[n].f_sid, 5, WIRE_SID_LEN);
	fr[n].f_seq = 77;
	fr[n].f_payload = test_wire_big;
	fr[n].f_len = WIRE_MAX_PAYLOAD;
	n++;
	return (n);
}

static void
test_wire_roundtrip_kinds(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame fr[8];
	struct wbuf	 probe = { 0 };
	uint8_t		 gack[WIRE_GACK_LEN];
	size_t		 n, k;
	int		 layout, comp, text, bf;

	test_wire_fill_text(test_wire_big, sizeof(test_wire_big));
	n = test_wire_kinds(fr, &probe, gack);
	for (layout = 0; layout < 2; layout++)
		for (comp = 0; comp < 2; comp++)
			for (text = 0; text < 2; text++) {
				/* All kinds together, then each alone. */
				bf = test_wire_round(a, fr, n, layout, comp,
				    text);
				if (layout == WIRE_LAYOUT_V16 && comp)
					assert_int_equal(bf, WIRE_BF_ZSTD);
				else
					assert_int_equal(bf, WIRE_BF_RAW);
				for (k = 0; k < n; k++)
					test_wire_round(a, &fr[k], 1, layout,
					    comp, text);
				test_wire_round(a, fr, 0, layout, comp, text);
			}
	wbuf_free(&probe);
	wire_aead_free(a);
}

/*
 * Random batches: piece sizes around the encoder's gather thresholds,
 * split payloads, targets, many frames, every layout and encoding.
 */
static void
test_wire_roundtrip_random(void **state)
{
	static const char tgt[256] = "host.example:443";
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame fr[64];
	static uint8_t	 rnd[2 * WIRE_MAX_PAYLOAD];
	uint32_t	 r[8];
	size_t		 n, i, len;
	int		 iter;

	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
	test_wire_fill_text(rnd, 100000);	/* some compressible data */
	for (iter = 0; iter < 300; iter++) {
		assert_int_equal(RAND_bytes((uint8_t *)r, sizeof(r)), 1);
		n = r[0] % 64;
		memset(fr, 0, sizeof(fr));
		for (i = 0; i < n; i++) {
			assert_int_equal(RAND_bytes((uint8_t *)r, sizeof(r)),
			    1);
			switch (r[0] % 4) {
			case 0:
				len = r[1] % 40;
				break;
			case 1:
				len = 4080 + r[1] % 40;
				break;
			case 2:
				len = r[1] % 20000;
				break;
			default:
				len = r[1] % (WIRE_MAX_PAYLOAD + 1);
				break;
			}
			memcpy(fr[i].f_sid, &r[2], 4);
			fr[i].f_seq = r[3];
			fr[i].f_flags = r[4] & 0x0f;
			if (r[4] & 0x100) {
				fr[i].f_tlen = r[5] % 256;
				fr[i].f_target = tgt;
			}
			fr[i].f_payload = rnd + r[6] % WIRE_MAX_PAYLOAD;
			if (r[7] & 1 && len > 0) {
				fr[i].f_len = r[7] % (len + 1);
				fr[i].f_payload2 = rnd + r[5] % 1000;
				fr[i].f_len2 = len - fr[i].f_len;
			} else
				fr[i].f_len = len;
		}
		test_wire_round(a, fr, n, iter % 2 ? WIRE_LAYOUT_V15 :
		    WIRE_LAYOUT_V16, iter % 3 == 0, iter % 5 == 0);
	}
	wire_aead_free(a);
}

/* zstd is used for compressible bodies only, and only when smaller. */
static void
test_wire_compress_policy(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame f;
	static uint8_t	 rnd[65536];

	memset(&f, 0, sizeof(f));
	memset(f.f_sid, 9, WIRE_SID_LEN);
	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);

	/* compressible, several sizes and split points */
	test_wire_fill_text(test_wire_big, sizeof(test_wire_big));
	f.f_payload = test_wire_big;
	f.f_len = 60000;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V16, 1, 0),
	    WIRE_BF_ZSTD);
	f.f_len = 100;
	f.f_payload2 = test_wire_big + 5000;
	f.f_len2 = 9000;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V16, 1, 1),
	    WIRE_BF_ZSTD);
	/* random: raw even when allowed */
	f.f_payload = rnd;
	f.f_len = sizeof(rnd);
	f.f_payload2 = NULL;
	f.f_len2 = 0;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V16, 1, 0),
	    WIRE_BF_RAW);
	/* too small to try (BODY < 512) */
	f.f_payload = test_wire_big;
	f.f_len = 400;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V16, 1, 0),
	    WIRE_BF_RAW);
	/* low-entropy first 4 KiB but incompressible after: not smaller */
	memset(test_wire_big, 'a', 4096);
	memcpy(test_wire_big + 4096, rnd, 200);
	f.f_len = 4096 + 200;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V16, 1, 0),
	    WIRE_BF_ZSTD);
	/* v1.5 layout never compresses */
	test_wire_fill_text(test_wire_big, sizeof(test_wire_big));
	f.f_len = 60000;
	assert_int_equal(test_wire_round(a, &f, 1, WIRE_LAYOUT_V15, 1, 0),
	    WIRE_BF_RAW);
	wire_aead_free(a);
}

/* Seal a hand-made plaintext and open it. */
static int
test_wire_open_plain(struct wire_aead *a, const uint8_t *p, size_t n,
    struct wire_batch *b, const char **err)
{
	struct wbuf	 env = { 0 };
	int		 r;

	assert_int_equal(wire_aead_seal(a, p, n, &env, err), 0);
	r = wire_batch_open(a, env.wb_data, env.wb_len, b, err);
	wbuf_free(&env);
	return (r);
}

/* Plain BODY of frames (no flags byte) into wb. */
static void
test_wire_body(struct wbuf *wb, const struct wire_frame *fr, size_t n)
{
	uint8_t	 hdr[6];
	size_t	 i, fl;

	wbuf_reset(wb);
	wbuf_append(wb, test_wire_cid, WIRE_CID_LEN);
	hdr[0] = n >> 8;
	hdr[1] = n;
	wbuf_append(wb, hdr, 2);
	for (i = 0; i < n; i++) {
		fl = wire_frame_size(&fr[i]);
		hdr[0] = fl >> 24;
		hdr[1] = fl >> 16;
		hdr[2] = fl >> 8;
		hdr[3] = fl;
		wbuf_append(wb, hdr, 4);
		assert_int_equal(wbuf_reserve(wb, fl), 0);
		assert_int_equal(wire_frame_encode(&fr[i],
		    wb->wb_data + wb->wb_len), fl);
		wb->wb_len += fl;
	}
}

static void
test_wire_deflate(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame fr[8];
	struct wire_batch b;
	struct wbuf	 body = { 0 }, probe = { 0 }, pl = { 0 };
	uint8_t		 gack[WIRE_GACK_LEN];
	const char	*err = NULL;
	z_stream	 zs;
	size_t		 n, i;

	wire_batch_init(&b);
	test_wire_fill_text(test_wire_big, sizeof(test_wire_big));
	n = test_wire_kinds(fr, &probe, gack);
	test_wire_body(&body, fr, n);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(wbuf_reserve(&pl, 1 + deflateBound(&zs,
	    body.wb_len)), 0);
	pl.wb_data[0] = WIRE_BF_DEFLATE;
	zs.next_in = body.wb_data;
	zs.avail_in = body.wb_len;
	zs.next_out = pl.wb_data + 1;
	zs.avail_out = pl.wb_cap - 1;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	pl.wb_len = 1 + zs.total_out;
	deflateEnd(&zs);

	if (test_wire_open_plain(a, pl.wb_data, pl.wb_len, &b, &err) != 0)
		fail_msg("deflate batch: %s", err);
	assert_int_equal(b.b_bflags, WIRE_BF_DEFLATE);
	assert_int_equal(b.b_nframes, n);
	for (i = 0; i < n; i++)
		test_wire_same_frame(&fr[i], &b.b_frames[i]);

	/* truncated deflate stream */
	assert_int_equal(test_wire_open_plain(a, pl.wb_data, pl.wb_len / 2,
	    &b, &err), -1);
	assert_int_equal(b.b_nframes, 0);

	wbuf_free(&body);
	wbuf_free(&probe);
	wbuf_free(&pl);
	wire_batch_free(&b);
	wire_aead_free(a);
}

/* Decompression is capped at 64 MiB, declared size or not, zstd or zlib. */
static void
test_wire_bomb(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_batch b;
	struct wbuf	 pl = { 0 };
	const char	*err = NULL;
	uint8_t		*zeros;
	size_t		 big = WIRE_DECOMP_CAP + 4096, r;
	ZSTD_CCtx	*zc;
	z_stream	 zs;
	int		 sized;

	wire_batch_init(&b);
	assert_non_null(zeros = calloc(1, big));
	/* Looks like a batch: a 0-frame header, the rest zero padding. */
	for (sized = 0; sized < 2; sized++) {
		assert_non_null(zc = ZSTD_createCCtx());
		ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 1);
		ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, sized);
		wbuf_reset(&pl);
		assert_int_equal(wbuf_reserve(&pl, ZSTD_compressBound(big) + 1),
		    0);
		pl.wb_data[0] = WIRE_BF_ZSTD;
		if (sized)
			r = ZSTD_compress2(zc, pl.wb_data + 1, pl.wb_cap - 1,
			    zeros, big);
		else {
			ZSTD_inBuffer	 in = { zeros, big, 0 };
			ZSTD_outBuffer	 o = { pl.wb_data + 1, pl.wb_cap - 1,
			    0 };

			r = ZSTD_compressStream2(zc, &o, &in, ZSTD_e_continue);
			assert_false(ZSTD_isError(r));
			r = ZSTD_compressStream2(zc, &o, &in, ZSTD_e_end);
			assert_int_equal(r, 0);
			r = o.pos;
		}
		assert_false(ZSTD_isError(r));
		pl.wb_len = 1 + r;
		ZSTD_freeCCtx(zc);
		assert_int_equal(test_wire_open_plain(a, pl.wb_data,
		    pl.wb_len, &b, &err), -1);
		if (strstr(err, "64 MiB") == NULL)
			fail_msg("zstd bomb (sized %d): %s", sized, err);
		assert_true(b.b_body.wb_cap <= WIRE_DECOMP_CAP + 65536 + 1);
	}

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	wbuf_reset(&pl);
	assert_int_equal(wbuf_reserve(&pl, 1 + deflateBound(&zs, big)), 0);
	pl.wb_data[0] = WIRE_BF_DEFLATE;
	zs.next_in = zeros;
	zs.avail_in = big;
	zs.next_out = pl.wb_data + 1;
	zs.avail_out = pl.wb_cap - 1;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	pl.wb_len = 1 + zs.total_out;
	deflateEnd(&zs);
	assert_int_equal(test_wire_open_plain(a, pl.wb_data, pl.wb_len, &b,
	    &err), -1);
	if (strstr(err, "64 MiB") == NULL)
		fail_msg("deflate bomb: %s", err);

	free(zeros);
	wbuf_free(&pl);
	wire_batch_free(&b);
	wire_aead_free(a);
}

/* Any changed bit, or another key, fails authentication. */
static void
test_wire_tamper(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex), *other;
	struct wire_frame f;
	struct wire_batch b;
	struct wbuf	 out = { 0 };
	const char	*err = NULL;
	size_t		 pos[] = { 0, 5, 11, 12, 13, 40, 0, 0 }, i;

	wire_batch_init(&b);
	memset(&f, 0, sizeof(f));
	f.f_payload = (const uint8_t *)"hello, world";
	f.f_len = 12;
	assert_int_equal(wire_batch_seal(a, test_wire_cid, &f, 1, NULL, &out,
	    &err), 0);
	pos[6] = out.wb_len - 1;	/* tag */
	pos[7] = out.wb_len - WIRE_TAG_LEN;
	assert_int_equal(wire_batch_open(a, out.wb_data, out.wb_len, &b,
	    &err), 0);
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		out.wb_data[pos[i]] ^= 0x01;
		err = NULL;
		assert_int_equal(wire_batch_open(a, out.wb_data, out.wb_len,
		    &b, &err), -1);
		assert_non_null(strstr(err, "authentication failed"));
		assert_int_equal(b.b_nframes, 0);
		out.wb_data[pos[i]] ^= 0x01;
	}
	/* truncated, short */
	assert_int_equal(wire_batch_open(a, out.wb_data, out.wb_len - 1, &b,
	    &err), -1);
	assert_int_equal(wire_batch_open(a, out.wb_data, 27, &b, &err), -1);
	assert_non_null(strstr(err, "shorter than nonce+tag"));
	/* wrong key */
	other = test_wire_aead("ffffffffffffffffffffffffffffffff"
	    "ffffffffffffffffffffffffffffffff");
	assert_int_equal(wire_batch_open(other, out.wb_data, out.wb_len, &b,
	    &err), -1);
	assert_non_null(strstr(err, "authentication failed"));
	/* the right key still works afterwards (contexts reused) */
	assert_int_equal(wire_batch_open(a, out.wb_data, out.wb_len, &b,
	    &err), 0);
	assert_int_equal(b.b_nframes, 1);
	wire_aead_free(other);
	wbuf_free(&out);
	wire_batch_free(&b);
	wire_aead_free(a);
}

static int
test_wire_cmp12(const void *x, const void *y)
{
	return (memcmp(x, y, WIRE_NONCE_LEN));
}

/* Counter nonces: fixed salt prefix, strictly distinct, never repeated. */
static void
test_wire_nonces(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_aead *a2 = test_wire_aead(test_wire_keyhex);
	struct wbuf	 out = { 0 };
	const char	*err = NULL;
	enum { N = 4000 };
	static uint8_t	 nonces[N][WIRE_NONCE_LEN];
	size_t		 i;

	for (i = 0; i < N; i++) {
		wbuf_reset(&out);
		assert_int_equal(wire_batch_seal(i % 2 ? a : a2, test_wire_cid,
		    NULL, 0, NULL, &out, &err), 0);
		/* empty batch: 12 + 19 + 16 */
		assert_int_equal(out.wb_len, 47);
		memcpy(nonces[i], out.wb_data, WIRE_NONCE_LEN);
		assert_memory_equal(nonces[i], nonces[0], 4);
	}
	qsort(nonces, N, WIRE_NONCE_LEN, test_wire_cmp12);
	for (i = 1; i < N; i++)
		assert_true(memcmp(nonces[i - 1], nonces[i],
		    WIRE_NONCE_LEN) != 0);
	wbuf_free(&out);
	wire_aead_free(a);
	wire_aead_free(a2);
}

/* Encoder refuses what the protocol cannot carry. */
static void
test_wire_limits(void **state)
{
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame f;
	struct wire_batch b;
	struct wbuf	 out = { 0 }, pl = { 0 };
	uint8_t		 raw[64 + WIRE_MAX_TARGET];
	const char	*err = NULL;
	size_t		 n;

	wire_batch_init(&b);
	memset(&f, 0, sizeof(f));
	f.f_payload = test_wire_big;
	f.f_len = WIRE_MAX_PAYLOAD + 1;
	assert_int_equal(wire_batch_seal(a, test_wire_cid, &f, 1, NULL, &out,
	    &err), -1);
	assert_non_null(strstr(err, "262144"));
	f.f_len = WIRE_MAX_PAYLOAD;
	f.f_payload2 = test_wire_big;
	f.f_len2 = 1;
	assert_int_equal(wire_batch_seal(a, test_wire_cid, &f, 1, NULL, &out,
	    &err), -1);
	f.f_len2 = 0;
	f.f_flags = 0x10;
	assert_int_equal(wire_batch_seal(a, test_wire_cid, &f, 1, NULL, &out,
	    &err), -1);
	f.f_flags = 0;
	f.f_tlen = 4;	/* target pointer missing */
	assert_int_equal(wire_batch_seal(a, test_wire_cid, &f, 1, NULL, &out,
	    &err), -1);
	assert_int_equal(out.wb_len, 0);

	/* Decoder: payload length over the cap. */
	memset(raw, 0, sizeof(raw));
	raw[26] = 0x00;
	raw[27] = 0x04;
	raw[28] = 0x00;
	raw[29] = 0x01;		/* 262145 */
	assert_int_equal(wire_frame_decode(raw, 30, &f, &err), -1);
	assert_non_null(strstr(err, "262144"));
	/* target longer than the frame */
	raw[25] = 255;
	assert_int_equal(wire_frame_decode(raw, 30 + 100, &f, &err), -1);
	/* a full 255-byte target is fine */
	memset(raw + 26, 'x', 255);
	memset(raw + 26 + 255, 0, 4);
	assert_int_equal(wire_frame_decode(raw, 30 + 255, &f, &err), 0);
	assert_int_equal(f.f_tlen, 255);
	/* declared payload length must match the frame length exactly */
	raw[26 + 255 + 3] = 2;
	assert_int_equal(wire_frame_decode(raw, 30 + 255 + 3, &f, &err), -1);
	assert_int_equal(wire_frame_decode(raw, 30 + 255 + 1, &f, &err), -1);
	assert_int_equal(wire_frame_decode(raw, 30 + 255 + 2, &f, &err), 0);
	/* short header, unknown flags */
	assert_int_equal(wire_frame_decode(raw, 29, &f, &err), -1);
	raw[24] = 0x40;
	assert_int_equal(wire_frame_decode(raw, 30 + 255 + 2, &f, &err), -1);

	/* Batch: trailing bytes, short frame, count too large. */
	memset(&f, 0, sizeof(f));
	f.f_payload = (const uint8_t *)"abc";
	f.f_len = 3;
	test_wire_body(&pl, &f, 1);
	n = pl.wb_len;
	wbuf_append(&pl, "", 1);
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, pl.wb_len, &err),
	    -1);
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, n, &err), 0);
	assert_int_equal(b.b_layout, WIRE_LAYOUT_V15);
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, n - 1, &err), -1);
	pl.wb_data[WIRE_CID_LEN + 1] = 2;
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, n, &err), -1);
	assert_int_equal(b.b_nframes, 0);
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, 0, &err), -1);

	/* v1.6 plaintext with an unknown flags byte and no v1.5 reading */
	pl.wb_data[0] = 0x07;
	assert_int_equal(wire_batch_parse(&b, pl.wb_data, 19, &err), -1);
	assert_non_null(strstr(err, "unknown flags byte"));

	wbuf_free(&out);
	wbuf_free(&pl);
	wire_batch_free(&b);
	wire_aead_free(a);
}

static void
test_wire_key(void **state)
{
	uint8_t		 key[WIRE_KEY_LEN];
	const char	*err = NULL;

	assert_int_equal(wire_key_parse("000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f", key, &err), 0);
	assert_int_equal(key[10], 0x0a);
	assert_int_equal(key[31], 0x1f);
	assert_int_equal(wire_key_parse("0001", key, &err), -1);
	assert_non_null(strstr(err, "64 hex"));
	assert_int_equal(wire_key_parse("", key, &err), -1);
	assert_int_equal(wire_key_parse(NULL, key, &err), -1);
	assert_int_equal(wire_key_parse("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1g", key, &err), -1);
	assert_non_null(strstr(err, "non-hex"));
	assert_int_equal(wire_key_parse("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f0", key, &err), -1);
}

static void
test_wire_base64(void **state)
{
	uint8_t		 src[300];
	char		 enc[512], ref[512];
	struct wbuf	 out = { 0 };
	const char	*err = NULL;
	size_t		 n, l, rl;

	assert_int_equal(RAND_bytes(src, sizeof(src)), 1);
	for (n = 0; n < sizeof(src); n++) {
		l = wire_b64_encode(enc, src, n);
		assert_int_equal(l, wire_b64_enclen(n));
		assert_int_equal(wire_b64_encode_evp(ref, src, n), l);
		assert_memory_equal(ref, enc, l);
		/* same as libcrypto's padded output, minus the padding */
		rl = EVP_EncodeBlock((unsigned char *)ref, src, n);
		while (rl > 0 && ref[rl - 1] == '=')
			rl--;
		assert_int_equal(l, rl);
		assert_memory_equal(enc, ref, l);
		assert_int_equal(wire_b64_decode(&out, enc, l, &err), 0);
		assert_int_equal(out.wb_len, n);
		assert_memory_equal(out.wb_data, src, n);
		/* padded form */
		memcpy(ref, enc, l);
		rl = l;
		while (rl % 4)
			ref[rl++] = '=';
		assert_int_equal(wire_b64_decode(&out, ref, rl, &err), 0);
		assert_int_equal(out.wb_len, n);
		assert_memory_equal(out.wb_data, src, n);
	}
	/* hand-written and libcrypto codecs agree, long inputs too */
	{
		static uint8_t	 big[100003];
		static char	 e1[140000], e2[140000];
		struct wbuf	 o2 = { 0 };
		size_t		 l1, l2;

		assert_int_equal(RAND_bytes(big, sizeof(big)), 1);
		for (n = sizeof(big) - 7; n <= sizeof(big); n++) {
			l1 = wire_b64_encode(e1, big, n);
			l2 = wire_b64_encode_evp(e2, big, n);
			assert_int_equal(l1, l2);
			assert_memory_equal(e1, e2, l1);
			assert_int_equal(wire_b64_decode(&out, e1, l1, &err),
			    0);
			assert_int_equal(wire_b64_decode_evp(&o2, e1, l1,
			    &err), 0);
			assert_int_equal(out.wb_len, n);
			assert_int_equal(o2.wb_len, n);
			assert_memory_equal(out.wb_data, big, n);
			assert_memory_equal(o2.wb_data, big, n);
		}
		wbuf_free(&o2);
	}
	assert_int_equal(wire_b64_decode(&out, " \n", 2, &err), 0);
	assert_int_equal(out.wb_len, 0);
	assert_int_equal(wire_b64_decode(&out, "QUJD\n", 5, &err), 0);
	assert_memory_equal(out.wb_data, "ABC", 3);
	assert_int_equal(wire_b64_decode(&out, "QQ", 2, &err), 0);
	assert_int_equal(out.wb_len, 1);
	assert_int_equal(wire_b64_decode(&out, "QUI", 3, &err), 0);
	assert_int_equal(out.wb_len, 2);
	/* rejected, by both codecs */
	{
		static const char *bad[] = {
			"Q", "QUJDQ", "QU=D", "QU D", "QUJD QUJD",
			"QUJDQU\nJD", "QUJ-", "QUJ_", "QUJ\xc3", "Q\x00JD",
			"{\"e\":1}", "QUJD=QUJD", "<html>quota exceeded</html>"
		};
		size_t	 k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			l = k == 9 ? 4 : strlen(bad[k]);
			err = NULL;
			assert_int_equal(wire_b64_decode(&out, bad[k], l,
			    &err), -1);
			assert_non_null(strstr(err, "not base64"));
			assert_int_equal(out.wb_len, 0);
			assert_int_equal(wire_b64_decode_evp(&out, bad[k], l,
			    &err), -1);
		}
	}
	wbuf_free(&out);
}

static void
test_wire_gack(void **state)
{
	uint8_t		 g[WIRE_GACK_LEN];
	uint64_t	 v = 0;
	const char	*err = NULL;

	wire_gack_encode(g, 0xfedcba9876543210ULL);
	assert_memory_equal(g, "GACK\x01\xfe\xdc\xba\x98\x76\x54\x32\x10", 13);
	assert_int_equal(wire_gack_decode(g, 13, &v, &err), 0);
	assert_true(v == 0xfedcba9876543210ULL);
	assert_int_equal(wire_gack_decode(g, 12, &v, &err), -1);
	assert_int_equal(wire_gack_decode((const uint8_t *)"GACK\x01"
	    "123456789", 14, &v, &err), -1);
	g[4] = 2;
	assert_int_equal(wire_gack_decode(g, 13, &v, &err), -1);
	assert_non_null(strstr(err, "version"));
	g[4] = 1;
	g[0] = 'g';
	assert_int_equal(wire_gack_decode(g, 13, &v, &err), -1);
	assert_non_null(strstr(err, "magic"));
}

static void
test_wire_gwin(void **state)
{
	uint8_t		 g[WIRE_GWIN_LEN];
	uint64_t	 v = 0;
	const char	*err = NULL;

	wire_gwin_encode(g, 0x0000000000800000ULL);
	assert_memory_equal(g,
	    "GWIN\x01\x00\x00\x00\x00\x00\x80\x00\x00", 13);
	assert_int_equal(wire_gwin_decode(g, 13, &v, &err), 0);
	assert_true(v == 0x800000ULL);
	assert_int_equal(wire_gwin_decode(g, 12, &v, &err), -1);
	/* A GACK is no GWIN, and the other way round. */
	assert_int_equal(wire_gack_decode(g, 13, &v, &err), -1);
	wire_gack_encode(g, 5);
	assert_int_equal(wire_gwin_decode(g, 13, &v, &err), -1);
	assert_non_null(strstr(err, "magic"));
	wire_gwin_encode(g, 5);
	g[4] = 2;
	assert_int_equal(wire_gwin_decode(g, 13, &v, &err), -1);
	assert_non_null(strstr(err, "version"));
}

static void
test_wire_probe(void **state)
{
	struct wire_probe p, q;
	struct wire_probe_reply r, s;
	struct wbuf	 out = { 0 };
	const char	*err = NULL;
	const char	*t;

	memset(&p, 0, sizeof(p));
	strcpy(p.p_client_version, "gooserelayd-0.1.0");
	p.p_protocol = 1;
	assert_int_equal(wire_probe_encode(&p, &out), 0);
	t = "goose_version_probe:v1|{\"type\":\"version_probe\","
	    "\"client_version\":\"gooserelayd-0.1.0\",\"protocol\":1}";
	assert_int_equal(out.wb_len, strlen(t));
	assert_memory_equal(out.wb_data, t, out.wb_len);
	assert_true(wire_probe_is(out.wb_data, out.wb_len));

	/* all options */
	strcpy(p.p_instance_id, "0123456789abcdef0123456789abcdef");
	strcpy(p.p_run_id, "0011223344556677");
	p.p_reset_previous = 1;
	p.p_upstream_ack = 1;
	p.p_rx_window = 8 * 1024 * 1024;
	wbuf_reset(&out);
	assert_int_equal(wire_probe_encode(&p, &out), 0);
	assert_non_null(memmem(out.wb_data, out.wb_len,
	    "\"rx_window\":8388608", 19));
	assert_int_equal(wire_probe_decode(out.wb_data, out.wb_len, &q,
	    &err), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	/* rx_window must be a non-negative 32-bit integer */
	t = "goose_version_probe:v1|{\"rx_window\":-1}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);
	t = "goose_version_probe:v1|{\"rx_window\":\"8m\"}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);

	/* bare prefix, with and without '|' */
	assert_true(wire_probe_is((const uint8_t *)"goose_version_probe:v1",
	    22));
	assert_int_equal(wire_probe_decode((const uint8_t *)
	    "goose_version_probe:v1", 22, &q, &err), 0);
	assert_int_equal(wire_probe_decode((const uint8_t *)
	    "goose_version_probe:v1|", 23, &q, &err), 0);
	assert_int_equal(q.p_protocol, 0);
	/* non-probes */
	assert_false(wire_probe_is((const uint8_t *)"goose_version_probe:v2|",
	    23));
	assert_false(wire_probe_is((const uint8_t *)"GACK\x01", 5));
	assert_int_equal(wire_probe_decode((const uint8_t *)"hello", 5, &q,
	    &err), -1);
	/* unknown keys ignored, wrong types and junk rejected */
	t = "goose_version_probe:v1|{\"protocol\":1,\"future\":[1,2],"
	    "\"run_id\":\"ab\"}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), 0);
	assert_string_equal(q.p_run_id, "ab");
	t = "goose_version_probe:v1|{\"protocol\":\"1\"}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);
	t = "goose_version_probe:v1|{\"protocol\":1} x";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);
	t = "goose_version_probe:v1|[1]";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);
	t = "goose_version_probe:v1|{\"run_id\":\"0123456789abcdef0123456789"
	    "abcdef0\"}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);
	t = "goose_version_probe:v1|{\"type\":\"other\"}";
	assert_int_equal(wire_probe_decode((const uint8_t *)t, strlen(t), &q,
	    &err), -1);

	/* reply */
	memset(&r, 0, sizeof(r));
	r.pr_ok = 1;
	r.pr_protocol = 1;
	strcpy(r.pr_server_version, "v1.7.0");
	r.pr_max_frame_payload = WIRE_MAX_PAYLOAD;
	r.pr_features = WIRE_FEAT_ZSTD | WIRE_FEAT_RAW_B64 | WIRE_FEAT_BINARY |
	    WIRE_FEAT_RUN_RESET | WIRE_FEAT_REPLAY;
	wbuf_reset(&out);
	assert_int_equal(wire_probe_reply_encode(&r, &out), 0);
	t = "{\"ok\":true,\"protocol\":1,\"server_version\":\"v1.7.0\","
	    "\"max_frame_payload\":262144,\"features\":[\"zstd\","
	    "\"raw_base64\",\"binary_batch_v1\",\"client_run_reset_v1\","
	    "\"downstream_replay_v1\"]}";
	assert_int_equal(out.wb_len, strlen(t));
	assert_memory_equal(out.wb_data, t, out.wb_len);
	assert_int_equal(wire_probe_reply_decode(out.wb_data, out.wb_len, &s,
	    &err), 0);
	assert_memory_equal(&r, &s, sizeof(r));
	r.pr_features |= WIRE_FEAT_UPSTREAM_ACK;
	wbuf_reset(&out);
	assert_int_equal(wire_probe_reply_encode(&r, &out), 0);
	assert_int_equal(wire_probe_reply_decode(out.wb_data, out.wb_len, &s,
	    &err), 0);
	assert_int_equal(s.pr_features, r.pr_features);
	/* unknown features and keys ignored, whitespace tolerated */
	t = " {\"ok\":true,\"protocol\":1,\"features\":[\"warp_drive\","
	    "\"binary_batch_v1\"],\"extra\":{\"a\":null}}\n";
	assert_int_equal(wire_probe_reply_decode((const uint8_t *)t,
	    strlen(t), &s, &err), 0);
	assert_int_equal(s.pr_features, WIRE_FEAT_BINARY);
	assert_int_equal(s.pr_ok, 1);
	t = "{\"ok\":true,\"features\":[1]}";
	assert_int_equal(wire_probe_reply_decode((const uint8_t *)t,
	    strlen(t), &s, &err), -1);
	t = "{\"ok\":\"yes\"}";
	assert_int_equal(wire_probe_reply_decode((const uint8_t *)t,
	    strlen(t), &s, &err), -1);
	t = "{\"max_frame_payload\":-1}";
	assert_int_equal(wire_probe_reply_decode((const uint8_t *)t,
	    strlen(t), &s, &err), -1);
	assert_int_equal(wire_probe_reply_decode((const uint8_t *)"", 0, &s,
	    &err), -1);
	assert_string_equal(wire_feature_name(WIRE_FEAT_UPSTREAM_ACK),
	    "upstream_ack_v1");
	wbuf_free(&out);
}

/* After warm-up, sealing and opening batches allocates nothing. */
static void
test_wire_noalloc(void **state)
{
#if ALLOC_COUNT_ENABLED
	struct wire_aead *a = test_wire_aead(test_wire_keyhex);
	struct wire_frame fr[8];
	struct wire_encopts eo[3] = {
		{ WIRE_LAYOUT_V16, 0 }, { WIRE_LAYOUT_V16, 1 },
		{ WIRE_LAYOUT_V15, 0 }
	};
	struct wire_batch b;
	struct wbuf	 out = { 0 }, scratch = { 0 }, probe = { 0 };
	uint8_t		 gack[WIRE_GACK_LEN];
	const char	*err = NULL;
	unsigned long	 before;
	size_t		 n;
	int		 round, text, k;

	wire_batch_init(&b);
	test_wire_fill_text(test_wire_big, sizeof(test_wire_big));
	n = test_wire_kinds(fr, &probe, gack);
	for (round = 0; round < 3; round++) {
		before = alloc_count();
		for (k = 0; k < 3; k++)
			for (text = 0; text < 2; text++) {
				wbuf_reset(&out);
				assert_int_equal(wire_body_seal(a,
				    test_wire_cid, fr, n, &eo[k], text, &out,
				    &scratch, &err), 0);
				assert_int_equal(wire_body_open(a,
				    out.wb_data, out.wb_len, text, &b,
				    &err), 0);
				assert_int_equal(b.b_nframes, n);
			}
		if (round > 0)
			assert_int_equal(alloc_count() - before, 0);
	}
	wbuf_free(&out);
	wbuf_free(&scratch);
	wbuf_free(&probe);
	wire_batch_free(&b);
	wire_aead_free(a);
#else
	skip();
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_vectors_positive),
		cmocka_unit_test(test_wire_vectors_reencode),
		cmocka_unit_test(test_wire_vectors_negative),
		cmocka_unit_test(test_wire_roundtrip_kinds),
		cmocka_unit_test(test_wire_roundtrip_random),
		cmocka_unit_test(test_wire_compress_policy),
		cmocka_unit_test(test_wire_deflate),
		cmocka_unit_test(test_wire_bomb),
		cmocka_unit_test(test_wire_tamper),
		cmocka_unit_test(test_wire_nonces),
		cmocka_unit_test(test_wire_limits),
		cmocka_unit_test(test_wire_key),
		cmocka_unit_test(test_wire_base64),
		cmocka_unit_test(test_wire_gack),
		cmocka_unit_test(test_wire_gwin),
		cmocka_unit_test(test_wire_probe),
		cmocka_unit_test(test_wire_noalloc),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
