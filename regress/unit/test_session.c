/*
 * Unit and property tests of the session engine (common/session.c,
 * chunk.c, sess_table.c).  malloc/calloc/realloc are wrapped at link time
 * (-Wl,--wrap) so steady-state paths can be shown not to allocate.
 */
#include "gr_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session.h"

/* Allocation counter (library code only: --wrap applies to our objects). */
void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);

static size_t	test_nalloc;

void *
__wrap_malloc(size_t n)
{
	test_nalloc++;
	return (__real_malloc(n));
}

void *
__wrap_calloc(size_t a, size_t b)
{
	test_nalloc++;
	return (__real_calloc(a, b));
}

void *
__wrap_realloc(void *p, size_t n)
{
	test_nalloc++;
	return (__real_realloc(p, n));
}

/* Deterministic PRNG (xorshift64*). */
static uint64_t
test_rand(uint64_t *st)
{
	uint64_t	 x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return (x * 0x2545F4914F6CDD1DULL);
}

static size_t
test_randn(uint64_t *st, size_t n)
{
	return ((size_t)(test_rand(st) % n));
}

/* Byte i of the test stream for a seed: position dependent. */
static uint8_t
test_byte(uint64_t seed, uint64_t i)
{
	uint64_t	 x = (i + 1) * 0x9E3779B97F4A7C15ULL ^ seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 32;
	return ((uint8_t)x);
}

static const uint8_t	 test_sid[WIRE_SID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
    9, 10, 11, 12, 13, 14, 15, 16 };

/* Callback counters. */
static int	 test_ntx_ready, test_ntx_resume, test_nrx_ready, test_nack;

static void
test_cb_tx_ready(struct sess *s)
{
	test_ntx_ready++;
}

static void
test_cb_tx_resume(struct sess *s)
{
	test_ntx_resume++;
}

static void
test_cb_rx_ready(struct sess *s)
{
	test_nrx_ready++;
}

static void
test_cb_ack(struct sess *s)
{
	test_nack++;
}

static const struct sess_ops test_ops = {
	.so_tx_ready = test_cb_tx_ready,
	.so_tx_resume = test_cb_tx_resume,
	.so_rx_ready = test_cb_rx_ready,
	.so_ack_ready = test_cb_ack
};

static void
test_cb_reset(void)
{
	test_ntx_ready = test_ntx_resume = test_nrx_ready = test_nack = 0;
}

/* Write n stream bytes starting at offset *pos. */
static void
test_write(struct sess *s, uint64_t seed, uint64_t *pos, size_t n)
{
	uint8_t		*p;
	size_t		 room, k, i;

	while (n > 0) {
		assert_int_equal(sess_tx_space(s, &p, &room), 0);
		k = n < room ? n : room;
		for (i = 0; i < k; i++)
			p[i] = test_byte(seed, *pos + i);
		sess_tx_commit(s, k);
		*pos += k;
		n -= k;
	}
}

/* Check a frame's payload against the stream at *pos and advance. */
static void
test_check_payload(const struct wire_frame *f, uint64_t seed, uint64_t *pos)
{
	uint32_t	 i;

	assert_true(wire_frame_paylen(f) <= WIRE_MAX_PAYLOAD);
	for (i = 0; i < f->f_len; i++)
		assert_int_equal(f->f_payload[i], test_byte(seed, *pos + i));
	*pos += f->f_len;
	for (i = 0; i < f->f_len2; i++)
		assert_int_equal(f->f_payload2[i], test_byte(seed, *pos + i));
	*pos += f->f_len2;
}

static struct sess_txn	 test_txn;	/* 40 KiB: keep it off the stack */
static struct wire_frame test_out[4096];

static void
test_syn_connect_data(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0, chk = 0;
	size_t		 live0 = chunk_pool_live();
	int		 n;

	s = sess_new(test_sid, &test_ops, NULL, NULL, 0);
	assert_non_null(s);
	sess_set_target(s, "example.com:443", 15);
	assert_true(sess_tx_drainable(s));
	test_write(s, 1, &pos, 1000);

	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 1);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_seq, 0);
	assert_int_equal(test_out[0].f_flags, WIRE_F_SYN);
	assert_int_equal(test_out[0].f_tlen, 15);
	assert_memory_equal(test_out[0].f_target, "example.com:443", 15);
	assert_memory_equal(test_out[0].f_sid, test_sid, WIRE_SID_LEN);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 1000);
	test_check_payload(&test_out[0], 1, &chk);
	assert_true(s->s_flags & SESS_IN_TXN);
	/* One outstanding batch per session. */
	test_write(s, 1, &pos, 10);
	assert_int_equal(sess_drain(s, &test_txn, test_out + 1, 8, SIZE_MAX,
	    1), 0);
	sess_txn_commit(&test_txn, 1);
	assert_int_equal(test_txn.t_nent, 0);

	/* Next frame is plain data seq 1. */
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 2);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_seq, 1);
	assert_int_equal(test_out[0].f_flags, 0);
	assert_int_equal(test_out[0].f_tlen, 0);
	test_check_payload(&test_out[0], 1, &chk);
	sess_txn_commit(&test_txn, 2);
	assert_false(sess_tx_drainable(s));
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_syn_empty_and_exit_side(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0;

	/* Client side, no data yet: a bare SYN. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	sess_set_target(s, "1.2.3.4:80", 10);
	sess_txn_init(&test_txn);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 8, 0, 0), 1);
	assert_int_equal(test_out[0].f_flags, WIRE_F_SYN);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 0);
	sess_txn_commit(&test_txn, 0);
	assert_false(sess_tx_drainable(s));
	sess_unref(s);

	/* Exit side: no target, first frame is data seq 0, never SYN. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	assert_false(sess_tx_drainable(s));
	assert_int_equal(sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0),
	    0);
	test_write(s, 2, &pos, 5);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0),
	    1);
	assert_int_equal(test_out[0].f_seq, 0);
	assert_int_equal(test_out[0].f_flags, 0);
	assert_int_equal(test_out[0].f_len, 5);
	sess_txn_commit(&test_txn, 0);
	sess_unref(s);
}

static void
test_chunking(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0, chk = 0;
	size_t		 total = 3 * SESS_CHUNK_SIZE + 12345, sum = 0;
	int		 n, i, spans = 0;

	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(s, 3, &pos, total);
	assert_int_equal(sess_tx_pending(s), total);
	sess_txn_init(&test_txn);
	/* Misalign frames against chunks so some span two chunks. */
	n = sess_drain(s, &test_txn, test_out, 1, 1000, 0);
	assert_int_equal(n, 1);
	test_check_payload(&test_out[0], 3, &chk);
	sess_txn_commit(&test_txn, 0);
	n = sess_drain(s, &test_txn, test_out, 64, SIZE_MAX, 0);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(test_out[i].f_seq, (uint64_t)i + 1);
		assert_true(wire_frame_paylen(&test_out[i]) > 0);
		assert_true(wire_frame_paylen(&test_out[i]) <=
		    WIRE_MAX_PAYLOAD);
		if (test_out[i].f_len2 > 0)
			spans++;
		sum += wire_frame_paylen(&test_out[i]);
		test_check_payload(&test_out[i], 3, &chk);
	}
	assert_true(spans >= 3);
	assert_int_equal(sum + 1000, total);
	assert_int_equal(test_txn.t_bytes, sum);
	assert_int_equal(test_txn.t_nframes, 4);
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(sess_tx_buffered(s), 0);
	sess_unref(s);
}

