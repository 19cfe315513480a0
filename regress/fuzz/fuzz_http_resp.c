/* FUZZ-SOURCES: workers/carrier/httpc_rparse.c common/wbuf.c */
/* FUZZ-LIBS: -ltls -lssl -lcrypto -lhttp_parser -lz -lev */
/*
 * The HTTP response parser of the carrier's client (httpc_rparse): status
 * line, headers, Content-Length / chunked / EOF bodies, gzip, size cap.
 * The input is fed twice: whole, then in pieces whose sizes come from the
 * first byte, so split headers and chunk boundaries are covered.
 */
#include "gr_config.h"

#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

static struct httpc_rparse *rp;

static void
fuzz_http_resp_run(const uint8_t *data, size_t size, size_t step)
{
	const char	*es;
	size_t		 off = 0, n, used;
	int		 err, r = 0;

	httpc_rparse_reset(rp);
	while (off < size) {
		n = size - off < step ? size - off : step;
		r = httpc_rparse_feed(rp, data + off, n, &used, &err, &es);
		if (r != 0)
			break;
		off += used;
	}
	if (r == 0)
		(void)httpc_rparse_eof(rp, &err, &es);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (rp == NULL)
		rp = httpc_rparse_new(64 * 1024);
	fuzz_http_resp_run(data, size, size ? size : 1);
	if (size > 1)
		fuzz_http_resp_run(data + 1, size - 1, 1 + data[0] % 17);
	return (0);
}
