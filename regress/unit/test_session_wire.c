/*
 * Session engine through the real wire codec: frames drained from a
 * session (some split across two chunks: f_payload2) are sealed into
 * batches with libwire, opened again and fed to a receiving session.  The
 * receiver must read the stream byte-identical, for raw and zstd batches,
 * binary and base64 text bodies.
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

static struct sess_txn		 tw_txn;
static struct wire_frame	 tw_out[64];

/* A compressible but position-dependent stream (zstd gets a chance). */
static uint8_t
tw_byte(uint64_t i)
{
	return ((uint8_t)("goose relay session stream "[i % 27] ^
	    ((i >> 10) & 0x0f)));
}

static void
tw_run(int text, int compress)
{
	static const uint8_t	 key[WIRE_KEY_LEN] = { 7, 7, 7 };
	static const uint8_t	 sid[WIRE_SID_LEN] = { 0xaa, 0xbb };
	static const uint8_t	 cid[WIRE_CID_LEN] = { 0x01, 0x02 };
	struct wire_aead	*aead;
	struct wire_encopts	 eo;
	struct wire_batch	 wb;
	struct wbuf		 body, scratch;
	struct sess		*tx, *rx;
	struct iovec		 iov[8];
	enum sess_abort_reason	 why;
	const char		*err = NULL;
	uint64_t		 wpos = 0, rpos = 0;
	size_t			 total = 3 * SESS_CHUNK_SIZE + 4321, k, i;
	size_t			 live0 = chunk_pool_live(), split = 0;
	uint8_t			*p;
	int			 n, j, round = 0;

	aead = wire_aead_new(key);
	assert_non_null(aead);
	memset(&eo, 0, sizeof(eo));
	eo.eo_layout = WIRE_LAYOUT_V16;
	eo.eo_compress = compress;
	memset(&body, 0, sizeof(body));
	memset(&scratch, 0, sizeof(scratch));
	wire_batch_init(&wb);

	tx = sess_new(sid, NULL, NULL, NULL, 0);
	rx = sess_new(sid, NULL, NULL, NULL, 0);
	sess_set_target(tx, "example.org:443", 15);
	while (wpos < total) {
		assert_int_equal(sess_tx_space(tx, &p, &k), 0);
		k = k < total - wpos ? k : total - wpos;
		for (i = 0; i < k; i++)
			p[i] = tw_byte(wpos + i);
		sess_tx_commit(tx, k);
		wpos += k;
	}
	sess_tx_close(tx);

	sess_txn_init(&tw_txn);
	while ((n = sess_drain(tx, &tw_txn, tw_out, 3,
	    round == 0 ? 777 : 300000, round)) > 0) {
		for (j = 0; j < n; j++)
			if (tw_out[j].f_len2 > 0)
				split++;
		wbuf_reset(&body);
		assert_int_equal(wire_body_seal(aead, cid, tw_out, (size_t)n,
		    &eo, text, &body, &scratch, &err), 0);
		sess_txn_commit(&tw_txn, round);
		/* The session may reuse its chunks now: the body is sealed. */
		assert_int_equal(wire_body_open(aead, body.wb_data,
		    body.wb_len, text, &wb, &err), 0);
		assert_memory_equal(wb.b_cid, cid, WIRE_CID_LEN);
		assert_int_equal(wb.b_nframes, (size_t)n);
		for (i = 0; i < wb.b_nframes; i++) {
			assert_memory_equal(wb.b_frames[i].f_sid, sid,
			    WIRE_SID_LEN);
			if (wb.b_frames[i].f_flags & WIRE_F_SYN)
				assert_memory_equal(wb.b_frames[i].f_target,
				    "example.org:443", 15);
			assert_int_equal(sess_rx_frame(rx, &wb.b_frames[i],
			    round, &why), 0);
		}
		while ((n = sess_rx_iov(rx, iov, 8)) > 0) {
			for (k = 0, j = 0; j < n; j++) {
				for (i = 0; i < iov[j].iov_len; i++)
					assert_int_equal(((uint8_t *)
					    iov[j].iov_base)[i],
					    tw_byte(rpos + i));
				rpos += iov[j].iov_len;
				k += iov[j].iov_len;
			}
			sess_rx_consume(rx, k);
		}
		assert_true(++round < 100);
	}
	assert_true(split > 0);
	assert_int_equal(rpos, total);
	assert_true(sess_rx_eof(rx));
	sess_unref(tx);
	sess_unref(rx);
	assert_int_equal(chunk_pool_live(), live0);
	wire_batch_free(&wb);
	wbuf_free(&body);
	wbuf_free(&scratch);
	wire_aead_free(aead);
}

static void
test_wire_binary_raw(void **state)
{
	tw_run(0, 0);
}

static void
test_wire_binary_zstd(void **state)
{
	tw_run(0, 1);
}

static void
test_wire_text(void **state)
{
	tw_run(1, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_binary_raw),
		cmocka_unit_test(test_wire_binary_zstd),
		cmocka_unit_test(test_wire_text),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
