/* Unit tests for the carrier's SOCKS5 parsers (workers/carrier/socks5.c). */
#include "gr_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "socks5.h"

static void
test_greeting(void **state)
{
	struct socks5_greeting	 g;
	const char		*err = NULL;
	const uint8_t		 ok[] = { 5, 2, 0, 2 };
	const uint8_t		 bad[] = { 4, 1, 0 };
	const uint8_t		 none[] = { 5, 0 };
	const uint8_t		 other[] = { 5, 1, 0x80 };

	assert_int_equal(socks5_parse_greeting(ok, 0, &g, &err), 0);
	assert_int_equal(socks5_parse_greeting(ok, 3, &g, &err), 0);
	assert_int_equal(socks5_parse_greeting(ok, 4, &g, &err), 4);
	assert_true(g.g_noauth && g.g_userpass);
	assert_int_equal(socks5_parse_greeting(bad, 3, &g, &err), -1);
	assert_non_null(err);
	assert_int_equal(socks5_parse_greeting(none, 2, &g, &err), -1);
	assert_int_equal(socks5_parse_greeting(other, 3, &g, &err), 3);
	assert_false(g.g_noauth || g.g_userpass);
}

static void
test_auth(void **state)
{
	struct socks5_auth	 a;
	const char		*err = NULL;
	const uint8_t		 m[] = { 1, 3, 'b', 'o', 'b', 2, 'p', 'w' };
	const uint8_t		 bad[] = { 5, 0, 0 };
	size_t			 i;

	for (i = 0; i < sizeof(m); i++)
		assert_int_equal(socks5_parse_auth(m, i, &a, &err), 0);
	assert_int_equal(socks5_parse_auth(m, sizeof(m), &a, &err), 8);
	assert_string_equal(a.a_user, "bob");
	assert_string_equal(a.a_pass, "pw");
	assert_true(socks5_auth_check(&a, "bob", "pw"));
	assert_false(socks5_auth_check(&a, "bob", "pW"));
	assert_false(socks5_auth_check(&a, "bob", "pwx"));
	assert_false(socks5_auth_check(&a, "bo", "pw"));
	assert_false(socks5_auth_check(&a, "", ""));
	assert_int_equal(socks5_parse_auth(bad, sizeof(bad), &a, &err), -1);
}

static void
test_req_ipv4(void **state)
{
	struct socks5_req	 r;
	const char		*err = NULL;
	const uint8_t		 m[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90 };
	size_t			 i;

	for (i = 0; i < sizeof(m); i++)
		assert_int_equal(socks5_parse_req(m, i, &r, &err), 0);
	assert_int_equal(socks5_parse_req(m, sizeof(m), &r, &err), 10);
	assert_int_equal(r.r_cmd, SOCKS5_CMD_CONNECT);
	assert_string_equal(r.r_target, "127.0.0.1:8080");
	assert_int_equal(r.r_tlen, strlen("127.0.0.1:8080"));
}

static void
test_req_ipv6(void **state)
{
	struct socks5_req	 r;
	const char		*err = NULL;
	uint8_t			 m[22] = { 5, 1, 0, 4 };

	m[4 + 15] = 1;			/* ::1 */
	m[20] = 0;
	m[21] = 80;
	assert_int_equal(socks5_parse_req(m, sizeof(m), &r, &err), 22);
	assert_string_equal(r.r_target, "[::1]:80");
}

static void
test_req_domain(void **state)
{
	struct socks5_req	 r;
	const char		*err = NULL;
	uint8_t			 m[300] = { 5, 1, 0, 3, 11 };
	uint8_t			 ctl[] = { 5, 1, 0, 3, 2, 'a', 0, 0, 80 };
	uint8_t			 empty[] = { 5, 1, 0, 3, 0, 0, 80 };

	memcpy(m + 5, "example.org", 11);
	m[16] = 0x01;
	m[17] = 0xbb;
	assert_int_equal(socks5_parse_req(m, 17, &r, &err), 0);
	assert_int_equal(socks5_parse_req(m, 18, &r, &err), 18);
	assert_string_equal(r.r_target, "example.org:443");

	/* 255-byte name + ":443" does not fit in a 255-byte target. */
	m[4] = 255;
	memset(m + 5, 'a', 255);
	m[260] = 1;
	m[261] = 0xbb;
	assert_int_equal(socks5_parse_req(m, 262, &r, &err), -1);
	/* 250 + ":443" = 254 fits. */
	m[4] = 250;
	m[255] = 1;
	m[256] = 0xbb;
	assert_int_equal(socks5_parse_req(m, 257, &r, &err), 257);
	assert_int_equal(r.r_tlen, 254);

	assert_int_equal(socks5_parse_req(ctl, sizeof(ctl), &r, &err), -1);
	assert_int_equal(socks5_parse_req(empty, sizeof(empty), &r, &err), -1);
}

static void
test_req_commands(void **state)
{
	struct socks5_req	 r;
	const char		*err = NULL;
	uint8_t			 udp[] = { 5, 3, 0, 1, 0, 0, 0, 0, 0, 0 };
	uint8_t			 bind[] = { 5, 2, 0, 1, 0, 0, 0, 0, 0, 0 };
	uint8_t			 atyp[] = { 5, 1, 0, 9, 0, 0, 0, 0, 0, 0 };
	uint8_t			 ver[] = { 4, 1, 0, 1, 0, 0, 0, 0, 0, 0 };

	assert_int_equal(socks5_parse_req(udp, sizeof(udp), &r, &err), 10);
	assert_int_equal(r.r_cmd, SOCKS5_CMD_UDP);
	assert_int_equal(socks5_parse_req(bind, sizeof(bind), &r, &err), 10);
	assert_int_equal(r.r_cmd, SOCKS5_CMD_BIND);
	assert_int_equal(socks5_parse_req(atyp, sizeof(atyp), &r, &err), -1);
	assert_int_equal(r.r_rep, SOCKS5_REP_ATYP);
	assert_int_equal(socks5_parse_req(ver, sizeof(ver), &r, &err), -1);
	assert_int_equal(r.r_rep, SOCKS5_REP_FAIL);
}

static void
test_replies(void **state)
{
	uint8_t	 b[SOCKS5_REPLY_LEN], m[2];
	const uint8_t want[] = { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 };

	socks5_reply(b, SOCKS5_REP_CMD);
	assert_memory_equal(b, want, sizeof(want));
	socks5_method_reply(m, SOCKS5_M_NONE);
	assert_int_equal(m[0], 5);
	assert_int_equal(m[1], 0xff);
	socks5_auth_reply(m, 0);
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_req_ipv4),
		cmocka_unit_test(test_req_ipv6),
		cmocka_unit_test(test_req_domain),
		cmocka_unit_test(test_req_commands),
		cmocka_unit_test(test_replies),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
