/*
 * The POST endpoints while they fail (postep.c): every failure goes to
 * epfail.c, which says it once and picks the back-off; the pollers leave
 * a failing endpoint alone, and one check (epcheck.c) per back-off step
 * finds out when it answers again.  A 204 from the current layout starts
 * a check in the GooseRelayVPN v1.5 layout at once: a v1.5 server gets
 * the endpoint switched to its layout (when nothing negotiated with a
 * current exit stands in the way; else the log says to set wire_compat),
 * another tunnel_key is said to be one.
 */
#ifndef GR_POSTEP_H
#define GR_POSTEP_H

#include "endpoint.h"

struct carrier;
struct health_set;

#define POSTEP_DIRECT_CAP	30.0	/* s: own exits retried this often */

struct postep_ctx {
	struct carrier		*px_car;
	struct health_set	*px_hs;		/* apps_script, or NULL */
	int			 px_detect;	/* wire_compat not set */
	double			 px_base;	/* direct: ladder */
	double			 px_cap;
	/* An endpoint answers again (or switched layout): wake pollers. */
	void			(*px_wake)(struct carrier *);
	/* A v1.5 server: 1 if the carrier could switch to its layout. */
	int			(*px_adopt_v15)(struct carrier *);
	/* A check's requests count as exchanges (gooserelayctl stats). */
	void			(*px_count)(struct carrier *,
				    struct cendpoint *, int ok);
};

void	 postep_attach(struct postep_ctx *, struct cendpoint *);
void	 postep_detach(struct cendpoint *);
/* Removed by a reload: no more retries; detach once not busy. */
void	 postep_retire(struct cendpoint *);
void	 postep_ladder(struct postep_ctx *, struct cendpoint *);
/* A check is in flight (a retired endpoint must wait for it). */
int	 postep_busy(const struct cendpoint *);
/* Not failing: pollers may use it. */
int	 postep_usable(const struct cendpoint *);
/*
 * The outcome of a poller's or the pre-flight's exchange.  flags:
 * EPF_SAID if the caller logged it.  v15: the layout the request was
 * sealed in (a 204 to a layout the endpoint left meanwhile is moot).
 */
void	 postep_failed(struct cendpoint *, enum ep_result, const char *detail,
	    int flags, int v15, double now);
void	 postep_ok(struct cendpoint *, double now);
/* The layout of the endpoint for gooserelayctl stats. */
const char *postep_layout(const struct cendpoint *);

#endif /* GR_POSTEP_H */
