/*
 * gooserelayctl stats as a table (supervisor/statstab.c).
 */
#ifndef GR_STATSTAB_H
#define GR_STATSTAB_H

#include <stddef.h>

#include <jansson.h>

/*
 * Readable table from several workers' JSON: an array of worker objects,
 * or an object with a "workers" array, or a single worker object.
 * Returns malloc'd text (free()), or NULL with a reason in err.  Missing
 * fields print as "-"; a worker object without "counters" has its
 * counters read from its top level.  Any JSON input is safe (the worker
 * side is sandboxed but not trusted).
 */
char	*statstab_render(const json_t *, char *err, size_t errlen);
/* Same from JSON text (bounded by len). */
char	*statstab_text(const char *json, size_t len, char *err,
	    size_t errlen);

#endif /* GR_STATSTAB_H */
