/*
 * The routing token (workers/carrier/rtoken.c, issue 16): a known answer
 * computed independently (Python's hmac), stable for one client id,
 * different for another client id or another key, never the client id
 * itself, and the URL forms the carrier sends.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtoken.h"

static uint8_t	key[32], cid[16];

static void
setup_vectors(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(cid); i++)
		cid[i] = (uint8_t)(100 + i);
}

/*
 * python3: k = hmac.new(bytes(range(32)), b"gooserelayd routing token v1",
 * sha256).digest(); hmac.new(k, bytes(range(100, 116)), sha256)
 * .digest()[:8].hex()
 */
static void
test_known_answer(void **state)
{
	char	 hex[RTOKEN_HEXLEN + 1];

	setup_vectors();
	assert_int_equal(rtoken_compute(key, sizeof(key), cid, sizeof(cid),
	    hex), 0);
	assert_string_equal(hex, "ee9afdb2da59be6c");
}

static void
test_keyed_and_opaque(void **state)
{
	char	 a[RTOKEN_HEXLEN + 1], b[RTOKEN_HEXLEN + 1];
	char	 c[RTOKEN_HEXLEN + 1], cidhex[33];
	size_t	 i;

	setup_vectors();
	assert_int_equal(rtoken_compute(key, 32, cid, 16, a), 0);
	assert_int_equal(rtoken_compute(key, 32, cid, 16, b), 0);
	assert_string_equal(a, b);		/* stable for the run */
	cid[0] ^= 1;
	assert_int_equal(rtoken_compute(key, 32, cid, 16, b), 0);
	assert_string_not_equal(a, b);		/* another run */
	cid[0] ^= 1;
	key[31] ^= 0x80;
	assert_int_equal(rtoken_compute(key, 32, cid, 16, c), 0);
	assert_string_not_equal(a, c);		/* another key */
	key[31] ^= 0x80;
	for (i = 0; i < 16; i++)
		snprintf(cidhex + 2 * i, 3, "%02x", cid[i]);
	assert_null(strstr(cidhex, a));
	assert_int_equal(strlen(a), RTOKEN_HEXLEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), RTOKEN_HEXLEN);
}

static void
test_paths(void **state)
{
	char	 out[128];

	setup_vectors();
	rtoken_set(key, 32, cid, 16, 0);
	assert_string_equal(rtoken_query(), "");
	assert_int_equal(rtoken_path("/tunnel", out, sizeof(out)), 0);
	assert_string_equal(out, "/tunnel");

	rtoken_set(key, 32, cid, 16, 1);
	assert_string_equal(rtoken_query(), "?r=ee9afdb2da59be6c");
	assert_int_equal(rtoken_path("/tunnel", out, sizeof(out)), 0);
	assert_string_equal(out, "/tunnel?r=ee9afdb2da59be6c");
	assert_int_equal(rtoken_path("/x/stream?a=b", out, sizeof(out)), 0);
	assert_string_equal(out, "/x/stream?a=b&r=ee9afdb2da59be6c");
	/* Too long: refused, never cut. */
	assert_int_equal(rtoken_path("/tunnel", out, 12), -1);
	rtoken_set(key, 32, cid, 16, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_keyed_and_opaque),
		cmocka_unit_test(test_paths),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
