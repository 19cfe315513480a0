/* FUZZ-SOURCES: common/wire_frame.c common/wbuf.c */
/* FUZZ-LIBS: */
/*
 * Downstream ACK and receive window payloads: exactly "GACK" (or "GWIN")
 * 0x01 u64be; anything accepted must re-encode to the same 13 bytes.
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
	uint8_t		 g[WIRE_GACK_LEN];
	uint64_t	 seq;
	const char	*err = NULL;

	if (wire_gack_decode(d, n, &seq, &err) == 0) {
		wire_gack_encode(g, seq);
		if (n != WIRE_GACK_LEN || memcmp(g, d, n) != 0)
			abort();
	} else if (err == NULL)
		abort();
	err = NULL;
	if (wire_gwin_decode(d, n, &seq, &err) == 0) {
		wire_gwin_encode(g, seq);
		if (n != WIRE_GWIN_LEN || memcmp(g, d, n) != 0)
			abort();
	} else if (err == NULL)
		abort();
	return (0);
}
