/*
 * The routing token (rtoken.c): a short opaque value that one carrier run
 * adds to every URL it requests, so that a load balancer in front of
 * several exits can send all of the run's requests and its stream to the
 * same exit without decrypting anything (docs/fleet.md).
 */
#ifndef GR_RTOKEN_H
#define GR_RTOKEN_H

#include <stddef.h>
#include <stdint.h>

#define RTOKEN_PARAM	"r"		/* the URL parameter's name */
#define RTOKEN_BYTES	8		/* 16 hex digits */
#define RTOKEN_HEXLEN	(2 * RTOKEN_BYTES)

/*
 * The token of client_id cid under tunnel_key key into hex (RTOKEN_HEXLEN
 * digits and a NUL).  -1: libcrypto failed.
 */
int		 rtoken_compute(const uint8_t *key, size_t keylen,
		    const uint8_t *cid, size_t cidlen,
		    char hex[RTOKEN_HEXLEN + 1]);
/* This run's token; on == 0 turns it off (routing_token: false). */
void		 rtoken_set(const uint8_t *key, size_t keylen,
		    const uint8_t *cid, size_t cidlen, int on);
/* "?r=<hex>" to append to a path, or "" when off or not set. */
const char	*rtoken_query(void);
/* Append the token to path (which may have a query already) into out. */
int		 rtoken_path(const char *path, char *out, size_t outlen);

#endif /* GR_RTOKEN_H */
