/*
 * A POST endpoint of the carrier: one relay URL (direct_post) or one Apps
 * Script deployment (apps_script, domain-fronted).  The POST poll loop
 * (post.c) owns batching, sessions and rollback; an endpoint only performs
 * one request/response exchange and classifies the outcome.  Endpoint
 * health, blacklisting and quota (health.c) work on these objects.
 */
#ifndef GR_ENDPOINT_H
#define GR_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "epfail.h"

struct ev_loop;
struct cendpoint;

/* Outcome classes (protocol.md 4.4). */
enum ep_result {
	EP_OK = 0,		/* 200 with a body that should be a batch */
	EP_FAIL_SOFT,		/* transient: 5xx, "try again", timeouts */
	EP_FAIL_RATE,		/* 429 / rate-limit text */
	EP_FAIL_QUOTA,		/* daily quota text */
	EP_FAIL_HARD,		/* empty 200, 403, 404, auth, relay loop */
	EP_FAIL_OFFLINE,	/* local network down (ENETUNREACH, DNS, ...) */
	EP_FAIL_TRANSPORT,	/* connection reset / EOF mid-exchange */
	EP_FAIL_KEY		/* the exit could not decrypt it: 204 (a
				 * hard failure; epcheck.c tells a wrong
				 * tunnel_key from a v1.5 server) */
};
const char	*ep_result_str(enum ep_result);

/*
 * Called once per exchange.  On EP_OK, body/len is the response body
 * (already gunzipped; base64 text or binary as binary says).  sent = the
 * request was fully written (the peer may have acted on it).  detail is a
 * short human-readable reason for logs (never secrets).
 */
typedef void	(*cendpoint_cb)(struct cendpoint *, enum ep_result, int sent,
		    const uint8_t *body, size_t len, int binary,
		    const char *detail, void *arg);

struct cendpoint_ops {
	/* Start one exchange; 0, or -1 if it could not start at all. */
	int	(*eo_exchange)(struct cendpoint *, const uint8_t *body,
		    size_t len, int binary, double timeout, cendpoint_cb,
		    void *arg);
	/* Abandon every exchange in flight (no callbacks afterwards). */
	void	(*eo_cancel_all)(struct cendpoint *);
	void	(*eo_free)(struct cendpoint *);
};

struct health;			/* health.c: score, blacklist, quota */
struct post_epchk;		/* post.c: retries and checks */

struct cendpoint {
	const struct cendpoint_ops *ep_ops;
	char		 ep_label[64];	/* for logs: redacted URL or id */
	char		 ep_key[96];	/* health/quota key (account/url) */
	int		 ep_text_only;	/* never send binary bodies */
	int		 ep_binary;	/* binary_batch_v1 negotiated */
	int		 ep_fronted;	/* apps_script: rollback rules */
	struct health	*ep_health;	/* may be NULL (no health module) */
	int		 ep_resp_fd;	/* in the callback: the answer's
					   socket (TCP_INFO), else -1 */
	struct txpace_conn *ep_resp_pace; /* ... its exchange snapshot */
	void		*ep_priv;	/* implementation's state */
	struct epfail	 ep_fail;	/* failures said once, back-off */
	int		 ep_v15;	/* GooseRelayVPN v1.5 layout */
	struct post_epchk *ep_chk;	/* post.c: retry timer, checks */
};

#endif /* GR_ENDPOINT_H */
