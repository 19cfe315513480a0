/*
 * Session engine: sequencing, transactional drains, replay store and
 * reassembly for one tunnelled TCP connection (../shared/protocol.md
 * section 3).  No I/O, no timers: the owner passes "now" and reacts to the
 * callbacks in struct sess_ops.
 *
 * TX bytes live in a chain of pooled chunks addressed by absolute stream
 * offsets: [s_tx_base, s_tx_end) is in the chain, [s_tx_acked, s_tx_sent)
 * is drained but may still be needed (open txn, or replay until ACKed) and
 * [s_tx_sent, s_tx_end) is not cut into frames yet.  Every chunk in the
 * chain is full except the tail, so chunk i starts at s_tx_base + i *
 * SESS_CHUNK_SIZE and a frame (<= one chunk) spans at most two chunks:
 * that is what f_payload/f_payload2 are for.
 *
 * With replay on, each drained frame also gets a descriptor (seq, flags,
 * offset, length) in a ring.  Frames must keep their boundaries once the
 * peer may have seen them: re-cutting bytes under an old seq number would
 * make the receiver drop the new frame as a duplicate and lose the bytes
 * beyond the old boundary.  So requeued frames are re-emitted from their
 * descriptors, and only a rolled-back (provably undelivered) drain may
 * re-cut.
 */
#include "gr_config.h"

#include <stdlib.h>
#include <string.h>

#include "session.h"

/* One drained frame kept until the peer ACKs it (replay). */
struct sess_sent {
	uint64_t	 ss_seq;
	uint64_t	 ss_off;	/* absolute TX offset of the payload */
	double		 ss_at;		/* last (re)sent */
	uint32_t	 ss_len;
	uint8_t		 ss_flags;
};

/* One out-of-order frame; its payload is copied into a pooled chunk. */
struct sess_rxo {
	uint64_t	 ro_seq;
	struct chunk	*ro_chunk;	/* NULL when ro_len == 0 */
	uint32_t	 ro_off;
	uint32_t	 ro_len;
	uint8_t		 ro_flags;
};

/* s_pflags */
#define SESS_P_REQUEUE		0x01	/* requeue when the txn settles */
#define SESS_P_ACK_FORCE	0x02	/* duplicate seen: ACK again */
#define SESS_P_REPLAY_SET	0x04	/* replay mode change at settle */
#define SESS_P_REPLAY_ON	0x08	/* ... to this */
#define SESS_P_RESEND		0x10	/* the peer lacks the oldest */

#define SESS_SENT_INIT		16	/* first replay ring size */
#define SESS_REORDER_INIT	8	/* first reorder array size */

static const struct sess_cfg sess_cfg_dflt = {
	.sc_reorder_max = SESS_REORDER_MAX,
	.sc_tx_highwater = SESS_TX_HIGHWATER,
	.sc_rx_max = 64U * 1024 * 1024,
	.sc_replay = 0,
	.sc_replay_max_bytes = 8U * 1024 * 1024,
	.sc_replay_max_frames = 144,
	.sc_rx_ack = 0
};

static const char *const sess_abort_names[] = {
	[SESS_AB_RST_RECEIVED] = "rst_received",
	[SESS_AB_REORDER_OVERFLOW] = "rx_reorder_overflow",
	[SESS_AB_RX_OVERFLOW] = "rx_overflow",
	[SESS_AB_PROTOCOL] = "protocol_error",
	[SESS_AB_LOCAL] = "local_error",
	[SESS_AB_TIMEOUT] = "timeout",
	[SESS_AB_REPLAY_CAP] = "replay_cap",
	[SESS_AB_SHUTDOWN] = "shutdown"
};

static size_t	 sess_min(size_t, size_t);
static void	 sess_free_bufs(struct sess *);
static void	 sess_tx_release(struct sess *);
static void	 sess_tx_drop(struct sess *);
static void	 sess_tx_account(struct sess *, size_t);
static void	 sess_tx_notify(struct sess *);
static void	 sess_tx_check_resume(struct sess *);
static void	 sess_tx_payload(struct sess *, uint64_t, uint32_t,
		    struct wire_frame *);
static void	 sess_frame(struct sess *, struct wire_frame *, uint64_t,
		    uint8_t, uint64_t, uint32_t);
static struct sess_sent *sess_sent_at(const struct sess *, uint32_t);
static int	 sess_sent_reserve(struct sess *, uint32_t);
static void	 sess_settle(struct sess *);
static void	 sess_requeue_now(struct sess *);
static void	 sess_replay_prune(struct sess *, double);
static void	 sess_replay_switch(struct sess *, int);
static int	 sess_rx_append(struct sess *, const uint8_t *, size_t);
static int	 sess_rx_deliver(struct sess *, uint8_t, const uint8_t *,
		    size_t, const uint8_t *, size_t, enum sess_abort_reason *);
static int	 sess_rx_store(struct sess *, const struct wire_frame *,
		    enum sess_abort_reason *);
static uint32_t	 sess_rx_find(const struct sess *, uint64_t, int *);
static void	 sess_rx_drop_reorder(struct sess *);

const char *
sess_abort_str(enum sess_abort_reason why)
{
	if ((size_t)why >= sizeof(sess_abort_names) /
	    sizeof(sess_abort_names[0]) || sess_abort_names[why] == NULL)
		return ("unknown");
	return (sess_abort_names[why]);
}

void
sess_cfg_default(struct sess_cfg *sc)
{
	*sc = sess_cfg_dflt;
}

static size_t
sess_min(size_t a, size_t b)
{
	return (a < b ? a : b);
}