static void
test_limited_drains(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0, chk = 0, seq = 0;
	int		 n, rounds = 0;

	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(s, 4, &pos, 700000);
	sess_tx_close(s);
	sess_txn_init(&test_txn);
	while ((n = sess_drain(s, &test_txn, test_out, 2, 100000, 0)) > 0) {
		assert_true(n <= 2);
		assert_true(test_txn.t_bytes <= 100000);
		for (int i = 0; i < n; i++) {
			assert_int_equal(test_out[i].f_seq, seq++);
			test_check_payload(&test_out[i], 4, &chk);
		}
		if (test_out[n - 1].f_flags & WIRE_F_FIN)
			assert_int_equal(chk, 700000);
		sess_txn_commit(&test_txn, 0);
		assert_true(++rounds < 100);
	}
	assert_int_equal(chk, 700000);
	assert_true(s->s_flags & SESS_TX_FIN_SENT);
	/* 7 data frames of 100000 bytes, then FIN. */
	assert_int_equal(seq, 8);
	sess_unref(s);
}

static void
test_fin(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0;
	int		 n;

	/* FIN after data: separate frame, no payload, next seq. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(s, 5, &pos, 100);
	sess_tx_close(s);
	assert_int_equal(sess_tx_write(s, "x", 1), -1);
	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 7);
	assert_int_equal(n, 2);
	assert_int_equal(test_out[0].f_flags, 0);
	assert_int_equal(test_out[1].f_flags, WIRE_F_FIN);
	assert_int_equal(test_out[1].f_seq, 1);
	assert_int_equal(wire_frame_paylen(&test_out[1]), 0);
	assert_false(sess_is_done(s, 8));	/* in txn */
	sess_txn_commit(&test_txn, 7);
	assert_false(sess_is_done(s, 8));
	assert_true(sess_is_done(s, 7 + SESS_DONE_FIN_WAIT + 1));
	assert_false(sess_tx_drainable(s));
	sess_unref(s);

	/* FIN only; no data frame at all; frame cap respected. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	sess_tx_close(s);
	n = sess_drain(s, &test_txn, test_out, 8, 0, 0);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_flags, WIRE_F_FIN);
	assert_int_equal(test_out[0].f_seq, 0);
	sess_txn_commit(&test_txn, 0);
	sess_unref(s);

	/* Client: SYN, then FIN in the same drain, two frames. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	sess_set_target(s, "h:1", 3);
	sess_tx_close(s);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, 0, 0), 1);
	assert_int_equal(test_out[0].f_flags, WIRE_F_SYN);
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, 0, 0), 1);
	assert_int_equal(test_out[0].f_flags, WIRE_F_FIN);
	assert_int_equal(test_out[0].f_seq, 1);
	sess_txn_commit(&test_txn, 0);
	sess_unref(s);
}

/*
 * The peer's receive window (rx_window_v1): data stops at the limit, the
 * first limit may lower "none", later ones only raise it, a raise wakes
 * the owner, and the FIN goes once every byte is out.
 */
static void
test_tx_limit(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0, rpos = 0;
	int		 n, i;

	test_cb_reset();
	s = sess_new(test_sid, &test_ops, NULL, NULL, 0);
	test_write(s, 9, &pos, 1000);
	sess_tx_close(s);
	sess_tx_set_limit(s, 300);
	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0);
	assert_int_equal(n, 1);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 300);
	test_check_payload(&test_out[0], 9, &rpos);
	sess_txn_commit(&test_txn, 0);
	assert_false(sess_tx_drainable(s));
	/* Lower limits are ignored; an equal one wakes nobody. */
	test_cb_reset();
	sess_tx_set_limit(s, 100);
	sess_tx_set_limit(s, 300);
	assert_int_equal(test_ntx_ready, 0);
	assert_false(sess_tx_drainable(s));
	sess_tx_set_limit(s, 900);
	assert_int_equal(test_ntx_ready, 1);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0);
	assert_int_equal(n, 1);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 600);
	test_check_payload(&test_out[0], 9, &rpos);
	sess_txn_commit(&test_txn, 0);
	assert_false(sess_tx_drainable(s));
	/* The last bytes and the FIN once the window covers them. */
	sess_tx_set_limit(s, 1000);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0);
	assert_int_equal(n, 2);
	test_check_payload(&test_out[0], 9, &rpos);
	assert_int_equal(rpos, 1000);
	assert_int_equal(test_out[1].f_flags, WIRE_F_FIN);
	sess_txn_commit(&test_txn, 0);
	sess_unref(s);

	/* Without a limit nothing changes (GooseRelayVPN peers). */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	pos = 0;
	test_write(s, 3, &pos, 3 * SESS_CHUNK_SIZE);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(wire_frame_paylen(&test_out[i]),
		    SESS_CHUNK_SIZE);
	sess_txn_commit(&test_txn, 0);
	sess_unref(s);
}

