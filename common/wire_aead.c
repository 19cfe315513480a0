/*
 * AES-256-GCM envelope (docs/protocol.md 1.3): nonce(12) || ciphertext ||
 * tag(16), no AAD.  One encrypt and one decrypt EVP context per key, key
 * schedule done once (EVP_*Init_ex with a NULL key afterwards keeps it:
 * OpenSSL re-derives nothing per message); each message only sets
 * a new IV.
 *
 * Nonces follow the newest Go code: a random 12-byte salt per process
 * whose last 8 bytes are XORed with a 64-bit counter that is incremented
 * before use.  The salt and the counter are process-wide, not per key
 * object, so two wire_aead objects on the same key can never repeat a
 * nonce; a forked child draws a new salt (pthread_atfork).
 */
#include "gr_config.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zstd.h>

#include "wire.h"

struct wire_aead {
	EVP_CIPHER_CTX	*a_enc;
	EVP_CIPHER_CTX	*a_dec;
	ZSTD_CCtx	*a_zc;		/* created on first compression */
	struct wbuf	 a_scratch[2];	/* assembled body, compressed body */
};

static uint8_t	 wire_aead_salt[WIRE_NONCE_LEN];
static uint64_t	 wire_aead_ctr;
static int	 wire_aead_salted;
static int	 wire_aead_atfork_done;

static void
wire_aead_atfork_child(void)
{
	/* A child must not continue the parent's nonce sequence. */
	wire_aead_salted = 0;
}

static int
wire_aead_nonce(uint8_t nonce[WIRE_NONCE_LEN])
{
	uint64_t c;
	int	 i;

	if (!wire_aead_salted) {
		if (!wire_aead_atfork_done) {
			if (pthread_atfork(NULL, NULL,
			    wire_aead_atfork_child) != 0)
				return (-1);
			wire_aead_atfork_done = 1;
		}
		if (RAND_bytes(wire_aead_salt, sizeof(wire_aead_salt)) != 1)
			return (-1);
		wire_aead_ctr = 0;
		wire_aead_salted = 1;
	}
	c = __atomic_add_fetch(&wire_aead_ctr, 1, __ATOMIC_RELAXED);
	memcpy(nonce, wire_aead_salt, 4);
	for (i = 11; i >= 4; i--) {
		nonce[i] = wire_aead_salt[i] ^ (c & 0xff);
		c >>= 8;
	}
	return (0);
}

int
wire_aead_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * tunnel_key: exactly 64 hex characters (either case).  The one key
 * parser: the configuration (supervisor/conf_values.c) and the tools use
 * it.  errstr names no key (the caller knows which one it read) and
 * reads after "tunnel_key: ".
 */
int
wire_key_parse(const char *hex, uint8_t key[WIRE_KEY_LEN],
    const char **errstr)
{
	size_t	 i, n;
	int	 hi, lo;

	if (hex == NULL || *hex == '\0') {
		*errstr = "is empty (need 64 hex characters)";
		return (-1);
	}
	n = strlen(hex);
	if (n != 2 * WIRE_KEY_LEN) {
		*errstr = "must be exactly 64 hex characters";
		return (-1);
	}
	for (i = 0; i < WIRE_KEY_LEN; i++) {
		hi = wire_aead_hexval((unsigned char)hex[2 * i]);
		lo = wire_aead_hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			*errstr = "contains non-hex characters (valid: 0-9, "
			    "a-f)";
			return (-1);
		}
		key[i] = hi << 4 | lo;
	}
	return (0);
}

