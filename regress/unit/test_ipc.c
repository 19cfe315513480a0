/*
 * IPC unit tests: framing (ipc_parse), every row of the message table
 * (direction, bounds, fd rule, states, continuation flag), and real
 * traffic over a socketpair on libev: round trip, fd passing, big
 * payloads in pieces, and each kind of violation reaching the error
 * callback instead of a handler.
 */
#include "gr_config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "conf.h"
#include "ipc.h"
#include "msg.h"

static const uint32_t test_ipc_types[] = {
	IMSG_HELLO, IMSG_START, IMSG_READY, IMSG_SHUTDOWN, IMSG_LOG,
	IMSG_TEST, IMSG_CONF_START, IMSG_CONF_LISTENER, IMSG_CONF_CARRIER,
	IMSG_CONF_EXIT, IMSG_CONF_KEY, IMSG_CONF_CA, IMSG_CONF_END,
	IMSG_CONF_DONE, IMSG_CONF_FAIL, IMSG_CTL_VERBOSE, IMSG_STATS_REQ,
	IMSG_STATS, IMSG_QUOTA_LOAD, IMSG_QUOTA_SAVE,
};
#define NTYPES	(sizeof(test_ipc_types) / sizeof(test_ipc_types[0]))

/* A receiver: records what it got, and the error if any. */
struct test_ipc_rx {
	int		 tr_count;
	uint32_t	 tr_type[64];
	uint16_t	 tr_flags[64];
	uint32_t	 tr_peerid[64];
	size_t		 tr_len[64];
	int		 tr_fd;
	uint8_t		*tr_buf;
	size_t		 tr_buflen;
	char		 tr_error[256];
	int		 tr_free_in_cb;
};

static void
test_ipc_dispatch(struct ipc *ipc, struct imsg *imsg, void *arg)
{
	struct test_ipc_rx	*rx = arg;

	if (rx->tr_count < 64) {
		rx->tr_type[rx->tr_count] = imsg->hdr.type;
		rx->tr_flags[rx->tr_count] = imsg->hdr.flags;
		rx->tr_peerid[rx->tr_count] = imsg->hdr.peerid;
		rx->tr_len[rx->tr_count] = imsg->datalen;
	}
	rx->tr_count++;
	assert_int_equal(imsg->hdr.pid, getpid());
	if (imsg->fd != -1) {
		if (rx->tr_fd != -1)
			close(rx->tr_fd);
		rx->tr_fd = imsg->fd;
	}
	if (imsg->datalen > 0) {
		rx->tr_buf = realloc(rx->tr_buf, rx->tr_buflen +
		    imsg->datalen);
		assert_non_null(rx->tr_buf);
		memcpy(rx->tr_buf + rx->tr_buflen, imsg->data, imsg->datalen);
		rx->tr_buflen += imsg->datalen;
	}
	if (rx->tr_free_in_cb)
		ipc_free(ipc);
}

static void
test_ipc_error(struct ipc *ipc, const char *why, void *arg)
{
	struct test_ipc_rx	*rx = arg;

	snprintf(rx->tr_error, sizeof(rx->tr_error), "%s", why);
}

struct test_ipc_pair {
	struct ev_loop		*tp_loop;
	int			 tp_sp[2];
	struct ipc		*tp_sup;	/* receives W2S */
	struct ipc		*tp_wrk;	/* receives S2W */
	struct test_ipc_rx	 tp_suprx;
	struct test_ipc_rx	 tp_wrkrx;
};

static int
test_ipc_setup(void **state)
{
	struct test_ipc_pair	*tp;

	tp = calloc(1, sizeof(*tp));
	assert_non_null(tp);
	tp->tp_loop = ev_loop_new(GR_EV_FLAGS);
	assert_non_null(tp->tp_loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    tp->tp_sp), 0);
	tp->tp_suprx.tr_fd = tp->tp_wrkrx.tr_fd = -1;
	tp->tp_sup = ipc_new(tp->tp_loop, tp->tp_sp[0], MSG_DIR_W2S,
	    PROC_CARRIER, test_ipc_dispatch, test_ipc_error, &tp->tp_suprx);
	tp->tp_wrk = ipc_new(tp->tp_loop, tp->tp_sp[1], MSG_DIR_S2W,
	    PROC_CARRIER, test_ipc_dispatch, test_ipc_error, &tp->tp_wrkrx);
	assert_non_null(tp->tp_sup);
	assert_non_null(tp->tp_wrk);
	*state = tp;
	return 0;
}