/* Copy of a drained frame (payload bytes included) for comparisons. */
struct test_fcopy {
	uint64_t	 fc_seq;
	uint8_t		 fc_flags;
	uint8_t		 fc_tlen;
	uint32_t	 fc_len;
	uint8_t		*fc_data;
};

static int
test_copy_frames(struct test_fcopy *fc, const struct wire_frame *f, int n)
{
	for (int i = 0; i < n; i++) {
		fc[i].fc_seq = f[i].f_seq;
		fc[i].fc_flags = f[i].f_flags;
		fc[i].fc_tlen = f[i].f_tlen;
		fc[i].fc_len = wire_frame_paylen(&f[i]);
		fc[i].fc_data = malloc(fc[i].fc_len + 1);
		if (f[i].f_len)
			memcpy(fc[i].fc_data, f[i].f_payload, f[i].f_len);
		if (f[i].f_len2)
			memcpy(fc[i].fc_data + f[i].f_len, f[i].f_payload2,
			    f[i].f_len2);
	}
	return (n);
}

static void
test_same_frames(const struct test_fcopy *fc, const struct wire_frame *f,
    int n)
{
	struct test_fcopy	 g[16];

	test_copy_frames(g, f, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fc[i].fc_seq, g[i].fc_seq);
		assert_int_equal(fc[i].fc_flags, g[i].fc_flags);
		assert_int_equal(fc[i].fc_tlen, g[i].fc_tlen);
		assert_int_equal(fc[i].fc_len, g[i].fc_len);
		assert_memory_equal(fc[i].fc_data, g[i].fc_data,
		    fc[i].fc_len);
		free(g[i].fc_data);
	}
}

static void
test_rollback(void **state)
{
	struct sess		*s;
	struct test_fcopy	 fc[16];
	uint64_t		 pos = 0;
	int			 n, n2;
	uint32_t		 flags0;

	test_cb_reset();
	s = sess_new(test_sid, &test_ops, NULL, NULL, 0);
	sess_set_target(s, "t:9", 3);
	test_write(s, 6, &pos, 600000);
	sess_tx_close(s);
	flags0 = s->s_flags;
	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 16, SIZE_MAX, 3);
	/* SYN(256K) + data(256K) + data(rest) + FIN */
	assert_int_equal(n, 4);
	assert_int_equal(test_out[0].f_flags, WIRE_F_SYN);
	assert_int_equal(test_out[3].f_flags, WIRE_F_FIN);
	assert_int_equal(s->s_drains, 1);
	test_copy_frames(fc, test_out, n);

	test_ntx_ready = 0;
	sess_txn_rollback(&test_txn);
	assert_int_equal(test_ntx_ready, 1);	/* drainable again */
	assert_int_equal(s->s_flags, flags0);
	assert_int_equal(s->s_tx_seq, 0);
	assert_int_equal(s->s_tx_sent, 0);
	assert_int_equal(s->s_drains, 0);
	assert_int_equal(sess_tx_pending(s), 600000);

	n2 = sess_drain(s, &test_txn, test_out, 16, SIZE_MAX, 4);
	assert_int_equal(n2, n);
	test_same_frames(fc, test_out, n);
	sess_txn_rollback(&test_txn);

	/* A smaller drain after rollback re-cuts from seq 0 (SYN first). */
	n2 = sess_drain(s, &test_txn, test_out, 1, 1000, 4);
	assert_int_equal(n2, 1);
	assert_int_equal(test_out[0].f_seq, 0);
	assert_int_equal(test_out[0].f_flags, WIRE_F_SYN);
	assert_memory_equal(test_out[0].f_payload, fc[0].fc_data, 1000);
	sess_txn_commit(&test_txn, 4);
	n2 = sess_drain(s, &test_txn, test_out, 16, SIZE_MAX, 4);
	assert_int_equal(n2, 4);
	assert_int_equal(test_out[0].f_seq, 1);
	assert_int_equal(test_out[3].f_seq, 4);
	assert_int_equal(test_out[3].f_flags, WIRE_F_FIN);
	sess_txn_commit(&test_txn, 4);
	for (int i = 0; i < n; i++)
		free(fc[i].fc_data);
	sess_unref(s);
}

