/* FUZZ-SOURCES: common/chunk.c common/session.c common/sess_table.c */
/* FUZZ-LIBS: */
/*
 * Fuzz the session engine with a random sequence of operations.
 *
 * Three sessions: a sender A (replay on or off, chosen by the input), a
 * receiver B fed by A through a channel the input controls (deliver, drop
 * before or after commit, duplicate, hold back and reorder), and a
 * receiver C fed raw frames whose seq, flags and payload come straight
 * from the input.  Oracle: B's in-order bytes are always a prefix of what
 * A was given (a lost batch leaves a gap that stalls B, never a wrong
 * byte: requeued and resent frames keep their seq and boundaries);
 * nothing crashes; at the end every chunk is back in the pool.
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz_in {
	const uint8_t	*in_p;
	size_t		 in_n;
};

static uint8_t
fz_u8(struct fz_in *in)
{
	uint8_t	 v;

	if (in->in_n == 0)
		return (0);
	v = *in->in_p++;
	in->in_n--;
	return (v);
}

static uint32_t
fz_u16(struct fz_in *in)
{
	uint32_t v = fz_u8(in);

	return (v << 8 | fz_u8(in));
}

/*
 * The stream A is given: byte i is fz_pat[i % FZ_PERIOD].  A prime period
 * keeps frame boundaries from lining up with it; memcpy/memcmp keep the
 * harness fast.
 */
#define FZ_PERIOD	1048573
static uint8_t	 fz_pat[FZ_PERIOD];

static void
fz_pat_init(void)
{
	uint64_t	 x = 0x9E3779B97F4A7C15ULL;
	size_t		 i;

	if (fz_pat[0] != 0 || fz_pat[1] != 0)
		return;
	for (i = 0; i < FZ_PERIOD; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		fz_pat[i] = (uint8_t)((x * 0x2545F4914F6CDD1DULL) >> 56) | 1;
	}
}

/* Copy (or compare, cmp != 0) n stream bytes at stream offset pos. */
static int
fz_stream(uint8_t *p, uint64_t pos, size_t n, int cmp)
{
	size_t	 at, k;

	while (n > 0) {
		at = (size_t)(pos % FZ_PERIOD);
		k = FZ_PERIOD - at < n ? FZ_PERIOD - at : n;
		if (!cmp)
			memcpy(p, fz_pat + at, k);
		else if (memcmp(p, fz_pat + at, k) != 0)
			return (-1);
		p += k;
		pos += k;
		n -= k;
	}
	return (0);
}

/*
 * A batch in flight: frames with their own copy of the payload (the
 * session may release or reuse its chunks once the txn settles).  Payload
 * copies live in static arenas, not malloc: large mallocs under ASan are
 * what made this harness slow.
 */
#define FZ_MAXF		16
#define FZ_HELD		4
#define FZ_NARENA	(FZ_HELD + 2)
#define FZ_ARENA	(FZ_MAXF * WIRE_MAX_PAYLOAD)
struct fz_batch {
	int		 b_n;
	int		 b_arena;	/* -1: none */
	uint64_t	 b_seq[FZ_MAXF];
	uint8_t		 b_flags[FZ_MAXF];
	uint32_t	 b_len[FZ_MAXF];
	uint8_t		*b_data[FZ_MAXF];
};

static struct sess_txn	 fz_txn;
static struct wire_frame fz_out[FZ_MAXF];
static uint8_t		 fz_buf[WIRE_MAX_PAYLOAD];
static uint8_t		 fz_arena[FZ_NARENA][FZ_ARENA];
static int		 fz_arena_used[FZ_NARENA];

