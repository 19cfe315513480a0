/*
 * Session engine shared by the carrier and the exit worker
 * (../shared/protocol.md section 3).
 *
 * A session is one end of one tunnelled TCP connection.  Its TX side holds
 * bytes read from the local socket (carrier: the application; exit: the
 * upstream target) in pooled, refcounted chunks, and cuts them into frames
 * on demand ("drain") inside a transaction that is either committed (the
 * batch reached the peer) or rolled back (same bytes, same seq numbers
 * sent again later).  Its RX side puts frames back in order (reorder window
 * of 512 frames), drops duplicates and queues in-order bytes for the local
 * socket.
 *
 * The engine does no I/O and owns no timers: callers pass "now" (seconds,
 * e.g. ev_now()) and react to callbacks.  Nothing here mallocs per frame in
 * steady state: chunks come from a pool and are reused.
 */
#ifndef GR_SESSION_H
#define GR_SESSION_H

#include <sys/queue.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "wire.h"

#define SESS_CHUNK_SIZE		(256 * 1024)	/* = WIRE_MAX_PAYLOAD */
#define SESS_REORDER_MAX	512
#define SESS_TX_HIGHWATER	(8U * 1024 * 1024)
#define SESS_DONE_FIN_WAIT	30.0		/* s after our FIN */

/* Pooled, refcounted byte chunk. */
struct chunk {
	struct chunk		*c_next;	/* in a chain or the free list */
	uint32_t		 c_refs;
	uint32_t		 c_len;		/* bytes written */
	uint8_t			 c_data[SESS_CHUNK_SIZE];
};

struct chunk	*chunk_get(void);		/* from the pool, refs = 1 */
void		 chunk_ref(struct chunk *);
void		 chunk_unref(struct chunk *);	/* back to the pool at 0 */
size_t		 chunk_pool_idle(void);		/* chunks kept for reuse */
size_t		 chunk_pool_live(void);		/* chunks handed out */
void		 chunk_pool_trim(size_t keep);	/* free idle beyond keep */
/* Idle chunks beyond this are freed on unref (default 256 = 64 MiB). */
void		 chunk_pool_set_idle_max(size_t);

struct sess;

/* Why a session ended; the text is for logs. */
enum sess_abort_reason {
	SESS_AB_RST_RECEIVED,
	SESS_AB_REORDER_OVERFLOW,
	SESS_AB_RX_OVERFLOW,
	SESS_AB_PROTOCOL,
	SESS_AB_LOCAL,
	SESS_AB_TIMEOUT,
	SESS_AB_REPLAY_CAP,
	SESS_AB_SHUTDOWN
};
const char	*sess_abort_str(enum sess_abort_reason);

/* Callbacks into the owning worker. All optional except none. */
struct sess_ops {
	/* TX became drainable (new bytes, FIN queued): wake the transport. */
	void	(*so_tx_ready)(struct sess *);
	/* TX dropped below the low-water mark: resume reading the socket. */
	void	(*so_tx_resume)(struct sess *);
	/* RX got in-order bytes (or the peer's FIN): flush to the socket. */
	void	(*so_rx_ready)(struct sess *);
	/* A new downstream ACK should be sent (replay on, receiver side). */
	void	(*so_ack_ready)(struct sess *);
};

struct sess_cfg {
	uint32_t	 sc_reorder_max;	/* 512 */
	size_t		 sc_tx_highwater;	/* 8 MiB: pause reading above */
	size_t		 sc_rx_max;		/* cap on queued in-order RX */
	int		 sc_replay;		/* keep sent frames until ACK */
						/* (read by sess_new) */
	size_t		 sc_replay_max_bytes;	/* 8 MiB per session */
	uint32_t	 sc_replay_max_frames;	/* 144 per session */
	int		 sc_rx_ack;		/* receiver sends ACKs */
};
void	sess_cfg_default(struct sess_cfg *);

/* State bits (s_flags). */
#define SESS_TX_SYN_SENT	0x0001	/* SYN drained (committed or in txn) */
#define SESS_TX_FIN_QUEUED	0x0002	/* local side closed; FIN after data */
#define SESS_TX_FIN_SENT	0x0004
#define SESS_RX_FIN		0x0008	/* peer's FIN delivered in order */
#define SESS_ABORTED		0x0010
#define SESS_IN_TXN		0x0020	/* frames in a txn not yet settled */
#define SESS_TX_PAUSED		0x0040	/* above high-water */
#define SESS_READY		0x0080	/* on the owner's ready list */