/* A new session with one reference (the caller's). */
struct sess *
sess_new(const uint8_t id[WIRE_SID_LEN], const struct sess_ops *ops,
    const struct sess_cfg *cfg, void *arg, double now)
{
	static const struct sess_ops	 noops;
	struct sess			*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	memcpy(s->s_id, id, WIRE_SID_LEN);
	s->s_ops = ops != NULL ? ops : &noops;
	s->s_cfg = cfg != NULL ? cfg : &sess_cfg_dflt;
	s->s_arg = arg;
	s->s_refs = 1;
	s->s_tx_limit = SESS_NO_LIMIT;
	s->s_replay = s->s_cfg->sc_replay != 0;
	s->s_created = now;
	s->s_last_rx = now;
	s->s_last_tx = now;
	s->s_replay_at = now;
	s->s_replay_progress = now;
	return (s);
}

void
sess_ref(struct sess *s)
{
	s->s_refs++;
}

/* Drop a reference; the last one frees the session and its buffers. */
void
sess_unref(struct sess *s)
{
	if (s == NULL)
		return;
	if (s->s_refs == 0)
		abort();
	if (--s->s_refs > 0)
		return;
	sess_free_bufs(s);
	free(s->s_sent);
	free(s->s_reorder);
	free(s);
}

void
sess_set_target(struct sess *s, const char *target, size_t len)
{
	if (len > WIRE_MAX_TARGET)
		len = WIRE_MAX_TARGET;
	memcpy(s->s_target, target, len);
	s->s_target[len] = '\0';
	s->s_tlen = (uint8_t)len;
}

/* Release every chunk the session holds (abort or free). */
static void
sess_free_bufs(struct sess *s)
{
	struct chunk	*c;

	sess_tx_drop(s);
	while ((c = s->s_rx_head) != NULL) {
		s->s_rx_head = c->c_next;
		chunk_unref(c);
	}
	s->s_rx_tail = NULL;
	s->s_rx_off = 0;
	s->s_rx_queued = 0;
	sess_rx_drop_reorder(s);
}

/*
 * TX side.
 */

/* Space at the tail for read(2); valid until the next call on s. */
int
sess_tx_space(struct sess *s, uint8_t **p, size_t *n)
{
	struct chunk	*c;

	if (s->s_flags & (SESS_ABORTED | SESS_TX_FIN_QUEUED))
		return (-1);
	c = s->s_tx_tail;
	if (c == NULL || c->c_len == SESS_CHUNK_SIZE) {
		if ((c = chunk_get()) == NULL)
			return (-1);
		if (s->s_tx_tail == NULL) {
			s->s_tx_head = c;
			s->s_tx_base = s->s_tx_end;
		} else
			s->s_tx_tail->c_next = c;
		s->s_tx_tail = c;
	}
	*p = c->c_data + c->c_len;
	*n = SESS_CHUNK_SIZE - c->c_len;
	return (0);
}

/* Account n bytes written at the tail; pause above the high-water mark. */
static void
sess_tx_account(struct sess *s, size_t n)
{
	struct chunk	*c = s->s_tx_tail;

	if (c == NULL)
		return;
	n = sess_min(n, SESS_CHUNK_SIZE - c->c_len);
	c->c_len += n;
	s->s_tx_end += n;
	s->s_bytes_out += n;
	if (!(s->s_flags & SESS_TX_PAUSED) &&
	    sess_tx_buffered(s) >= s->s_cfg->sc_tx_highwater)
		s->s_flags |= SESS_TX_PAUSED;
}

void
sess_tx_commit(struct sess *s, size_t n)
{
	if (n == 0 || (s->s_flags & (SESS_ABORTED | SESS_TX_FIN_QUEUED)))
		return;
	sess_tx_account(s, n);
	sess_tx_notify(s);
}

/* Copy bytes into the TX queue (callers without a zero-copy read). */
int
sess_tx_write(struct sess *s, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint8_t		*dst;
	size_t		 room, n;

	if (s->s_flags & (SESS_ABORTED | SESS_TX_FIN_QUEUED))
		return (-1);
	while (len > 0) {
		if (sess_tx_space(s, &dst, &room) == -1)
			return (-1);
		n = sess_min(len, room);
		memcpy(dst, p, n);
		sess_tx_account(s, n);
		p += n;
		len -= n;
	}
	sess_tx_notify(s);
	return (0);
}

void
sess_tx_close(struct sess *s)
{
	if (s->s_flags & (SESS_ABORTED | SESS_TX_FIN_QUEUED))
		return;
	s->s_flags |= SESS_TX_FIN_QUEUED;
	sess_tx_notify(s);
}

size_t
sess_tx_pending(const struct sess *s)
{
	return ((size_t)(s->s_tx_end - s->s_tx_sent));
}

size_t
sess_tx_buffered(const struct sess *s)
{
	return ((size_t)(s->s_tx_end - s->s_tx_acked));
}

int
sess_tx_paused(const struct sess *s)
{
	return ((s->s_flags & SESS_TX_PAUSED) != 0);
}

/* Would sess_drain emit at least one frame (given room in the batch)? */
int
sess_tx_drainable(const struct sess *s)
{
	const struct sess_cfg	*sc = s->s_cfg;

	if (s->s_flags & (SESS_ABORTED | SESS_IN_TXN))
		return (0);
	if (s->s_resend < s->s_sent_count)
		return (1);
	if (s->s_replay && s->s_sent_count >= sc->sc_replay_max_frames)
		return (0);
	if (s->s_tlen > 0 && !(s->s_flags & SESS_TX_SYN_SENT))
		return (1);
	if (s->s_tx_end > s->s_tx_sent && s->s_tx_sent < s->s_tx_limit &&
	    (!s->s_replay ||
	    s->s_tx_sent - s->s_tx_acked < sc->sc_replay_max_bytes))
		return (1);
	if ((s->s_flags & (SESS_TX_FIN_QUEUED | SESS_TX_FIN_SENT)) ==
	    SESS_TX_FIN_QUEUED && s->s_tx_end == s->s_tx_sent)
		return (1);
	return (0);
}