static int
test_ipc_teardown(void **state)
{
	struct test_ipc_pair	*tp = *state;

	ipc_free(tp->tp_sup);
	if (!tp->tp_wrkrx.tr_free_in_cb)
		ipc_free(tp->tp_wrk);
	if (tp->tp_suprx.tr_fd != -1)
		close(tp->tp_suprx.tr_fd);
	if (tp->tp_wrkrx.tr_fd != -1)
		close(tp->tp_wrkrx.tr_fd);
	free(tp->tp_suprx.tr_buf);
	free(tp->tp_wrkrx.tr_buf);
	ev_loop_destroy(tp->tp_loop);
	free(tp);
	return 0;
}

static void
test_ipc_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until rx saw n messages or an error; bounded (2 s). */
static void
test_ipc_run(struct test_ipc_pair *tp, struct test_ipc_rx *rx, int n)
{
	ev_timer	 t;
	int		 i;

	ev_timer_init(&t, test_ipc_timeout, 2.0, 0.);
	ev_timer_start(tp->tp_loop, &t);
	for (i = 0; i < 10000 && rx->tr_count < n && rx->tr_error[0] == '\0' &&
	    ev_is_active(&t); i++)
		ev_run(tp->tp_loop, EVRUN_ONCE);
	ev_timer_stop(tp->tp_loop, &t);
}

static void
test_ipc_parse(void **state)
{
	uint8_t		 buf[64];
	struct imsg_hdr	 h, out;
	const char	*why = NULL;

	memset(&h, 0, sizeof(h));
	h.type = IMSG_START;
	h.len = MSG_HDR_SIZE + 4;
	memcpy(buf, &h, sizeof(h));
	memset(buf + 16, 'x', 4);
	assert_int_equal(sizeof(struct imsg_hdr), MSG_HDR_SIZE);
	/* Incomplete header, incomplete payload, then the whole message. */
	assert_int_equal(ipc_parse(buf, 10, &out, &why), 0);
	assert_int_equal(ipc_parse(buf, 18, &out, &why), 0);
	assert_int_equal(ipc_parse(buf, 20, &out, &why), 20);
	assert_int_equal(ipc_parse(buf, 64, &out, &why), 20);
	assert_int_equal(out.type, IMSG_START);
	/* A length shorter than the header. */
	h.len = 15;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(ipc_parse(buf, 20, &out, &why), -1);
	assert_non_null(why);
	/* Unknown flag bits. */
	why = NULL;
	h.len = 16;
	h.flags = 0x80;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(ipc_parse(buf, 20, &out, &why), -1);
	assert_non_null(why);
}

/* A role the row concerns. */
static enum proc_role
test_ipc_good_role(const struct msg_desc *md)
{
	return (md->md_roles & RL(PROC_CARRIER)) ? PROC_CARRIER : PROC_EXIT;
}

