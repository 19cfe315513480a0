/*
 * Checks of what an unauthenticated peer sends before its batch can be
 * decrypted (docs/protocol.md 2.2, 2.4), as pure functions so a fuzz harness
 * (regress/fuzz/fuzz_exit_req.c) can drive them: the Content-Length of a
 * POST /tunnel, the body as it accumulates, its Content-Type, and the
 * size of a /stream message as it is reassembled.
 */
#include "gr_config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "exit.h"

/*
 * The Content-Length value (vlen bytes, no NUL needed; vlen < 0 when the
 * header is absent or did not fit): 0 with *clen set, or the status to
 * answer: 411 absent, 400 not 1*DIGIT (RFC 9110: no sign, no spaces) or
 * out of range, 413 over max.
 */
int
reqcheck_clen(const char *v, int vlen, uint64_t max, uint64_t *clen)
{
	uint64_t	 n = 0;
	int		 i;

	if (vlen <= 0)
		return (411);
	if (vlen > 20)
		return (400);
	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return (400);
		if (n > (UINT64_MAX - (v[i] - '0')) / 10)
			return (400);
		n = n * 10 + (v[i] - '0');
	}
	if (n > max)
		return (413);
	*clen = n;
	return (0);
}

/* len more body bytes after have: 0, or 413 past the declared length. */
int
reqcheck_body(size_t have, size_t len, size_t clen)
{
	if (len > clen || have > clen - len)
		return (413);
	return (0);
}

/* The whole body arrived: 0, or 400 when it is shorter than declared. */
int
reqcheck_body_done(size_t have, size_t clen)
{
	return (have == clen ? 0 : 400);
}

/* A Content-Type value (NUL-terminated): binary batch or base64 text. */
int
reqcheck_binary(const char *ct)
{
	return (strncasecmp(ct, "application/octet-stream", 24) == 0 &&
	    (ct[24] == '\0' || ct[24] == ';' || ct[24] == ' '));
}

/*
 * len more bytes of a /stream message after have: 0, or -1 over the
 * limit (64 KiB before the hello authenticated the stream, 12 MiB after).
 */
int
reqcheck_ws(size_t have, size_t len, int authed)
{
	size_t	 limit = authed ? EXIT_WS_MSG_MAX : EXIT_HELLO_MAX;

	if (len > limit || have > limit - len)
		return (-1);
	return (0);
}