static void
sess_tx_notify(struct sess *s)
{
	if (s->s_ops->so_tx_ready != NULL && sess_tx_drainable(s))
		s->s_ops->so_tx_ready(s);
}

void
sess_tx_set_limit(struct sess *s, uint64_t limit)
{
	if (s->s_tx_limit != SESS_NO_LIMIT && limit <= s->s_tx_limit)
		return;
	s->s_tx_limit = limit;
	sess_tx_notify(s);
}

static void
sess_tx_check_resume(struct sess *s)
{
	if ((s->s_flags & SESS_TX_PAUSED) &&
	    sess_tx_buffered(s) < s->s_cfg->sc_tx_highwater / 2) {
		s->s_flags &= ~SESS_TX_PAUSED;
		if (s->s_ops->so_tx_resume != NULL)
			s->s_ops->so_tx_resume(s);
	}
}

/* Free the chunks below s_tx_acked (all of them once everything is). */
static void
sess_tx_release(struct sess *s)
{
	struct chunk	*c;

	while ((c = s->s_tx_head) != NULL) {
		if (s->s_tx_base + SESS_CHUNK_SIZE <= s->s_tx_acked)
			s->s_tx_base += SESS_CHUNK_SIZE;
		else if (s->s_tx_acked == s->s_tx_end)
			s->s_tx_base = s->s_tx_end;	/* partial tail */
		else
			break;
		s->s_tx_head = c->c_next;
		chunk_unref(c);
	}
	if (s->s_tx_head == NULL) {
		s->s_tx_tail = NULL;
		s->s_tx_base = s->s_tx_end;
	}
}

/* Forget every TX byte and descriptor (abort). */
static void
sess_tx_drop(struct sess *s)
{
	s->s_tx_sent = s->s_tx_acked = s->s_tx_end;
	s->s_sent_head = s->s_sent_count = s->s_resend = 0;
	sess_tx_release(s);
}

/* Point a frame at [off, off + len) of the TX chain (one or two pieces). */
static void
sess_tx_payload(struct sess *s, uint64_t off, uint32_t len,
    struct wire_frame *f)
{
	struct chunk	*c = s->s_tx_head;
	uint64_t	 rel = off - s->s_tx_base;
	uint32_t	 in, first;

	f->f_payload = NULL;
	f->f_len = 0;
	f->f_payload2 = NULL;
	f->f_len2 = 0;
	if (len == 0)
		return;
	while (rel >= SESS_CHUNK_SIZE) {
		c = c->c_next;
		rel -= SESS_CHUNK_SIZE;
	}
	in = (uint32_t)rel;
	first = (uint32_t)sess_min(len, SESS_CHUNK_SIZE - in);
	f->f_payload = c->c_data + in;
	f->f_len = first;
	if (len > first) {
		f->f_payload2 = c->c_next->c_data;
		f->f_len2 = len - first;
	}
}

static void
sess_frame(struct sess *s, struct wire_frame *f, uint64_t seq, uint8_t flags,
    uint64_t off, uint32_t len)
{
	memcpy(f->f_sid, s->s_id, WIRE_SID_LEN);
	f->f_seq = seq;
	f->f_flags = flags;
	if (flags & WIRE_F_SYN) {
		f->f_tlen = s->s_tlen;
		f->f_target = s->s_target;
	} else {
		f->f_tlen = 0;
		f->f_target = NULL;
	}
	sess_tx_payload(s, off, len, f);
}

static struct sess_sent *
sess_sent_at(const struct sess *s, uint32_t i)
{
	return (&s->s_sent[(s->s_sent_head + i) % s->s_sent_cap]);
}

/* Make the replay ring hold at least want entries (grows by doubling). */
static int
sess_sent_reserve(struct sess *s, uint32_t want)
{
	struct sess_sent	*n;
	uint32_t		 cap, i;

	if (want <= s->s_sent_cap)
		return (0);
	cap = s->s_sent_cap ? s->s_sent_cap : SESS_SENT_INIT;
	while (cap < want)
		cap *= 2;
	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return (-1);
	for (i = 0; i < s->s_sent_count; i++)
		n[i] = *sess_sent_at(s, i);
	free(s->s_sent);
	s->s_sent = n;
	s->s_sent_cap = cap;
	s->s_sent_head = 0;
	return (0);
}

/*
 * Cut frames: requeued frames first (from their descriptors), then SYN
 * (with connect-data), data and FIN.  The undo state goes into the
 * session and the txn entry; the txn holds a session reference.
 */
