/*
 * gooserelay-exit: the server side of the tunnel (docs/protocol.md sections 2
 * and 3).  Shared types of the exit worker's files:
 *
 *	exit.c		main, supervisor glue, stats, shutdown
 *	http.c		libwebsockets callbacks: /tunnel, /stream, /healthz
 *	client.c	per-client_id state: ready list, control queue, waiters
 *	drain.c		drain scheduler (what goes into one response)
 *	route.c		frames from a client batch to sessions
 *	upstream.c	upstream sockets: dial, read/write, back-pressure, GC
 *	dialback.c	per-target dial failure backoff and suppression
 *	dns.c		c-ares lookups with a 5 minute cache
 *	socks.c		SOCKS5 client handshake for upstream_proxy
 *	rxflow.c	budgets for client bytes queued toward upstreams
 *	reqcheck.c	checks of unauthenticated request bytes (pure)
 *	admit.c		pre-auth slots: known sources, per-address caps,
 *			body rate and deadlines
 *	udp.c		udp_v1 datagrams (own header udp.h)
 *	wsraw.c		/stream framed by us after the upgrade, paced writes
 */
#ifndef GR_EXIT_H
#define GR_EXIT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <uthash.h>

#include "conf.h"
#include "session.h"
#include "txpace.h"
#include "wire.h"

#define EXIT_CTRL_PAYLOAD	384	/* probe reply JSON, GACK */
#define EXIT_CTRL_MAX		576	/* control + RST frames per owner */
#define EXIT_FRAMES_NORMAL	48
#define EXIT_FRAMES_BUSY	144
#define EXIT_BUSY_SESSIONS	24
#define EXIT_RESP_FRAMES	(EXIT_FRAMES_BUSY + 8)
/* Pre-auth admission (admit.c; docs/ops.md "Limits"). */
#define ADMIT_POSTS		32	/* bodies being read, as Go */
#define ADMIT_STREAMS		16	/* streams before their hello */
#define ADMIT_RESERVE_POSTS	8	/* never taken by unknown sources */
#define ADMIT_RESERVE_STREAMS	4
#define ADMIT_ADDR_POSTS	4	/* one unknown source address */
#define ADMIT_ADDR_STREAMS	2
#define ADMIT_KNOWN_TTL		3600.0	/* known after a good batch */
#define ADMIT_KNOWN_MAX		4096
#define ADMIT_BODY_KNOWN	30.0	/* Go's ReadTimeout */
#define ADMIT_BODY_DEADLINE	10.0	/* an unknown source's body */
#define ADMIT_BODY_GRACE	2.0	/* then at least ADMIT_BODY_RATE */
#define ADMIT_BODY_RATE		4096	/* bytes/s on average */
#define ADMIT_HELLO_KNOWN	10.0
#define ADMIT_HELLO_STRANGER	5.0
#define EXIT_HELLO_MAX		(64 * 1024)
#define EXIT_WS_MSG_MAX		(12 * 1024 * 1024)
/*
 * A /stream message is at most this (or max_response_bytes_pre_encode if
 * lower) whatever the rate: the carrier decrypts a message whole before
 * any of it goes on, so on a fast path (loopback, a LAN: the rate is the
 * kernel's copy, GB/s) a bigger one only adds its own time to every
 * session behind it (issue 12; bench/loop_ab.sh, a new session's first
 * byte during a loopback download with the other levers of that change:
 * 10-12 ms p50 at 512 KiB, 18-23 ms before; 256 KiB 8-10 ms but 4-8%
 * less bulk throughput, 128 KiB less still).
 */
#define EXIT_WS_MSG_PACE	(512 * 1024)
#define EXIT_GC_INTERVAL	60.0
#define EXIT_CLIENT_PRUNE	120.0
#define EXIT_REPLAY_RETRY	3.0
/*
 * A GACK without progress for a frame sent this long ago: the frame was
 * lost, resend it (sess_replay_gack); sooner, it may be on its way, and
 * goes when this old unless its ACK comes first.
 */
#define EXIT_REPLAY_FAST	0.2
/*
 * Upstream GACKs (upstream_ack_v1) ride on the next response with data,
 * or go after EXIT_ACK_DELAY, or at once when EXIT_ACK_BYTES of payload
 * or EXIT_ACK_FRAMES frames came in unacknowledged (route.c).  The
 * carrier keeps at most 8 MiB / 144 frames per session unacknowledged.
 */