static void
fz_batch_copy(struct fz_batch *b, const struct wire_frame *f, int n)
{
	uint8_t	*p;
	int	 i, a;

	b->b_n = 0;
	if (n <= 0)
		return;
	for (a = 0; a < FZ_NARENA && fz_arena_used[a]; a++)
		;
	if (a == FZ_NARENA)
		abort();
	fz_arena_used[a] = 1;
	b->b_arena = a;
	p = fz_arena[a];
	for (i = 0; i < n; i++) {
		b->b_seq[i] = f[i].f_seq;
		b->b_flags[i] = f[i].f_flags;
		b->b_len[i] = wire_frame_paylen(&f[i]);
		b->b_data[i] = p;
		if (f[i].f_len)
			memcpy(p, f[i].f_payload, f[i].f_len);
		if (f[i].f_len2)
			memcpy(p + f[i].f_len, f[i].f_payload2, f[i].f_len2);
		p += b->b_len[i];
	}
	b->b_n = n;
}

static void
fz_batch_free(struct fz_batch *b)
{
	if (b->b_n > 0)
		fz_arena_used[b->b_arena] = 0;
	b->b_n = 0;
}

/* Callbacks check what they promise. */
static void
fz_cb_tx_ready(struct sess *s)
{
	if (!sess_tx_drainable(s))
		abort();
}

static void
fz_cb_tx_resume(struct sess *s)
{
	if (sess_tx_paused(s) ||
	    sess_tx_buffered(s) >= s->s_cfg->sc_tx_highwater)
		abort();
}

static void
fz_cb_rx_ready(struct sess *s)
{
	if (sess_rx_queued(s) == 0 && !sess_rx_eof(s))
		abort();
}

static void
fz_cb_ack(struct sess *s)
{
	if (!s->s_cfg->sc_rx_ack)
		abort();
}

static const struct sess_ops fz_ops = {
	.so_tx_ready = fz_cb_tx_ready,
	.so_tx_resume = fz_cb_tx_resume,
	.so_rx_ready = fz_cb_rx_ready,
	.so_ack_ready = fz_cb_ack
};

/* Deliver to B; an abort reason means the engine refused the stream. */
static int
fz_deliver(struct sess *b, const struct fz_batch *bt, double now)
{
	struct wire_frame	 f;
	enum sess_abort_reason	 why;
	int			 i;

	for (i = 0; i < bt->b_n; i++) {
		memset(&f, 0, sizeof(f));
		f.f_seq = bt->b_seq[i];
		f.f_flags = bt->b_flags[i];
		f.f_payload = bt->b_data[i];
		f.f_len = bt->b_len[i];
		if (sess_rx_frame(b, &f, now, &why) == -1) {
			sess_abort(b);
			return (-1);
		}
	}
	return (0);
}