int
sess_drain(struct sess *s, struct sess_txn *txn, struct wire_frame *out,
    size_t maxframes, size_t maxbytes, double now)
{
	const struct sess_cfg	*sc = s->s_cfg;
	struct sess_txn_ent	*te;
	struct sess_sent	*ss;
	size_t			 n = 0, bytes = 0, fr_room, by_room, len;
	uint32_t		 want;
	uint8_t			 fl;

	if (maxframes == 0 || !sess_tx_drainable(s))
		return (0);
	if (txn->t_nent >= SESS_TXN_MAX)
		return (-1);

	te = &txn->t_ent[txn->t_nent];
	te->te_sess = s;
	te->te_sent_before = s->s_tx_sent;
	te->te_seq_before = s->s_tx_seq;
	te->te_flags_before = s->s_flags;
	te->te_drains_before = s->s_drains;
	s->s_snap_count = s->s_sent_count;
	s->s_snap_resend = s->s_resend;
	s->s_snap_fin_at = s->s_fin_sent_at;

	/*
	 * Requeued frames keep their seq and their boundaries, so the first
	 * one goes even if it is larger than maxbytes: a frame cut on a
	 * fast path (256 KiB) must not wait forever behind budgets sized
	 * for a slow one (txpace.c).
	 */
	while (n < maxframes && s->s_resend < s->s_sent_count) {
		ss = sess_sent_at(s, s->s_resend);
		if (n > 0 && (bytes >= maxbytes ||
		    ss->ss_len > maxbytes - bytes))
			break;
		sess_frame(s, &out[n++], ss->ss_seq, ss->ss_flags, ss->ss_off,
		    ss->ss_len);
		ss->ss_at = now;
		bytes += ss->ss_len;
		s->s_resend++;
	}
	if (s->s_resend < s->s_sent_count || (n > 0 && bytes >= maxbytes))
		goto done;

	fr_room = by_room = SIZE_MAX;
	if (s->s_replay) {
		if (s->s_sent_count >= sc->sc_replay_max_frames)
			goto done;
		fr_room = sc->sc_replay_max_frames - s->s_sent_count;
		if (s->s_tx_sent - s->s_tx_acked >= sc->sc_replay_max_bytes)
			by_room = 0;
		else
			by_room = sc->sc_replay_max_bytes -
			    (s->s_tx_sent - s->s_tx_acked);
		want = s->s_sent_count + (uint32_t)sess_min(maxframes - n,
		    fr_room);
		if (sess_sent_reserve(s, want) == -1)
			goto done;
	}

	for (;;) {
		if (n >= maxframes || fr_room == 0)
			break;
		len = sess_min(s->s_tx_end - s->s_tx_sent, SESS_CHUNK_SIZE);
		len = sess_min(len, sess_min(maxbytes - bytes, by_room));
		if (s->s_tx_sent + len > s->s_tx_limit)
			len = s->s_tx_limit > s->s_tx_sent ?
			    (size_t)(s->s_tx_limit - s->s_tx_sent) : 0;
		if (s->s_tlen > 0 && !(s->s_flags & SESS_TX_SYN_SENT)) {
			fl = WIRE_F_SYN;
			s->s_flags |= SESS_TX_SYN_SENT;
		} else if (len > 0)
			fl = 0;
		else if ((s->s_flags & (SESS_TX_FIN_QUEUED |
		    SESS_TX_FIN_SENT)) == SESS_TX_FIN_QUEUED &&
		    s->s_tx_sent == s->s_tx_end) {
			fl = WIRE_F_FIN;
			s->s_flags |= SESS_TX_FIN_SENT;
			s->s_fin_sent_at = now;
		} else
			break;
		sess_frame(s, &out[n++], s->s_tx_seq, fl, s->s_tx_sent,
		    (uint32_t)len);
		if (s->s_replay) {
			ss = sess_sent_at(s, s->s_sent_count);
			ss->ss_seq = s->s_tx_seq;
			ss->ss_off = s->s_tx_sent;
			ss->ss_at = now;
			ss->ss_len = (uint32_t)len;
			ss->ss_flags = fl;
			s->s_sent_count++;
			s->s_resend++;
			fr_room--;
			by_room -= len;
		}
		s->s_tx_seq++;
		s->s_tx_sent += len;
		bytes += len;
		if (fl & WIRE_F_FIN)
			break;
	}

 done:
	if (n == 0)
		return (0);
	te->te_nframes = (uint32_t)n;
	s->s_flags |= SESS_IN_TXN;
	s->s_drains++;
	s->s_last_tx = now;
	sess_ref(s);
	txn->t_nent++;
	txn->t_nframes += n;
	txn->t_bytes += bytes;
	return ((int)n);
}

/* Frames the peer has not ACKed yet, oldest first (3 s resend). */
int
sess_replay_drain(struct sess *s, struct wire_frame *out, size_t maxframes,
    size_t maxbytes, double now)
{
	struct sess_sent	*ss;
	size_t			 n = 0, bytes = 0;
	uint32_t		 i;

	if (!s->s_replay ||
	    (s->s_flags & (SESS_ABORTED | SESS_IN_TXN)))
		return (0);
	for (i = 0; i < s->s_resend && n < maxframes; i++) {
		ss = sess_sent_at(s, i);
		/* The first goes whatever its size (see sess_drain). */
		if (n > 0 && (bytes >= maxbytes ||
		    ss->ss_len > maxbytes - bytes))
			break;
		sess_frame(s, &out[n++], ss->ss_seq, ss->ss_flags, ss->ss_off,
		    ss->ss_len);
		ss->ss_at = now;
		bytes += ss->ss_len;
	}
	if (n > 0) {
		s->s_replay_at = now;
		s->s_last_tx = now;
		if (s->s_pflags & SESS_P_RESEND) {
			s->s_pflags &= ~SESS_P_RESEND;
			s->s_fast_at = now;
		}
	}
	return ((int)n);
}

void
sess_txn_init(struct sess_txn *txn)
{
	txn->t_nent = 0;
	txn->t_bytes = 0;
	txn->t_nframes = 0;
}

