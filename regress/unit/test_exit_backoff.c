/*
 * Unit tests of the exit worker's pure parts: dial backoff table
 * (docs/protocol.md section 3 numbers), SOCKS5 client handshake, target
 * splitting and IP literals, checks of unauthenticated request bytes.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exit.h"
#include "log.h"

/* Stubs for what backoff.c, socks.c and resolve.c use from the worker. */
static struct exit_env	 test_env;
struct exit_env		*ex = &test_env;
static double		 test_clock = 1000.0;

double
exit_now(void)
{
	return (test_clock);
}

void
log_warnx(const char *fmt, ...)
{
}

void
log_info(const char *fmt, ...)
{
}

void
log_debug(const char *fmt, ...)
{
}

static void
test_window(void **state)
{
	assert_true(dialback_window(0) == 0);
	assert_true(dialback_window(1) == 2);
	assert_true(dialback_window(2) == 4);
	assert_true(dialback_window(3) == 8);
	assert_true(dialback_window(5) == 32);
	assert_true(dialback_window(6) == 60);
	assert_true(dialback_window(30) == 60);
}

static void
test_suppression(void **state)
{
	const char	*t = "blackhole.example:81";
	double		 now = 5000;

	assert_false(dialback_suppressed(t, now));
	dialback_fail(t, now);
	/* One failure opens a window but does not suppress yet. */
	assert_false(dialback_suppressed(t, now + 1));
	dialback_fail(t, now + 1);
	assert_true(dialback_suppressed(t, now + 2));	/* window 4 s */
	assert_false(dialback_suppressed(t, now + 5.5));
	assert_false(dialback_suppressed("other.example:81", now + 2));
	dialback_ok(t);
	assert_false(dialback_suppressed(t, now + 2));
	assert_int_equal(dialback_count(), 0);

	dialback_fail(t, now);
	dialback_fail(t, now);
	assert_int_equal(dialback_count(), 1);
	/* Forgotten 10 min after the window. */
	dialback_gc(now + 4 + 599);
	assert_int_equal(dialback_count(), 1);
	dialback_gc(now + 4 + 601);
	assert_int_equal(dialback_count(), 0);
}

static void
test_structural(void **state)
{
	assert_true(dialback_structural(ECONNREFUSED));
	assert_true(dialback_structural(ETIMEDOUT));
	assert_true(dialback_structural(ENETUNREACH));
	assert_true(dialback_structural(ENOENT));
	assert_false(dialback_structural(EMFILE));
	assert_false(dialback_structural(ENOMEM));
}

static void
test_cap(void **state)
{
	char	 t[64];
	int	 i;

	for (i = 0; i < DIALBACK_MAX_TARGETS + 10; i++) {
		snprintf(t, sizeof(t), "h%d.example:1", i);
		dialback_fail(t, 100);
	}
	assert_true(dialback_count() <= DIALBACK_MAX_TARGETS);
	dialback_gc(1e9);
	assert_int_equal(dialback_count(), 0);
}

/* Drive a socks_state against a scripted proxy. */
static void
socks_expect_out(struct socks_state *sk, const uint8_t *want, size_t n)
{
	const uint8_t	*p;
	size_t		 len;

	p = socks_out(sk, &len);
	assert_non_null(p);
	assert_int_equal(len, n);
	assert_memory_equal(p, want, n);
	socks_sent(sk, len);
	assert_null(socks_out(sk, &len));
}

static int
socks_feed(struct socks_state *sk, const uint8_t *p, size_t n, int *err)
{
	size_t	 used;
	int	 rc = 0;

	/* One byte at a time: the worker may read short. */
	while (n > 0) {
		assert_true(socks_want(sk) > 0);
		rc = socks_in(sk, p, 1, &used, err);
		if (rc != 0)
			return (rc);
		p += used;
		n -= used;
	}
	return (rc);
}

