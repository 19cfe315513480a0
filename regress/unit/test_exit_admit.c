/*
 * admit.c: pre-auth slot admission.  Real loopback connections from
 * 127.0.0.x source addresses stand for peers (admission keys on the
 * peer address of the accepted socket); the clock is ours.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exit.h"
#include "log.h"

static struct exit_env	 test_env;
struct exit_env		*ex = &test_env;
static double		 test_now = 1000.0;
static int		 test_lfd = -1;

double
exit_now(void)
{
	return (test_now);
}

/* A server-side socket whose peer is 127.0.0.host. */
static int
test_peer(int host)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 c, s;

	if (test_lfd == -1) {
		test_lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(test_lfd != -1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(test_lfd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(listen(test_lfd, 256), 0);
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl((127U << 24) | host);
	assert_int_equal(bind(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sl = sizeof(sin);
	assert_int_equal(getsockname(test_lfd, (struct sockaddr *)&sin, &sl),
	    0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	s = accept(test_lfd, NULL, NULL);
	assert_true(s != -1);
	close(c);	/* getpeername still answers on s */
	return (s);
}

static void
test_posts(void **state)
{
	struct admit_slot	 sl[40];
	int			 i, fd[40], kfd;

	memset(sl, 0, sizeof(sl));
	/* One stranger address: 4 bodies at a time. */
	for (i = 0; i < 5; i++)
		fd[i] = test_peer(2);
	for (i = 0; i < 4; i++)
		assert_int_equal(admit_take(&sl[i], fd[i], ADMIT_POST), 0);
	assert_int_equal(admit_take(&sl[4], fd[4], ADMIT_POST), -1);
	/* Strangers together: 24 of the 32. */
	for (i = 4; i < 24; i++) {
		fd[i] = test_peer(3 + (i - 4) / 4);
		assert_int_equal(admit_take(&sl[i], fd[i], ADMIT_POST), 0);
	}
	fd[24] = test_peer(20);
	assert_int_equal(admit_take(&sl[24], fd[24], ADMIT_POST), -1);
	/* A known source still gets the other 8, then nothing is left. */
	kfd = test_peer(100);
	admit_authed(kfd);
	for (i = 25; i < 33; i++) {
		fd[i] = test_peer(100);
		assert_int_equal(admit_take(&sl[i], fd[i], ADMIT_POST), 0);
		assert_true(sl[i].as_known);
	}
	fd[33] = test_peer(100);
	assert_int_equal(admit_take(&sl[33], fd[33], ADMIT_POST), -1);
	assert_int_equal(ex->ee_preauth_posts, 32);
	/* A stranger leaves: another stranger may come in. */
	admit_release(&sl[0]);
	assert_int_equal(admit_take(&sl[24], fd[24], ADMIT_POST), 0);
	for (i = 0; i < 34; i++) {
		admit_release(&sl[i]);
		close(fd[i]);
	}
	assert_int_equal(ex->ee_preauth_posts, 0);
	close(kfd);
}

static void
test_streams(void **state)
{
	struct admit_slot	 sl[20];
	int			 i, fd[20];

	memset(sl, 0, sizeof(sl));
	for (i = 0; i < 3; i++)
		fd[i] = test_peer(30);
	assert_int_equal(admit_take(&sl[0], fd[0], ADMIT_STREAM), 0);
	assert_int_equal(admit_take(&sl[1], fd[1], ADMIT_STREAM), 0);
	assert_int_equal(admit_take(&sl[2], fd[2], ADMIT_STREAM), -1);
	assert_true(admit_hello_timeout(&sl[0]) == ADMIT_HELLO_STRANGER);
	for (i = 2; i < 12; i++) {
		fd[i] = test_peer(31 + i / 2);
		assert_int_equal(admit_take(&sl[i], fd[i], ADMIT_STREAM), 0);
	}
	fd[12] = test_peer(50);
	assert_int_equal(admit_take(&sl[12], fd[12], ADMIT_STREAM), -1);
	/* 127.0.0.100 is known from test_posts. */
	for (i = 12; i < 16; i++) {
		fd[i] = test_peer(100);
		assert_int_equal(admit_take(&sl[i], fd[i], ADMIT_STREAM), 0);
		assert_true(admit_hello_timeout(&sl[i]) == ADMIT_HELLO_KNOWN);
	}
	fd[16] = test_peer(100);
	assert_int_equal(admit_take(&sl[16], fd[16], ADMIT_STREAM), -1);
	for (i = 0; i < 17; i++) {
		admit_release(&sl[i]);
		close(fd[i]);
	}
	assert_int_equal(ex->ee_preauth_streams, 0);
}

static void
test_body(void **state)
{
	struct admit_slot	 sl;
	double			 t0, next;
	int			 fd;

	memset(&sl, 0, sizeof(sl));
	fd = test_peer(60);
	t0 = test_now;
	assert_int_equal(admit_take(&sl, fd, ADMIT_POST), 0);
	/* Nothing yet: checked again at the end of the grace period. */
	next = admit_body_check(&sl, 0, 100000, t0);
	assert_true(next > ADMIT_BODY_GRACE - 0.01 &&
	    next < ADMIT_BODY_GRACE + 0.01);
	assert_true(admit_body_check(&sl, 0, 100000, t0 + 1.9) > 0);
	assert_true(admit_body_check(&sl, 0, 100000, t0 + 2.0) == 0);
	/* One byte a second falls behind; the average rate keeps up. */
	assert_true(admit_body_check(&sl, 3, 100000, t0 + 3.0) == 0);
	next = admit_body_check(&sl, ADMIT_BODY_RATE * 2, 100000, t0 + 3.0);
	assert_true(next > 0.9 && next < 1.1);
	/* Whatever the rate: at most the deadline. */
	assert_true(admit_body_check(&sl, 99999, 100000,
	    t0 + ADMIT_BODY_DEADLINE) == 0);
	admit_release(&sl);
	/* A known source: the long deadline only. */
	admit_authed(fd);
	assert_int_equal(admit_take(&sl, fd, ADMIT_POST), 0);
	assert_true(sl.as_known);
	assert_true(admit_body_check(&sl, 0, 100000, t0 + 20) > 0);
	assert_true(admit_body_check(&sl, 0, 100000,
	    t0 + ADMIT_BODY_KNOWN) == 0);
	admit_release(&sl);
	/* Known only for ADMIT_KNOWN_TTL. */
	test_now += ADMIT_KNOWN_TTL + 1;
	assert_int_equal(admit_take(&sl, fd, ADMIT_POST), 0);
	assert_false(sl.as_known);
	admit_release(&sl);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posts),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_body),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