/* Common end of commit and rollback for one session. */
static void
sess_settle(struct sess *s)
{
	s->s_flags &= ~SESS_IN_TXN;
	if (s->s_flags & SESS_ABORTED) {
		sess_tx_drop(s);
		s->s_pflags &= ~SESS_P_REQUEUE;
		return;
	}
	if (s->s_pflags & SESS_P_REPLAY_SET) {
		s->s_pflags &= ~SESS_P_REPLAY_SET;
		sess_replay_switch(s, (s->s_pflags & SESS_P_REPLAY_ON) != 0);
	}
	if (s->s_pflags & SESS_P_REQUEUE) {
		s->s_pflags &= ~SESS_P_REQUEUE;
		sess_requeue_now(s);
	}
	sess_tx_check_resume(s);
	sess_tx_notify(s);
}

/* The batch reached the peer. */
void
sess_txn_commit(struct sess_txn *txn, double now)
{
	struct sess_txn_ent	*te;
	struct sess		*s;
	size_t			 i;

	for (i = 0; i < txn->t_nent; i++) {
		te = &txn->t_ent[i];
		s = te->te_sess;
		te->te_sess = NULL;
		if (!(s->s_flags & SESS_ABORTED)) {
			if (s->s_replay) {
				if (s->s_snap_count == 0 &&
				    s->s_sent_count > 0)
					s->s_replay_progress = now;
				s->s_replay_at = now;
				s->s_flags &= ~SESS_IN_TXN;
				sess_replay_prune(s, now);
			} else {
				s->s_tx_acked = s->s_tx_sent;
				sess_tx_release(s);
			}
		}
		sess_settle(s);
		sess_unref(s);
	}
	sess_txn_init(txn);
}

/* The batch was not delivered: restore every drained session exactly. */
void
sess_txn_rollback(struct sess_txn *txn)
{
	const uint32_t		 txbits = SESS_TX_SYN_SENT | SESS_TX_FIN_SENT;
	struct sess_txn_ent	*te;
	struct sess		*s;
	size_t			 i;

	for (i = txn->t_nent; i-- > 0; ) {
		te = &txn->t_ent[i];
		s = te->te_sess;
		te->te_sess = NULL;
		if (s->s_flags & SESS_ABORTED)
			;
		else if (s->s_replay) {
			/*
			 * Keep the frames: they go again unchanged, which is
			 * right even if the peer did get them.
			 */
			s->s_drains = te->te_drains_before;
			s->s_resend = s->s_snap_resend;
			if (s->s_snap_count == 0 && s->s_sent_count > 0)
				s->s_replay_progress = s->s_last_tx;
			s->s_flags &= ~SESS_IN_TXN;
			sess_replay_prune(s, s->s_last_tx);
		} else {
			s->s_tx_sent = te->te_sent_before;
			s->s_tx_seq = te->te_seq_before;
			s->s_flags = (s->s_flags & ~txbits) |
			    (te->te_flags_before & txbits);
			s->s_drains = te->te_drains_before;
			s->s_fin_sent_at = s->s_snap_fin_at;
			s->s_sent_count = s->s_snap_count;
			s->s_resend = s->s_snap_resend;
		}
		sess_settle(s);
		sess_unref(s);
	}
	sess_txn_init(txn);
}

/*
 * Replay store.
 */

/*
 * Prune the frames the peer has (seq < s_peer_next).  Frames of an
 * unsettled txn stay until it commits: a rollback must find them.
 */
static void
sess_replay_prune(struct sess *s, double now)
{
	uint32_t	 limit, pruned = 0;

	limit = (s->s_flags & SESS_IN_TXN) ? s->s_snap_count :
	    s->s_sent_count;
	while (pruned < limit &&
	    sess_sent_at(s, 0)->ss_seq < s->s_peer_next) {
		s->s_sent_head = (s->s_sent_head + 1) % s->s_sent_cap;
		s->s_sent_count--;
		pruned++;
	}
	if (pruned == 0)
		return;
	s->s_pflags &= ~SESS_P_RESEND;	/* that frame arrived after all */
	if (s->s_flags & SESS_IN_TXN) {
		s->s_snap_count -= pruned;
		s->s_snap_resend -= s->s_snap_resend < pruned ?
		    s->s_snap_resend : pruned;
	}
	s->s_resend -= s->s_resend < pruned ? s->s_resend : pruned;
	if (s->s_sent_count > 0)
		s->s_tx_acked = sess_sent_at(s, 0)->ss_off;
	else
		s->s_tx_acked = s->s_tx_sent;
	s->s_replay_progress = now;
	sess_tx_release(s);
}

/* The peer has every frame with seq < next_seq. */
void
sess_replay_ack(struct sess *s, uint64_t next_seq, double now)
{
	if (!s->s_replay || (s->s_flags & SESS_ABORTED))
		return;
	if (next_seq > s->s_tx_seq)
		next_seq = s->s_tx_seq;	/* never for frames not cut yet */
	if (next_seq <= s->s_peer_next)
		return;
	s->s_peer_next = next_seq;
	sess_replay_prune(s, now);
	sess_tx_check_resume(s);
	sess_tx_notify(s);
}

size_t
sess_replay_frames(const struct sess *s)
{
	return (s->s_replay ? s->s_sent_count : 0);
}

size_t
sess_replay_bytes(const struct sess *s)
{
	if (!s->s_replay)
		return (0);
	return ((size_t)(s->s_tx_sent - s->s_tx_acked));
}

static void
sess_requeue_now(struct sess *s)
{
	s->s_pflags &= ~SESS_P_RESEND;	/* all of it goes again */
	if (s->s_resend == 0)
		return;
	s->s_resend = 0;
	sess_tx_notify(s);
}