/* B's output must continue the stream A was given. */
static void
fz_read(struct sess *b, uint64_t *rpos, int check, size_t max)
{
	struct iovec	 iov[4];
	size_t		 k = 0, j;
	int		 n, i;

	n = sess_rx_iov(b, iov, 4);
	for (i = 0; i < n && k < max; i++) {
		j = iov[i].iov_len < max - k ? iov[i].iov_len : max - k;
		if (check && fz_stream(iov[i].iov_base, *rpos + k, j, 1) != 0)
			abort();
		k += j;
	}
	*rpos += k;
	sess_rx_consume(b, k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 sid[WIRE_SID_LEN];
	struct fz_in		 in = { data, size };
	struct sess_cfg		 ca, cb, cc;
	struct sess		*a, *b, *c;
	struct fz_batch		 cur, held[FZ_HELD];
	struct wire_frame	 f;
	enum sess_abort_reason	 why;
	uint64_t		 wpos = 0, rpos = 0, ack, seq;
	double			 now = 0;
	size_t			 live0 = chunk_pool_live();
	uint8_t			*p, op, mode;
	size_t			 room, k, len;
	int			 n, nheld = 0, exact = 1, ops = 0;

	fz_pat_init();
	mode = fz_u8(&in);
	sess_cfg_default(&ca);
	ca.sc_replay = mode & 1;
	ca.sc_replay_max_frames = 1 + (mode >> 1 & 31);
	ca.sc_replay_max_bytes = 1 + fz_u16(&in) * 64;
	ca.sc_tx_highwater = 1 + fz_u16(&in) * 64;
	sess_cfg_default(&cb);
	cb.sc_rx_ack = 1;
	cb.sc_reorder_max = 1 + (mode >> 6) * 8;
	cb.sc_rx_max = 1 + fz_u16(&in) * 32;
	sess_cfg_default(&cc);
	cc.sc_reorder_max = 8;
	cc.sc_rx_max = 1 << 20;
	cc.sc_rx_ack = 1;

	a = sess_new(sid, &fz_ops, &ca, NULL, 0);
	b = sess_new(sid, &fz_ops, &cb, NULL, 0);
	c = sess_new(sid, &fz_ops, &cc, NULL, 0);
	if (a == NULL || b == NULL || c == NULL)
		abort();
	if (mode & 0x80)
		sess_set_target(a, "fuzz.example:443", 16);
	sess_txn_init(&fz_txn);
	memset(&cur, 0, sizeof(cur));

	while (in.in_n > 0 && ops++ < 4096) {
		now += 0.5;
		op = fz_u8(&in);
		switch (op % 14) {
		case 0:		/* local bytes into A */
			len = fz_u16(&in) * 4;
			while (len > 0 && sess_tx_space(a, &p, &room) == 0) {
				k = len < room ? len : room;
				fz_stream(p, wpos, k, 0);
				sess_tx_commit(a, k);
				wpos += k;
				len -= k;
			}
			break;
		case 1:
			sess_tx_close(a);
			break;
		case 2:		/* drain A into the open txn */
		case 3:
			n = sess_drain(a, &fz_txn, fz_out,
			    1 + fz_u8(&in) % FZ_MAXF, fz_u16(&in) * 16, now);
			if (n < 0)
				abort();
			if (n == 0 || fz_txn.t_nent != 1)
				break;
			fz_batch_free(&cur);
			fz_batch_copy(&cur, fz_out, n);
			break;
		case 4:		/* batch lost before delivery */
			sess_txn_rollback(&fz_txn);
			fz_batch_free(&cur);
			break;
		case 5:		/* delivered (maybe twice, maybe later) */
			if (fz_txn.t_nent == 0)
				break;
			sess_txn_commit(&fz_txn, now);
			k = fz_u8(&in);
			if ((k & 3) == 0) {
				/* lost after commit: a gap, no wrong byte */
			} else if ((k & 3) == 1 && nheld < FZ_HELD) {
				held[nheld++] = cur;
				cur.b_n = 0;	/* the arena moved with it */
			} else {
				if (fz_deliver(b, &cur, now) == -1)
					exact = 0;
				if ((k & 3) == 2)
					(void)fz_deliver(b, &cur, now);
			}
			fz_batch_free(&cur);
			break;
		case 6:		/* a held batch arrives */
			if (nheld == 0)
				break;
			k = fz_u8(&in) % nheld;
			if (fz_deliver(b, &held[k], now) == -1)
				exact = 0;
			fz_batch_free(&held[k]);
			held[k] = held[--nheld];
			break;
		case 7:		/* B's ACK reaches A (or a bogus one) */
			if (fz_u8(&in) == 0xee)
				sess_replay_ack(a, fz_u16(&in), now);
			else if (sess_ack_due(b, &ack))
				sess_replay_ack(a, ack, now);
			break;
		case 8:
			if (fz_u8(&in) == 0x77)
				sess_set_replay(a, !a->s_replay);
			else
				sess_replay_requeue(a);
			break;
		case 9:		/* 3 s resend */
			n = sess_replay_drain(a, fz_out, 1 + fz_u8(&in) %
			    FZ_MAXF, fz_u16(&in) * 16, now);
			if (n > 0) {
				struct fz_batch	 rb;

				fz_batch_copy(&rb, fz_out, n);
				if (fz_deliver(b, &rb, now) == -1)
					exact = 0;
				fz_batch_free(&rb);
			}
			break;
		case 10:	/* B's socket takes some bytes */
			fz_read(b, &rpos, exact, fz_u16(&in) * 16);
			break;
		case 11:	/* raw frame into C */
			memset(&f, 0, sizeof(f));
			seq = fz_u8(&in);
			if (seq & 0x80)
				seq = (uint64_t)fz_u16(&in) << 32 |
				    fz_u16(&in);
			else
				seq = sess_rx_next(c) + (seq & 0x3f) -
				    ((seq & 0x40) ? 8 : 0);
			f.f_seq = seq;
			f.f_flags = fz_u8(&in);
			if (fz_u8(&in) == 0xff) {
				/* an oversized claim must be refused */
				f.f_payload2 = fz_buf;
				f.f_len2 = sizeof(fz_buf);
			}
			len = fz_u16(&in) % 2048;
			if (len > in.in_n)
				len = in.in_n;
			f.f_payload = in.in_p;
			f.f_len = (uint32_t)len;
			in.in_p += len;
			in.in_n -= len;
			if (sess_rx_frame(c, &f, now, &why) == -1) {
				if (sess_abort_str(why) == NULL)
					abort();
				sess_abort(c);
			}
			(void)sess_ack_due(c, &ack);
			break;
		case 12:	/* C's socket */
			{
				uint64_t	 cpos = 0;

				fz_read(c, &cpos, 0, fz_u16(&in) * 64);
			}
			break;
		case 13:	/* abort someone, maybe mid-txn */
			k = fz_u8(&in);
			if (k == 0xa5)
				sess_abort(a);
			else if (k == 0x5a) {
				sess_abort(b);
				exact = 0;
			}
			(void)sess_is_done(a, now);
			(void)sess_idle_for(a, now);
			(void)sess_replay_due(a, now, 3);
			(void)sess_replay_age(a, now);
			(void)sess_replay_full(a);
			break;
		}
		/* Invariants that hold after every operation. */
		if (sess_tx_buffered(a) < sess_tx_pending(a))
			abort();
		if (sess_replay_frames(a) > ca.sc_replay_max_frames)
			abort();
		if (sess_replay_bytes(a) > ca.sc_replay_max_bytes &&
		    sess_replay_bytes(a) > 0)
			abort();
		if (rpos > wpos)
			abort();
	}

	if (fz_txn.t_nent > 0) {
		if (in.in_n & 1)
			sess_txn_commit(&fz_txn, now);
		else
			sess_txn_rollback(&fz_txn);
	}
	fz_batch_free(&cur);
	while (nheld > 0)
		fz_batch_free(&held[--nheld]);
	sess_unref(a);
	sess_unref(b);
	sess_unref(c);
	if (chunk_pool_live() != live0)
		abort();	/* a chunk leaked */
	return (0);
}

#ifdef FUZZ_STANDALONE
/*
 * Without libFuzzer (make check): run the harness on pseudo-random
 * inputs, or on the files named on the command line.
 */
#include <stdio.h>

int
main(int argc, char *argv[])
{
	static uint8_t	 buf[1 << 16];
	uint64_t	 x = 0x9E3779B97F4A7C15ULL;
	size_t		 n, i;
	FILE		*fp;
	int		 r, it;

	for (r = 1; r < argc; r++) {
		if ((fp = fopen(argv[r], "rb")) == NULL) {
			perror(argv[r]);
			return (1);
		}
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, n);
	}
	if (argc > 1)
		return (0);
	for (it = 0; it < 2000; it++) {
		n = 1 + (size_t)(x % 4096);
		for (i = 0; i < n; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = (uint8_t)((x * 0x2545F4914F6CDD1DULL) >> 56);
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	return (0);
}
#endif
