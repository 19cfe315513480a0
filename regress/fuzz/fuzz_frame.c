/* FUZZ-SOURCES: common/wire_frame.c common/wbuf.c */
/* FUZZ-LIBS: */
/*
 * Frame decoder: any input either fails cleanly or decodes to a frame
 * that re-encodes to exactly the same bytes.  GACK payload checks ride
 * along since they share the file.
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
	struct wire_frame f;
	const char	*err = NULL;
	uint8_t		*buf;
	uint64_t	 seq;

	if (wire_frame_decode(d, n, &f, &err) == 0) {
		if (wire_frame_size(&f) != n ||
		    wire_frame_check(&f, &err) != 0)
			abort();
		if ((buf = malloc(n)) == NULL)
			abort();
		if (wire_frame_encode(&f, buf) != n || memcmp(buf, d, n) != 0)
			abort();
		free(buf);
	} else if (err == NULL)
		abort();
	if (wire_gack_decode(d, n, &seq, &err) == 0 && n != WIRE_GACK_LEN)
		abort();
	return (0);
}
