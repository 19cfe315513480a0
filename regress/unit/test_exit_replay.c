/*
 * Unit tests of the exit's downstream replay after a lost POST response
 * (workers/exit/route.c, client.c, drain.c on the real session engine).
 * A response the kernel took is committed; if the connection is reset
 * before the carrier read it (carrier_postpipe.sh: a proxy resets every
 * POST connection each 0.3 s), only the replay store can bring its frames
 * back.  With the store or the carrier's window full nothing else moves,
 * so a resend that waits leaves the download standing: it stood for over
 * 60 s under load and nginx gave up on it (a truncated 32 MiB download).
 *
 *  - A GACK without progress for a frame sent a while ago says the frame
 *    was lost: it goes at once, and the POST that carried the GACK is
 *    answered with it; a GACK with partial progress after that repairs
 *    the next hole the same way.  A frame sent just now may be on its
 *    way: it goes once EXIT_REPLAY_FAST old, unless its ACK comes.
 *  - A resend that the retry timer found due is work: the next POST to
 *    come in is answered with it, not held for the long-poll window
 *    (none may be held when the timer fires).
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
static double		 test_now = 100.0;

double
exit_now(void)
{
	return (test_now);
}

void
http_wake_client(struct xclient *cl)
{
}

void
upstream_close(struct xsess *x, int send_rst)
{
	TAILQ_REMOVE(&x->x_cl->cl_sessions, x, x_cl_entry);
	x->x_cl->cl_nsess--;
}

int
upstream_reap(struct xsess *x)
{
	return (0);
}

struct xsess *
upstream_open(struct xclient *cl, const struct wire_frame *f)
{
	fail_msg("no SYN in these tests");
	return (NULL);
}

void
estats_queue_wait(uint64_t usec)
{
}

void
rxflow_client_init(struct xclient *cl)
{
}

void
rxflow_client_free(struct xclient *cl)
{
}

void
rxflow_sync(struct xsess *x, int gone)
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

int
udp_offered(void)
{
	return (0);
}

void
udp_route(struct xclient *cl, const struct wire_frame *f)
{
}

void
udp_route_rst(struct xclient *cl, const uint8_t *sid)
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
static uint8_t			test_buf[1024 * 1024];

static int
setup(void **state)
{
	static int		 n;
	struct exit_conf	*ec = &ex->ee_conf;
	struct xclient		*cl;
	uint8_t			 cid[WIRE_CID_LEN];

	ex->ee_loop = ev_default_loop(0);
	sess_table_init(&ex->ee_sessions);
	memset(ec, 0, sizeof(*ec));
	ec->ec_max_response_bytes = 6291456;
	ec->ec_max_drain_frames_per_session = 8;
	ec->ec_initial_cap_enabled = 1;
	ec->ec_initial_response_bytes = 524288;
	ec->ec_replay_enabled = 1;
	sess_cfg_default(&test_cfg);
	test_cfg.sc_replay = 1;
	test_now = 100.0;
	memset(cid, 0x21 + n++, sizeof(cid));
	if ((cl = client_get(cid, 1)) == NULL)
		return (-1);
	cl->cl_replay = 1;
	*state = cl;
	return (0);
}

/* A download session with n bytes from its target queued. */
static struct sess *
mksess(struct xclient *cl, int id, size_t n)
{
	struct xsess	*x = calloc(1, sizeof(*x));
	struct sess	*s;
	uint8_t		 sid[WIRE_SID_LEN];

	assert_non_null(x);
	memset(sid, 0, sizeof(sid));
	sid[0] = id;
	s = sess_new(sid, &test_ops, &test_cfg, x, test_now);
	assert_non_null(s);
	memcpy(s->s_cid, cl->cl_cid, WIRE_CID_LEN);
	s->s_flags |= SESS_TX_SYN_SENT;
	x->x_s = s;
	x->x_cl = cl;
	x->x_fd = -1;
	TAILQ_INSERT_TAIL(&cl->cl_sessions, x, x_cl_entry);
	cl->cl_nsess++;
	assert_int_equal(sess_table_add(&ex->ee_sessions, s), 0);
	assert_int_equal(sess_tx_write(s, test_buf, n), 0);
	return (s);
}

/* A POST from the carrier with one GACK of next for s comes in. */
static void
post_gack(struct xclient *cl, struct sess *s, uint64_t next)
{
	struct wire_batch	 b;
	struct wire_frame	 f;
	uint8_t			 gack[WIRE_GACK_LEN];
	int			 had;

	memset(&b, 0, sizeof(b));
	memset(&f, 0, sizeof(f));
	memcpy(b.b_cid, cl->cl_cid, WIRE_CID_LEN);
	memcpy(f.f_sid, s->s_id, WIRE_SID_LEN);
	f.f_flags = WIRE_F_ACK;
	wire_gack_encode(gack, next);
	f.f_payload = gack;
	f.f_len = sizeof(gack);
	b.b_frames = &f;
	b.b_nframes = 1;
	route_batch(cl, &b, &had);
	assert_int_equal(had, 1);
}

/*
 * Build a response now, of budget payload bytes at most (0: the
 * configured maximum); its first data frame's seq, or -1 if none.
 */
static int64_t
respond(struct xclient *cl, struct xresp *r, size_t budget)
{
	struct drain_limits	 dl;
	size_t			 i;

	drain_limits(cl, &dl, 1);
	if (budget > 0)
		dl.dl_max_bytes = budget;
	if (drain_collect(cl, r, &dl, test_now) == 0)
		return (-1);
	for (i = 0; i < r->r_nframes; i++)
		if (r->r_frames[i].f_flags != WIRE_F_ACK &&
		    r->r_frames[i].f_flags != WIRE_F_RST)
			return ((int64_t)r->r_frames[i].f_seq);
	return (-1);
}