/* Rollback of a txn holding several sessions, one aborted meanwhile. */
static void
test_txn_multi_abort(void **state)
{
	struct sess	*a, *b;
	uint64_t	 pa = 0, pb = 0;
	size_t		 live0 = chunk_pool_live();
	int		 na, nb;

	a = sess_new(test_sid, NULL, NULL, NULL, 0);
	b = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(a, 7, &pa, 300000);
	test_write(b, 8, &pb, 300000);
	sess_txn_init(&test_txn);
	na = sess_drain(a, &test_txn, test_out, 8, SIZE_MAX, 0);
	nb = sess_drain(b, &test_txn, test_out + na, 8, SIZE_MAX, 0);
	assert_int_equal(na, 2);
	assert_int_equal(nb, 2);
	assert_int_equal(test_txn.t_nent, 2);
	/* Abort and drop the owner's reference while the txn holds a. */
	sess_abort(a);
	sess_unref(a);
	/* Frames of the txn still readable. */
	pa = 0;
	test_check_payload(&test_out[0], 7, &pa);
	test_check_payload(&test_out[1], 7, &pa);
	sess_txn_rollback(&test_txn);	/* frees a */
	assert_int_equal(sess_tx_pending(b), 300000);
	sess_abort(b);
	assert_int_equal(sess_tx_buffered(b), 0);
	assert_int_equal(sess_tx_write(b, "x", 1), -1);
	assert_int_equal(sess_drain(b, &test_txn, test_out, 8, SIZE_MAX, 0),
	    0);
	assert_true(sess_is_done(b, 0));
	sess_unref(b);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_commit_releases(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0;
	size_t		 live0 = chunk_pool_live();

	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(s, 9, &pos, 5 * SESS_CHUNK_SIZE + 7);
	assert_int_equal(chunk_pool_live(), live0 + 6);
	sess_txn_init(&test_txn);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 2, SIZE_MAX, 0),
	    2);
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(chunk_pool_live(), live0 + 4);
	while (sess_drain(s, &test_txn, test_out, 2, SIZE_MAX, 0) > 0)
		sess_txn_commit(&test_txn, 0);
	/* Idle session holds no chunk at all. */
	assert_int_equal(chunk_pool_live(), live0);
	test_write(s, 9, &pos, 10);
	assert_int_equal(chunk_pool_live(), live0 + 1);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

/* Make a data frame for the RX side. */
static void
test_rxf(struct wire_frame *f, uint64_t seq, uint8_t flags, const void *p,
    uint32_t len)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->f_sid, test_sid, WIRE_SID_LEN);
	f->f_seq = seq;
	f->f_flags = flags;
	f->f_payload = p;
	f->f_len = len;
}

/* Read the whole RX queue into buf through rx_iov/rx_consume. */
static size_t
test_rx_read(struct sess *s, uint8_t *buf, size_t cap)
{
	struct iovec	 iov[8];
	size_t		 got = 0;
	int		 n, i;

	while ((n = sess_rx_iov(s, iov, 8)) > 0) {
		size_t	 k = 0;

		for (i = 0; i < n; i++) {
			assert_true(got + iov[i].iov_len <= cap);
			memcpy(buf + got, iov[i].iov_base, iov[i].iov_len);
			got += iov[i].iov_len;
			k += iov[i].iov_len;
		}
		sess_rx_consume(s, k);
	}
	assert_int_equal(sess_rx_queued(s), 0);
	return (got);
}