struct sess {
	uint8_t			 s_id[WIRE_SID_LEN];
	uint8_t			 s_cid[WIRE_CID_LEN];	/* owner (exit) */
	char			 s_target[WIRE_MAX_TARGET + 1];
	uint8_t			 s_tlen;
	uint32_t		 s_flags;
	uint32_t		 s_refs;
	const struct sess_ops	*s_ops;
	const struct sess_cfg	*s_cfg;
	void			*s_arg;		/* owner's object */

	/* TX: chain of chunks; absolute stream offsets. */
	struct chunk		*s_tx_head;	/* all full except the tail */
	struct chunk		*s_tx_tail;
	uint64_t		 s_tx_base;	/* abs offset of head chunk */
	uint64_t		 s_tx_acked;	/* bytes released for good */
	uint64_t		 s_tx_sent;	/* bytes drained */
	uint64_t		 s_tx_end;	/* bytes queued */
	uint64_t		 s_tx_seq;	/* next seq to assign */
	uint64_t		 s_tx_limit;	/* peer's window: send below */
	uint32_t		 s_drains;	/* responses drained (exit ramp) */
	uint32_t		 s_pflags;	/* private state bits */
	int			 s_replay;	/* replay store on */

	/* Undo state of the one unsettled txn (SESS_IN_TXN). */
	uint64_t		 s_snap_sent;
	uint64_t		 s_snap_seq;
	uint32_t		 s_snap_flags;
	uint32_t		 s_snap_drains;
	uint32_t		 s_snap_count;	/* s_sent_count before */
	uint32_t		 s_snap_resend;
	double			 s_snap_fin_at;

	/* Sent-but-unacknowledged frame descriptors (replay). */
	struct sess_sent	*s_sent;	/* ring */
	uint32_t		 s_sent_cap;
	uint32_t		 s_sent_head;
	uint32_t		 s_sent_count;
	uint32_t		 s_resend;	/* first entry to send again */
	double			 s_replay_at;	/* last (re)send time */
	double			 s_replay_progress; /* last ACK progress */
	/* A loss the peer's ACKs showed (sess_replay_gack). */
	uint64_t		 s_recover;	/* s_tx_seq then */
	double			 s_resend_at;	/* resend it then */
	double			 s_fast_at;	/* last such resend */

	/* RX */
	uint64_t		 s_rx_next;	/* next expected seq */
	struct sess_rxo		*s_reorder;	/* out-of-order, by seq */
	uint32_t		 s_reorder_count;
	uint32_t		 s_reorder_cap;
	struct chunk		*s_ro_fill;	/* reorder payloads go here */
	struct chunk		*s_rx_head;	/* in-order bytes, unflushed */
	struct chunk		*s_rx_tail;
	uint32_t		 s_rx_off;	/* consumed in head chunk */
	size_t			 s_rx_queued;
	uint64_t		 s_ack_sent;	/* last next_seq ACKed */
	uint64_t		 s_peer_next;	/* highest ACK from the peer */

	/* Timers (seconds, caller's clock). */
	double			 s_created;
	double			 s_last_rx;	/* last frame from peer */
	double			 s_last_tx;	/* last drain */
	double			 s_fin_sent_at;

	/* Stats. */
	uint64_t		 s_bytes_in;	/* delivered in order */
	uint64_t		 s_bytes_out;	/* queued by the local socket */

	/* Owner's list linkage. */
	TAILQ_ENTRY(sess)	 s_ready_entry;
	TAILQ_ENTRY(sess)	 s_all_entry;
	UT_hash_handle		 s_hh;		/* sess_table */
	/*
	 * Everything from s_tx_head down is the engine's private state: its
	 * owner (common/session.c) may change it freely.  Workers use only
	 * the functions below and the fields above s_tx_head.  The owner's
	 * linkage (s_ready_entry, s_all_entry) is the exception: the owner
	 * of the ready list uses s_ready_entry and SESS_READY directly.
	 */
};

/* Lifecycle. */
struct sess	*sess_new(const uint8_t id[WIRE_SID_LEN],
		    const struct sess_ops *, const struct sess_cfg *,
		    void *arg, double now);
