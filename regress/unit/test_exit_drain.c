/*
 * Unit tests of the exit's drain scheduler (workers/exit/drain.c) on the
 * real session engine: control frames before RSTs before data, the
 * 512 KiB / 1 MiB first/second response ramp, first responses served
 * before bulk, 48/144 frames per batch, per-session frame cap, byte
 * budget, partly drained sessions staying ready, rollback, queue-wait
 * samples taken when a batch is written (not on rollback).
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exit.h"
#include "udp.h"
#include "log.h"

static struct exit_env	 test_env;
struct exit_env		*ex = &test_env;
static int		 test_wakes;

double
exit_now(void)
{
	return (100.0);
}

void
http_wake_client(struct xclient *cl)
{
	test_wakes++;
}

void
upstream_close(struct xsess *x, int send_rst)
{
	TAILQ_REMOVE(&x->x_cl->cl_sessions, x, x_cl_entry);
	x->x_cl->cl_nsess--;
}

void
log_info(const char *fmt, ...)
{
}

static uint64_t	 test_qwait_n, test_qwait_last;

void
estats_queue_wait(uint64_t usec)
{
	test_qwait_n++;
	test_qwait_last = usec;
}

void
rxflow_client_init(struct xclient *cl)
{
}

int
upstream_reap(struct xsess *x)
{
	return (0);
}

void
rxflow_client_free(struct xclient *cl)
{
}

/* route.c is not linked: no client here owes GACKs. */
void
route_acks(struct xclient *cl)
{
}

void
route_acks_flush(struct xclient *cl)
{
}

/* udp.c is not linked: no client here has datagrams. */
int
udp_client_has_work(struct xclient *cl)
{
	return (0);
}

void
udp_drain(struct xclient *cl, struct xresp *r, size_t maxframes,
    size_t *budget)
{
}

void
udp_resp_done(struct xclient *cl, struct xresp *r, int delivered)
{
}

void
udp_client_close(struct xclient *cl)
{
}

void
udp_client_free(struct xclient *cl)
{
}

static void
test_tx_ready(struct sess *s)
{
	struct xsess	*x = s->s_arg;

	if (x != NULL)
		client_set_ready(x->x_cl, s);
}

static const struct sess_ops	test_ops = { .so_tx_ready = test_tx_ready };
static struct sess_cfg		test_cfg;
static uint8_t			test_buf[4 * 1024 * 1024];

static void
test_conf(void)
{
	struct exit_conf	*ec = &ex->ee_conf;

	memset(ec, 0, sizeof(*ec));
	ec->ec_max_response_bytes = 6291456;
	ec->ec_max_drain_frames_per_session = 8;
	ec->ec_initial_cap_enabled = 1;
	ec->ec_initial_response_bytes = 524288;
	ec->ec_second_cap_enabled = 1;
	ec->ec_second_response_bytes = 1048576;
	/* What the supervisor sends (supervisor/conf_defaults.c). */
	ec->ec_idle_timeout_s = 600;
	ec->ec_stream_grace_s = 30;
	sess_cfg_default(&test_cfg);
	test_cfg.sc_tx_highwater = 64U * 1024 * 1024;
}

static int
setup(void **state)
{
	static int	 n;
	uint8_t		 cid[WIRE_CID_LEN];

	ex->ee_loop = ev_default_loop(0);
	sess_table_init(&ex->ee_sessions);
	test_conf();
	memset(cid, 0x11 + n++, sizeof(cid));
	*state = client_get(cid, 1);
	return (*state == NULL);
}

/* A session with n bytes queued and its SYN already acknowledged. */
static struct sess *
mksess(struct xclient *cl, int id, size_t n)
{
	struct xsess	*x = calloc(1, sizeof(*x));
	struct sess	*s;
	uint8_t		 sid[WIRE_SID_LEN];

	memset(sid, 0, sizeof(sid));
	sid[0] = id;
	sid[1] = id >> 8;
	s = sess_new(sid, &test_ops, &test_cfg, x, 100.0);
	assert_non_null(s);
	memcpy(s->s_cid, cl->cl_cid, WIRE_CID_LEN);
	x->x_s = s;
	x->x_cl = cl;
	x->x_fd = -1;
	TAILQ_INSERT_TAIL(&cl->cl_sessions, x, x_cl_entry);
	cl->cl_nsess++;
	if (n > 0)
		assert_int_equal(sess_tx_write(s, test_buf, n), 0);
	return (s);
}

static size_t
resp_bytes(struct xresp *r, const uint8_t sidbyte, int *nframes)
{
	size_t	 i, b = 0;

	*nframes = 0;
	for (i = 0; i < r->r_nframes; i++) {
		if (r->r_frames[i].f_sid[0] != sidbyte)
			continue;
		b += wire_frame_paylen(&r->r_frames[i]);
		(*nframes)++;
	}
	return (b);
}

