/* FUZZ-SOURCES: workers/exit/reqcheck.c workers/exit/dns.c workers/exit/socks.c */
/* FUZZ-LIBS: -lcares -lev */
/*
 * The exit's parsers of bytes it did not authenticate, or that come from
 * a peer it does not control: the Content-Length of a POST /tunnel, the
 * body and /stream message size checks, the Content-Type test (reqcheck.c),
 * a frame's "host:port" target (dns_split, dns_literal) and the
 * SOCKS5 client handshake with an upstream_proxy fed arbitrary replies
 * (socks.c).  Invariants: no crash, results inside their bounds, the
 * SOCKS machine never consumes more than it was given nor asks for more
 * than its reply can hold.
 */
#include "gr_config.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "exit.h"

/* What resolve.c and socks.c need from the rest of the worker. */
struct exit_env	*ex;

double
exit_now(void)
{
	return (0);
}

void
log_warnx(const char *fmt, ...)
{
}

void
log_debug(const char *fmt, ...)
{
}

static void
fuzz_clen(const uint8_t *d, size_t n)
{
	uint64_t	 clen = 0, max;
	int		 vlen, st;

	if (n < 1)
		return;
	vlen = (int)(d[0] % 26) - 1;
	if (vlen > (int)n - 1)
		vlen = (int)n - 1;
	max = 12582912;
	st = reqcheck_clen((const char *)d + 1, vlen, max, &clen);
	assert(st == 0 || st == 400 || st == 411 || st == 413);
	if (st == 0)
		assert(clen <= max);
}

static uint64_t
fuzz_u64(const uint8_t *d, size_t n, size_t off)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < 8 && off + i < n; i++)
		v = v << 8 | d[off + i];
	return (v);
}

static void
fuzz_sizes(const uint8_t *d, size_t n)
{
	size_t	 have = fuzz_u64(d, n, 0), len = fuzz_u64(d, n, 8);
	size_t	 clen = fuzz_u64(d, n, 16);

	/* Accepted means the sum fits, without wrapping. */
	if (reqcheck_body(have, len, clen) == 0)
		assert(have + len >= have && have + len <= clen);
	if (reqcheck_ws(have, len, n & 1) == 0)
		assert(have + len >= have &&
		    have + len <= (n & 1 ? EXIT_WS_MSG_MAX : EXIT_HELLO_MAX));
	(void)reqcheck_body_done(have, clen);
}

static void
fuzz_ctype(const uint8_t *d, size_t n)
{
	char	 ct[128];

	if (n > sizeof(ct) - 1)
		n = sizeof(ct) - 1;
	memcpy(ct, d, n);
	ct[n] = '\0';
	(void)reqcheck_binary(ct);
}

static void
fuzz_target(const uint8_t *d, size_t n)
{
	char		 host[WIRE_MAX_TARGET + 1];
	struct xaddrs	 xa;
	uint16_t	 port;

	if (n > WIRE_MAX_TARGET)
		n = WIRE_MAX_TARGET;
	if (dns_split((const char *)d, n, host, sizeof(host),
	    &port) == 0) {
		assert(strlen(host) < sizeof(host) && port != 0);
		if (dns_literal(host, port, &xa) == 0)
			assert(xa.xa_n >= 1 && xa.xa_n <= XADDRS_MAX);
	}
}

/* The proxy's replies are the fuzz input, fed in the sizes asked for. */
static void
fuzz_socks(const uint8_t *d, size_t n)
{
	static const char	*hosts[] = { "example.org", "192.0.2.1",
				    "2001:db8::1", "a" };
	struct socks_state	*sk;
	const uint8_t		*out;
	size_t			 on, want, used, off = 1, step;
	int			 rc = 0, err = 0, rounds = 0;

	if (n < 1)
		return;
	sk = socks_new(hosts[d[0] & 3], 443, d[0] & 4 ? "user" : "",
	    d[0] & 4 ? "pass" : "");
	assert(sk != NULL);
	while (rc == 0 && rounds++ < 64) {
		while ((out = socks_out(sk, &on)) != NULL) {
			assert(on > 0 && on <= 600);
			socks_sent(sk, on);
		}
		if ((want = socks_want(sk)) == 0 || off >= n)
			break;
		/* Sometimes less than asked for, as recv(2) may. */
		step = want;
		if ((d[0] & 8) && step > 1)
			step = 1 + d[off] % step;
		if (step > n - off)
			step = n - off;
		rc = socks_in(sk, d + off, step, &used, &err);
		assert(used <= step);
		if (rc == -1)
			assert(err != 0);
		off += used;
		if (used == 0 && rc == 0)
			break;
	}
	socks_free(sk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_clen(d, n);
	fuzz_sizes(d, n);
	fuzz_ctype(d, n);
	fuzz_target(d, n);
	fuzz_socks(d, n);
	return (0);
}
