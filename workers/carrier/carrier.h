/*
 * Internal interfaces of gooserelay-carrier: the local SOCKS5 side
 * (local.c), the transport-neutral tunnel core (tunnel.c: sessions,
 * batching, RX dispatch, version probe), the WebSocket transport
 * (stream.c) and the POST poll loop (post.c).
 */
#ifndef GR_CARRIER_H
#define GR_CARRIER_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "conf.h"
#include "session.h"
#include "wire.h"

#define CARRIER_VERSION		"gooserelayd-0.1"
#define CARRIER_HS_TIMEOUT	10.0	/* SOCKS handshake, seconds */
/*
 * Storm guard (local.c; the limits are carrier_conf's max_live_sessions,
 * new_sessions_per_s and new_sessions_burst): a CONNECT over them waits
 * in a queue of at most CARRIER_WAITQ_MAX for at most CARRIER_ADMIT_WAIT
 * seconds, then gets a SOCKS failure reply.  At most CARRIER_PENDING_MAX
 * connections may be in the handshake or waiting; beyond that they are
 * closed at accept, before a SOCKS reply is possible.
 */
#define CARRIER_WAITQ_MAX	1024
#define CARRIER_ADMIT_WAIT	10.0
#define CARRIER_PENDING_MAX	2048
#define CARRIER_REFUSE_LOG_S	60.0	/* one refusal line per minute */
#define CARRIER_RSTQ_MAX	1024
#define CARRIER_FPS		8	/* frames per session per batch */
#define CARRIER_FPB		48	/* frames per batch */
#define CARRIER_FPB_BUSY	144	/* ... when >= 24 sessions */
#define CARRIER_BUSY_SESS	24
#define CARRIER_STREAM_BUDGET	(2U * 1024 * 1024)	/* bytes per WS msg */
#define CARRIER_RXMSG_MAX	(32U * 1024 * 1024)	/* WS message cap */
/* Receive flow control (rxwin.c). */
#define CARRIER_RX_WINDOW	(8U * 1024 * 1024)	/* per session */
#define CARRIER_RX_WINMIN	(256U * 1024)	/* ... over the budget */
#define CARRIER_RX_BUDGET	(64U * 1024 * 1024)	/* all sessions */
#define CARRIER_RX_PAUSE	(16U * 1024 * 1024)	/* no windows: pause */
#define CARRIER_RX_PAUSE_WIN	(128U * 1024 * 1024)	/* ... with them */

/* Extension of our own exit: upstream frames acknowledged by GACK. */
#define CARRIER_FEAT_UPACK	0x1000

struct carrier;
struct stream;
struct post;
struct udp_rec;

enum lconn_state {
	LC_GREETING = 0,
	LC_AUTH,
	LC_REQUEST,
	LC_OPEN,
	LC_WAIT,		/* CONNECT read, waiting for admission */
	LC_DEAD
};

/* One local SOCKS5 client connection and its tunnel session. */
struct lconn {
	struct carrier		*lc_car;
	int			 lc_fd;
	enum lconn_state	 lc_state;
	ev_io			 lc_rio;
	ev_io			 lc_wio;
	ev_timer		 lc_hst;	/* handshake deadline */
	uint8_t			 lc_hs[600];	/* handshake bytes so far */
	size_t			 lc_hslen;
	struct sess		*lc_sess;
	uint32_t		 lc_flags;
#define LCF_READY		0x01	/* on the tunnel's TX ready list */
#define LCF_SYNHELD		0x02	/* SYN held for connect-data */
#define LCF_EOF			0x04	/* local read side saw EOF */
#define LCF_ACKQ		0x08	/* on the ACK-due list */
#define LCF_RPAUSED		0x10	/* reading paused (back-pressure) */
#define LCF_CLOSED		0x20	/* local fd closed */
#define LCF_TTFB		0x40	/* first downlink byte counted */
#define LCF_SYNOK		0x80	/* the exit has the session */
#define LCF_WAITING		0x100	/* on the admission queue */
#define LCF_ADMITTED		0x200	/* a token is taken for it */
#define LCF_CHECK		0x400	/* liveness.c: a GACK is due */
	size_t			 lc_txb;	/* last sampled TX buffered */
	uint64_t		 lc_conf_next;	/* post.c: confirmed */
	uint32_t		 lc_epoch;	/* ... lost POSTs */
	ev_tstamp		 lc_opened;	/* session created (TTFB) */
	ev_tstamp		 lc_ready_at;	/* queued for TX (queue wait) */
	ev_tstamp		 lc_held_until;	/* SYN held until, 0: idle */
	uint64_t		 lc_prog;	/* liveness.c: progress mark */
	ev_tstamp		 lc_prog_at;	/* ... when it last moved */
	ev_tstamp		 lc_checked_at;	/* ... checked with the exit */
	uint64_t		 lc_win;	/* rxwin.c: limit granted */
	uint64_t		 lc_win_sent;	/* ... and sent */
	size_t			 lc_rxb;	/* ... RX queued as accounted */
	TAILQ_ENTRY(lconn)	 lc_all;
	TAILQ_ENTRY(lconn)	 lc_ready;
	TAILQ_ENTRY(lconn)	 lc_ackq;
	TAILQ_ENTRY(lconn)	 lc_held;
	TAILQ_ENTRY(lconn)	 lc_wait;
};
TAILQ_HEAD(lconn_list, lconn);