static void
test_order_and_ramp(void **state)
{
	struct xclient		*cl = *state;
	struct drain_limits	 dl;
	struct xresp		*r = drain_resp_get();
	struct sess		*s;
	uint8_t			 sid[WIRE_SID_LEN] = { 0xee };
	int			 nf;
	size_t			 b;

	s = mksess(cl, 1, 3 * 1024 * 1024);
	client_queue_rst(cl, sid);
	client_queue_ctrl(cl, sid, WIRE_F_RST, "{\"ok\":true}", 11);
	drain_limits(cl, &dl, 1);
	assert_int_equal(dl.dl_max_frames, 48);

	assert_true(drain_collect(cl, r, &dl, 100.0) > 2);
	/* Control (probe reply) first, then the RST, then data. */
	assert_int_equal(r->r_frames[0].f_len, 11);
	assert_int_equal(r->r_frames[1].f_flags, WIRE_F_RST);
	assert_int_equal(r->r_frames[1].f_len, 0);
	assert_true(r->r_urgent);
	b = resp_bytes(r, 1, &nf);
	assert_true(b > 0 && b <= 524288);
	drain_commit(cl, r, 100.0);
	assert_int_equal(cl->cl_nctrl, 0);
	assert_true(s->s_flags & SESS_READY);	/* partly drained */

	assert_true(drain_collect(cl, r, &dl, 100.0) > 0);
	b = resp_bytes(r, 1, &nf);
	assert_true(b > 524288 - 1 && b <= 1048576);
	drain_commit(cl, r, 100.0);

	/* Third response: bulk, at most 8 frames of this session. */
	assert_true(drain_collect(cl, r, &dl, 100.0) > 0);
	b = resp_bytes(r, 1, &nf);
	assert_true(nf <= 8);
	assert_true(b > 1048576);
	drain_commit(cl, r, 100.0);
	drain_resp_put(r);
}

static void
test_first_before_bulk(void **state)
{
	struct xclient		*cl = *state;
	struct drain_limits	 dl;
	struct xresp		*r = drain_resp_get();
	struct sess		*old, *young;
	int			 nf;

	old = mksess(cl, 2, 4 * 1024 * 1024);
	drain_limits(cl, &dl, 1);
	drain_collect(cl, r, &dl, 100.0);
	drain_commit(cl, r, 100.0);
	drain_collect(cl, r, &dl, 100.0);
	drain_commit(cl, r, 100.0);
	assert_int_equal(old->s_drains, 2);

	young = mksess(cl, 3, 1000);
	assert_true(drain_collect(cl, r, &dl, 100.0) > 0);
	/* Only the session awaiting its first response went out. */
	assert_int_equal(resp_bytes(r, 3, &nf), 1000);
	assert_int_equal(resp_bytes(r, 2, &nf), 0);
	drain_commit(cl, r, 100.0);
	assert_false(young->s_flags & SESS_READY);
	drain_resp_put(r);
}

static void
test_rollback(void **state)
{
	struct xclient		*cl = *state;
	struct drain_limits	 dl;
	struct xresp		*r = drain_resp_get();
	struct sess		*s;
	uint64_t		 seq, qn;
	int			 nf;
	size_t			 b;

	s = mksess(cl, 4, 100000);
	drain_limits(cl, &dl, 1);
	assert_true(drain_collect(cl, r, &dl, 100.0) > 0);
	b = resp_bytes(r, 4, &nf);
	assert_int_equal(b, 100000);
	seq = r->r_frames[0].f_seq;
	qn = test_qwait_n;
	drain_rollback(cl, r);
	assert_true(test_qwait_n == qn);	/* nothing was written */
	assert_true(s->s_flags & SESS_READY);
	assert_true(drain_collect(cl, r, &dl, 100.0) > 0);
	assert_int_equal(resp_bytes(r, 4, &nf), 100000);
	assert_int_equal(r->r_frames[0].f_seq, seq);	/* same seq */
	/* Queue wait: ready at 100.0 (exit_now), written at 100.25. */
	drain_commit(cl, r, 100.25);
	assert_true(test_qwait_n == qn + 1);
	assert_true(test_qwait_last == 250000);
	drain_resp_put(r);
}

static void
test_frame_caps(void **state)
{
	struct xclient		*cl = *state;
	struct drain_limits	 dl;
	struct xresp		*r = drain_resp_get();
	int			 i;

	/* 20 sessions of 4 frames each: 80 frames, cap 48. */
	for (i = 0; i < 20; i++)
		mksess(cl, 10 + i, 4 * 1000);
	drain_limits(cl, &dl, 1);
	assert_int_equal(dl.dl_max_frames, 48);
	dl.dl_per_sess = 3;
	assert_true(drain_collect(cl, r, &dl, 100.0) <= 48);
	drain_commit(cl, r, 100.0);
	/* >= 24 sessions: 144 frames. */
	for (i = 0; i < 10; i++)
		mksess(cl, 40 + i, 1000);
	drain_limits(cl, &dl, 1);
	assert_int_equal(dl.dl_max_frames, 144);
	/* A byte budget stops the response early. */
	dl.dl_max_bytes = 5000;
	drain_collect(cl, r, &dl, 100.0);
	assert_true(r->r_txn.t_bytes <= 5000);
	drain_commit(cl, r, 100.0);
	drain_resp_put(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_order_and_ramp, setup),
		cmocka_unit_test_setup(test_first_before_bulk, setup),
		cmocka_unit_test_setup(test_rollback, setup),
		cmocka_unit_test_setup(test_frame_caps, setup),
	};

	memset(test_buf, 'x', sizeof(test_buf));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