static void
test_socks_noauth(void **state)
{
	struct socks_state	*sk;
	const uint8_t		 greet[] = { 5, 1, 0 };
	const uint8_t		 req[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a',
	    'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0x01, 0xbb };
	const uint8_t		 meth[] = { 5, 0 };
	const uint8_t		 rep[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0x1f,
	    0x90 };
	int			 err = 0;

	sk = socks_new("example.com", 443, "", "");
	assert_non_null(sk);
	socks_expect_out(sk, greet, sizeof(greet));
	assert_int_equal(socks_feed(sk, meth, sizeof(meth), &err), 0);
	socks_expect_out(sk, req, sizeof(req));
	assert_int_equal(socks_feed(sk, rep, sizeof(rep), &err), 1);
	assert_int_equal(socks_want(sk), 0);
	socks_free(sk);
}

static void
test_socks_auth(void **state)
{
	struct socks_state	*sk;
	const uint8_t		 greet[] = { 5, 1, 2 };
	const uint8_t		 auth[] = { 1, 1, 'u', 2, 'p', 'w' };
	const uint8_t		 req[] = { 5, 1, 0, 1, 10, 0, 0, 1, 0, 80 };
	const uint8_t		 meth[] = { 5, 2 }, ok[] = { 1, 0 };
	const uint8_t		 rep[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c', 0,
	    1 };
	const uint8_t		 refused[] = { 5, 5, 0, 1, 0 };
	int			 err = 0;

	sk = socks_new("10.0.0.1", 80, "u", "pw");
	assert_non_null(sk);
	socks_expect_out(sk, greet, sizeof(greet));
	assert_int_equal(socks_feed(sk, meth, sizeof(meth), &err), 0);
	socks_expect_out(sk, auth, sizeof(auth));
	assert_int_equal(socks_feed(sk, ok, sizeof(ok), &err), 0);
	socks_expect_out(sk, req, sizeof(req));
	assert_int_equal(socks_feed(sk, rep, sizeof(rep), &err), 1);
	socks_free(sk);

	sk = socks_new("10.0.0.1", 80, "u", "pw");
	socks_expect_out(sk, greet, sizeof(greet));
	assert_int_equal(socks_feed(sk, meth, sizeof(meth), &err), 0);
	socks_expect_out(sk, auth, sizeof(auth));
	assert_int_equal(socks_feed(sk, ok, sizeof(ok), &err), 0);
	socks_expect_out(sk, req, sizeof(req));
	assert_int_equal(socks_feed(sk, refused, sizeof(refused), &err), -1);
	assert_int_equal(err, ECONNREFUSED);
	socks_free(sk);

	/* Proxy wants auth we do not have. */
	sk = socks_new("h", 1, "", "");
	socks_expect_out(sk, (const uint8_t []){ 5, 1, 0 }, 3);
	assert_int_equal(socks_feed(sk, meth, sizeof(meth), &err), -1);
	socks_free(sk);
	assert_null(socks_new("", 1, "", ""));
}

static void
test_split(void **state)
{
	char		 host[256];
	uint16_t	 port;

#define SPLIT(s)	dns_split(s, strlen(s), host, sizeof(host), &port)
	assert_int_equal(SPLIT("example.com:443"), 0);
	assert_string_equal(host, "example.com");
	assert_int_equal(port, 443);
	assert_int_equal(SPLIT("[::1]:8080"), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8080);
	assert_int_equal(SPLIT("::1:22"), 0);		/* last colon */
	assert_string_equal(host, "::1");
	assert_int_equal(SPLIT("1.2.3.4:65535"), 0);
	assert_int_equal(SPLIT("1.2.3.4:65536"), -1);
	assert_int_equal(SPLIT("1.2.3.4:0"), -1);
	assert_int_equal(SPLIT("1.2.3.4:"), -1);
	assert_int_equal(SPLIT("1.2.3.4"), -1);
	assert_int_equal(SPLIT(":80"), -1);
	assert_int_equal(SPLIT("a:8x"), -1);
	assert_int_equal(SPLIT("a:123456"), -1);
	assert_int_equal(SPLIT("[::1:80"), -1);
	assert_int_equal(dns_split("a\0b:80", 6, host, sizeof(host),
	    &port), -1);
#undef SPLIT
}

static void
test_literal(void **state)
{
	struct xaddrs	 xa;

	assert_int_equal(dns_literal("127.0.0.1", 80, &xa), 0);
	assert_int_equal(xa.xa_n, 1);
	assert_int_equal(xa.xa_ss[0].ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&xa.xa_ss[0])->sin_port),
	    80);
	assert_int_equal(dns_literal("::1", 443, &xa), 0);
	assert_int_equal(xa.xa_ss[0].ss_family, AF_INET6);
	assert_int_equal(dns_literal("example.com", 443, &xa), -1);
}

#define CL(s)	(s), (int)strlen(s)

static void
test_reqcheck(void **state)
{
	uint64_t	 n = 0, max = 12582912;

	assert_int_equal(reqcheck_clen(CL("12582912"), max, &n), 0);
	assert_true(n == max);
	assert_int_equal(reqcheck_clen(CL("0"), max, &n), 0);
	assert_true(n == 0);
	assert_int_equal(reqcheck_clen(CL("12582913"), max, &n), 413);
	assert_int_equal(reqcheck_clen(NULL, -1, max, &n), 411);
	assert_int_equal(reqcheck_clen("", 0, max, &n), 411);
	/* 1*DIGIT only: what strtoull would have let through is 400. */
	assert_int_equal(reqcheck_clen(CL("+5"), max, &n), 400);
	assert_int_equal(reqcheck_clen(CL(" 5"), max, &n), 400);
	assert_int_equal(reqcheck_clen(CL("-1"), max, &n), 400);
	assert_int_equal(reqcheck_clen(CL("5x"), max, &n), 400);
	assert_int_equal(reqcheck_clen(CL("18446744073709551615"), UINT64_MAX,
	    &n), 0);
	assert_int_equal(reqcheck_clen(CL("18446744073709551616"), UINT64_MAX,
	    &n), 400);
	assert_int_equal(reqcheck_clen(CL("000000000000000000001"), max, &n),
	    400);

	assert_int_equal(reqcheck_body(0, 10, 10), 0);
	assert_int_equal(reqcheck_body(5, 6, 10), 413);
	assert_int_equal(reqcheck_body(SIZE_MAX, 2, SIZE_MAX), 413);
	assert_int_equal(reqcheck_body_done(9, 10), 400);
	assert_int_equal(reqcheck_body_done(10, 10), 0);

	assert_true(reqcheck_binary("application/octet-stream"));
	assert_true(reqcheck_binary("Application/Octet-Stream; x=y"));
	assert_false(reqcheck_binary("application/octet-streamx"));
	assert_false(reqcheck_binary("text/plain"));

	assert_int_equal(reqcheck_ws(0, EXIT_HELLO_MAX, 0), 0);
	assert_int_equal(reqcheck_ws(1, EXIT_HELLO_MAX, 0), -1);
	assert_int_equal(reqcheck_ws(1, EXIT_HELLO_MAX, 1), 0);
	assert_int_equal(reqcheck_ws(EXIT_WS_MSG_MAX, 1, 1), -1);
	assert_int_equal(reqcheck_ws(SIZE_MAX, 2, 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_structural),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_socks_noauth),
		cmocka_unit_test(test_socks_auth),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_reqcheck),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