static void
test_rx_reorder(void **state)
{
	struct sess_cfg		 sc;
	struct sess		*s;
	struct wire_frame	 f;
	enum sess_abort_reason	 why;
	uint8_t			 buf[64];
	uint64_t		 ack;
	size_t			 live0 = chunk_pool_live();

	sess_cfg_default(&sc);
	sc.sc_rx_ack = 1;
	test_cb_reset();
	s = sess_new(test_sid, &test_ops, &sc, NULL, 0);
	assert_int_equal(sess_ack_due(s, &ack), 0);
	test_rxf(&f, 2, 0, "cc", 2);
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	test_rxf(&f, 4, WIRE_F_FIN, NULL, 0);
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	test_rxf(&f, 3, 0, "ddd", 3);
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	test_rxf(&f, 3, 0, "XXX", 3);		/* duplicate in reorder */
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	assert_int_equal(sess_rx_queued(s), 0);
	assert_int_equal(test_nrx_ready, 0);
	assert_int_equal(test_nack, 0);
	test_rxf(&f, 0, WIRE_F_SYN, "a", 1);
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	assert_int_equal(sess_rx_queued(s), 1);
	assert_int_equal(test_nrx_ready, 1);
	assert_int_equal(test_nack, 1);
	assert_int_equal(sess_ack_due(s, &ack), 1);
	assert_int_equal(ack, 1);
	assert_int_equal(sess_ack_due(s, &ack), 0);
	test_rxf(&f, 1, 0, "bb", 2);
	assert_int_equal(sess_rx_frame(s, &f, 1, &why), 0);
	assert_int_equal(sess_rx_next(s), 5);
	assert_int_equal(sess_rx_queued(s), 8);
	assert_false(sess_rx_eof(s));
	assert_int_equal(test_rx_read(s, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abbccddd", 8);
	assert_true(sess_rx_eof(s));
	assert_int_equal(sess_ack_due(s, &ack), 1);
	assert_int_equal(ack, 5);

	/* Duplicate of an old frame: dropped, but the ACK goes again. */
	test_nack = 0;
	test_rxf(&f, 1, 0, "zz", 2);
	assert_int_equal(sess_rx_frame(s, &f, 2, &why), 0);
	assert_int_equal(sess_rx_queued(s), 0);
	assert_int_equal(test_nack, 1);
	assert_int_equal(sess_ack_due(s, &ack), 1);
	assert_int_equal(ack, 5);
	assert_int_equal(sess_ack_due(s, &ack), 0);
	sess_ack_retry(s);
	assert_int_equal(sess_ack_due(s, &ack), 1);
	assert_int_equal(ack, 5);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_rx_overflow(void **state)
{
	struct sess_cfg		 sc;
	struct sess		*s;
	struct wire_frame	 f;
	enum sess_abort_reason	 why;
	static uint8_t		 big[WIRE_MAX_PAYLOAD + 1];
	size_t			 live0 = chunk_pool_live();
	uint64_t		 i;

	/* 512 early frames fit; the 513th aborts. */
	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	for (i = 1; i <= SESS_REORDER_MAX; i++) {
		test_rxf(&f, i, 0, big, 1000);
		assert_int_equal(sess_rx_frame(s, &f, 0, &why), 0);
	}
	test_rxf(&f, i, 0, big, 1000);
	assert_int_equal(sess_rx_frame(s, &f, 0, &why), -1);
	assert_int_equal(why, SESS_AB_REORDER_OVERFLOW);
	assert_string_equal(sess_abort_str(why), "rx_reorder_overflow");
	/* Small payloads pack into few chunks. */
	assert_true(chunk_pool_live() - live0 <= 3);
	sess_abort(s);
	assert_int_equal(chunk_pool_live(), live0);
	sess_unref(s);

	/* In-order bytes above sc_rx_max. */
	struct sess_cfg		 sc2;
	sess_cfg_default(&sc2);
	sc2.sc_rx_max = 5000;
	s = sess_new(test_sid, NULL, &sc2, NULL, 0);
	test_rxf(&f, 0, 0, big, 4000);
	assert_int_equal(sess_rx_frame(s, &f, 0, &why), 0);
	test_rxf(&f, 1, 0, big, 4000);
	assert_int_equal(sess_rx_frame(s, &f, 0, &why), -1);
	assert_int_equal(why, SESS_AB_RX_OVERFLOW);
	sess_unref(s);

	/* Oversized payload: protocol error. */
	sess_cfg_default(&sc);
	s = sess_new(test_sid, NULL, &sc, NULL, 0);
	test_rxf(&f, 0, 0, big, WIRE_MAX_PAYLOAD + 1);
	assert_int_equal(sess_rx_frame(s, &f, 0, &why), -1);
	assert_int_equal(why, SESS_AB_PROTOCOL);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_replay(void **state)
{
	struct sess_cfg		 sc;
	struct sess		*s;
	struct test_fcopy	 fc[16];
	uint64_t		 pos = 0;
	size_t			 live0 = chunk_pool_live();
	int			 n;

	sess_cfg_default(&sc);
	sc.sc_replay = 1;
	sc.sc_replay_max_frames = 6;
	sc.sc_replay_max_bytes = 5 * 100000;
	test_cb_reset();
	s = sess_new(test_sid, &test_ops, &sc, NULL, 0);
	test_write(s, 10, &pos, 1000000);
	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 3, 100000, 10);
	assert_int_equal(n, 1);		/* maxbytes caps the batch */
	sess_txn_commit(&test_txn, 10);
	n = sess_drain(s, &test_txn, test_out, 3, 300000, 10);
	assert_int_equal(n, 2);		/* 256K + 44K */
	sess_txn_commit(&test_txn, 11);
	assert_int_equal(sess_replay_frames(s), 3);
	assert_int_equal(sess_replay_bytes(s), 400000);
	assert_int_equal(s->s_replay_at, 11);
	assert_false(sess_replay_due(s, 13, 3));
	assert_true(sess_replay_due(s, 14, 3));
	assert_true(sess_replay_age(s, 20) == 10);
	/* The byte cap (500000) stops the next drain short. */
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 12);
	assert_int_equal(n, 1);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 100000);
	sess_txn_commit(&test_txn, 12);
	assert_true(sess_replay_full(s));
	assert_false(sess_tx_drainable(s));
	assert_int_equal(sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 12),
	    0);
	assert_int_equal(sess_replay_bytes(s), 500000);

	/* Resend (3 s): everything unacked, oldest first, same frames. */
	n = sess_replay_drain(s, test_out, 16, SIZE_MAX, 15);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++)
		assert_int_equal(test_out[i].f_seq, (uint64_t)i);
	test_copy_frames(fc, test_out, n);
	assert_int_equal(sess_replay_drain(s, test_out, 2, SIZE_MAX, 15), 2);
	assert_int_equal(sess_replay_drain(s, test_out, 16, 150000, 15), 1);

	/* ACK prunes seq < 2, frees the first chunk's worth of bytes. */
	test_ntx_ready = 0;
	sess_replay_ack(s, 2, 16);
	assert_int_equal(sess_replay_frames(s), 2);
	assert_int_equal(sess_replay_bytes(s), 500000 - 362144);
	assert_true(sess_replay_age(s, 16) == 0);
	assert_false(sess_replay_full(s));
	assert_int_equal(test_ntx_ready, 1);
	sess_replay_ack(s, 1, 16);		/* old ACK: no-op */
	assert_int_equal(sess_replay_frames(s), 2);

	/* Transport reset: requeue; drain gives seq 2, 3 again, then new. */
	sess_replay_requeue(s);
	n = sess_drain(s, &test_txn, test_out, 16, SIZE_MAX, 17);
	assert_true(n >= 3);
	test_same_frames(fc + 2, test_out, 2);
	assert_int_equal(test_out[2].f_seq, 4);
	assert_int_equal(test_out[2].f_flags, 0);
	/*
	 * Rolled back: with replay the frames stay, and go again unchanged
	 * (same seq, bytes, boundaries) even with a smaller budget.
	 */
	test_copy_frames(fc + 4, test_out, n);
	sess_txn_rollback(&test_txn);
	assert_int_equal(sess_replay_frames(s), 4);
	assert_false(sess_replay_due(s, 100, 3));	/* not sent yet */
	{
		struct test_fcopy	 g[4];
		int			 m = 0, k;

		while (m < n) {
			k = sess_drain(s, &test_txn, test_out, 1, 300000, 17);
			assert_int_equal(k, 1);
			test_copy_frames(g + m, test_out, 1);
			assert_int_equal(g[m].fc_seq, fc[4 + m].fc_seq);
			assert_int_equal(g[m].fc_len, fc[4 + m].fc_len);
			assert_memory_equal(g[m].fc_data, fc[4 + m].fc_data,
			    g[m].fc_len);
			free(g[m].fc_data);
			free(fc[4 + m].fc_data);
			m++;
			if (m < n)
				sess_txn_commit(&test_txn, 17);
		}
		sess_txn_rollback(&test_txn);
	}
	n = sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 17);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_seq, 5);
	assert_int_equal(sess_replay_frames(s), 4);
	sess_txn_commit(&test_txn, 17);
	sess_replay_requeue(s);
	n = sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 17);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_seq, 2);
	/* Requeue while in txn takes effect at settle. */
	sess_replay_requeue(s);
	sess_txn_commit(&test_txn, 17);
	n = sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 17);
	assert_int_equal(test_out[0].f_seq, 2);
	sess_txn_commit(&test_txn, 17);
	/* ACK of everything sent so far releases all. */
	sess_replay_ack(s, 100, 18);
	assert_int_equal(sess_replay_frames(s), 0);
	assert_int_equal(sess_replay_bytes(s), 0);
	/* An ACK racing its own txn: pruned when the txn commits. */
	test_write(s, 10, &pos, 600000);
	n = sess_drain(s, &test_txn, test_out, 2, SIZE_MAX, 19);
	assert_int_equal(n, 2);
	sess_replay_ack(s, test_out[1].f_seq + 1, 19);
	assert_int_equal(sess_replay_frames(s), 2);
	sess_txn_commit(&test_txn, 19);
	assert_int_equal(sess_replay_frames(s), 0);
	/* ...or rolls back: the peer says it has it, nothing to resend. */
	n = sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 20);
	assert_int_equal(n, 1);
	sess_replay_ack(s, test_out[0].f_seq + 1, 20);
	assert_int_equal(sess_replay_frames(s), 1);
	sess_txn_rollback(&test_txn);
	assert_int_equal(sess_replay_frames(s), 0);
	assert_false(sess_tx_drainable(s));
	assert_int_equal(sess_tx_buffered(s), 0);
	for (int i = 0; i < 4; i++)
		free(fc[i].fc_data);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