#define EXIT_ACK_DELAY		0.02
#define EXIT_ACK_BYTES		(256U * 1024)
#define EXIT_ACK_FRAMES		16
#define EXIT_REPLAY_EXPIRY	300.0
#define EXIT_DNS_TTL		300.0
#define EXIT_RP_CLIENT_BYTES	(64ULL * 1024 * 1024)
#define EXIT_RP_CLIENT_FRAMES	9216
#define EXIT_RP_GLOBAL_BYTES	(256ULL * 1024 * 1024)
#define EXIT_RP_GLOBAL_FRAMES	36864
#define EXIT_UP_READ_MAX	(1024 * 1024)	/* per readable event */
/*
 * Client bytes queued toward an upstream that reads slower than the client
 * sends (rxflow.c).  Over the soft mark a session's GACKs are held back
 * (upstream_ack_v1 clients then stop sending it).  Over a cap the client
 * has EXIT_RX_STALL_MAX to drain before its biggest queues are reset, at
 * once past 1.5 times a cap.  Streams are always read.
 */
#define EXIT_RX_SOFT		(8U * 1024 * 1024)	/* hold GACKs */
#define EXIT_RX_RESUME		(2U * 1024 * 1024)	/* send them again */
#define EXIT_RX_SESS_MAX	(64ULL * 1024 * 1024)	/* one session */
#define EXIT_RX_CLIENT_MAX	(128ULL * 1024 * 1024)	/* one client_id */
#define EXIT_RX_GLOBAL_MAX	(512ULL * 1024 * 1024)	/* the worker */
#define EXIT_RX_STALL_MAX	5.0	/* s over a cap (Go blocks 5 s) */
/* A client's rx_window (probe), clamped to this range. */
#define EXIT_RXWIN_MIN		(64U * 1024)
#define EXIT_RXWIN_MAX		(64U * 1024 * 1024)

/*
 * A binary POST response (direct_post) carries this long of the path at
 * least, or one round trip of its connection if that is longer
 * (txpace.c); text ones (Apps Script, whose exchanges cost far more than
 * the transfer) keep max_response_bytes_pre_encode.
 */
#define EXIT_POST_TIME		0.005
#define EXIT_POST_MIN		(8U * 1024)	/* bytes, at least */

/* A control or RST frame queued for one client (not session-backed). */
struct xctrl {
	TAILQ_ENTRY(xctrl)	 xc_entry;
	struct wire_frame	 xc_frame;
	uint8_t			 xc_buf[EXIT_CTRL_PAYLOAD];
};
TAILQ_HEAD(xctrlq, xctrl);

struct xconn;
struct xudp_cl;
struct xudp_rec;
LIST_HEAD(xwaitq, xconn);
TAILQ_HEAD(xsessq, sess);

/* Everything the exit knows about one client_id. */
struct xclient {
	uint8_t			 cl_cid[WIRE_CID_LEN];
	UT_hash_handle		 cl_hh;
	struct xsessq		 cl_ready;	/* first-ready order */
	struct xctrlq		 cl_ctrl;	/* probe replies, GACKs */
	struct xctrlq		 cl_rst;
	uint32_t		 cl_nctrl;	/* both queues */
	uint32_t		 cl_nsess;
	uint32_t		 cl_refs;	/* connections using it */
	TAILQ_HEAD(, xsess)	 cl_sessions;
	struct xwaitq		 cl_waiters;	/* held POSTs */
	struct xconn		*cl_stream;	/* newest authenticated */
	double			 cl_last_post;
	double			 cl_last_seen;
	double			 cl_stream_closed;
	ev_timer		 cl_grace;
	ev_timer		 cl_retry;	/* replay resend due */
	int			 cl_replay_due;	/* ... and not sent */
	int			 cl_upack;	/* upstream_ack_v1 */
	uint32_t		 cl_rxwin;	/* rx_window_v1: first window */
	int			 cl_replay;	/* downstream replay on */
	int			 cl_ackdirty;	/* sessions owe a GACK */
	size_t			 cl_ack_bytes;	/* ... payload since sent */
	uint32_t		 cl_ack_frames;	/* ... frames since sent */
	ev_timer		 cl_ackt;	/* ... at the latest then */
	uint64_t		 cl_rxq;	/* bytes queued to upstreams */
	uint32_t		 cl_rx_over;	/* sessions over their cap */
	int			 cl_rx_late;	/* over a cap, grace running */
	ev_timer		 cl_rxstall;	/* grace deadline */
	struct txpace		 cl_postpace;	/* POST responses by time */
	int			 cl_postpace_on;
	uint64_t		 cl_rp_bytes;	/* replay store, all sessions */
	uint32_t		 cl_rp_frames;
	char			 cl_instance[CONF_INSTANCE_LEN];
	struct xudp_cl		*cl_udp;	/* udp.c, NULL until used */
};