/* Transport reset: every unacked frame goes out again through drain. */
void
sess_replay_requeue(struct sess *s)
{
	if (!s->s_replay || (s->s_flags & SESS_ABORTED))
		return;
	if (s->s_flags & SESS_IN_TXN) {
		s->s_pflags |= SESS_P_REQUEUE;
		return;
	}
	sess_requeue_now(s);
}

/*
 * Turn the replay store on or off (the peer negotiated it, or went away).
 * Off: the peer will not ACK, so whatever the store holds counts as
 * delivered.
 */
static void
sess_replay_switch(struct sess *s, int on)
{
	if (on == s->s_replay)
		return;
	s->s_replay = on;
	if (!on) {
		s->s_sent_head = s->s_sent_count = s->s_resend = 0;
		s->s_tx_acked = s->s_tx_sent;
		sess_tx_release(s);
		sess_tx_check_resume(s);
	}
	sess_tx_notify(s);
}

void
sess_set_replay(struct sess *s, int on)
{
	on = on != 0;
	if (s->s_flags & SESS_IN_TXN) {
		s->s_pflags |= SESS_P_REPLAY_SET;
		if (on)
			s->s_pflags |= SESS_P_REPLAY_ON;
		else
			s->s_pflags &= ~SESS_P_REPLAY_ON;
		return;
	}
	sess_replay_switch(s, on);
}

int
sess_replay_full(const struct sess *s)
{
	const struct sess_cfg	*sc = s->s_cfg;

	return (s->s_replay &&
	    (s->s_sent_count >= sc->sc_replay_max_frames ||
	    s->s_tx_sent - s->s_tx_acked >= sc->sc_replay_max_bytes));
}

int
sess_replay_due(const struct sess *s, double now, double retry)
{
	return (s->s_replay && s->s_resend > 0 &&
	    !(s->s_flags & (SESS_IN_TXN | SESS_ABORTED)) &&
	    (((s->s_pflags & SESS_P_RESEND) && now >= s->s_resend_at) ||
	    now - s->s_replay_at >= retry));
}

double
sess_replay_due_at(const struct sess *s, double retry)
{
	double	 at = s->s_replay_at + retry;

	if (!s->s_replay || s->s_resend == 0 ||
	    (s->s_flags & (SESS_IN_TXN | SESS_ABORTED)))
		return (0);
	if ((s->s_pflags & SESS_P_RESEND) && s->s_resend_at < at)
		at = s->s_resend_at;
	return (at);
}

/*
 * A cumulative ACK from the peer, and what it says about loss.  The peer
 * ACKs without progress only when something went missing: a request of
 * its own failed (its ACKs go again), it checks its sessions after a
 * disruption, or a duplicate arrived.  The oldest frame it lacks may be
 * on its way still if it left here less than fast s ago: it goes once it
 * is that old, unless an ACK for it comes first.  Otherwise it was lost
 * with a response that failed after being handed to the kernel (a reset
 * POST connection), where the exit cannot see the loss, and it goes now.
 * Waiting for the retry timer (3 s after the session's last send) would
 * cost 3 s per lost response, and with the store or the window full
 * nothing else moves meanwhile.  Progress that stops short of s_recover
 * (every seq cut when the loss was seen) finds the next frame lost with
 * the same responses: it goes too, as TCP does after a partial ACK (RFC
 * 6582).  A spurious resend costs one response budget of duplicates
 * (the peer drops them), and there is at most one every fast s: on a
 * path that holds frames longer than that (a slow stream), progress from
 * originals still arriving would otherwise resend a frame for each ACK.
 */
double
sess_replay_gack(struct sess *s, uint64_t next_seq, double now, double fast)
{
	const struct sess_sent	*ss;
	uint64_t		 prev = s->s_peer_next;
	double			 at;

	sess_replay_ack(s, next_seq, now);
	if (!s->s_replay || (s->s_flags & SESS_ABORTED) ||
	    s->s_sent_count == 0 || s->s_resend == 0)
		return (0);
	if (next_seq > prev && s->s_peer_next >= s->s_recover)
		return (0);		/* progress: nothing known lost */
	ss = sess_sent_at(s, 0);
	if (ss->ss_seq != s->s_peer_next)
		return (0);
	if ((s->s_pflags & SESS_P_RESEND))
		return (s->s_resend_at);	/* known already */
	at = ss->ss_at + fast;
	if (s->s_fast_at + fast > at)
		at = s->s_fast_at + fast;
	if (at < now)
		at = now;
	if (s->s_peer_next >= s->s_recover)
		s->s_recover = s->s_tx_seq;
	s->s_resend_at = at;
	s->s_pflags |= SESS_P_RESEND;
	return (at);
}

double
sess_replay_age(const struct sess *s, double now)
{
	if (!s->s_replay || s->s_sent_count == 0)
		return (0);
	return (now - s->s_replay_progress);
}

/*
 * RX side.
 */

/* Copy into the in-order queue, packing into the tail chunk. */
static int
sess_rx_append(struct sess *s, const uint8_t *p, size_t len)
{
	struct chunk	*c;
	size_t		 n;

	while (len > 0) {
		c = s->s_rx_tail;
		if (c == NULL || c->c_len == SESS_CHUNK_SIZE) {
			if ((c = chunk_get()) == NULL)
				return (-1);
			if (s->s_rx_tail == NULL) {
				s->s_rx_head = c;
				s->s_rx_off = 0;
			} else
				s->s_rx_tail->c_next = c;
			s->s_rx_tail = c;
		}
		n = sess_min(len, SESS_CHUNK_SIZE - c->c_len);
		memcpy(c->c_data + c->c_len, p, n);
		c->c_len += n;
		s->s_rx_queued += n;
		p += n;
		len -= n;
	}
	return (0);
}

