/*
 * Pool of refcounted 256 KiB byte chunks for the session engine.
 *
 * Every TX, RX and reorder byte lives in one of these, so steady-state
 * traffic never mallocs: a released chunk goes on a free list and is
 * handed out again.  Workers are single-threaded (one libev loop), so the
 * pool has no locking.
 */
#include "gr_config.h"

#include <stdlib.h>

#include "session.h"

#define CHUNK_IDLE_MAX_DEFAULT	256	/* 64 MiB kept for reuse */

static struct chunk	*chunk_free;	/* singly linked via c_next */
static size_t		 chunk_nidle;
static size_t		 chunk_nlive;
static size_t		 chunk_idle_max = CHUNK_IDLE_MAX_DEFAULT;

/* Take a chunk from the pool (or the heap when the pool is empty). */
struct chunk *
chunk_get(void)
{
	struct chunk	*c;

	if ((c = chunk_free) != NULL) {
		chunk_free = c->c_next;
		chunk_nidle--;
	} else if ((c = malloc(sizeof(*c))) == NULL)
		return (NULL);
	c->c_next = NULL;
	c->c_refs = 1;
	c->c_len = 0;
	chunk_nlive++;
	return (c);
}

void
chunk_ref(struct chunk *c)
{
	c->c_refs++;
}

/* Drop a reference; the last one returns the chunk to the pool. */
void
chunk_unref(struct chunk *c)
{
	if (c == NULL)
		return;
	if (c->c_refs == 0)
		abort();	/* double unref: memory corruption ahead */
	if (--c->c_refs > 0)
		return;
	chunk_nlive--;
	if (chunk_nidle >= chunk_idle_max) {
		free(c);
		return;
	}
	c->c_next = chunk_free;
	chunk_free = c;
	chunk_nidle++;
}

size_t
chunk_pool_idle(void)
{
	return (chunk_nidle);
}

size_t
chunk_pool_live(void)
{
	return (chunk_nlive);
}

/* Give idle chunks beyond keep back to the heap (after a burst). */
void
chunk_pool_trim(size_t keep)
{
	struct chunk	*c;

	while (chunk_nidle > keep && (c = chunk_free) != NULL) {
		chunk_free = c->c_next;
		chunk_nidle--;
		free(c);
	}
}

void
chunk_pool_set_idle_max(size_t n)
{
	chunk_idle_max = n;
	chunk_pool_trim(n);
}
