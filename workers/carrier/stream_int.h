/*
 * Inside the direct_stream transport: the state that stream.c (the
 * libwebsockets connection, its life cycle, the transport ops),
 * stream_raw.c (the ws:// framing the carrier does itself once the
 * handshake is done) and stream_conn.c (ACKs, flow and health of one
 * connection, framed either way) share.  Calls go stream.c ->
 * stream_raw.c -> stream_conn.c, never back.  No other file includes it.
 */
#ifndef GR_CARRIER_STREAM_INT_H
#define GR_CARRIER_STREAM_INT_H

#include <libwebsockets.h>

#include "carrier.h"
#include "epfail.h"
#include "txpace.h"
#include "wsframe.h"

#define STREAM_KILL_GRACE	5.0	/* s for lws to close a killed wsi */
#define STREAM_ACK_DELAY	0.02		/* hold lone ACKs, s */
#define STREAM_MASKPOOL		4096		/* mask bytes per refill */

enum stream_state {
	ST_IDLE = 0,
	ST_CONNECTING,
	ST_UP
};

struct stream_url {
	int		 su_tls;
	char		 su_host[CONF_HOST_LEN];
	int		 su_port;
	char		 su_path[CONF_URL_LEN];
	char		 su_label[CONF_URL_LEN + CONF_HOST_LEN + 16];
	/* gooserelayctl stats rows (cstats.c), kept across reloads */
	uint64_t	 su_ok, su_fail, su_drop;
	double		 su_rtt;	/* ping RTT EWMA, s; 0 = unknown */
	int		 su_bad;	/* last attempt failed or dropped */
	char		 su_auth[6 + (2 * CONF_URL_LEN + 2) / 3 * 4 + 8];
	char		 su_addr[CONF_ADDRS_LEN];	/* to dial */
	unsigned	 su_aidx;	/* which of them; next on failure */
	struct epfail	 su_ef;		/* failures said once (epfail.c) */
	char		 su_verdict[CONF_URL_LEN + 200]; /* streamchk.c */
	int		 su_checked;	/* ... asked in this streak */
};

struct stream {
	struct carrier		*st_car;
	/* stream.c's stream_end(): a raw failure with no wsi left. */
	void			(*st_end)(struct stream *, const char *);
	struct lws_context	*st_ctx;
	struct lws_vhost	*st_vh_tls;
	struct lws		*st_wsi;
	enum stream_state	 st_state;
	int			 st_hello_sent;
	int			 st_ping_due;
	int			 st_kill;
	int			 st_started;	/* timers set up */
	int			 st_rx_paused;
	int			 st_in_connect;	/* inside lws_client_connect */
	int			 st_proven;	/* the exit answered on it */
	unsigned int		 st_fails;	/* attempts failed in a row */
	char			 st_why[64];	/* why it is being closed */
	char			 st_lasterr[64];/* last failure logged */
	struct stream_url	 st_urls[CONF_MAX_URLS];
	size_t			 st_nurls;
	size_t			 st_next;
	struct stream_url	*st_cur;
	double			 st_backoff;
	double			 st_up_at;
	ev_timer		 st_tick;
	ev_timer		 st_retry;
	ev_timer		 st_ping;
	ev_timer		 st_pongdl;
	ev_timer		 st_connto;
	ev_timer		 st_killdl;	/* killed wsi must be gone */
	ev_timer		 st_ackt;	/* delayed ACK */
	int			 st_ack_now;
	size_t			 st_rx_unacked;	/* in since our last batch */
	size_t			 st_rx_unframes;	/* ... frames */
	struct tunnel_batch	*st_tb;
	struct wbuf		 st_rx;
	/* ws:// framed by us after the handshake (raw) */
	int			 st_raw;
	int			 st_fd;
	ev_io			 st_rawio;	/* readable */
	ev_io			 st_wio;	/* writable, on EAGAIN */
	ev_prepare		 st_prep;	/* send what became ready */
	uint8_t			*st_rbuf;
	struct wsframe_rx	 st_wf;
	const uint8_t		*st_out;	/* frame being sent */
	size_t			 st_outlen;
	size_t			 st_outoff;
	uint8_t			 st_ctlout[WSFRAME_HDR_MAX +
				    WSFRAME_CTL_MAX];
	uint8_t			 st_mpool[STREAM_MASKPOOL];
	size_t			 st_moff;
	int			 st_pong_due;
	struct txpace		 st_pace;	/* raw writes sized by time */
	uint8_t			 st_pong[LWS_PRE + WSFRAME_CTL_MAX];
	size_t			 st_ponglen;
	uint64_t		 st_n_ok, st_n_fail, st_n_drop;
	struct stream_url	 st_gone;	/* st_cur removed by a reload */
	double			 st_ping_at;
};

/* stream_conn.c */
struct epfail	*stream_conn_ef(struct stream *, struct stream_url *);
void	stream_conn_backoff_reset(struct stream *);
void	stream_conn_proven(struct stream *);
void	stream_conn_pong_rtt(struct stream *);
int	stream_conn_ack_hold(struct stream *);
void	stream_conn_ack_sent(struct stream *);
void	stream_conn_rx_count(struct stream *);
void	stream_conn_rx_flow(struct stream *, struct lws *);

/* stream_raw.c */
void	stream_raw_start(struct stream *, struct lws *);
void	stream_raw_flush(struct stream *);
void	stream_raw_kick(struct stream *);
void	stream_raw_quiet(struct stream *);
void	stream_raw_stop(struct stream *);
void	stream_raw_prep_cb(struct ev_loop *, ev_prepare *, int);

#endif /* GR_CARRIER_STREAM_INT_H */