static int
sess_rx_deliver(struct sess *s, uint8_t flags, const uint8_t *p1, size_t l1,
    const uint8_t *p2, size_t l2, enum sess_abort_reason *why)
{
	if (l1 + l2 > 0) {
		if (s->s_rx_queued + l1 + l2 > s->s_cfg->sc_rx_max) {
			*why = SESS_AB_RX_OVERFLOW;
			return (-1);
		}
		if (sess_rx_append(s, p1, l1) == -1 ||
		    sess_rx_append(s, p2, l2) == -1) {
			*why = SESS_AB_LOCAL;
			return (-1);
		}
		s->s_bytes_in += l1 + l2;
	}
	if (flags & WIRE_F_FIN)
		s->s_flags |= SESS_RX_FIN;
	return (0);
}

/* Index of seq in the sorted reorder array, or where it would go. */
static uint32_t
sess_rx_find(const struct sess *s, uint64_t seq, int *found)
{
	uint32_t	 lo = 0, hi = s->s_reorder_count, mid;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->s_reorder[mid].ro_seq == seq) {
			*found = 1;
			return (mid);
		}
		if (s->s_reorder[mid].ro_seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Keep an early frame; the decoder's buffer is reused, so copy it. */
static int
sess_rx_store(struct sess *s, const struct wire_frame *f,
    enum sess_abort_reason *why)
{
	struct sess_rxo	*ro;
	struct chunk	*c;
	uint32_t	 at, cap, len = wire_frame_paylen(f);
	int		 found;

	at = sess_rx_find(s, f->f_seq, &found);
	if (found)
		return (0);
	if (s->s_reorder_count >= s->s_cfg->sc_reorder_max) {
		*why = SESS_AB_REORDER_OVERFLOW;
		return (-1);
	}
	if (s->s_reorder_count == s->s_reorder_cap) {
		cap = s->s_reorder_cap ? s->s_reorder_cap * 2 :
		    SESS_REORDER_INIT;
		if ((ro = reallocarray(s->s_reorder, cap, sizeof(*ro))) ==
		    NULL) {
			*why = SESS_AB_LOCAL;
			return (-1);
		}
		s->s_reorder = ro;
		s->s_reorder_cap = cap;
	}
	c = NULL;
	if (len > 0) {
		c = s->s_ro_fill;
		if (c == NULL || SESS_CHUNK_SIZE - c->c_len < len) {
			if ((c = chunk_get()) == NULL) {
				*why = SESS_AB_LOCAL;
				return (-1);
			}
			chunk_unref(s->s_ro_fill);
			s->s_ro_fill = c;
		}
	}
	ro = &s->s_reorder[at];
	memmove(ro + 1, ro, (s->s_reorder_count - at) * sizeof(*ro));
	s->s_reorder_count++;
	ro->ro_seq = f->f_seq;
	ro->ro_flags = f->f_flags;
	ro->ro_len = len;
	ro->ro_chunk = c;
	ro->ro_off = 0;
	if (c != NULL) {
		chunk_ref(c);
		ro->ro_off = c->c_len;
		if (f->f_len > 0)
			memcpy(c->c_data + c->c_len, f->f_payload, f->f_len);
		if (f->f_len2 > 0)
			memcpy(c->c_data + c->c_len + f->f_len, f->f_payload2,
			    f->f_len2);
		c->c_len += len;
	}
	return (0);
}

static void
sess_rx_drop_reorder(struct sess *s)
{
	uint32_t	 i;

	for (i = 0; i < s->s_reorder_count; i++)
		chunk_unref(s->s_reorder[i].ro_chunk);
	s->s_reorder_count = 0;
	chunk_unref(s->s_ro_fill);
	s->s_ro_fill = NULL;
}

/* One SYN/data/FIN frame from the peer. */
int
sess_rx_frame(struct sess *s, const struct wire_frame *f, double now,
    enum sess_abort_reason *why)
{
	const struct sess_ops	*so = s->s_ops;
	struct sess_rxo		*ro;
	uint64_t		 next0 = s->s_rx_next;
	size_t			 queued0 = s->s_rx_queued;
	uint32_t		 i, k;
	int			 r = 0;

	if (s->s_flags & SESS_ABORTED)
		return (0);
	s->s_last_rx = now;
	if (f->f_flags & (WIRE_F_RST | WIRE_F_ACK))
		return (0);	/* unsequenced: the caller's business */
	if (f->f_len > WIRE_MAX_PAYLOAD || f->f_len2 > WIRE_MAX_PAYLOAD ||
	    wire_frame_paylen(f) > WIRE_MAX_PAYLOAD) {
		*why = SESS_AB_PROTOCOL;
		return (-1);
	}
	if (f->f_seq < s->s_rx_next) {
		/* Duplicate: the peer may have missed our ACK. */
		if (s->s_cfg->sc_rx_ack) {
			s->s_pflags |= SESS_P_ACK_FORCE;
			if (so->so_ack_ready != NULL)
				so->so_ack_ready(s);
		}
		return (0);
	}
	if (s->s_flags & SESS_RX_FIN)
		return (0);	/* beyond the peer's FIN: ignore */
	if (f->f_seq > s->s_rx_next)
		return (sess_rx_store(s, f, why));

	if (sess_rx_deliver(s, f->f_flags, f->f_payload, f->f_len,
	    f->f_payload2, f->f_len2, why) == -1)
		return (-1);
	s->s_rx_next++;

	/* Drain the consecutive run of stored frames. */
	for (k = 0; k < s->s_reorder_count && !(s->s_flags & SESS_RX_FIN);
	    k++) {
		ro = &s->s_reorder[k];
		if (ro->ro_seq != s->s_rx_next)
			break;
		if (sess_rx_deliver(s, ro->ro_flags, ro->ro_chunk != NULL ?
		    ro->ro_chunk->c_data + ro->ro_off : NULL, ro->ro_len,
		    NULL, 0, why) == -1) {
			r = -1;
			break;
		}
		s->s_rx_next++;
	}
	if (k > 0) {
		for (i = 0; i < k; i++)
			chunk_unref(s->s_reorder[i].ro_chunk);
		memmove(s->s_reorder, s->s_reorder + k,
		    (s->s_reorder_count - k) * sizeof(*s->s_reorder));
		s->s_reorder_count -= k;
	}
	if (s->s_flags & SESS_RX_FIN)
		sess_rx_drop_reorder(s);	/* nothing follows a FIN */
	if (s->s_reorder_count == 0 && s->s_ro_fill != NULL) {
		chunk_unref(s->s_ro_fill);
		s->s_ro_fill = NULL;
	}
	if (r == -1)
		return (-1);

	if ((s->s_rx_queued != queued0 || (s->s_flags & SESS_RX_FIN)) &&
	    so->so_rx_ready != NULL)
		so->so_rx_ready(s);
	if (s->s_rx_next != next0 && s->s_cfg->sc_rx_ack &&
	    so->so_ack_ready != NULL)
		so->so_ack_ready(s);
	return (0);
}

/* In-order bytes as iovecs, for writev(2) to the local socket. */
int
sess_rx_iov(struct sess *s, struct iovec *iov, int maxiov)
{
	struct chunk	*c;
	uint32_t	 off = s->s_rx_off;
	int		 n = 0;

	for (c = s->s_rx_head; c != NULL && n < maxiov; c = c->c_next) {
		if (c->c_len > off) {
			iov[n].iov_base = c->c_data + off;
			iov[n].iov_len = c->c_len - off;
			n++;
		}
		off = 0;
	}
	return (n);
}

/* n bytes reached the socket: free the chunks they were in. */
void
sess_rx_consume(struct sess *s, size_t n)
{
	struct chunk	*c;
	size_t		 take;

	if (n > s->s_rx_queued)
		n = s->s_rx_queued;
	while ((c = s->s_rx_head) != NULL) {
		take = sess_min(n, c->c_len - s->s_rx_off);
		s->s_rx_off += take;
		s->s_rx_queued -= take;
		n -= take;
		if (s->s_rx_off < c->c_len)
			break;
		/* Consumed: a free chunk serves better than a tail's room. */
		s->s_rx_head = c->c_next;
		s->s_rx_off = 0;
		if (s->s_rx_head == NULL)
			s->s_rx_tail = NULL;
		chunk_unref(c);
		if (n == 0 && s->s_rx_head != NULL)
			break;
	}
}

size_t
sess_rx_queued(const struct sess *s)
{
	return (s->s_rx_queued);
}

int
sess_rx_eof(const struct sess *s)
{
	return ((s->s_flags & SESS_RX_FIN) && s->s_rx_queued == 0);
}

int
sess_rx_gap(const struct sess *s)
{
	return (s->s_reorder_count > 0);
}

uint64_t
sess_rx_next(const struct sess *s)
{
	return (s->s_rx_next);
}

/* ACK due when next_seq moved, or a duplicate asked for it again. */
int
sess_ack_due(struct sess *s, uint64_t *next_seq)
{
	if (s->s_rx_next == s->s_ack_sent &&
	    !(s->s_pflags & SESS_P_ACK_FORCE))
		return (0);
	s->s_pflags &= ~SESS_P_ACK_FORCE;
	s->s_ack_sent = s->s_rx_next;
	*next_seq = s->s_rx_next;
	return (1);
}

void
sess_ack_retry(struct sess *s)
{
	s->s_pflags |= SESS_P_ACK_FORCE;
}

/*
 * GC helpers.
 */

/* Done: FIN both ways, our FIN 30 s old, or aborted (and settled). */
int
sess_is_done(const struct sess *s, double now)
{
	if (s->s_flags & SESS_IN_TXN)
		return (0);
	if (s->s_flags & SESS_ABORTED)
		return (1);
	if (!(s->s_flags & SESS_TX_FIN_SENT))
		return (0);
	if (s->s_flags & SESS_RX_FIN)
		return (1);
	return (now - s->s_fin_sent_at > SESS_DONE_FIN_WAIT);
}

double
sess_idle_for(const struct sess *s, double now)
{
	double	 last = s->s_created;

	if (s->s_last_rx > last)
		last = s->s_last_rx;
	if (s->s_last_tx > last)
		last = s->s_last_tx;
	return (now - last);
}

/*
 * Drop every buffer.  Chunks an unsettled txn points into stay until it
 * settles (the txn's frames may still be read by the caller).
 */
void
sess_abort(struct sess *s)
{
	struct chunk	*c;

	s->s_flags |= SESS_ABORTED;
	s->s_flags &= ~SESS_TX_PAUSED;
	while ((c = s->s_rx_head) != NULL) {
		s->s_rx_head = c->c_next;
		chunk_unref(c);
	}
	s->s_rx_tail = NULL;
	s->s_rx_off = 0;
	s->s_rx_queued = 0;
	sess_rx_drop_reorder(s);
	if (!(s->s_flags & SESS_IN_TXN))
		sess_tx_drop(s);
}
