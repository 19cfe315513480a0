/*
 * Private to post.c and post_pipe.c: the state of the POST poll loop
 * (struct post, one struct poller per poller) that both share.
 */
#ifndef POST_INT_H
#define POST_INT_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "carrier.h"
#include "fronted.h"
#include "health.h"
#include "postep.h"
#include "txpace.h"

/* One session's frames in a pipelined POST. */
struct prun {
	uint8_t			 r_sid[WIRE_SID_LEN];
	uint64_t		 r_lo, r_hi;	/* seq range */
	uint32_t		 r_epoch;	/* lc_epoch when sent */
};

struct poller {
	struct post		*p_post;
	size_t			 p_idx;
	size_t			 p_ep;		/* current endpoint */
	int			 p_busy;
	int			 p_idle;	/* in-flight batch was empty */
	unsigned int		 p_misses;	/* polls that moved nothing */
	ev_timer		 p_sleep;
	struct tunnel_batch	*p_tb;
	struct cendpoint	*p_cur;		/* health-picked endpoint */
	enum health_slot	 p_slot;
	double			 p_t0;
	int			 p_slotwait;	/* no active slot was free */
	ev_tstamp		 p_sent_at;	/* endpoint RTT (stats) */
	struct cendpoint	*p_inflight;	/* exchange in flight on it */
	struct prun		*p_runs;	/* TB_MAXFRAMES, in flight */
	size_t			 p_nruns;
	int			 p_extra;	/* pipelined TX only */
	int			 p_v15;		/* the batch's layout */
	int			 p_bulk;	/* in flight with bulk TX */
};

/* What a reload compares, and the stats of endpoints without health. */
struct post_epinfo {
	char			 pe_src[CONF_URL_LEN];	/* URL or bare id */
	char			 pe_account[CONF_ACCOUNT_LEN];
	uint64_t		 pe_ok, pe_fail;
	double			 pe_rtt;		/* EWMA s, 0 unknown */
	int			 pe_bad;		/* last exchange failed */
	uint64_t		 pe_redials;		/* direct_redials() */
};

/* An endpoint removed by a reload, freed once nothing uses it. */
struct post_retired {
	struct cendpoint	*pr_ep;
	double			 pr_since;
};

/*
 * One pre-flight probe.  It has a client id and a probe session of its
 * own: the exit answers a probe on any request it holds for the client
 * id, so probes sharing the carrier's could find their answer in
 * another's reply (issue 15).
 */
struct preflight {
	struct post		*pf_post;
	struct cendpoint	*pf_ep;
	uint8_t			 pf_cid[WIRE_CID_LEN];
	uint8_t			 pf_sid[WIRE_SID_LEN];
	int			 pf_v15;	/* layout it was sealed in */
	struct wbuf		 pf_body;
	struct wbuf		 pf_scratch;
};

struct post {
	struct carrier		*po_car;
	struct tls_config	*po_tls;
	struct fronted_setup	 po_fs;		/* apps_script: health set */
	struct cendpoint	*po_eps[CONF_MAX_URLS];
	size_t			 po_neps;
	size_t			 po_cur;	/* relay in use (direct) */
	struct poller		*po_pollers;
	size_t			 po_npollers;
	size_t			 po_nidle;	/* idle polls in flight */
	int			 po_pipe;	/* pipelining configured */
	int			 po_localack;	/* answers confirm */
	int			 po_started;
	size_t			 po_pf_pending;
	size_t			 po_pf_ok;
	struct wire_batch	 po_pfb;
	uint64_t		 po_n_ok, po_n_fail;
	int			 po_rolling;	/* in a rollback or abort */
	int			 po_kick_pending; /* kicked meanwhile */
	char			*po_quota;	/* quota state before setup */
	size_t			 po_quotalen;
	/* Reload (post_reload): parallel to po_eps, and retired ones. */
	struct post_epinfo	 po_info[CONF_MAX_URLS];
	size_t			 po_wpe;	/* workers_per_endpoint */
	size_t			 po_cap;	/* pollers allocated */
	struct post_retired	 po_retired[2 * CONF_MAX_URLS];
	size_t			 po_nretired;
	ev_timer		 po_reap;
	double			 po_started_at;
	struct postep_ctx	 po_px;		/* failing endpoints */
	int			 po_v15;	/* a v1.5 server was adopted */
	double			 po_down_since;	/* every relay fails since */
	int			 po_down_said;
	struct txpace		 po_pace;	/* direct requests by time */
	int			 po_pace_on;
	int			 po_slow;	/* ... at their floor */
};

/* post_pipe.c: the pipelining ledger */
void	post_pipe_build(struct poller *);
void	post_pipe_confirm(struct poller *);
void	post_pipe_unconfirm(struct poller *);

#endif /* POST_INT_H */