static void
test_ipc_table(void **state)
{
	const struct msg_desc	*md;
	enum proc_role		 role;
	int			 other, fd;
	size_t			 i;

	assert_int_equal(msg_count(), NTYPES);
	for (i = 0; i < NTYPES; i++) {
		md = msg_lookup(test_ipc_types[i]);
		assert_non_null(md);
		assert_int_equal(msg_index(md->md_type), (int)i);
		assert_string_not_equal(msg_name(md->md_type), "UNKNOWN");
		assert_true(md->md_maxlen <= MSG_MAX_PAYLOAD);
		assert_true(md->md_minlen <= md->md_maxlen);
		assert_int_not_equal(md->md_roles, 0);
		assert_int_equal(md->md_roles & ~RL_WORKERS, 0);
		role = test_ipc_good_role(md);
		fd = md->md_fd == MSG_FD_REQUIRED;
		other = md->md_dir == MSG_DIR_S2W ? MSG_DIR_W2S : MSG_DIR_S2W;
		/* The good case at both bounds. */
		assert_null(msg_check(md->md_type, md->md_dir, role,
		    md->md_minlen, fd));
		assert_null(msg_check(md->md_type, md->md_dir, role,
		    md->md_maxlen, fd));
		/* Direction. */
		assert_non_null(msg_check(md->md_type, other, role,
		    md->md_minlen, fd));
		/* Role: never the supervisor's, never another worker's. */
		assert_non_null(msg_check(md->md_type, md->md_dir,
		    PROC_SUPERVISOR, md->md_minlen, fd));
		if (md->md_roles != RL_WORKERS)
			assert_non_null(msg_check(md->md_type, md->md_dir,
			    role == PROC_CARRIER ? PROC_EXIT : PROC_CARRIER,
			    md->md_minlen, fd));
		/* Bounds. */
		if (md->md_minlen > 0)
			assert_non_null(msg_check(md->md_type, md->md_dir,
			    role, md->md_minlen - 1, fd));
		assert_non_null(msg_check(md->md_type, md->md_dir, role,
		    (size_t)md->md_maxlen + 1, fd));
		/* fd rule. */
		if (md->md_fd == MSG_FD_REQUIRED)
			assert_non_null(msg_check(md->md_type, md->md_dir,
			    role, md->md_minlen, 0));
		if (md->md_fd == MSG_FD_NONE)
			assert_non_null(msg_check(md->md_type, md->md_dir,
			    role, md->md_minlen, 1));
		/* Continuation flag. */
		assert_null(msg_check_flags(md->md_type, 0));
		if (md->md_flags & MSG_F_MORE)
			assert_null(msg_check_flags(md->md_type, IMSGF_MORE));
		else
			assert_non_null(msg_check_flags(md->md_type,
			    IMSGF_MORE));
		assert_non_null(msg_check_flags(md->md_type, 0x40));
	}
	assert_null(msg_lookup(99));
	assert_null(msg_lookup(0));
	assert_int_equal(msg_index(99), -1);
	assert_non_null(msg_check(99, MSG_DIR_S2W, PROC_EXIT, 0, 0));
	assert_string_equal(msg_name(12345), "UNKNOWN");
	assert_string_equal(proc_role_name(PROC_EXIT), "exit");
	assert_string_equal(proc_role_name(PROC_CARRIER), "carrier");
	/* HELLO: any length from the version on (older and newer builds). */
	assert_null(msg_check(IMSG_HELLO, MSG_DIR_W2S, PROC_EXIT, 4, 0));
	assert_null(msg_check(IMSG_HELLO, MSG_DIR_W2S, PROC_EXIT,
	    sizeof(struct msg_hello), 0));
	assert_non_null(msg_check(IMSG_HELLO, MSG_DIR_W2S, PROC_EXIT, 3, 0));
	assert_non_null(msg_check(IMSG_CONF_KEY, MSG_DIR_S2W, PROC_EXIT,
	    31, 0));
	/* The layout identity is stable within a build. */
	assert_int_equal(msg_layout_id(), msg_layout_id());
	assert_int_not_equal(msg_layout_id(), 0);
}

static void
test_ipc_roundtrip(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct msg_gen		 mg = { 7 };
	struct msg_hello	 mh = { MSG_PROTO_VERSION, PROC_CARRIER, 0, 1,
	    0, "test" };

	assert_int_equal(ipc_role(tp->tp_wrk), PROC_CARRIER);
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_START, 7, -1, &mg,
	    sizeof(mg)), 0);
	assert_int_equal(ipc_queued(tp->tp_sup), 1);
	assert_int_equal(ipc_send(tp->tp_wrk, IMSG_HELLO, 0, -1, &mh,
	    sizeof(mh)), 0);
	test_ipc_run(tp, &tp->tp_wrkrx, 1);
	test_ipc_run(tp, &tp->tp_suprx, 1);
	assert_string_equal(tp->tp_wrkrx.tr_error, "");
	assert_string_equal(tp->tp_suprx.tr_error, "");
	assert_int_equal(tp->tp_wrkrx.tr_count, 1);
	assert_int_equal(tp->tp_wrkrx.tr_type[0], IMSG_CONF_START);
	assert_int_equal(tp->tp_wrkrx.tr_peerid[0], 7);
	assert_int_equal(tp->tp_wrkrx.tr_len[0], sizeof(mg));
	assert_memory_equal(tp->tp_wrkrx.tr_buf, &mg, sizeof(mg));
	assert_int_equal(tp->tp_suprx.tr_count, 1);
	assert_int_equal(tp->tp_suprx.tr_type[0], IMSG_HELLO);
	assert_int_equal(ipc_queued(tp->tp_sup), 0);
	/* Zero-length message. */
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_START, 0, -1, NULL, 0), 0);
	test_ipc_run(tp, &tp->tp_wrkrx, 2);
	assert_int_equal(tp->tp_wrkrx.tr_count, 2);
	assert_int_equal(tp->tp_wrkrx.tr_len[1], 0);
	/* The sender refuses unknown types and oversized payloads. */
	assert_int_equal(ipc_send(tp->tp_sup, 99, 0, -1, NULL, 0), -1);
}

