/*
 * Supervisor side of a stats request: gathers the IMSG_STATS replies of
 * several workers (each possibly in IMSGF_MORE pieces), bounded in size,
 * and joins them into one JSON array for gooserelayctl stats [--json] and
 * the diagnostics bundle.  Pure logic: the caller sends IMSG_STATS_REQ
 * with the request id, feeds every IMSG_STATS it receives, marks workers
 * that died or timed out, and renders when stats_collect_done().
 *
 *	sc = stats_collect_new(reqid, nworkers, 1 << 20);
 *	stats_collect_expect(sc, i, "carrier", 0);    for each worker
 *	... on IMSG_STATS from worker i:
 *	stats_collect_piece(sc, i, imsg.hdr.peerid, data, len,
 *	    imsg.hdr.flags & IMSGF_MORE);
 *	... on a timeout: stats_collect_fail(sc, i, "timeout") for the rest
 *	if (stats_collect_done(sc)) { s = stats_collect_json(sc); ... }
 *
 * Each worker's element is its own object with "role" and "instance"
 * set by the supervisor (a worker cannot pretend to be another), or
 * {"role":..,"instance":..,"error":reason} when it sent nothing usable.
 */
#ifndef GR_STATS_COLLECT_H
#define GR_STATS_COLLECT_H

#include <stddef.h>
#include <stdint.h>

struct stats_collect;

/* NULL on ENOMEM.  maxbytes bounds each worker's reply. */
struct stats_collect *stats_collect_new(uint32_t reqid, size_t nworkers,
	    size_t maxbytes);
void	stats_collect_free(struct stats_collect *);
uint32_t stats_collect_reqid(const struct stats_collect *);
/* Name slot i; slots never named are left out of the result. */
int	stats_collect_expect(struct stats_collect *, size_t slot,
	    const char *role, int instance);
/*
 * One IMSG_STATS piece from the worker in slot.  Returns 1 when that
 * worker's reply is complete, 0 when more pieces are expected, -1 when
 * the piece was dropped (stale request id, unknown or finished slot) or
 * ended the reply with an error (too big, not a JSON object); -1 never
 * requires killing the worker.
 */
int	stats_collect_piece(struct stats_collect *, size_t slot,
	    uint32_t reqid, const void *data, size_t len, int more);
/* The worker will not answer (died, timed out); reason is copied. */
void	stats_collect_fail(struct stats_collect *, size_t slot,
	    const char *reason);
/* Every named slot complete or failed. */
int	stats_collect_done(const struct stats_collect *);
/* The JSON array (malloc'd, free()); NULL on ENOMEM. */
char	*stats_collect_json(const struct stats_collect *);

#endif /* GR_STATS_COLLECT_H */