/* One batch being built, sealed and sent. */
#define TB_MAXFRAMES		(CARRIER_FPB_BUSY + 16)
struct tunnel_batch {
	struct sess_txn		 tb_txn;
	struct wire_frame	 tb_frames[TB_MAXFRAMES];
	uint8_t			 tb_gack[TB_MAXFRAMES][WIRE_GACK_LEN];
	size_t			 tb_n;
	size_t			 tb_ndata;	/* SYN/data/FIN frames */
	int			 tb_bulk;	/* ... of bulk sessions */
	int			 tb_probe;	/* carries the version probe */
	/* Sessions settled at send time (pipelined POST, post.c). */
	uint8_t			 tb_early[TB_MAXFRAMES][WIRE_SID_LEN];
	size_t			 tb_nearly;
	struct wbuf		 tb_body;
	struct wbuf		 tb_scratch;
	struct udp_rec		*tb_udp;	/* udp.c: datagrams held */
};

struct carrier {
	struct ev_loop		*c_loop;
	struct carrier_conf	 c_conf;
	int			 c_configured;
	int			 c_started;
	int			 c_stopping;
	uint8_t			 c_key[WIRE_KEY_LEN];
	struct wire_aead	*c_aead;
	uint8_t			 c_cid[WIRE_CID_LEN];
	struct wire_encopts	 c_enc;
	struct sess_cfg		 c_scfg;
	struct sess_table	 c_table;
	struct wire_batch	 c_rxb;		/* reusable decoder */

	/* Local side. */
	int			 c_lfd;
	ev_io			 c_accept;
	struct lconn_list	 c_conns;
	struct lconn_list	 c_readyq;
	struct lconn_list	 c_ackq;
	struct lconn_list	 c_heldq;
	ev_idle			 c_held_idle;	/* flush held SYNs */
	ev_timer		 c_held_timer;	/* ... POST: their hold */
	ev_timer		 c_sweep;	/* done-session GC, 15 s */
	size_t			 c_nlive;	/* connections, any state */
	size_t			 c_nsess;	/* ... with a session */
	double			 c_tokens;
	double			 c_tokens_at;
	struct lconn_list	 c_waitq;	/* waiting for admission */
	size_t			 c_nwait;
	ev_timer		 c_admit_timer;
	ev_timer		 c_refuse_timer;	/* rate-limited log */
	double			 c_refuse_at;
	uint64_t		 c_refuse_n;	/* not logged yet */
	char			 c_refuse_why[160];
	uint64_t		 c_txq;		/* TX bytes buffered, all */
	size_t			 c_rxq;		/* RX bytes queued, all */

	/* Control frames waiting for a batch. */
	uint8_t			 c_rstq[CARRIER_RSTQ_MAX][WIRE_SID_LEN];
	size_t			 c_nrst;

	/* Version probe. */
	uint8_t			 c_probe_sid[WIRE_SID_LEN];
	struct wbuf		 c_probe;	/* ACK payload (stream) */
	struct wbuf		 c_probe_post;	/* ... for POST: no upstream_ack */
	char			 c_run_id[17];
	unsigned int		 c_features;	/* WIRE_FEAT_*, CARRIER_FEAT_* */
	int			 c_probe_answered;

	/* Transports. */
	struct stream		*c_stream;
	struct post		*c_post;

	/* Stats. */
	uint64_t		 c_st_open, c_st_close, c_st_rst_in;
	uint64_t		 c_st_rst_out, c_st_frames_out, c_st_frames_in;
	uint64_t		 c_st_bytes_out, c_st_bytes_in;
	uint64_t		 c_st_refused, c_st_batches_out;
	uint64_t		 c_st_admit_waited;
	uint64_t		 c_st_batches_in, c_st_decode_fail;
};

extern struct carrier	*carrier;

/* local.c */
void	local_start(struct carrier *, int fd);
void	local_stop_accept(struct carrier *);
void	local_listen(struct carrier *, int fd);
void	local_admit_soon(struct carrier *);
void	local_tx_resume_all(struct carrier *);
void	local_account(struct lconn *);
void	local_rx_ready(struct lconn *);
void	local_abort(struct lconn *, const char *why);
void	local_maybe_free(struct lconn *);
int	local_detach(struct lconn *);
extern const struct sess_ops local_sess_ops;