static void
test_ipc_fd_passing(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct msg_listener	 ml;
	int			 p[2], i;
	char			 buf[16];

	for (i = 0; i < 3; i++) {
		assert_int_equal(pipe(p), 0);
		memset(&ml, 0, sizeof(ml));
		ml.ml_kind = LISTENER_HTTP;
		snprintf(ml.ml_addr, sizeof(ml.ml_addr), "127.0.0.1:%d", i);
		/* The sender closes its copy after sending. */
		assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_LISTENER, 1,
		    p[0], &ml, sizeof(ml)), 0);
		test_ipc_run(tp, &tp->tp_wrkrx, i + 1);
		assert_string_equal(tp->tp_wrkrx.tr_error, "");
		assert_int_equal(tp->tp_wrkrx.tr_count, i + 1);
		assert_int_not_equal(tp->tp_wrkrx.tr_fd, -1);
		assert_true(tp->tp_wrkrx.tr_flags[i] & IMSGF_HASFD);
		/* Bytes written to the pipe come out of the received fd. */
		assert_int_equal(write(p[1], "hello", 5), 5);
		assert_int_equal(read(tp->tp_wrkrx.tr_fd, buf, sizeof(buf)),
		    5);
		assert_memory_equal(buf, "hello", 5);
		/* Received close-on-exec. */
		assert_true(fcntl(tp->tp_wrkrx.tr_fd, F_GETFD) & FD_CLOEXEC);
		close(p[1]);
	}
}

static void
test_ipc_big(void **state)
{
	struct test_ipc_pair	*tp = *state;
	size_t			 len = 200000, i;
	uint8_t			*big;

	big = malloc(len);
	assert_non_null(big);
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(ipc_send_big(tp->tp_sup, IMSG_CONF_CA, 3, big, len),
	    0);
	test_ipc_run(tp, &tp->tp_wrkrx, 4);
	assert_string_equal(tp->tp_wrkrx.tr_error, "");
	assert_int_equal(tp->tp_wrkrx.tr_count, 4);
	for (i = 0; i < 3; i++)
		assert_true(tp->tp_wrkrx.tr_flags[i] & IMSGF_MORE);
	assert_false(tp->tp_wrkrx.tr_flags[3] & IMSGF_MORE);
	assert_int_equal(tp->tp_wrkrx.tr_buflen, len);
	assert_memory_equal(tp->tp_wrkrx.tr_buf, big, len);
	free(big);
}

/* ipc_flush writes the queue out without the loop. */
static void
test_ipc_flush(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct msg_gen		 mg = { 1 };
	int			 i;

	for (i = 0; i < 5; i++)
		assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_START, i, -1,
		    &mg, sizeof(mg)), 0);
	assert_int_equal(ipc_queued(tp->tp_sup), 5);
	assert_int_equal(ipc_flush(tp->tp_sup), 0);
	assert_int_equal(ipc_queued(tp->tp_sup), 0);
}

static void
test_ipc_expect_error(struct test_ipc_pair *tp, const char *substr)
{
	test_ipc_run(tp, &tp->tp_wrkrx, 1000);
	assert_int_equal(tp->tp_wrkrx.tr_count, 0);
	if (strstr(tp->tp_wrkrx.tr_error, substr) == NULL)
		fail_msg("error \"%s\", wanted \"%s\"", tp->tp_wrkrx.tr_error,
		    substr);
}