void		 sess_ref(struct sess *);
void		 sess_unref(struct sess *);	/* frees at 0 */
void		 sess_set_target(struct sess *, const char *, size_t);

/*
 * TX side: bytes to send to the peer.  Zero-copy read: ask for space at
 * the tail, read(2) into it, commit what was read.  The space is valid
 * until the next call on the session; -1 once aborted or closed.  After a
 * commit, stop reading while sess_tx_paused(); so_tx_resume says when to
 * start again (below half the high-water mark).  so_tx_ready is called
 * whenever a change leaves the session drainable (new bytes, FIN, txn
 * settled with bytes left, requeue, ACK freeing replay room): the owner
 * dedups with SESS_READY.
 */
int		 sess_tx_space(struct sess *, uint8_t **, size_t *);
void		 sess_tx_commit(struct sess *, size_t);
int		 sess_tx_write(struct sess *, const void *, size_t); /* copy */
void		 sess_tx_close(struct sess *);	/* queue FIN after data */
size_t		 sess_tx_pending(const struct sess *);	/* queued, undrained */
size_t		 sess_tx_buffered(const struct sess *);	/* incl. unacked */
int		 sess_tx_paused(const struct sess *);	/* >= high-water */
int		 sess_tx_drainable(const struct sess *);
/*
 * The peer's receive window (rx_window_v1): data bytes at stream offsets
 * from limit on wait until a larger limit comes (limits only grow; the
 * first one may lower the initial "none").  FIN still goes once every
 * byte is out.
 */
#define SESS_NO_LIMIT		UINT64_MAX
void		 sess_tx_set_limit(struct sess *, uint64_t limit);

/*
 * A transaction: frames drained from any number of sessions for one batch.
 * The frames point into session chunks held by the txn until it settles.
 */
#define SESS_TXN_MAX		1024
struct sess_txn_ent {
	struct sess	*te_sess;
	uint64_t	 te_sent_before;	/* s_tx_sent before the drain */
	uint64_t	 te_seq_before;
	uint32_t	 te_flags_before;
	uint32_t	 te_nframes;
	uint32_t	 te_drains_before;
};
struct sess_txn {
	struct sess_txn_ent	 t_ent[SESS_TXN_MAX];
	size_t			 t_nent;
	size_t			 t_bytes;	/* payload bytes drained */
	size_t			 t_nframes;
};
void	sess_txn_init(struct sess_txn *);

/*
 * Drain up to maxframes frames / maxbytes payload bytes from a session into
 * out[], recording undo state in txn.  The first drain of a session emits
 * SYN (seq 0, target, first data); the last emits FIN once all queued
 * bytes are out.  Returns the number of frames written to out (0 if
 * nothing), or -1 if the txn is full.  A session that still has bytes left
 * stays drainable.
 *
 * A session in an unsettled txn (SESS_IN_TXN) yields 0: one outstanding
 * batch per session.  With replay on, frames given back by
 * sess_replay_requeue come first, with their old seq and bytes, and new
 * frames stop at the replay caps.  Payload pointers stay valid until the
 * txn settles, even if the session is aborted and released meanwhile.
 */
int	sess_drain(struct sess *, struct sess_txn *, struct wire_frame *out,
	    size_t maxframes, size_t maxbytes, double now);
/*
 * Re-emit sent-but-unacknowledged frames (replay), oldest first, outside
 * any txn (they stay in the store either way).  0 while the session is in
 * a txn: when building a batch, call it before sess_drain.  Payloads are
 * valid until the next ACK or abort.
 */
int	sess_replay_drain(struct sess *, struct wire_frame *out,
	    size_t maxframes, size_t maxbytes, double now);
/*
 * The batch reached the peer: release the bytes (or, with replay on, keep
 * them until sess_replay_ack) and drop the txn's session references.
 */
void	sess_txn_commit(struct sess_txn *, double now);
/*
 * The batch was not delivered: the same bytes go again under the same seq
 * numbers, and SYN/FIN and the drain count are restored.
 *
 * With replay off the state goes back exactly to before the drain, so the
 * bytes may be cut into different frames next time: roll back only when
 * the peer provably got none of the batch (a peer that kept an old frame
 * would drop the new one under the same seq as a duplicate, and lose the
 * bytes past the old boundary).  With replay on the drained frames stay
 * in the store and are re-emitted unchanged (same seq, bytes and
 * boundaries) by the next sess_drain, so a rollback is safe even when
 * delivery is uncertain.
 */