/* Per-session state of the exit (sess->s_arg). */
enum xsess_state {
	XS_RESOLVING = 0,
	XS_CONNECTING,
	XS_PROXY,		/* SOCKS5 handshake with upstream_proxy */
	XS_OPEN,
	XS_CLOSED
};

struct xaddrs;
struct dns_req;
struct socks_state;
struct xsess;

struct xsess {
	struct sess		*x_s;
	struct xclient		*x_cl;
	int			 x_fd;
	enum xsess_state	 x_state;
	ev_io			 x_rio;
	ev_io			 x_wio;
	ev_timer		 x_dtimer;	/* dial deadline */
	struct xaddrs		*x_addrs;	/* while dialing */
	struct dns_req	*x_rq;
	struct socks_state	*x_socks;
	uint16_t		 x_port;
	unsigned int		 x_up_eof:1;	/* upstream sent EOF */
	unsigned int		 x_wr_shut:1;	/* we shut down writing */
	unsigned int		 x_reading:1;	/* read watcher wanted */
	unsigned int		 x_ackdue:1;
	unsigned int		 x_rxsoft:1;	/* over soft mark: GACK held */
	unsigned int		 x_rxover:1;	/* over EXIT_RX_SESS_MAX */
	unsigned int		 x_fin_acked:1;	/* GACK of its FIN delivered */
	size_t			 x_rxq;		/* RX queue as accounted */
	double			 x_ready_at;	/* became drainable */
	double			 x_last_act;	/* frame in or drain */
	uint64_t		 x_rp_bytes;	/* replay store as accounted */
	uint32_t		 x_rp_frames;
	TAILQ_ENTRY(xsess)	 x_cl_entry;	/* owner's sessions */
};

/* Counters for wo_stats. */
struct exit_stats {
	uint64_t	 es_requests;
	uint64_t	 es_streams;
	uint64_t	 es_sess_open;
	uint64_t	 es_sess_closed;
	uint64_t	 es_dial_ok;
	uint64_t	 es_dial_fail;
	uint64_t	 es_dial_suppressed;
	uint64_t	 es_bytes_up;		/* client -> upstream */
	uint64_t	 es_bytes_down;		/* upstream -> client */
	uint64_t	 es_decode_fail;
	uint64_t	 es_replay_resend;
	uint64_t	 es_rst_sent;
	uint64_t	 es_rst_recv;		/* RST frames from clients */
	uint64_t	 es_frames_up;		/* frames received (route.c) */
	uint64_t	 es_frames_down;	/* frames sent (drain.c) */
	uint64_t	 es_probes;
	uint64_t	 es_http_4xx;
	uint64_t	 es_http_503;
	uint64_t	 es_rx_over;		/* a client went over a cap */
	uint64_t	 es_rx_aborts;		/* reset: upstream too slow */
};

/* Global state of the worker. */
struct exit_env {
	struct ev_loop		*ee_loop;
	struct exit_conf	 ee_conf;
	int			 ee_configured;
	struct wire_aead	*ee_aead;
	struct lws_context	*ee_lws;
	struct lws_vhost	*ee_vhost;
	int			 ee_listen_fd;
	ev_io			 ee_accept;
	int			 ee_accepting;
	int			 ee_shutdown;
	ev_timer		 ee_lws_tick;
	ev_timer		 ee_gc;
	struct sess_table	 ee_sessions;
	struct xclient		*ee_clients;	/* uthash by cid */
	struct sess_cfg		 ee_scfg;	/* plain */
	struct sess_cfg		 ee_scfg_replay; /* keep frames until ACK */
	uint64_t		 ee_rp_bytes;	/* replay stores, global */
	uint32_t		 ee_rp_frames;
	uint32_t		 ee_preauth_posts;
	uint32_t		 ee_preauth_streams;
	uint64_t		 ee_rxq;	/* bytes queued to upstreams */
	uint32_t		 ee_rx_late;	/* clients over a cap */
	struct exit_stats	 ee_stats;
};

extern struct exit_env	*ex;

/* exit.c */
double		 exit_now(void);
uint64_t	 exit_accept_pauses(void);

