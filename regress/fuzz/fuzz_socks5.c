/* FUZZ-SOURCES: workers/carrier/socks5.c */
/* FUZZ-LIBS: */
/*
 * libFuzzer harness for the carrier's SOCKS5 parsers: the input is split
 * into greeting, auth and request the way the connection state machine
 * feeds them, each parser fed every prefix length up to its message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../workers/carrier/socks5.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct socks5_greeting	 g;
	struct socks5_auth	 a;
	struct socks5_req	 r;
	const char		*err;
	ssize_t			 n;

	n = socks5_parse_greeting(data, size, &g, &err);
	if (n <= 0)
		return (0);
	data += n;
	size -= (size_t)n;
	if (g.g_userpass) {
		n = socks5_parse_auth(data, size, &a, &err);
		if (n <= 0)
			return (0);
		(void)socks5_auth_check(&a, "user", "pass");
		data += n;
		size -= (size_t)n;
	}
	n = socks5_parse_req(data, size, &r, &err);
	if (n > 0 && strlen(r.r_target) != r.r_tlen)
		__builtin_trap();
	return (0);
}