void	sess_txn_rollback(struct sess_txn *);

/*
 * Replay store (downstream_replay_v1 and stream reconnects).  An ACK that
 * covers frames of a still unsettled txn prunes them when it commits.
 */
void	sess_replay_ack(struct sess *, uint64_t next_seq, double now);
size_t	sess_replay_frames(const struct sess *);
size_t	sess_replay_bytes(const struct sess *);
/* Give every unacked frame back to the TX queue (transport reset). */
void	sess_replay_requeue(struct sess *);
/*
 * sc_replay is read once, by sess_new; this switches one session later
 * (after negotiation), at once or when its txn settles.  Off forgets
 * the store (its frames count as delivered).
 */
void	sess_set_replay(struct sess *, int);
/*
 * The store is at one of its caps: sess_drain cuts no new frames until an
 * ACK prunes it (it never goes over a cap by itself).
 */
int	sess_replay_full(const struct sess *);
/*
 * Unacked frames whose last (re)send is >= retry s old (3 s resend), or
 * whose oldest one the peer was found to miss (sess_replay_gack).
 */
int	sess_replay_due(const struct sess *, double now, double retry);
/* When sess_replay_due turns true (0: nothing to resend, or in a txn). */
double	sess_replay_due_at(const struct sess *, double retry);
/*
 * An ACK of next_seq from the peer (sess_replay_ack) that may say a frame
 * was lost: without progress, or, after such a loss, with progress that
 * stops short of what was sent then.  Returns when the oldest unacked
 * frames are due (sess_replay_due; now if the frame the peer lacks was
 * (re)sent at least fast s ago and the last such resend was too), or 0
 * if nothing was lost.  An ACK for the frame meanwhile cancels it.
 */
double	sess_replay_gack(struct sess *, uint64_t next_seq, double now,
	    double fast);
/* Seconds since the store last made progress (5 min expiry); 0 if empty. */
double	sess_replay_age(const struct sess *, double now);

/*
 * RX side: one frame from the peer for this session (SYN/data/FIN;
 * callers handle RST and ACK themselves).  Returns 0, or -1 if the session
 * must be aborted (*why set).  The payload is copied: the caller's buffer
 * may be reused at once.  With sc_rx_ack, so_ack_ready is called when
 * next_seq advances and when a duplicate arrives (the peer may have
 * missed our ACK); sess_ack_due then returns the value to send.
 */
int	sess_rx_frame(struct sess *, const struct wire_frame *, double now,
	    enum sess_abort_reason *why);
/* In-order bytes waiting for the socket, as an iovec for writev(2). */
int	sess_rx_iov(struct sess *, struct iovec *, int maxiov);
void	sess_rx_consume(struct sess *, size_t);
size_t	sess_rx_queued(const struct sess *);
int	sess_rx_eof(const struct sess *);	/* FIN delivered, queue empty */
int	sess_rx_gap(const struct sess *);	/* frames wait for a gap */
uint64_t sess_rx_next(const struct sess *);	/* next expected seq */
/* A downstream ACK is due: returns 1 and the next_seq to acknowledge. */
int	sess_ack_due(struct sess *, uint64_t *next_seq);
/* Make the next sess_ack_due return 1 (failed POST, 15 s refresh). */
void	sess_ack_retry(struct sess *);

/*
 * GC helpers.  Done: FIN sent and received, or FIN sent > 30 s ago, or
 * aborted; never while a txn still holds the session.
 */
int	sess_is_done(const struct sess *, double now);
double	sess_idle_for(const struct sess *, double now);
void	sess_abort(struct sess *);	/* drop all buffers, mark aborted */

/* Session table keyed by session id (uthash). */
struct sess_table {
	struct sess		*st_hash;
	size_t			 st_count;
	TAILQ_HEAD(, sess)	 st_all;
};
void		 sess_table_init(struct sess_table *);
struct sess	*sess_table_find(struct sess_table *,
		    const uint8_t id[WIRE_SID_LEN]);
int		 sess_table_add(struct sess_table *, struct sess *);
void		 sess_table_del(struct sess_table *, struct sess *);

#endif /* GR_SESSION_H */
