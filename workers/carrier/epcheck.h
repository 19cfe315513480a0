/*
 * One look at an endpoint outside the traffic (epcheck.c): a version
 * probe under a client id and session of its own (so its answer comes
 * back in its own reply), sealed in the endpoint's layout; when the exit
 * cannot decrypt it (HTTP 204, EP_FAIL_KEY), once more in the other
 * layout: the GooseRelayVPN v1.5 one (padded base64, no flags byte), or
 * the current one for an endpoint set to v1.5.  A v1.5 server answers the
 * v1.5 probe with a v1.5 batch that opens under our key and no version
 * info; a v1.6+ Go server opens only the current layout; an exit with
 * another tunnel_key answers 204 to both.  Used for the POST endpoints' retries
 * while they fail (post.c) and by the stream to explain a refused
 * upgrade or a closed hello (stream.c, through a direct endpoint on the
 * stream URL's /tunnel).
 */
#ifndef GR_EPCHECK_H
#define GR_EPCHECK_H

#include "endpoint.h"

struct carrier;

enum epcheck_verdict {
	ECV_ANSWERED = 0,	/* it answered the probe: it works */
	ECV_V15,		/* a GooseRelayVPN v1.5 server, our key */
	ECV_V16,		/* set to v1.5, but only v1.6+ opens */
	ECV_KEY,		/* 204 to both layouts: another tunnel_key */
	ECV_FAIL		/* anything else (res, detail say what) */
};

/* flags */
#define EPC_ONE_LAYOUT	0x1	/* the endpoint's layout only */
#define EPC_OTHER	0x2	/* its layout just got 204: the other only */

/*
 * version: the answer carried the JSON answer to our probe.  res and
 * detail: the failure that decided ECV_FAIL (or ECV_KEY).
 */
typedef void	(*epcheck_cb)(struct cendpoint *, enum epcheck_verdict,
		    enum ep_result, const char *detail, int version,
		    void *arg);

/* Start one check; 0, or -1 if it could not start (nothing called). */
int		 epcheck_start(struct carrier *, struct cendpoint *,
		    int flags, double timeout, epcheck_cb, void *arg);
const char	*epcheck_verdict_str(enum epcheck_verdict);

#endif /* GR_EPCHECK_H */