/* Replay negotiated late, or dropped: sess_set_replay. */
/*
 * A requeued frame larger than the budget (cut on a fast path, resent
 * where the writer sizes messages to a few ms of a slow one, txpace.c)
 * still goes, alone: the boundaries of sent frames cannot change, and
 * before it did, such a session stalled for good once a stream came back
 * with small budgets (carrier_switch.sh).  Resends (3 s) the same.
 */
static void
test_replay_big_frames(void **state)
{
	struct sess_cfg		 sc;
	struct sess		*s;
	uint64_t		 pos = 0;
	size_t			 live0 = chunk_pool_live();
	int			 n, i;

	sess_cfg_default(&sc);
	sc.sc_replay = 1;
	test_cb_reset();
	s = sess_new(test_sid, &test_ops, &sc, NULL, 0);
	test_write(s, 12, &pos, 600000);
	sess_txn_init(&test_txn);
	n = sess_drain(s, &test_txn, test_out, 8, SIZE_MAX, 1);
	assert_int_equal(n, 3);			/* 256K, 256K, 88K */
	sess_txn_commit(&test_txn, 1);
	sess_replay_requeue(s);
	for (i = 0; i < 3; i++) {
		n = sess_drain(s, &test_txn, test_out, 8, 4096, 2);
		assert_int_equal(n, 1);
		assert_int_equal(test_out[0].f_seq, (uint64_t)i);
		assert_true(wire_frame_paylen(&test_out[0]) > 4096);
		sess_txn_commit(&test_txn, 2);
	}
	/* New bytes after them: the budget holds again. */
	test_write(s, 12, &pos, 10000);
	n = sess_drain(s, &test_txn, test_out, 8, 4096, 3);
	assert_int_equal(n, 1);
	assert_int_equal(wire_frame_paylen(&test_out[0]), 4096);
	sess_txn_commit(&test_txn, 3);
	/* A resend that is due: the first frame whatever its size. */
	n = sess_replay_drain(s, test_out, 16, 4096, 10);
	assert_int_equal(n, 1);
	assert_int_equal(test_out[0].f_seq, 0);
	sess_replay_ack(s, 100, 11);
	sess_abort(s);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_replay_switch(void **state)
{
	struct sess	*s;
	uint64_t	 pos = 0;
	size_t		 live0 = chunk_pool_live();

	s = sess_new(test_sid, NULL, NULL, NULL, 0);
	test_write(s, 13, &pos, 300000);
	sess_txn_init(&test_txn);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 0),
	    1);
	sess_set_replay(s, 1);			/* deferred to settle */
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(sess_replay_frames(s), 0);	/* was not on yet */
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 0),
	    1);
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(sess_replay_frames(s), 1);
	assert_int_equal(sess_replay_bytes(s), 300000 - SESS_CHUNK_SIZE);
	sess_set_replay(s, 0);			/* peer will never ACK */
	assert_int_equal(sess_replay_frames(s), 0);
	assert_int_equal(sess_tx_buffered(s), 0);
	sess_unref(s);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_backpressure(void **state)
{
	struct sess_cfg	 sc;
	struct sess	*s;
	uint64_t	 pos = 0;

	sess_cfg_default(&sc);
	assert_int_equal(sc.sc_tx_highwater, 8U * 1024 * 1024);
	test_cb_reset();
	s = sess_new(test_sid, &test_ops, &sc, NULL, 0);
	test_write(s, 11, &pos, SESS_TX_HIGHWATER - 1);
	assert_false(sess_tx_paused(s));
	assert_true(test_ntx_ready > 0);
	test_write(s, 11, &pos, 1);
	assert_true(sess_tx_paused(s));
	sess_txn_init(&test_txn);
	/* Drained but not committed still counts. */
	assert_int_equal(sess_drain(s, &test_txn, test_out, 32, SIZE_MAX, 0),
	    32);
	assert_true(sess_tx_paused(s));
	sess_txn_rollback(&test_txn);
	assert_int_equal(test_ntx_resume, 0);
	/* Down to just above half: still paused. */
	assert_int_equal(sess_drain(s, &test_txn, test_out, 15, SIZE_MAX, 0),
	    15);
	sess_txn_commit(&test_txn, 0);
	assert_true(sess_tx_paused(s));
	assert_int_equal(test_ntx_resume, 0);
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 0),
	    1);
	sess_txn_commit(&test_txn, 0);
	assert_int_equal(sess_tx_buffered(s), SESS_TX_HIGHWATER / 2);
	assert_true(sess_tx_paused(s));		/* below half, not at it */
	assert_int_equal(sess_drain(s, &test_txn, test_out, 1, SIZE_MAX, 0),
	    1);
	sess_txn_commit(&test_txn, 0);
	assert_false(sess_tx_paused(s));
	assert_int_equal(test_ntx_resume, 1);
	sess_unref(s);
}

