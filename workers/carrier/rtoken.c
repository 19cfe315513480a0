/*
 * The routing token.  A fleet of exits behind one balancer (HAProxy,
 * docs/fleet.md) holds each session in one exit process, so every
 * request and the stream of one carrier run must reach the same exit.
 * The balancer cannot read the client_id (it is inside the AES-GCM
 * envelope) and must not: the carrier puts a keyed hash of it in the
 * URL instead, ?r=<16 hex>, which HAProxy hashes with
 * "balance url_param r" and "hash-type consistent".
 *
 *	K     = HMAC-SHA256(tunnel_key, "gooserelayd routing token v1")
 *	token = first 8 bytes of HMAC-SHA256(K, client_id), in hex
 *
 * client_id is 16 random bytes per carrier run, so the token is stable
 * for the run and unrelated across runs; without the tunnel_key nobody
 * can compute it from a client_id or tell two keys' tokens apart, and it
 * says nothing about the key or the client_id (HMAC is a PRF).  What it
 * does give an observer who sees the URL (plain http://, the balancer,
 * Google for the Apps Script path) is that requests with the same token
 * come from one run.  Exits ignore the parameter.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rtoken.h"

#define RTOKEN_LABEL	"gooserelayd routing token v1"

static char	rtoken_q[sizeof("?" RTOKEN_PARAM "=") + RTOKEN_HEXLEN];

int
rtoken_compute(const uint8_t *key, size_t keylen, const uint8_t *cid,
    size_t cidlen, char hex[RTOKEN_HEXLEN + 1])
{
	uint8_t		 k[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE];
	unsigned int	 kl = 0, hl = 0;
	size_t		 i;
	int		 rc = -1;

	if (HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)RTOKEN_LABEL, strlen(RTOKEN_LABEL), k,
	    &kl) == NULL || HMAC(EVP_sha256(), k, (int)kl, cid, cidlen, h,
	    &hl) == NULL || hl < RTOKEN_BYTES)
		goto out;
	for (i = 0; i < RTOKEN_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	return (rc);
}

void
rtoken_set(const uint8_t *key, size_t keylen, const uint8_t *cid,
    size_t cidlen, int on)
{
	char	 hex[RTOKEN_HEXLEN + 1];

	rtoken_q[0] = '\0';
	if (!on || rtoken_compute(key, keylen, cid, cidlen, hex) == -1)
		return;
	snprintf(rtoken_q, sizeof(rtoken_q), "?%s=%s", RTOKEN_PARAM, hex);
}

const char *
rtoken_query(void)
{
	return (rtoken_q);
}

int
rtoken_path(const char *path, char *out, size_t outlen)
{
	int	 n;

	if (rtoken_q[0] == '\0')
		n = snprintf(out, outlen, "%s", path);
	else
		n = snprintf(out, outlen, "%s%c%s", path,
		    strchr(path, '?') != NULL ? '&' : '?', rtoken_q + 1);
	return (n < 0 || (size_t)n >= outlen ? -1 : 0);
}
