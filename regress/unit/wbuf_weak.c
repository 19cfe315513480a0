/*
 * Weak stand-ins for the four wbuf helpers of libwire (common/wire.h), so
 * the fronted unit tests link before and independently of the wire codec.
 * When libwire's real definitions are linked in, they win.
 */
#include "gr_config.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

__attribute__((weak)) int
wbuf_reserve(struct wbuf *b, size_t n)
{
	size_t	 cap;
	uint8_t	*d;

	if (b->wb_cap - b->wb_len >= n)
		return (0);
	cap = b->wb_cap ? b->wb_cap : 256;
	while (cap - b->wb_len < n)
		cap *= 2;
	if ((d = realloc(b->wb_data, cap)) == NULL)
		return (-1);
	b->wb_data = d;
	b->wb_cap = cap;
	return (0);
}

__attribute__((weak)) int
wbuf_append(struct wbuf *b, const void *p, size_t n)
{
	if (wbuf_reserve(b, n) == -1)
		return (-1);
	if (n > 0)
		memcpy(b->wb_data + b->wb_len, p, n);
	b->wb_len += n;
	return (0);
}

__attribute__((weak)) void
wbuf_reset(struct wbuf *b)
{
	b->wb_len = 0;
}

__attribute__((weak)) void
wbuf_free(struct wbuf *b)
{
	free(b->wb_data);
	b->wb_data = NULL;
	b->wb_len = b->wb_cap = 0;
}