struct wire_aead *
wire_aead_new(const uint8_t key[WIRE_KEY_LEN])
{
	struct wire_aead *a;
	EVP_CIPHER	*c = NULL;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	if ((c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
		goto fail;
	if ((a->a_enc = EVP_CIPHER_CTX_new()) == NULL ||
	    (a->a_dec = EVP_CIPHER_CTX_new()) == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(a->a_enc, c, NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(a->a_dec, c, NULL, key, NULL) != 1)
		goto fail;
	/* 12 bytes is the GCM default IV length; keep it explicit. */
	if (EVP_CIPHER_CTX_ctrl(a->a_enc, EVP_CTRL_GCM_SET_IVLEN,
	    WIRE_NONCE_LEN, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->a_dec, EVP_CTRL_GCM_SET_IVLEN,
	    WIRE_NONCE_LEN, NULL) != 1)
		goto fail;
	EVP_CIPHER_free(c);	/* the contexts hold their own reference */
	return (a);
 fail:
	EVP_CIPHER_free(c);
	wire_aead_free(a);
	return (NULL);
}

void
wire_aead_free(struct wire_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->a_enc);
	EVP_CIPHER_CTX_free(a->a_dec);
	ZSTD_freeCCtx(a->a_zc);
	wbuf_free(&a->a_scratch[0]);
	wbuf_free(&a->a_scratch[1]);
	free(a);
}

struct wbuf *
wire_aead_scratch(struct wire_aead *a, int which)
{
	return (&a->a_scratch[which & 1]);
}

struct ZSTD_CCtx_s *
wire_aead_zcctx(struct wire_aead *a)
{
	if (a->a_zc == NULL) {
		if ((a->a_zc = ZSTD_createCCtx()) == NULL)
			return (NULL);
		/* Go's zstd.SpeedFastest; no checksum (GCM covers it). */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(a->a_zc,
		    ZSTD_c_compressionLevel, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(a->a_zc,
		    ZSTD_c_checksumFlag, 0))) {
			ZSTD_freeCCtx(a->a_zc);
			a->a_zc = NULL;
		}
	}
	return (a->a_zc);
}

/*
 * Start a sealed message of plainlen bytes: reserve its full size in out
 * (so the updates never reallocate), write a fresh nonce, set the IV.
 */
int
wire_aead_seal_begin(struct wire_aead *a, struct wbuf *out, size_t plainlen,
    const char **errstr)
{
	uint8_t	*nonce;

	if (plainlen > SIZE_MAX - WIRE_ENVELOPE_OVERHEAD ||
	    wbuf_reserve(out, plainlen + WIRE_ENVELOPE_OVERHEAD) == -1) {
		*errstr = "seal: out of memory";
		return (-1);
	}
	nonce = out->wb_data + out->wb_len;
	if (wire_aead_nonce(nonce) == -1) {
		*errstr = "seal: cannot draw a nonce salt";
		return (-1);
	}
	if (EVP_EncryptInit_ex(a->a_enc, NULL, NULL, NULL, nonce) != 1) {
		*errstr = "seal: cipher init failed";
		return (-1);
	}
	out->wb_len += WIRE_NONCE_LEN;
	return (0);
}

/* Encrypt n bytes straight into out (space reserved by begin). */
int
wire_aead_seal_update(struct wire_aead *a, struct wbuf *out,
    const uint8_t *p, size_t n, const char **errstr)
{
	int	 l, chunk;

	while (n > 0) {
		chunk = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
		if (out->wb_cap - out->wb_len < (size_t)chunk ||
		    EVP_EncryptUpdate(a->a_enc, out->wb_data + out->wb_len,
		    &l, p, chunk) != 1 || l != chunk) {
			*errstr = "seal: encrypt failed";
			return (-1);
		}
		out->wb_len += l;
		p += chunk;
		n -= chunk;
	}
	return (0);
}

int
wire_aead_seal_finish(struct wire_aead *a, struct wbuf *out,
    const char **errstr)
{
	int	 l = 0;

	if (out->wb_cap - out->wb_len < WIRE_TAG_LEN ||
	    EVP_EncryptFinal_ex(a->a_enc, out->wb_data + out->wb_len,
	    &l) != 1 || l != 0 ||
	    EVP_CIPHER_CTX_ctrl(a->a_enc, EVP_CTRL_GCM_GET_TAG, WIRE_TAG_LEN,
	    out->wb_data + out->wb_len) != 1) {
		*errstr = "seal: cannot finish the tag";
		return (-1);
	}
	out->wb_len += WIRE_TAG_LEN;
	return (0);
}

int
wire_aead_seal(struct wire_aead *a, const uint8_t *p, size_t n,
    struct wbuf *out, const char **errstr)
{
	size_t	 start = out->wb_len;

	if (wire_aead_seal_begin(a, out, n, errstr) == -1 ||
	    wire_aead_seal_update(a, out, p, n, errstr) == -1 ||
	    wire_aead_seal_finish(a, out, errstr) == -1) {
		out->wb_len = start;
		return (-1);
	}
	return (0);
}

/*
 * Authenticate and decrypt one envelope into plain.  Nothing in plain is
 * meaningful unless this returns 0.
 */
int
wire_aead_open(struct wire_aead *a, const uint8_t *env, size_t n,
    struct wbuf *plain, const char **errstr)
{
	size_t	 clen;
	int	 l;

	wbuf_reset(plain);
	if (n < WIRE_ENVELOPE_OVERHEAD) {
		*errstr = "batch: envelope shorter than nonce+tag (28 bytes)";
		return (-1);
	}
	clen = n - WIRE_ENVELOPE_OVERHEAD;
	if (clen > INT_MAX) {
		*errstr = "batch: envelope too large";
		return (-1);
	}
	/* +1: EVP wants a non-NULL output pointer even for 0 bytes. */
	if (wbuf_reserve(plain, clen + 1) == -1) {
		*errstr = "batch: out of memory";
		return (-1);
	}
	if (EVP_DecryptInit_ex(a->a_dec, NULL, NULL, NULL, env) != 1 ||
	    EVP_DecryptUpdate(a->a_dec, plain->wb_data, &l,
	    env + WIRE_NONCE_LEN, (int)clen) != 1 || (size_t)l != clen ||
	    EVP_CIPHER_CTX_ctrl(a->a_dec, EVP_CTRL_GCM_SET_TAG, WIRE_TAG_LEN,
	    (void *)(env + n - WIRE_TAG_LEN)) != 1) {
		*errstr = "batch: decrypt failed";
		return (-1);
	}
	if (EVP_DecryptFinal_ex(a->a_dec, plain->wb_data + l, &l) != 1) {
		*errstr = "batch: authentication failed (wrong tunnel_key "
		    "or corrupted body)";
		return (-1);
	}
	plain->wb_len = clen;
	return (0);
}