/* tunnel.c */
void	tunnel_init(struct carrier *);
void	tunnel_probe_build(struct carrier *);
void	tunnel_probe_plain(struct carrier *, struct wbuf *);
void	tunnel_kick(struct carrier *);
int	tunnel_has_work(struct carrier *);
void	tunnel_batch_init(struct tunnel_batch *);
#define TUNNEL_PROBE_STREAM	1
#define TUNNEL_PROBE_POST	2
size_t	tunnel_fill(struct carrier *, struct tunnel_batch *, size_t maxbytes,
	    int skip_inflight, int with_probe);
size_t	tunnel_fill_ex(struct carrier *, struct tunnel_batch *,
	    size_t maxbytes, int skip_inflight, int with_probe, int bulk);
int	tunnel_seal(struct carrier *, struct tunnel_batch *, int text,
	    size_t headroom);
int	tunnel_seal_eo(struct carrier *, struct tunnel_batch *, int text,
	    size_t headroom, const struct wire_encopts *);
void	tunnel_commit(struct carrier *, struct tunnel_batch *);
void	tunnel_rollback(struct carrier *, struct tunnel_batch *);
void	tunnel_abort_batch(struct carrier *, struct tunnel_batch *);
void	tunnel_commit_early(struct carrier *, struct tunnel_batch *);
void	tunnel_commit_delivered(struct carrier *, struct tunnel_batch *);
void	tunnel_fail_pipelined(struct carrier *, struct tunnel_batch *,
	    int sent);
void	tunnel_confirm(struct carrier *, struct sess *, uint64_t next_seq);
int	tunnel_rx_body(struct carrier *, const uint8_t *, size_t, int text);
void	tunnel_queue_rst(struct carrier *, const uint8_t sid[WIRE_SID_LEN]);
void	tunnel_requeue_all(struct carrier *);
void	tunnel_ready(struct lconn *);
void	tunnel_features(struct carrier *, unsigned int, const char *who);

/* stream.c */
int	stream_preinit(struct carrier *);
int	stream_configure(struct carrier *, const uint8_t *ca, size_t calen);
void	stream_start(struct carrier *);
int	stream_up(struct carrier *);
void	stream_kick(struct carrier *);
void	stream_stop(struct carrier *);
void	stream_rx_drained(struct carrier *);
int	stream_probe(struct carrier *);
void	stream_stats(struct carrier *, char *, size_t);
void	stream_counts(struct carrier *, uint64_t *ok, uint64_t *fail,
	    uint64_t *drop);
int	stream_state(struct carrier *, int *state, unsigned int *fails,
	    int64_t *retry_ms);

/* failover.c */
void	failover_configure(struct carrier *);
void	failover_stream_sock(struct carrier *, int fd);
int	failover_stream_now(struct carrier *, unsigned int fails, size_t nurls);
uint64_t failover_probe_count(void);

/* streamchk.c: why a stream URL fails, from POST /tunnel (ws:// only) */
typedef void	(*streamchk_cb)(const char *label, const char *what,
		    void *arg);
int	streamchk_start(struct carrier *, const char *label, int tls,
	    const char *host, int port, const char *addr, int refused,
	    streamchk_cb, void *arg);

/* carrier.c */
void	carrier_settled(struct carrier *);

/* rxwin.c */
size_t	rxwin_pause_mark(const struct carrier *);
void	rxwin_open(struct lconn *);
void	rxwin_negotiated(struct carrier *);
void	rxwin_account(struct lconn *);
void	rxwin_consumed(struct lconn *);
int	rxwin_frame(struct lconn *, uint8_t out[WIRE_GWIN_LEN]);
void	rxwin_resend(struct lconn *);
int	rxwin_post_hold(struct carrier *);
void	rxwin_drained(struct carrier *);

/* liveness.c */
void	liveness_configure(struct carrier *);
void	liveness_disrupted(struct carrier *);
void	liveness_transport_ok(struct carrier *, int force);
uint64_t liveness_stalled_count(void);

/* post.c */
int	post_preinit(struct carrier *);
int	post_configure(struct carrier *, const uint8_t *ca, size_t calen);
void	post_start(struct carrier *);
void	post_kick(struct carrier *);
void	post_wake_all(struct carrier *);
void	post_stop(struct carrier *);
int	post_enabled(struct carrier *);
int	post_local_ack(struct carrier *);
int	post_v15(struct carrier *);
void	post_quota_load(const char *, size_t);
void	post_counts(struct carrier *, uint64_t *ok, uint64_t *fail);
struct stats_endpoint;
int	post_endpoint_stats(struct carrier *, size_t, struct stats_endpoint *,
	    char *name, size_t, char *account, size_t);

/* cstats.c: struct stats, periodic [stats] lines, auto_tune */
void	cstats_init(struct carrier *);
void	cstats_configure(struct carrier *);
void	cstats_ttfb(uint64_t usec);
void	cstats_rtt(uint64_t usec);
void	cstats_qwait(double secs);
void	cstats_encode(double secs);
void	cstats_decode(double secs);
void	cstats_replay(uint64_t frames);
void	cstats_reply(struct carrier *, uint32_t reqid);

#endif /* GR_CARRIER_H */
