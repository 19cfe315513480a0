/* FUZZ-SOURCES: common/wire_udp.c */
/* FUZZ-LIBS: */
/*
 * udp_v1 datagram codecs (docs/udp.md): the frame payload
 * "GUDP" 0x01 ATYP ADDR PORT DATA and the SOCKS5 UDP request header
 * RSV RSV FRAG ATYP ADDR PORT.  Whatever is accepted must point inside
 * the input and re-encode to the same bytes; a rejection must say why.
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wire_udp_addr	 a, b;
	struct sockaddr_storage	 ss;
	uint8_t			 out[WIRE_UDP_HDR_MAX];
	const uint8_t		*data;
	const char		*err = NULL;
	socklen_t		 sl;
	size_t			 dlen, h;
	uint8_t			 frag;
	int			 r;

	if (wire_udp_decode(d, n, &a, &data, &dlen, &err) == 0) {
		h = wire_udp_hdr_encode(&a, out);
		if (h + dlen != n || data != d + h ||
		    memcmp(out, d, h) != 0 || dlen > WIRE_UDP_MAX_DATA)
			abort();
		/* IP addresses survive a trip through a sockaddr. */
		if (a.ua_atyp != WIRE_UDP_ATYP_DOMAIN) {
			if (wire_udp_addr_to_sa(&a, &ss, &sl) == -1 ||
			    wire_udp_addr_from_sa(&b, (struct sockaddr *)&ss) ==
			    -1 || b.ua_port != a.ua_port)
				abort();
		}
	} else if (err == NULL)
		abort();

	err = NULL;
	if ((r = wire_udp_socks_decode(d, n, &a, &frag, &err)) >= 0) {
		h = wire_udp_addr_encode(&a, out);
		if ((size_t)r != WIRE_UDP_SOCKS_PREFIX + h || (size_t)r > n ||
		    frag != d[2] || memcmp(out, d + WIRE_UDP_SOCKS_PREFIX,
		    h) != 0)
			abort();
	} else if (r != -1 || err == NULL)
		abort();
	return (0);
}
