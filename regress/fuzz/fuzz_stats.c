/* FUZZ-SOURCES: common/stats.c supervisor/statstab.c */
/* FUZZ-LIBS: -ljansson */
/*
 * Stats rendering of worker JSON (the supervisor and gooserelayctl render
 * what sandboxed workers send): any input is rejected with a reason or
 * rendered as a table and as log lines, never a crash or a leak.  Also
 * feeds the histogram with values from the input.
 */
#include "gr_config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stats.h"
#include "statstab.h"

static void
fuzz_stats_line(const char *line, void *arg)
{
	size_t	*n = arg;

	assert(strchr(line, '\n') == NULL);
	*n += strlen(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stats_hist h;
	json_error_t	 je;
	json_t		*o;
	char		 err[128], *t;
	size_t		 n = 0, i;
	uint64_t	 v, p50, p99;

	t = statstab_text((const char *)data, size, err, sizeof(err));
	assert(t != NULL || err[0] != '\0');
	free(t);
	if ((o = json_loadb((const char *)data, size, 0, &je)) != NULL) {
		if (json_is_array(o))
			for (i = 0; i < json_array_size(o); i++)
				stats_lines(json_array_get(o, i),
				    fuzz_stats_line, &n);
		else
			stats_lines(o, fuzz_stats_line, &n);
		json_decref(o);
	}

	stats_hist_reset(&h);
	for (i = 0; i + 8 <= size; i += 8) {
		memcpy(&v, data + i, sizeof(v));
		stats_hist_add(&h, v);
	}
	p50 = stats_hist_pct(&h, 50);
	p99 = stats_hist_pct(&h, 99);
	assert(p50 <= p99);
	assert(h.sh_count == 0 || (p50 >= h.sh_min && p99 <= h.sh_max));
	return 0;
}
