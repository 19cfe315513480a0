/*
 * Base64, standard alphabet (docs/protocol.md 1.4): emit unpadded (Go's
 * RawStdEncoding), accept padded or unpadded input with surrounding
 * whitespace (Go trims space and trailing '=' before decoding; like Go's
 * non-strict decoder, unused low bits of the last group are ignored).
 *
 * Two implementations live here with identical results:
 *  - wire_b64_encode/wire_b64_decode: hand-written, table driven (a
 *    4096-entry table gives two output characters per lookup; decoding
 *    ORs four pre-shifted 24-bit values and checks one error bit).
 *  - wire_b64_encode_evp/wire_b64_decode_evp: libcrypto's
 *    EVP_EncodeBlock/EVP_DecodeBlock plus the padding and partial-group
 *    handling those need.
 * The hand-written pair is the one used because bench/bench_wire measured
 * it faster on the 2-core test machine: encode ~1.3-1.4 GB/s against
 * ~0.8 GB/s, decode ~0.9 GB/s against ~0.1 GB/s (libcrypto's block
 * decoder classifies every character through a generic table with
 * whitespace/EOF cases); see docs/performance.md.  The libcrypto pair is
 * kept as the reference: regress/unit/test_wire and the fuzz_batch
 * harness check that both agree on every input.
 */
#include "gr_config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire.h"

#define WIRE_B64_BAD	0x80000000U

/* EVP_*Block take int lengths; process big inputs in slices of this. */
#define WIRE_B64_SLICE	(48U * 1024 * 1024)	/* multiple of 3 and 4 */

static const char wire_b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static uint8_t		 wire_b64_enc2[4096][2];
static uint32_t		 wire_b64_dec[4][256];
static pthread_once_t	 wire_b64_once = PTHREAD_ONCE_INIT;

static void
wire_b64_tables(void)
{
	unsigned int	 i, k;

	for (i = 0; i < 4096; i++) {
		wire_b64_enc2[i][0] = wire_b64_alpha[i >> 6];
		wire_b64_enc2[i][1] = wire_b64_alpha[i & 63];
	}
	for (k = 0; k < 4; k++)
		for (i = 0; i < 256; i++)
			wire_b64_dec[k][i] = WIRE_B64_BAD;
	for (i = 0; i < 64; i++)
		for (k = 0; k < 4; k++)
			wire_b64_dec[k][(uint8_t)wire_b64_alpha[i]] =
			    i << (18 - 6 * k);
}

size_t
wire_b64_enclen(size_t n)
{
	return (n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1));
}

/* Encode n bytes into dst (wire_b64_enclen(n) bytes, no NUL). */
size_t
wire_b64_encode(char *dst, const uint8_t *src, size_t n)
{
	uint8_t	*d = (uint8_t *)dst;
	uint32_t v;

	pthread_once(&wire_b64_once, wire_b64_tables);
	while (n >= 6) {
		v = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
		memcpy(d, wire_b64_enc2[v >> 12], 2);
		memcpy(d + 2, wire_b64_enc2[v & 0xfff], 2);
		v = (uint32_t)src[3] << 16 | (uint32_t)src[4] << 8 | src[5];
		memcpy(d + 4, wire_b64_enc2[v >> 12], 2);
		memcpy(d + 6, wire_b64_enc2[v & 0xfff], 2);
		src += 6;
		d += 8;
		n -= 6;
	}
	while (n >= 3) {
		v = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
		memcpy(d, wire_b64_enc2[v >> 12], 2);
		memcpy(d + 2, wire_b64_enc2[v & 0xfff], 2);
		src += 3;
		d += 4;
		n -= 3;
	}
	if (n == 1) {
		v = (uint32_t)src[0] << 16;
		*d++ = wire_b64_alpha[v >> 18];
		*d++ = wire_b64_alpha[(v >> 12) & 63];
	} else if (n == 2) {
		v = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8;
		*d++ = wire_b64_alpha[v >> 18];
		*d++ = wire_b64_alpha[(v >> 12) & 63];
		*d++ = wire_b64_alpha[(v >> 6) & 63];
	}
	return (d - (uint8_t *)dst);
}

static int
wire_b64_isspace(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f');
}

/*
 * Trim surrounding whitespace and trailing '=' and check the length;
 * reserve the output.  Shared by both decoders.
 */
static int
wire_b64_prep(struct wbuf *out, const unsigned char **sp, size_t *np,
    const char **errstr)
{
	const unsigned char *s = *sp;
	size_t	 n = *np;

	wbuf_reset(out);
	while (n > 0 && wire_b64_isspace(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && wire_b64_isspace(s[n - 1]))
		n--;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1) {
		*errstr = "body is not base64 text (bad length)";
		return (-1);
	}
	if (wbuf_reserve(out, n / 4 * 3 + 3) == -1) {
		*errstr = "base64: out of memory";
		return (-1);
	}
	*sp = s;
	*np = n;
	return (0);
}

