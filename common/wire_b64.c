/*
 * Base64, standard alphabet (protocol.md 1.4): emit unpadded (Go's
 * RawStdEncoding), accept padded or unpadded input with surrounding
 * whitespace (Go trims space and trailing '=' before decoding).
 *
 * The bulk work is libcrypto's EVP_EncodeBlock/EVP_DecodeBlock; only the
 * padding and the final partial group are handled here, because those
 * functions always pad and want whole 4-character groups.  libcrypto's
 * decoder maps '=' to zero bits anywhere and skips leading/trailing
 * whitespace, so we trim first and reject any '=' left inside ourselves.
 */
#include "gr_config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire.h"

/* EVP_*Block take int lengths; process big inputs in slices of this. */
#define WIRE_B64_SLICE	(48U * 1024 * 1024)	/* multiple of 3 and 4 */

size_t
wire_b64_enclen(size_t n)
{
	return (n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1));
}

/*
 * Encode n bytes into dst, which must hold wire_b64_enclen(n) bytes (no
 * NUL is written).  EVP_EncodeBlock writes a NUL after its output, so the
 * last group always goes through a small local buffer.
 */
size_t
wire_b64_encode(char *dst, const uint8_t *src, size_t n)
{
	unsigned char	 tail[8];
	size_t		 bulk, chunk, out = 0, t;

	if (n == 0)
		return (0);
	/* Keep at least one byte for the tail so the NUL fits. */
	bulk = (n - 1) / 3 * 3;
	while (bulk > 0) {
		chunk = bulk > WIRE_B64_SLICE ? WIRE_B64_SLICE : bulk;
		out += EVP_EncodeBlock((unsigned char *)dst + out, src,
		    (int)chunk);
		src += chunk;
		bulk -= chunk;
		n -= chunk;
	}
	/* 1..3 bytes left. */
	EVP_EncodeBlock(tail, src, (int)n);
	t = n == 3 ? 4 : n + 1;
	memcpy(dst + out, tail, t);
	return (out + t);
}

static int
wire_b64_isspace(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f');
}

/*
 * Decode into out (reset first).  Returns -1 for anything that is not
 * base64 text, e.g. an HTML error page or "upstream status 500".
 */
int
wire_b64_decode(struct wbuf *out, const char *src, size_t n,
    const char **errstr)
{
	unsigned char	 grp[4], dec[4];
	const unsigned char *s = (const unsigned char *)src;
	size_t		 rem, bulk, chunk, i;
	int		 r;

	wbuf_reset(out);
	while (n > 0 && wire_b64_isspace(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && wire_b64_isspace(s[n - 1]))
		n--;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n > 0 && memchr(s, '=', n) != NULL) {
		*errstr = "body is not base64 text (misplaced '=')";
		return (-1);
	}
	rem = n % 4;
	if (rem == 1) {
		*errstr = "body is not base64 text (bad length)";
		return (-1);
	}
	if (wbuf_reserve(out, n / 4 * 3 + 3) == -1) {
		*errstr = "base64: out of memory";
		return (-1);
	}
	bulk = n - rem;
	while (bulk > 0) {
		chunk = bulk > WIRE_B64_SLICE ? WIRE_B64_SLICE : bulk;
		/*
		 * A whitespace character at the end of a slice would be
		 * trimmed by libcrypto and shift the groups; it is not
		 * base64 either way.
		 */
		if (wire_b64_isspace(s[0]) || wire_b64_isspace(s[chunk - 1])) {
			*errstr = "body is not base64 text";
			return (-1);
		}
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
		if (wire_b64_isspace(grp[0]) || wire_b64_isspace(grp[rem - 1]) ||
		    EVP_DecodeBlock(dec, grp, 4) != 3) {
			*errstr = "body is not base64 text (not a batch)";
			wbuf_reset(out);
			return (-1);
		}
		memcpy(out->wb_data + out->wb_len, dec, rem - 1);
		out->wb_len += rem - 1;
	}
	return (0);
}