static void	test_ipc_raw(struct test_ipc_pair *, uint32_t, uint16_t,
		    uint16_t, size_t);

/* START is once-only: the sender refuses a second, the receiver too. */
static void
test_ipc_once(void **state)
{
	struct test_ipc_pair	*tp = *state;

	assert_int_equal(ipc_send(tp->tp_sup, IMSG_START, 0, -1, NULL, 0), 0);
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_START, 0, -1, NULL, 0), -1);
	test_ipc_run(tp, &tp->tp_wrkrx, 1);
	assert_int_equal(tp->tp_wrkrx.tr_count, 1);
	test_ipc_raw(tp, IMSG_START, 16, 0, 0);
	test_ipc_run(tp, &tp->tp_wrkrx, 1000);
	assert_int_equal(tp->tp_wrkrx.tr_count, 1);
	if (strstr(tp->tp_wrkrx.tr_error, "once") == NULL)
		fail_msg("error \"%s\"", tp->tp_wrkrx.tr_error);
}

/* An exit never receives a carrier-only message, nor sends one. */
static void
test_ipc_role(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct test_ipc_rx	 rx;
	struct imsg_hdr		 h;
	struct ipc		*ex;
	struct carrier_conf	*cc;
	uint8_t			 buf[18];
	int			 sp[2];

	cc = calloc(1, sizeof(*cc));
	assert_non_null(cc);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ex = ipc_new(tp->tp_loop, sp[0], MSG_DIR_W2S, PROC_EXIT,
	    test_ipc_dispatch, test_ipc_error, &tp->tp_suprx);
	assert_non_null(ex);
	assert_int_equal(ipc_send(ex, IMSG_CONF_CARRIER, 1, -1, cc,
	    sizeof(*cc)), -1);
	assert_int_equal(ipc_send(ex, IMSG_QUOTA_LOAD, 1, -1, "{}", 2), -1);
	/* Nor in the direction it receives. */
	assert_int_equal(ipc_send(ex, IMSG_READY, 0, -1, NULL, 0), -1);
	ipc_free(ex);
	close(sp[1]);
	free(cc);
	/* Received by an exit: a violation, not a handler call. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	memset(&rx, 0, sizeof(rx));
	rx.tr_fd = -1;
	ex = ipc_new(tp->tp_loop, sp[1], MSG_DIR_S2W, PROC_EXIT,
	    test_ipc_dispatch, test_ipc_error, &rx);
	assert_non_null(ex);
	memset(&h, 0, sizeof(h));
	h.type = IMSG_QUOTA_LOAD;
	h.len = sizeof(buf);
	h.pid = getpid();
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "{}", 2);
	assert_int_equal(write(sp[0], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	test_ipc_run(tp, &rx, 1000);
	assert_int_equal(rx.tr_count, 0);
	if (strstr(rx.tr_error, "another worker role") == NULL)
		fail_msg("error \"%s\"", rx.tr_error);
	ipc_free(ex);
	close(sp[0]);
	free(rx.tr_buf);
}

static void
test_ipc_bad_direction(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct msg_gen		 mg = { 1 };

	/* The sender refuses; raw bytes are refused by the receiver. */
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_DONE, 0, -1, &mg,
	    sizeof(mg)), -1);
	test_ipc_raw(tp, IMSG_CONF_DONE, 16 + sizeof(mg), 0, sizeof(mg));
	test_ipc_expect_error(tp, "wrong direction");
}

static void
test_ipc_bad_length(void **state)
{
	struct test_ipc_pair	*tp = *state;
	uint8_t			 key[31] = { 0 };

	assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_KEY, 0, -1, key,
	    sizeof(key)), 0);
	test_ipc_expect_error(tp, "too short");
}

static void
test_ipc_unexpected_fd(void **state)
{
	struct test_ipc_pair	*tp = *state;
	struct msg_gen		 mg = { 1 };
	int			 p[2];

	assert_int_equal(pipe(p), 0);
	close(p[1]);
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_CONF_START, 0, p[0], &mg,
	    sizeof(mg)), 0);
	test_ipc_expect_error(tp, "unexpected file descriptor");
}