/*
 * session_idle_timeout_s and stream_disconnect_grace_s as received: the
 * supervisor never sends 0 for them (supervisor/conf_defaults.c, and
 * HELLO's layout identity refuses a supervisor of another build).
 * Inline so the unit tests that link client.c need no stub.
 */
static inline double
exit_idle_timeout(void)
{
	return (ex->ee_conf.ec_idle_timeout_s);
}

static inline double
exit_stream_grace(void)
{
	return (ex->ee_conf.ec_stream_grace_s);
}

/* client.c */
struct xclient	*client_get(const uint8_t cid[WIRE_CID_LEN], int create);
void		 client_wake(struct xclient *);
void		 client_set_ready(struct xclient *, struct sess *);
void		 client_unready(struct xclient *, struct sess *);
int		 client_has_work(struct xclient *);
struct xctrl	*client_ctrl_new(void);
void		 client_ctrl_free(struct xctrl *);
void		 client_queue_rst(struct xclient *, const uint8_t *sid);
void		 client_queue_ctrl(struct xclient *, const uint8_t *sid,
		    uint8_t flags, const void *, size_t);
int		 client_ctrl_put(struct xclient *, const uint8_t *sid,
		    uint8_t flags, const void *, size_t);
void		 client_requeue(struct xclient *, struct xctrlq *);
void		 client_kill_sessions(struct xclient *, int send_rst);
void		 client_run_reset(struct xclient *, const char *instance);
void		 client_stream_closed(struct xclient *, struct xconn *);
void		 client_gc(double now);
void		 client_arm_retry(struct xclient *);
void		 client_replay_at(struct xclient *, double at);
int		 client_replay_sync(struct xclient *, struct xsess *, int gone);
size_t		 client_count(void);

/* drain.c */
struct drain_limits {
	size_t		 dl_max_frames;		/* per response, 48/144 */
	size_t		 dl_max_bytes;		/* payload budget */
	size_t		 dl_per_sess;		/* frames per session */
	size_t		 dl_first_cap;		/* 0 = no ramp */
	size_t		 dl_second_cap;
	int		 dl_replay_first;	/* resend due replay first */
	int		 dl_small_alone;	/* small sessions: no bulk */
	int		 dl_urgent_only;	/* no bulk at all */
};
struct xresp {
	struct sess_txn		 r_txn;
	struct wire_frame	 r_frames[EXIT_RESP_FRAMES];
	size_t			 r_nframes;
	struct xctrlq		 r_ctrl;	/* control frames in flight */
	struct sess		*r_replayed[EXIT_RESP_FRAMES];
	size_t			 r_nreplayed;
	int			 r_urgent;
	int			 r_first;	/* a session's first bytes */
	struct wbuf		 r_out;		/* LWS_PRE + body */
	struct wbuf		 r_scratch;
	struct xresp		*r_next;	/* free list */
	struct xudp_rec		*r_udp;		/* udp.c: datagrams in it */
};
void		 drain_limits(struct xclient *, struct drain_limits *, int post);
size_t		 drain_collect(struct xclient *, struct xresp *,
		    const struct drain_limits *, double now);
struct xresp	*drain_resp_get(void);
void		 drain_commit(struct xclient *, struct xresp *, double now);
void		 drain_rollback(struct xclient *, struct xresp *);
void		 drain_resp_put(struct xresp *);

/* route.c */
void		 route_batch(struct xclient *, const struct wire_batch *,
		    int *had_frames);
void		 route_acks(struct xclient *);
void		 route_acks_flush(struct xclient *);

/* rxflow.c */
void		 rxflow_client_init(struct xclient *);
void		 rxflow_client_free(struct xclient *);
void		 rxflow_sync(struct xsess *, int gone);

/* upstream.c */
extern const struct sess_ops	 upstream_ops;
struct xsess	*upstream_open(struct xclient *, const struct wire_frame *);
void		 upstream_close(struct xsess *, int send_rst);
int		 upstream_reap(struct xsess *);
void		 upstream_rx(struct xsess *);
void		 upstream_gc(double now);
void		 upstream_abort_all(int send_rst);

/* dialback.c */
#define DIALBACK_MAX_TARGETS	4096
int		 dialback_suppressed(const char *target, double now);
void		 dialback_fail(const char *target, double now);
void		 dialback_ok(const char *target);
int		 dialback_structural(int err);
double		 dialback_window(unsigned int nfail);
void		 dialback_gc(double now);
size_t		 dialback_count(void);

