/*
 * Growable byte buffers.  They are reset, not freed, between batches so a
 * steady stream of batches of similar size does no allocation at all.
 */
#include "gr_config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* Make room for n more bytes after wb_len; grows by doubling. */
int
wbuf_reserve(struct wbuf *wb, size_t n)
{
	size_t	 need, ncap;
	uint8_t	*p;

	if (n > SIZE_MAX - wb->wb_len) {
		errno = ENOMEM;
		return (-1);
	}
	need = wb->wb_len + n;
	if (need <= wb->wb_cap)
		return (0);
	ncap = wb->wb_cap < 256 ? 256 : wb->wb_cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if ((p = realloc(wb->wb_data, ncap)) == NULL)
		return (-1);
	wb->wb_data = p;
	wb->wb_cap = ncap;
	return (0);
}

/* Grow to exactly cap bytes (never shrinks); for hard-capped buffers. */
int
wbuf_setcap(struct wbuf *wb, size_t cap)
{
	uint8_t	*p;

	if (cap <= wb->wb_cap)
		return (0);
	if ((p = realloc(wb->wb_data, cap)) == NULL)
		return (-1);
	wb->wb_data = p;
	wb->wb_cap = cap;
	return (0);
}

int
wbuf_append(struct wbuf *wb, const void *src, size_t n)
{
	if (n == 0)
		return (0);
	if (wbuf_reserve(wb, n) == -1)
		return (-1);
	memcpy(wb->wb_data + wb->wb_len, src, n);
	wb->wb_len += n;
	return (0);
}

void
wbuf_reset(struct wbuf *wb)
{
	wb->wb_len = 0;
}

void
wbuf_free(struct wbuf *wb)
{
	free(wb->wb_data);
	wb->wb_data = NULL;
	wb->wb_len = wb->wb_cap = 0;
}
