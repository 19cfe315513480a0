/*
 * common/txpace.c: the delivery-rate estimate (windowed max, app-limited
 * samples ignored, probes upwards when the budget was the limit), budgets
 * by time with byte bounds, and "room"
 * on a real loopback TCP connection whose reader stops: the kernel's
 * unsent queue reaches the low-water mark and the answer turns to "wait".
 * A socket without TCP_INFO (AF_UNIX) keeps the old behaviour.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "txpace.h"

static void
test_txpace_estimate(void **state)
{
	struct txpace	 tp;

	(void)state;
	txpace_init(&tp, -1, 6 * 1024 * 1024, 100.0);
	tp.tp_on = 1;
	/* No sample yet: the smallest message. */
	assert_int_equal(txpace_budget(&tp, 100.0), TXPACE_MSG_MIN);
	txpace_sample(&tp, 2.5e6, 0, 0, 100.01);
	assert_true(tp.tp_rate == 2.5e6);
	assert_int_equal(txpace_budget(&tp, 100.01),
	    (size_t)(2.5e6 * TXPACE_MSG_TIME));
	/* App-limited samples do not count, lower or (absurdly) higher. */
	txpace_sample(&tp, 1e5, 1, 0, 100.02);
	assert_true(tp.tp_rate == 2.5e6);
	txpace_sample(&tp, 3e8, 1, 0, 100.025);
	assert_true(tp.tp_rate == 2.5e6);
	txpace_sample(&tp, 3e6, 0, 0, 100.03);
	assert_true(tp.tp_rate == 3e6);
	/* A slower path is followed within the window. */
	txpace_sample(&tp, 1e6, 0, 0, 100.6);
	assert_true(tp.tp_rate == 3e6);
	txpace_sample(&tp, 1e6, 0, 0, 101.2);
	assert_true(tp.tp_rate == 1e6);
	/* Fast paths: the byte cap. */
	txpace_sample(&tp, 4e9, 0, 0, 101.3);
	assert_int_equal(txpace_budget(&tp, 101.3), 6 * 1024 * 1024);
	/* Idle: the estimate stays. */
	txpace_sample(&tp, 0, 1, 0, 200.0);
	assert_true(tp.tp_rate == 4e9);
}

/* Probes: from nothing to the smallest message's rate, by a quarter. */
static void
test_txpace_probe(void **state)
{
	struct txpace	 tp;
	double		 r;

	(void)state;
	txpace_init(&tp, -1, 6 * 1024 * 1024, 10.0);
	tp.tp_on = 1;
	txpace_probe(&tp, 0, 10.0);
	r = TXPACE_MSG_MIN / TXPACE_MSG_TIME * 1.25;
	assert_true(tp.tp_rate > r * 0.999 && tp.tp_rate < r * 1.001);
	txpace_probe(&tp, 0, 10.001);
	assert_true(tp.tp_rate > r * 1.25 * 0.999);
	/* Never past the ceiling. */
	txpace_probe(&tp, r * 1.3, 10.002);
	assert_true(tp.tp_rate <= r * 1.3 * 1.001);
	/* A probe is a sample like others: it ages out of the window. */
	txpace_sample(&tp, 1e6, 0, 0, 12.0);
	assert_true(tp.tp_rate == 1e6);
}

static void
test_txpace_unix(void **state)
{
	struct txpace	 tp;
	int		 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	txpace_init(&tp, sv[0], 2 * 1024 * 1024, 1.0);
	txpace_writable(&tp, 1.0);
	assert_int_equal(txpace_room(&tp, 1.0), 1);
	txpace_sent(&tp, 10 * 1024 * 1024, 1.0);
	assert_int_equal(txpace_room(&tp, 1.0), 1);
	assert_int_equal(txpace_budget(&tp, 1.0), 2 * 1024 * 1024);
	close(sv[0]);
	close(sv[1]);
}

#ifdef __linux__
static void
test_txpace_tcp(void **state)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	struct txpace		 tp;
	static char		 buf[64 * 1024];
	double			 now = 1.0;
	ssize_t			 n;
	uint32_t		 lowat;
	int			 l, c, a, i, full = 0, one = 1;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((l = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &slen), 0);
	assert_true((c = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_true((a = accept(l, NULL, NULL)) >= 0);
	/* A small receive buffer: the sender's queue builds up soon. */
	i = 4096;
	(void)setsockopt(a, SOL_SOCKET, SO_RCVBUF, &i, sizeof(i));
	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	assert_int_equal(fcntl(c, F_SETFL, O_NONBLOCK), 0);
	txpace_init(&tp, c, 2 * 1024 * 1024, now);
	assert_int_equal(tp.tp_on, 1);
	assert_true(tp.tp_lowat >= TXPACE_LOWAT_MIN);
	assert_int_equal(txpace_room(&tp, now), 1);
	/* Nobody reads: the unsent queue grows past the low-water mark. */
	for (i = 0; i < 4096 && !full; i++) {
		now += 0.01;
		if (!txpace_room(&tp, now)) {
			full = 1;
			break;
		}
		n = send(c, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN)
			break;
		assert_true(n > 0);
		txpace_sent(&tp, (size_t)n, now);
	}
	/*
	 * Loopback delivers at GB/s: the low-water mark may be at its cap
	 * (TXPACE_LOWAT_MAX), above what the send buffer holds, and then
	 * the socket refuses bytes first.  Either way the kernel has the
	 * mark we set.
	 */
	assert_true(full || tp.tp_lowat == TXPACE_LOWAT_MAX);
	if (full)
		assert_true(tp.tp_notsent >= tp.tp_lowat);
	assert_true(tp.tp_samples > 0);
	slen = sizeof(lowat);
	assert_int_equal(getsockopt(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
	    &slen), 0);
	assert_int_equal(lowat, tp.tp_lowat);
	close(a);
	close(c);
	close(l);
}
#endif

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_txpace_estimate),
		cmocka_unit_test(test_txpace_probe),
		cmocka_unit_test(test_txpace_unix),
#ifdef __linux__
		cmocka_unit_test(test_txpace_tcp),
#endif
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