/* dns.c */
#define XADDRS_MAX	8
struct xaddrs {
	int			 xa_n;
	struct sockaddr_storage	 xa_ss[XADDRS_MAX];
	socklen_t		 xa_len[XADDRS_MAX];
};
typedef void (*dns_cb)(void *, int err, const struct xaddrs *);
int		 dns_init(struct ev_loop *, const struct exit_conf *);
struct dns_req *dns_start(const char *host, uint16_t port,
		    dns_cb, void *);
void		 dns_cancel(struct dns_req *);
int		 dns_set_servers(const struct exit_conf *);
int		 dns_literal(const char *host, uint16_t port,
		    struct xaddrs *);
int		 dns_cached(const char *host, uint16_t port,
		    struct xaddrs *);
int		 dns_split(const char *target, size_t tlen, char *host,
		    size_t hostlen, uint16_t *port);

/* socks.c */
struct socks_state	*socks_new(const char *host, uint16_t port,
			    const char *user, const char *pass);
void			 socks_free(struct socks_state *);
/* Bytes to send now (NULL when waiting for a reply). */
const uint8_t		*socks_out(struct socks_state *, size_t *);
void			 socks_sent(struct socks_state *, size_t);
/* Feed bytes read: 0 more needed, 1 connected, -1 failed (*err set). */
int			 socks_in(struct socks_state *, const uint8_t *,
			    size_t, size_t *used, int *err);
size_t			 socks_want(struct socks_state *);

/* reqcheck.c */
int		 reqcheck_clen(const char *, int, uint64_t max, uint64_t *);
int		 reqcheck_body(size_t have, size_t len, size_t clen);
int		 reqcheck_body_done(size_t have, size_t clen);
int		 reqcheck_binary(const char *content_type);
int		 reqcheck_ws(size_t have, size_t len, int authed);

/* admit.c */
enum admit_kind {
	ADMIT_POST = 0,
	ADMIT_STREAM,
	ADMIT_NKINDS
};
struct admit_src;
struct admit_slot {
	struct admit_src	*as_src;	/* NULL: none held */
	enum admit_kind		 as_kind;
	int			 as_known;	/* authenticated lately */
	double			 as_start;
};
struct admit_stats {
	uint64_t	 ad_busy;	/* refused: slots taken (503) */
	uint64_t	 ad_cut;	/* bodies too slow or too late */
	uint64_t	 ad_hello;	/* streams without a hello in time */
	uint32_t	 ad_posts;	/* slots in use */
	uint32_t	 ad_streams;
	size_t		 ad_known;	/* known sources */
};
int		 admit_take(struct admit_slot *, int fd, enum admit_kind);
void		 admit_release(struct admit_slot *);
void		 admit_authed(int fd);
double		 admit_hello_timeout(const struct admit_slot *);
void		 admit_hello_expired(const struct admit_slot *);
double		 admit_body_check(const struct admit_slot *, size_t have,
		    size_t clen, double now);
void		 admit_stats(struct admit_stats *);
void		 admit_log(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

/* wsraw.c */
struct wsraw;
struct wsraw_ops {
	/* A complete message is in the buffer given to wsraw_start. */
	int	(*wo_message)(void *);
	/* Build the next message of at most budget payload bytes: 1 and
	 * the sealed body (LWS_PRE bytes of headroom before it), 0 when
	 * there is nothing to send, -1 on error. */
	int	(*wo_build)(void *, size_t budget, uint8_t **body, size_t *len);
	/* The built message is all in the kernel: commit it. */
	void	(*wo_sent)(void *);
	/* The connection must close (EOF, error, bad frame). */
	void	(*wo_failed)(void *);
};
struct wsraw	*wsraw_start(int fd, struct wbuf *in, const struct wsraw_ops *,
		    void *);
void		 wsraw_authed(struct wsraw *);
void		 wsraw_kick(struct wsraw *);
void		 wsraw_close(struct wsraw *);
void		 wsraw_stop(struct wsraw *);
void		 wsraw_pace(const struct wsraw *, double *rate,
		    uint32_t *lowat);

/* http.c */
int		 http_init(struct ev_loop *);
void		 http_adopt(int fd);
void		 http_wake_client(struct xclient *);
void		 http_stream_supersede(struct xconn *);
void		 http_streams_close(void);
void		 http_shutdown(void);

/* estats.c: struct stats, periodic [stats] lines, auto_tune */
void		 estats_init(void);
void		 estats_configure(void);
void		 estats_queue_wait(uint64_t usec);
void		 estats_reply(uint32_t reqid);

#endif /* GR_EXIT_H */