static void
test_table(void **state)
{
	struct sess_table	 st;
	struct sess		*s[100], *f;
	uint8_t			 id[WIRE_SID_LEN];
	int			 i;

	sess_table_init(&st);
	for (i = 0; i < 100; i++) {
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)i;
		id[15] = 0xaa;
		s[i] = sess_new(id, NULL, NULL, NULL, 0);
		assert_int_equal(sess_table_add(&st, s[i]), 0);
	}
	assert_int_equal(st.st_count, 100);
	assert_int_equal(sess_table_add(&st, s[5]), -1);
	id[0] = 42;
	assert_ptr_equal(sess_table_find(&st, id), s[42]);
	id[15] = 0;
	assert_null(sess_table_find(&st, id));
	sess_table_del(&st, s[42]);
	id[15] = 0xaa;
	assert_null(sess_table_find(&st, id));
	assert_int_equal(st.st_count, 99);
	i = 0;
	TAILQ_FOREACH(f, &st.st_all, s_all_entry)
		i++;
	assert_int_equal(i, 99);
	sess_unref(s[42]);
	while ((f = TAILQ_FIRST(&st.st_all)) != NULL) {
		sess_table_del(&st, f);
		sess_unref(f);
	}
	assert_int_equal(st.st_count, 0);
	assert_null(st.st_hash);
}

/* Steady state: TX, drain, commit, RX, consume: no allocation at all. */
static void
test_no_malloc(void **state)
{
	struct sess_cfg		 sc, rc;
	struct sess		*tx, *rx;
	enum sess_abort_reason	 why;
	static uint8_t		 buf[SESS_CHUNK_SIZE * 2];
	uint64_t		 pos = 0, ack;
	size_t			 n0, got;
	int			 n, round, i;

	sess_cfg_default(&sc);
	sc.sc_replay = 1;
	sess_cfg_default(&rc);
	rc.sc_rx_ack = 1;
	tx = sess_new(test_sid, NULL, &sc, NULL, 0);
	rx = sess_new(test_sid, NULL, &rc, NULL, 0);
	sess_txn_init(&test_txn);
	/* Warm the pool: the first rounds may need a few more chunks. */
	{
		struct chunk	*c[32];

		for (i = 0; i < 32; i++)
			c[i] = chunk_get();
		for (i = 0; i < 32; i++)
			chunk_unref(c[i]);
	}
	n0 = 0;
	for (round = 0; round < 200; round++) {
		if (round == 20)
			n0 = test_nalloc;	/* warmed up */
		test_write(tx, 12, &pos, 1000 + (round * 7919) % 400000);
		n = sess_drain(tx, &test_txn, test_out, 8, SIZE_MAX, round);
		assert_true(n > 0);
		/* Deliver in reverse order to exercise the reorder path. */
		for (i = n - 1; i >= 0; i--)
			assert_int_equal(sess_rx_frame(rx, &test_out[i], round,
			    &why), 0);
		sess_txn_commit(&test_txn, round);
		got = test_rx_read(rx, buf, sizeof(buf));
		assert_true(got > 0);
		assert_int_equal(sess_ack_due(rx, &ack), 1);
		sess_replay_ack(tx, ack, round);
		assert_int_equal(sess_replay_frames(tx), 0);
	}
	assert_int_equal(test_nalloc, n0);
	sess_unref(tx);
	sess_unref(rx);
}

/*
 * Property test: a random stream, written in random sizes, drained in
 * random batch sizes, through a channel that drops (before or after
 * commit), duplicates and reorders batches and loses ACKs.  Rollback
 * repairs pre-delivery drops; with replay, replay_drain or requeue repair
 * post-commit drops.  The receiver must read the stream byte-identical.
 */
struct test_batch {
	int			 b_n;
	struct test_fcopy	 b_f[16];
};

#define TEST_DELAYED	8

static void
test_batch_free(struct test_batch *b)
{
	for (int i = 0; i < b->b_n; i++)
		free(b->b_f[i].fc_data);
	b->b_n = 0;
}

static void
test_deliver(struct sess *rx, struct test_batch *b, double now)
{
	struct wire_frame	 f;
	enum sess_abort_reason	 why;

	for (int i = 0; i < b->b_n; i++) {
		test_rxf(&f, b->b_f[i].fc_seq, b->b_f[i].fc_flags,
		    b->b_f[i].fc_data, b->b_f[i].fc_len);
		assert_int_equal(sess_rx_frame(rx, &f, now, &why), 0);
	}
}