/*
 * Decode into out (reset first).  Returns -1 for anything that is not
 * base64 text, e.g. an HTML error page or "upstream status 500".
 */
int
wire_b64_decode(struct wbuf *out, const char *src, size_t n,
    const char **errstr)
{
	const unsigned char *s = (const unsigned char *)src;
	uint8_t		*d;
	uint32_t	 v, bad = 0;
	size_t		 groups, i;

	pthread_once(&wire_b64_once, wire_b64_tables);
	if (wire_b64_prep(out, &s, &n, errstr) == -1)
		return (-1);
	d = out->wb_data;
	groups = n / 4;
	for (i = 0; i < groups; i++) {
		v = wire_b64_dec[0][s[0]] | wire_b64_dec[1][s[1]] |
		    wire_b64_dec[2][s[2]] | wire_b64_dec[3][s[3]];
		bad |= v;
		d[0] = v >> 16;
		d[1] = v >> 8;
		d[2] = v;
		s += 4;
		d += 3;
	}
	switch (n % 4) {
	case 2:
		v = wire_b64_dec[0][s[0]] | wire_b64_dec[1][s[1]];
		bad |= v;
		*d++ = v >> 16;
		break;
	case 3:
		v = wire_b64_dec[0][s[0]] | wire_b64_dec[1][s[1]] |
		    wire_b64_dec[2][s[2]];
		bad |= v;
		*d++ = v >> 16;
		*d++ = v >> 8;
		break;
	}
	/* One check at the end: errors are rare, bodies are long. */
	if (bad & WIRE_B64_BAD) {
		wbuf_reset(out);
		*errstr = "body is not base64 text (not a batch)";
		return (-1);
	}
	out->wb_len = d - out->wb_data;
	return (0);
}

/* libcrypto reference encoder; same contract as wire_b64_encode. */
size_t
wire_b64_encode_evp(char *dst, const uint8_t *src, size_t n)
{
	unsigned char	 tail[8];
	size_t		 bulk, chunk, out = 0, t;

	if (n == 0)
		return (0);
	/* EVP_EncodeBlock writes a NUL: keep 1..3 bytes for the tail. */
	bulk = (n - 1) / 3 * 3;
	while (bulk > 0) {
		chunk = bulk > WIRE_B64_SLICE ? WIRE_B64_SLICE : bulk;
		out += EVP_EncodeBlock((unsigned char *)dst + out, src,
		    (int)chunk);
		src += chunk;
		bulk -= chunk;
		n -= chunk;
	}
	EVP_EncodeBlock(tail, src, (int)n);
	t = n == 3 ? 4 : n + 1;
	memcpy(dst + out, tail, t);
	return (out + t);
}

/*
 * libcrypto reference decoder.  EVP_DecodeBlock maps '=' to zero bits
 * anywhere and trims whitespace itself, so '=' and whitespace inside the
 * trimmed text are rejected here first.
 */
int
wire_b64_decode_evp(struct wbuf *out, const char *src, size_t n,
    const char **errstr)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char	 grp[4], dec[4];
	size_t		 rem, bulk, chunk, i;
	int		 r;

	if (wire_b64_prep(out, &s, &n, errstr) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (s[i] == '=' || wire_b64_isspace(s[i])) {
			*errstr = "body is not base64 text (not a batch)";
			return (-1);
		}
	rem = n % 4;
	bulk = n - rem;
	while (bulk > 0) {
		chunk = bulk > WIRE_B64_SLICE ? WIRE_B64_SLICE : bulk;
		r = EVP_DecodeBlock(out->wb_data + out->wb_len, s, (int)chunk);
		if (r < 0 || (size_t)r != chunk / 4 * 3) {
			*errstr = "body is not base64 text (not a batch)";
			wbuf_reset(out);
			return (-1);
		}
		out->wb_len += r;
		s += chunk;
		bulk -= chunk;
	}
	if (rem > 0) {
		for (i = 0; i < 4; i++)
			grp[i] = i < rem ? s[i] : 'A';
		if (EVP_DecodeBlock(dec, grp, 4) != 3) {
			*errstr = "body is not base64 text (not a batch)";
			wbuf_reset(out);
			return (-1);
		}
		memcpy(out->wb_data + out->wb_len, dec, rem - 1);
		out->wb_len += rem - 1;
	}
	return (0);
}