/* The retry timer fires now (test_now). */
static void
retry_fires(struct xclient *cl)
{
	assert_true(ev_is_active(&cl->cl_retry));
	ev_invoke(ex->ee_loop, &cl->cl_retry, EV_TIMER);
}

static void
test_gack_without_progress(void **state)
{
	struct xclient	*cl = *state;
	struct xresp	*r = drain_resp_get();
	struct sess	*s;
	uint64_t	 h;

	/* 512 KiB: one first response of two 256 KiB frames. */
	s = mksess(cl, 1, 512 * 1024);
	assert_true(respond(cl, r, 0) >= 0);
	assert_int_equal(r->r_nframes, 2);
	h = r->r_frames[0].f_seq;
	drain_commit(cl, r, test_now);	/* in the kernel, then lost */
	assert_int_equal(sess_replay_frames(s), 2);
	assert_false(client_has_work(cl));

	/*
	 * The carrier checks its sessions after the failed POST: nothing
	 * arrived.  The POST carrying that GACK is answered with the lost
	 * frames at once, not 3 s after they were sent.  A POST response
	 * on a loaded path is small (http_post_budget): the head only.
	 */
	test_now = 100.4;
	post_gack(cl, s, h);
	assert_true(client_has_work(cl));
	assert_int_equal(respond(cl, r, 4096), (int64_t)h);
	assert_int_equal(r->r_nframes, 1);
	assert_true(r->r_urgent);
	drain_commit(cl, r, test_now);
	assert_false(client_has_work(cl));

	/*
	 * The resent head arrived but its neighbour was lost with it: the
	 * partial ACK brings that one too, EXIT_REPLAY_FAST after the last
	 * resend (sooner, it could be an original still on its way).
	 */
	test_now = 100.5;
	post_gack(cl, s, h + 1);
	assert_int_equal(sess_replay_frames(s), 1);
	assert_false(client_has_work(cl));
	test_now = 100.61;
	retry_fires(cl);
	assert_true(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), (int64_t)h + 1);
	drain_commit(cl, r, test_now);

	/* Everything arrived: nothing more is sent. */
	test_now = 100.8;
	post_gack(cl, s, h + 2);
	assert_int_equal(sess_replay_frames(s), 0);
	assert_false(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), -1);
	drain_resp_put(r);
}

static void
test_gack_soon_after_sending(void **state)
{
	struct xclient	*cl = *state;
	struct xresp	*r = drain_resp_get();
	struct sess	*s;
	uint64_t	 h;

	s = mksess(cl, 2, 512 * 1024);
	assert_true(respond(cl, r, 0) >= 0);
	h = r->r_frames[0].f_seq;
	drain_commit(cl, r, test_now);

	/*
	 * Right after sending the frames may be on their way: they go
	 * once EXIT_REPLAY_FAST old, by the retry timer, no GACK needed
	 * (the carrier's POSTs may all fail meanwhile).
	 */
	test_now = 100.05;
	post_gack(cl, s, h);
	assert_false(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), -1);
	test_now = 100.21;
	retry_fires(cl);
	assert_true(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), (int64_t)h);
	drain_commit(cl, r, test_now);
	drain_resp_put(r);
}

static void
test_gack_then_arrival(void **state)
{
	struct xclient	*cl = *state;
	struct xresp	*r = drain_resp_get();
	struct sess	*s;
	uint64_t	 h;

	s = mksess(cl, 3, 512 * 1024);
	assert_true(respond(cl, r, 0) >= 0);
	h = r->r_frames[0].f_seq;
	drain_commit(cl, r, test_now);

	/* The same, but the frames arrive in time: nothing is resent. */
	test_now = 100.05;
	post_gack(cl, s, h);
	assert_false(client_has_work(cl));
	test_now = 100.1;
	post_gack(cl, s, h + 2);
	assert_int_equal(sess_replay_frames(s), 0);
	test_now = 100.3;
	retry_fires(cl);
	assert_false(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), -1);
	drain_resp_put(r);
}

static void
test_timer_due_is_work(void **state)
{
	struct xclient	*cl = *state;
	struct xresp	*r = drain_resp_get();
	struct sess	*s;
	uint64_t	 h;

	s = mksess(cl, 4, 100000);
	assert_true(respond(cl, r, 0) >= 0);
	h = r->r_frames[0].f_seq;
	drain_commit(cl, r, test_now);
	assert_true(ev_is_active(&cl->cl_retry));
	assert_false(client_has_work(cl));

	/*
	 * No GACK at all (every POST since was reset).  The retry timer
	 * fires while no POST is held: the next POST in must be answered
	 * with the resend, not held for the long-poll window.
	 */
	test_now = 103.1;
	retry_fires(cl);
	test_now = 103.5;
	assert_true(client_has_work(cl));
	assert_int_equal(respond(cl, r, 0), (int64_t)h);
	drain_commit(cl, r, test_now);
	assert_false(client_has_work(cl));
	assert_int_equal(sess_replay_frames(s), 1);
	drain_resp_put(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gack_without_progress, setup),
		cmocka_unit_test_setup(test_gack_soon_after_sending, setup),
		cmocka_unit_test_setup(test_gack_then_arrival, setup),
		cmocka_unit_test_setup(test_timer_due_is_work, setup),
	};

	memset(test_buf, 'x', sizeof(test_buf));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