static void
test_property_run(uint64_t seed, int replay, size_t total, int small)
{
	struct sess_cfg		 sc, rc;
	struct sess		*tx, *rx;
	struct test_batch	 cur, delayed[TEST_DELAYED];
	struct iovec		 iov[4];
	uint64_t		 st = seed, wpos = 0, rpos = 0, ack;
	size_t			 live0 = chunk_pool_live(), k;
	double			 now = 0;
	int			 n, i, j, step, ndel = 0, dropped_after = 0;
	int			 npaused = 0;

	sess_cfg_default(&sc);
	sc.sc_replay = replay;
	sc.sc_tx_highwater = 2U * 1024 * 1024;
	sess_cfg_default(&rc);
	rc.sc_rx_ack = replay;
	tx = sess_new(test_sid, NULL, &sc, NULL, 0);
	rx = sess_new(test_sid, NULL, &rc, NULL, 0);
	if (seed & 1)
		sess_set_target(tx, "prop:1", 6);
	sess_txn_init(&test_txn);
	memset(&cur, 0, sizeof(cur));

	for (step = 0; step < 200000; step++) {
		now += 0.01;
		/* Writer: random sizes, respecting back-pressure. */
		if (sess_tx_paused(tx))
			npaused++;
		if (wpos < total && !sess_tx_paused(tx)) {
			k = 1 + test_randn(&st, test_randn(&st, 10) == 0 &&
			    !small ? 600000 : 3000);
			if (k > total - wpos)
				k = total - wpos;
			test_write(tx, seed, &wpos, k);
			if (wpos == total)
				sess_tx_close(tx);
		}
		/* Transport: one batch. */
		if (test_randn(&st, 3) == 0)
			n = 0;
		else
			n = sess_drain(tx, &test_txn, test_out,
			    1 + test_randn(&st, 8), 1 + test_randn(&st,
			    test_randn(&st, 2) || small ? 5000 : 700000), now);
		if (n > 0) {
			cur.b_n = test_copy_frames(cur.b_f, test_out, n);
			switch (test_randn(&st, 10)) {
			case 0:
			case 1:		/* lost before delivery */
				sess_txn_rollback(&test_txn);
				test_batch_free(&cur);
				break;
			case 2:		/* lost after delivery (replay) */
				sess_txn_commit(&test_txn, now);
				if (replay)
					dropped_after++;
				else
					test_deliver(rx, &cur, now);
				test_batch_free(&cur);
				break;
			case 3:		/* duplicated */
				sess_txn_commit(&test_txn, now);
				test_deliver(rx, &cur, now);
				test_deliver(rx, &cur, now);
				test_batch_free(&cur);
				break;
			case 4:
			case 5:		/* delayed: reordered */
				sess_txn_commit(&test_txn, now);
				if (ndel == TEST_DELAYED) {
					test_deliver(rx, &cur, now);
					test_batch_free(&cur);
				} else {
					delayed[ndel++] = cur;
					cur.b_n = 0;
				}
				break;
			default:
				sess_txn_commit(&test_txn, now);
				test_deliver(rx, &cur, now);
				test_batch_free(&cur);
				break;
			}
		}
		/* Delayed batches arrive in random order. */
		if (ndel > 0 && test_randn(&st, 3) == 0) {
			j = (int)test_randn(&st, ndel);
			test_deliver(rx, &delayed[j], now);
			test_batch_free(&delayed[j]);
			delayed[j] = delayed[--ndel];
		}
		/* Receiver: ACKs (sometimes lost), reads at random pace. */
		if (sess_ack_due(rx, &ack) && test_randn(&st, 4) != 0)
			sess_replay_ack(tx, ack, now);
		if (test_randn(&st, 3) != 0) {
			n = sess_rx_iov(rx, iov, 4);
			for (i = 0, k = 0; i < n; i++) {
				for (size_t b = 0; b < iov[i].iov_len; b++)
					assert_int_equal(((uint8_t *)
					    iov[i].iov_base)[b],
					    test_byte(seed, rpos + b));
				rpos += iov[i].iov_len;
				k += iov[i].iov_len;
			}
			sess_rx_consume(rx, k);
		}
		/* Replay repair: the 3 s resend or a transport reset. */
		if (replay && test_randn(&st, 20) == 0) {
			if (test_randn(&st, 2) == 0)
				sess_replay_requeue(tx);
			else {
				n = sess_replay_drain(tx, test_out, 16,
				    SIZE_MAX, now);
				cur.b_n = test_copy_frames(cur.b_f, test_out,
				    n);
				if (test_randn(&st, 4) != 0)
					test_deliver(rx, &cur, now);
				test_batch_free(&cur);
			}
		}
		if (sess_rx_eof(rx))
			break;
	}
	assert_true(sess_rx_eof(rx));
	assert_int_equal(rpos, total);
	if (getenv("TEST_VERBOSE") != NULL)
		print_message("seed %llx replay %d: %d steps, %zu bytes, "
		    "%d batches lost after commit, tx seq %llu, %d paused\n",
		    (unsigned long long)seed, replay, step, total,
		    dropped_after, (unsigned long long)tx->s_tx_seq, npaused);
	for (i = 0; i < ndel; i++)
		test_batch_free(&delayed[i]);
	if (replay)
		assert_true(dropped_after > 0);
	/* Both ends release everything. */
	if (replay) {
		(void)sess_ack_due(rx, &ack);
		sess_replay_ack(tx, sess_rx_next(rx), now);
		assert_int_equal(sess_replay_frames(tx), 0);
	}
	assert_int_equal(sess_tx_buffered(tx), 0);
	assert_true(sess_is_done(tx, now + 31));
	sess_unref(tx);
	sess_unref(rx);
	assert_int_equal(chunk_pool_live(), live0);
}

static void
test_property(void **state)
{
	uint64_t	 seed;

	for (seed = 1; seed <= 6; seed++) {
		test_property_run(seed * 0x1234567ULL, 0, 4U * 1024 * 1024 +
		    seed, 0);
		test_property_run(seed * 0x7654321ULL + 1, 1,
		    4U * 1024 * 1024 + seed * 1000, 0);
		/* Many small frames: deep reordering, many seq numbers. */
		test_property_run(seed * 0x31415926ULL, 0, 1024 * 1024, 1);
		test_property_run(seed * 0x27182818ULL + 1, 1, 1024 * 1024, 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_connect_data),
		cmocka_unit_test(test_syn_empty_and_exit_side),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_limited_drains),
		cmocka_unit_test(test_fin),
		cmocka_unit_test(test_tx_limit),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_txn_multi_abort),
		cmocka_unit_test(test_commit_releases),
		cmocka_unit_test(test_rx_reorder),
		cmocka_unit_test(test_rx_overflow),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_big_frames),
		cmocka_unit_test(test_replay_switch),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_malloc),
		cmocka_unit_test(test_property),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