/* Write a raw header (and payload) straight onto the socket. */
static void
test_ipc_raw(struct test_ipc_pair *tp, uint32_t type, uint16_t len,
    uint16_t flags, size_t paylen)
{
	struct imsg_hdr	 h;
	uint8_t		 buf[16 + 1024];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = len;
	h.flags = flags;
	h.pid = getpid();
	memcpy(buf, &h, sizeof(h));
	memset(buf + 16, 0, paylen);
	assert_int_equal(write(tp->tp_sp[0], buf, 16 + paylen),
	    (ssize_t)(16 + paylen));
}

static void
test_ipc_missing_fd(void **state)
{
	struct test_ipc_pair	*tp = *state;

	/* Flagged as carrying an fd, but none was attached. */
	test_ipc_raw(tp, IMSG_CONF_LISTENER, 16 + sizeof(struct msg_listener),
	    IMSGF_HASFD, sizeof(struct msg_listener));
	test_ipc_expect_error(tp, "did not arrive");
}

static void
test_ipc_required_fd(void **state)
{
	struct test_ipc_pair	*tp = *state;

	test_ipc_raw(tp, IMSG_CONF_LISTENER, 16 + sizeof(struct msg_listener),
	    0, sizeof(struct msg_listener));
	test_ipc_expect_error(tp, "descriptor missing");
}

static void
test_ipc_short_header_len(void **state)
{
	struct test_ipc_pair	*tp = *state;

	test_ipc_raw(tp, IMSG_START, 4, 0, 0);
	test_ipc_expect_error(tp, "shorter than its header");
}

static void
test_ipc_unknown_type(void **state)
{
	struct test_ipc_pair	*tp = *state;

	test_ipc_raw(tp, 4242, 16, 0, 0);
	test_ipc_expect_error(tp, "unknown message type");
}

static void
test_ipc_bad_more(void **state)
{
	struct test_ipc_pair	*tp = *state;

	test_ipc_raw(tp, IMSG_START, 16, IMSGF_MORE, 0);
	test_ipc_expect_error(tp, "continuation");
}

static void
test_ipc_eof(void **state)
{
	struct test_ipc_pair	*tp = *state;

	ipc_free(tp->tp_sup);
	tp->tp_sup = NULL;
	test_ipc_expect_error(tp, "EOF");
}

/* Messages queued before an EOF are still delivered. */
static void
test_ipc_eof_after_data(void **state)
{
	struct test_ipc_pair	*tp = *state;

	test_ipc_raw(tp, IMSG_START, 16, 0, 0);
	shutdown(tp->tp_sp[0], SHUT_WR);
	test_ipc_run(tp, &tp->tp_wrkrx, 1000);
	assert_int_equal(tp->tp_wrkrx.tr_count, 1);
	assert_string_equal(tp->tp_wrkrx.tr_error, "EOF");
}

/* A handler may free its own ipc (the supervisor kills a worker). */
static void
test_ipc_free_in_callback(void **state)
{
	struct test_ipc_pair	*tp = *state;

	tp->tp_wrkrx.tr_free_in_cb = 1;
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_STATS_REQ, 0, -1, NULL, 0),
	    0);
	assert_int_equal(ipc_send(tp->tp_sup, IMSG_STATS_REQ, 0, -1, NULL, 0),
	    0);
	test_ipc_run(tp, &tp->tp_wrkrx, 2);
	assert_int_equal(tp->tp_wrkrx.tr_count, 1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, test_ipc_setup, \
		    test_ipc_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipc_parse),
		cmocka_unit_test(test_ipc_table),
		T(test_ipc_roundtrip),
		T(test_ipc_fd_passing),
		T(test_ipc_big),
		T(test_ipc_flush),
		T(test_ipc_once),
		T(test_ipc_role),
		T(test_ipc_bad_direction),
		T(test_ipc_bad_length),
		T(test_ipc_unexpected_fd),
		T(test_ipc_missing_fd),
		T(test_ipc_required_fd),
		T(test_ipc_short_header_len),
		T(test_ipc_unknown_type),
		T(test_ipc_bad_more),
		T(test_ipc_eof),
		T(test_ipc_eof_after_data),
		T(test_ipc_free_in_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
