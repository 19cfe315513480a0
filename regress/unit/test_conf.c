/*
 * Configuration parser: good files (YAML with both sections, GooseRelayVPN
 * client/server JSON, legacy keys, a BOM), each kind of bad file with its
 * exact "file:line: key: reason", presets against explicit keys, origins,
 * the redacted dump and the demo.
 */
#include "gr_config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "confparse.h"
#include "conf_keys.h"	/* the key table, to check the docs cover it */

#ifndef CONF_DATADIR
#define CONF_DATADIR "regress/data/conf"
#endif

#define KEY_HEX	\
	"a4c123b1612dd272d1371c17149d439536b3216fdaeeb975729fae923d5a4fd1"
#define DEP1	\
	"AKfycbJors_6ILi8IHn5kxsC7tVO_HbkQfyy_KV5zjR3j1twdTKWTddB-XhkAS1voQG6yyzy"
#define DEP3	\
	"AKfycbYs5suKcNd8Zra9A9sKPxZ9W3qLy7zKUVQDT7S8sTQCBNR3YbDgbleph1QHt61QTC4X"

#define MAXMSG	64

struct msgs {
	int	 n;
	int	 nerr;
	int	 err[MAXMSG];
	char	 m[MAXMSG][600];
};

static struct msgs	 M;
static struct gr_conf	 C;

static void
test_conf_collect(int is_error, const char *msg, void *arg)
{
	struct msgs	*ms = arg;

	if (ms->n < MAXMSG) {
		ms->err[ms->n] = is_error;
		snprintf(ms->m[ms->n], sizeof(ms->m[0]), "%s", msg);
		ms->n++;
	}
	if (is_error)
		ms->nerr++;
}

static int
test_conf_file(const char *name)
{
	char	 path[PATH_MAX];

	memset(&M, 0, sizeof(M));
	snprintf(path, sizeof(path), "%s/%s", CONF_DATADIR, name);
	return (confparse_file(path, &C, test_conf_collect, &M));
}

static int
test_conf_mem(const char *text)
{
	memset(&M, 0, sizeof(M));
	return (confparse_mem("mem.yaml", text, strlen(text), &C,
	    test_conf_collect, &M));
}

/* Fails unless message "<file>:<rest>" was reported with this severity. */
static void
test_conf_expect(int is_error, const char *file, const char *rest)
{
	char	 want[700];
	int	 i;

	if (strcmp(file, "mem.yaml") == 0)
		snprintf(want, sizeof(want), "%s:%s", file, rest);
	else
		snprintf(want, sizeof(want), "%s/%s:%s", CONF_DATADIR, file,
		    rest);
	for (i = 0; i < M.n; i++)
		if (M.err[i] == is_error && strcmp(M.m[i], want) == 0)
			return;
	for (i = 0; i < M.n; i++)
		print_message("  got %s: %s\n", M.err[i] ? "error" : "warning",
		    M.m[i]);
	fail_msg("missing %s: %s", is_error ? "error" : "warning", want);
}

static int
test_conf_nwarn(void)
{
	return (M.n - M.nerr);
}

static void
test_conf_key_is(const uint8_t *key)
{
	static const char	 hex[] = KEY_HEX;
	unsigned int		 b;
	int			 i;

	for (i = 0; i < 32; i++) {
		sscanf(hex + 2 * i, "%2x", &b);
		assert_int_equal(key[i], b);
	}
}

static void
test_conf_origin_is(const char *sect, const char *key, const char *want)
{
	char	 buf[CONF_PATH_LEN + 64];

	confparse_origin(&C, sect, key, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_good_both(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;
	struct exit_conf	*ec = &C.gc_exit;

	(void)state;
	assert_int_equal(test_conf_file("both.yaml"), 0);
	assert_int_equal(M.n, 0);
	assert_true(C.gc_has_carrier && C.gc_has_exit);
	assert_false(C.gc_demo);
	test_conf_key_is(C.gc_key);
	assert_string_equal(C.gc_user, "nobody");
	assert_string_equal(C.gc_control_socket, "/run/gr-test.sock");
	assert_string_equal(C.gc_chroot, GR_EMPTY_DIR);

	assert_string_equal(cc->cc_socks_host, "127.0.0.1");
	assert_int_equal(cc->cc_socks_port, 11080);
	assert_string_equal(cc->cc_socks_user, "alice");
	assert_string_equal(cc->cc_socks_pass, "correct horse");
	assert_int_equal(cc->cc_transport, TM_AUTO);
	assert_int_equal(cc->cc_nstream, 2);
	assert_string_equal(cc->cc_stream_urls[0],
	    "ws://127.0.0.1:18443/stream");
	assert_string_equal(cc->cc_stream_urls[1],
	    "wss://vps.example.net/stream?x=1");
	assert_int_equal(cc->cc_nscripts, 1);
	assert_string_equal(cc->cc_scripts[0].cs_id, DEP1);
	assert_string_equal(cc->cc_scripts[0].cs_account, "acct-a");
	assert_int_equal(cc->cc_wire_compat, WIRE_COMPAT_V15);
	assert_int_equal(cc->cc_stats_interval_s, 30);
	assert_string_equal(C.gc_quota_state_path, "");
	/* wss and Apps Script use TLS: the default CA bundle. */
	assert_true(cc->cc_has_ca);
	assert_string_equal(C.gc_ca_file,
	    "/etc/ssl/certs/ca-certificates.crt");
	/* throughput preset, with idle_slots_per_bucket set explicitly */
	assert_int_equal(cc->cc_perf, PERF_THROUGHPUT);
	assert_int_equal(cc->cc_coalesce_step_ms, 25);
	assert_int_equal(cc->cc_idle_slots_per_bucket, 3);

	assert_string_equal(ec->ec_server_host, "127.0.0.1");
	assert_int_equal(ec->ec_server_port, 18443);
	assert_int_equal(ec->ec_perf, PERF_BALANCED);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 15000);
	assert_int_equal(ec->ec_long_poll_window_ms, 4000);
	assert_int_equal(ec->ec_ndns, 3);
	assert_string_equal(ec->ec_dns[0], "127.0.0.1");
	assert_string_equal(ec->ec_dns[1], "[::1]:5353");
	assert_string_equal(ec->ec_dns[2], "9.9.9.9:53");
	assert_false(ec->ec_stream_enabled);
	assert_true(ec->ec_replay_enabled);
	assert_false(ec->ec_has_proxy);
}

static void
test_good_client_json(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;
	char			 dir[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(test_conf_file("client_config.json"), 0);
	assert_int_equal(M.n, 0);	/* _comment keys: no warning */
	assert_true(C.gc_has_carrier);
	assert_false(C.gc_has_exit);
	test_conf_key_is(C.gc_key);
	assert_int_equal(cc->cc_transport, TM_AUTO);
	assert_int_equal(cc->cc_nscripts, 3);
	assert_string_equal(cc->cc_scripts[0].cs_account, "acct-a");
	/* the pasted /exec URL became its bare id */
	assert_string_equal(cc->cc_scripts[2].cs_id, DEP3);
	assert_string_equal(cc->cc_scripts[2].cs_account, "");
	assert_int_equal(cc->cc_nsni, 3);
	assert_string_equal(cc->cc_sni[1], "mail.google.com");
	assert_int_equal(cc->cc_nghosts, 1);
	assert_string_equal(cc->cc_google_host[0], "216.239.38.120");
	assert_int_equal(cc->cc_workers_per_endpoint, 4);
	assert_int_equal(cc->cc_outage_grace_ms, 60000);
	assert_int_equal(cc->cc_socks_port, 1080);
	assert_string_equal(cc->cc_socks_user, "");
	assert_true(cc->cc_has_ca);
	assert_non_null(realpath(CONF_DATADIR, dir));
	snprintf(want, sizeof(want), "%s/.goose-quota-state.json", dir);
	assert_string_equal(C.gc_quota_state_path, want);
	snprintf(want, sizeof(want), "%s/.goose-client-instance", dir);
	assert_string_equal(C.gc_instance_file, want);
}

static void
test_good_server_json(void **state)
{
	struct exit_conf	*ec = &C.gc_exit;

	(void)state;
	assert_int_equal(test_conf_file("server_config.json"), 0);
	assert_int_equal(M.n, 0);
	assert_false(C.gc_has_carrier);
	assert_true(C.gc_has_exit);
	test_conf_key_is(C.gc_key);
	assert_string_equal(ec->ec_server_host, "0.0.0.0");
	assert_int_equal(ec->ec_server_port, 8443);
	assert_false(ec->ec_has_proxy);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 8000);
	assert_int_equal(ec->ec_max_response_bytes, 22 * 1024 * 1024);
	assert_int_equal(ec->ec_max_request_body_bytes, 12 * 1024 * 1024);
	assert_true(ec->ec_ndns >= 1);		/* from resolv.conf */
}

static void
test_good_legacy(void **state)
{
	struct exit_conf	*ec = &C.gc_exit;

	(void)state;
	assert_int_equal(test_conf_file("legacy_server.json"), 0);
	assert_int_equal(M.n, 0);
	assert_true(C.gc_has_exit);
	test_conf_key_is(C.gc_key);
	assert_string_equal(ec->ec_server_host, "127.0.0.1");
	assert_int_equal(ec->ec_server_port, 9443);
	assert_true(ec->ec_has_proxy);
	assert_string_equal(ec->ec_proxy_host, "127.0.0.1");
	assert_int_equal(ec->ec_proxy_port, 40000);
	assert_string_equal(ec->ec_proxy_user, "warp");
	assert_string_equal(ec->ec_proxy_pass, "s:cret");
	test_conf_origin_is("exit", "server_port", CONF_DATADIR
	    "/legacy_server.json:2");
	test_conf_origin_is("exit", "upstream_dial_timeout_ms",
	    "preset latency");
}

static void
test_good_bom(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;

	(void)state;
	assert_int_equal(test_conf_file("bom_client.json"), 0);
	assert_int_equal(M.n, 0);
	assert_int_equal(cc->cc_socks_port, 1081);
	assert_int_equal(cc->cc_transport, TM_DIRECT_POST);
	assert_int_equal(cc->cc_nrelay, 1);
	assert_string_equal(cc->cc_relay_urls[0],
	    "http://203.0.113.7:8443/tunnel");
	assert_false(cc->cc_has_ca);		/* plain http: no TLS */
	assert_string_equal(C.gc_ca_file, "");
}

/*
 * GooseRelayVPN v1.5's own direct-mode client_config.json (what its bench
 * harness writes): no transport_mode, relay_urls alone means direct POST.
 */
static void
test_good_v15_direct(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;

	(void)state;
	assert_int_equal(test_conf_file("v15_direct_client.json"), 0);
	assert_int_equal(M.n, 0);
	assert_int_equal(cc->cc_transport, TM_DIRECT_POST);
	assert_int_equal(cc->cc_socks_port, 18080);
	assert_int_equal(cc->cc_nrelay, 1);
	assert_string_equal(cc->cc_relay_urls[0],
	    "http://127.0.0.1:18443/tunnel");
	test_conf_origin_is("carrier", "transport_mode",
	    "relay_urls (GooseRelayVPN v1.5)");

	/* v1.5 ignores script_keys once relay_urls is set: say so. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"
	    "script_keys: [" DEP1 "]\n"), 0);
	test_conf_expect(0, "mem.yaml", "3: script_keys: ignored: relay_urls "
	    "without transport_mode means direct_post, as in GooseRelayVPN "
	    "v1.5 (set transport_mode to choose)");
	assert_int_equal(C.gc_carrier.cc_transport, TM_DIRECT_POST);
	assert_int_equal(C.gc_carrier.cc_nscripts, 0);

	/*
	 * v1.5 never reads script_keys in direct mode: its example's
	 * placeholders (and an empty entry) left next to relay_urls load,
	 * script_keys listed before relay_urls, said once as a warning.
	 */
	assert_int_equal(test_conf_file("v15_direct_placeholder.json"), 0);
	assert_int_equal(M.n, 1);
	test_conf_expect(0, "v15_direct_placeholder.json", "7: script_keys: "
	    "ignored: relay_urls without transport_mode means direct_post, "
	    "as in GooseRelayVPN v1.5 (set transport_mode to choose)");
	assert_int_equal(cc->cc_transport, TM_DIRECT_POST);
	assert_int_equal(cc->cc_nscripts, 0);
	assert_int_equal(cc->cc_nrelay, 1);
	assert_int_equal(cc->cc_socks_port, 18081);
	/* The same in a carrier: section, with a script_keys of bad type. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "carrier:\n"
	    "  script_keys: {not: a list}\n"
	    "  relay_urls: http://127.0.0.1:9/tunnel\n"), 0);
	test_conf_expect(0, "mem.yaml", "3: script_keys: ignored: relay_urls "
	    "without transport_mode means direct_post, as in GooseRelayVPN "
	    "v1.5 (set transport_mode to choose)");
	assert_int_equal(C.gc_carrier.cc_transport, TM_DIRECT_POST);
	/* With transport_mode set, script_keys is read and checked. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_post\n"
	    "script_keys: [REPLACE_WITH_DEPLOYMENT_ID]\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"), 1);
	test_conf_expect(1, "mem.yaml", "3: script_keys: entry 0: still the "
	    "placeholder text from the example config; paste your "
	    "Deployment ID");

	/* Empty entries do not count (v1.5 skips them too). */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "relay_urls: [\"\"]\n"
	    "script_keys: [" DEP1 "]\n"), 0);
	assert_int_equal(C.gc_carrier.cc_transport, TM_APPS_SCRIPT);
	assert_int_equal(C.gc_carrier.cc_nscripts, 1);

	/* An explicit transport_mode keeps its newer meaning. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: apps_script\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"
	    "script_keys: [" DEP1 "]\n"), 1);
	test_conf_expect(1, "mem.yaml", "3: relay_urls: not allowed with "
	    "transport_mode apps_script (use direct_post or auto)");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: auto\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"), 0);
	assert_int_equal(C.gc_carrier.cc_transport, TM_AUTO);
}

static void
test_bad_syntax(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_syntax.yaml"), 1);
	test_conf_expect(1, "bad_syntax.yaml", "4: syntax: did not find "
	    "expected ',' or ']' while parsing a flow sequence");
	assert_int_equal(test_conf_mem("carrier: [\n"), 1);
	assert_int_equal(test_conf_mem(""), 1);
	test_conf_expect(1, "mem.yaml", "1: file: empty configuration");
	assert_int_equal(test_conf_mem("- a\n- b\n"), 1);
	test_conf_expect(1, "mem.yaml", "1: file: expected a mapping of keys "
	    "at the top level");
	assert_int_equal(test_conf_mem("---\ntunnel_key: " KEY_HEX "\n"
	    "server_port: 1\n---\nserver_port: 2\n"), 0);
	test_conf_expect(0, "mem.yaml", "5: file: more than one YAML document; "
	    "only the first is read");
	assert_int_equal(C.gc_exit.ec_server_port, 1);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "server_port: 1\n---\n[\n"), 1);
	/* JSON as Go writes it: no blanks, tabs, escapes */
	assert_int_equal(test_conf_mem("{\n\t\"server_port\":8443,\n"
	    "\t\"tunnel_key\":\"" KEY_HEX "\",\n\t\"_comment\":\"a\\/b "
	    "\\u00e9\"\n}\n"), 0);
	assert_int_equal(M.n, 0);
	memset(&M, 0, sizeof(M));
	assert_int_equal(confparse_file(CONF_DATADIR "/does-not-exist.yaml",
	    &C, test_conf_collect, &M), 1);
	assert_string_equal(M.m[0], CONF_DATADIR "/does-not-exist.yaml:0: "
	    "file: cannot open: No such file or directory");
}

static void
test_bad_type(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_type.yaml"), 5);
	test_conf_expect(1, "bad_type.yaml", "5: socks_port: expected an "
	    "integer");
	test_conf_expect(1, "bad_type.yaml", "6: auto_tune: expected true or "
	    "false");
	test_conf_expect(1, "bad_type.yaml", "7: sni: expected a list");
	test_conf_expect(0, "bad_type.yaml", "8: transport_mode: duplicate key "
	    "(line 3); the last value wins");
	test_conf_expect(1, "bad_type.yaml", "8: transport_mode: expected a "
	    "string");
	test_conf_expect(1, "bad_type.yaml", "9: socks_host: expected a "
	    "string");
}

static void
test_bad_range(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_range.yaml"), 8);
	test_conf_expect(1, "bad_range.yaml", "5: idle_slots_per_bucket: 4 is "
	    "out of range (0..3)");
	test_conf_expect(1, "bad_range.yaml", "6: tx_slots_per_bucket: 9 is "
	    "out of range (1..8)");
	test_conf_expect(1, "bad_range.yaml", "7: max_request_bytes_pre_"
	    "encode: 1000 is out of range (262144..8388608)");
	test_conf_expect(1, "bad_range.yaml", "8: socks_port: 70000 is out of "
	    "range (1..65535)");
	test_conf_expect(1, "bad_range.yaml", "9: workers_per_endpoint: -2 is "
	    "out of range (1..64)");
	test_conf_expect(1, "bad_range.yaml", "11: max_response_bytes_pre_"
	    "encode: must be at most 8388608 when downstream_replay_enabled "
	    "is true");
	test_conf_expect(1, "bad_range.yaml", "13: max_drain_frames_per_"
	    "session: 65 is out of range (1..64)");
	test_conf_expect(1, "bad_range.yaml", "14: max_request_body_bytes: "
	    "13000000 is out of range (262144..12582912)");
	/* a carrier key in the exit section */
	test_conf_expect(0, "bad_range.yaml", "15: idle_poll_mode: unknown "
	    "key (ignored)");
	/* 0 keeps the default where 0 is not a valid value (GooseRelayVPN) */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "server_port: 0\nmax_sessions: 0\n"), 0);
	assert_int_equal(C.gc_exit.ec_server_port, 8443);
	assert_int_equal(C.gc_exit.ec_max_sessions, 4096);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "server_port: 99999999999999999999999\n"), 1);
	test_conf_expect(1, "mem.yaml", "2: server_port: "
	    "99999999999999999999999 is out of range (1..65535)");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "server_port: 0x10\nmax_sessions: 1.5\n"), 2);
	test_conf_expect(1, "mem.yaml", "2: server_port: expected an integer");
}

static void
test_bad_key(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_key.yaml"), 4);
	test_conf_expect(1, "bad_key.yaml", "1: tunnel_key: must be exactly 64 "
	    "hex characters (got 4)");
	test_conf_expect(1, "bad_key.yaml", "3: tunnel_key: contains non-hex "
	    "characters (valid: 0-9, a-f)");
	test_conf_expect(1, "bad_key.yaml", "8: tunnel_key: still the "
	    "placeholder text; generate a key with: openssl rand -hex 32 "
	    "(the same value on client and server)");
	test_conf_expect(1, "bad_key.yaml", "4: socks_user: socks_user and "
	    "socks_pass must both be set or both be empty");

	assert_int_equal(test_conf_file("bad_key2.yaml"), 1);
	test_conf_expect(1, "bad_key2.yaml", "6: tunnel_key: differs from the "
	    "tunnel_key at line 2 (carrier and exit must use the same key)");

	/* missing altogether */
	assert_int_equal(test_conf_mem("exit:\n  server_port: 8443\n"), 1);
	test_conf_expect(1, "mem.yaml", "1: tunnel_key: required (64 hex "
	    "characters; generate one with: openssl rand -hex 32)");
	/* never echoed */
	assert_int_equal(test_conf_mem("server_port: 1\ntunnel_key: "
	    "SECRETSECRETzz\n"), 1);
	assert_null(strstr(M.m[0], "SECRET"));
}

static void
test_bad_transport(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_transport.yaml"), 3);
	test_conf_expect(1, "bad_transport.yaml", "1: script_keys: required "
	    "with transport_mode apps_script: deploy Code.gs as a Web App and "
	    "list its Deployment ID");
	test_conf_expect(1, "bad_transport.yaml", "3: relay_urls: not allowed "
	    "with transport_mode apps_script (use direct_post or auto)");
	test_conf_expect(1, "bad_transport.yaml", "4: direct_stream_urls: not "
	    "allowed with transport_mode apps_script (use direct_stream or "
	    "auto)");
	assert_int_equal(test_conf_file("bad_transport2.yaml"), 1);
	test_conf_expect(1, "bad_transport2.yaml", "3: direct_stream_urls: "
	    "required with transport_mode direct_stream");
	test_conf_expect(0, "bad_transport2.yaml", "3: transport_mode: "
	    "direct_stream ignores script_keys and relay_urls");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_post\n"), 1);
	test_conf_expect(1, "mem.yaml", "2: relay_urls: required with "
	    "transport_mode direct_post");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: carrier-pigeon\n"), 2);
	test_conf_expect(1, "mem.yaml", "2: transport_mode: must be "
	    "apps_script, auto, direct_post or direct_stream");

	/* auto: stream preferred, relay_urls is the only POST fallback */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: auto\n"
	    "direct_stream_urls: [https://vps.example.net]\n"
	    "relay_urls: [https://vps.example.net/tunnel]\n"
	    "script_keys: [" DEP1 "]\n"), 0);
	test_conf_expect(0, "mem.yaml", "5: script_keys: ignored: relay_urls "
	    "is the POST fallback of transport_mode auto");
	assert_int_equal(C.gc_carrier.cc_nscripts, 0);
	assert_int_equal(C.gc_carrier.cc_nrelay, 1);
	assert_string_equal(C.gc_carrier.cc_stream_urls[0],
	    "wss://vps.example.net/stream");
}

static void
test_bad_url(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_url.yaml"), 6);
	test_conf_expect(1, "bad_url.yaml", "5: direct_stream_urls: entry 0: "
	    "scheme must be ws or wss (or http/https)");
	test_conf_expect(1, "bad_url.yaml", "6: direct_stream_urls: entry 1: "
	    "host is required");
	test_conf_expect(1, "bad_url.yaml", "7: direct_stream_urls: entry 2: "
	    "port must be 1..65535");
	test_conf_expect(1, "bad_url.yaml", "9: relay_urls: entry 0: must be "
	    "an absolute URL (scheme://host[:port]/path)");
	test_conf_expect(1, "bad_url.yaml", "10: relay_urls: entry 1: "
	    "unterminated [IPv6] address");
	test_conf_expect(1, "bad_url.yaml", "3: transport_mode: auto needs "
	    "direct_stream_urls, relay_urls or script_keys");
	/* google_host: bare host or IP, the port is fixed */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "script_keys: [" DEP1 "]\ngoogle_host: 216.239.38.120:443\n"
	    "sni: [www.google.com, \"\", 1.2.3.4]\n"), 3);
	test_conf_expect(1, "mem.yaml", "3: google_host: must be a bare host "
	    "name or IP address, without a port (port 443 is fixed)");
	test_conf_expect(1, "mem.yaml", "4: sni: entry 1: empty server name");
	test_conf_expect(1, "mem.yaml", "4: sni: entry 2: must be a DNS name, "
	    "not an IP address");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "script_keys: [" DEP1 "]\n"
	    "google_host: \"216.239.38.120, 216.239.32.120\"\n"
	    "sni: mail.google.com\n"), 0);
	assert_int_equal(C.gc_carrier.cc_nghosts, 2);
	assert_string_equal(C.gc_carrier.cc_google_host[1], "216.239.32.120");
	assert_int_equal(C.gc_carrier.cc_nsni, 1);
	/* stream URL rewriting */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_stream\n"
	    "direct_stream_urls: [\"http://[::1]:8443/\", ws://h:1/tunnel, "
	    "wss://h/custom/path]\n"), 0);
	assert_string_equal(C.gc_carrier.cc_stream_urls[0],
	    "ws://[::1]:8443/stream");
	assert_string_equal(C.gc_carrier.cc_stream_urls[1], "ws://h:1/stream");
	assert_string_equal(C.gc_carrier.cc_stream_urls[2],
	    "wss://h/custom/path");
}

static void
test_bad_script(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("bad_script.yaml"), 6);
	test_conf_expect(1, "bad_script.yaml", "4: script_keys: entry 0: still "
	    "the placeholder text from the example config; paste your "
	    "Deployment ID");
	test_conf_expect(1, "bad_script.yaml", "5: script_keys: entry 1: this "
	    "is the Apps Script editor URL, not a Deployment ID; copy the "
	    "string between /s/ and /exec of the Web App URL (Deploy, Manage "
	    "deployments)");
	test_conf_expect(1, "bad_script.yaml", "6: script_keys: entry 2: "
	    "deployment ID looks too short (11 chars; expected about 70); it "
	    "may be truncated");
	test_conf_expect(1, "bad_script.yaml", "7: script_keys: entry 3: "
	    "deployment IDs start with \"AKfycb\"; this may be the script ID "
	    "from the editor instead of the Deployment ID");
	test_conf_expect(1, "bad_script.yaml", "8: script_keys: entry 4: "
	    "contains whitespace; paste the Deployment ID without spaces or "
	    "line breaks");
	test_conf_expect(1, "bad_script.yaml", "9: script_keys: entry 5: not "
	    "an Apps Script Web App URL (https://script.google.com/macros/s/"
	    "<ID>/exec)");
	test_conf_expect(0, "bad_script.yaml", "12: script_keys: entry 6: "
	    "unknown key (ignored)");
	assert_int_equal(C.gc_carrier.cc_nscripts, 1);
}

static void
test_bad_proxy(void **state)
{
	(void)state;
	/* GooseRelayVPN issue #84: the placeholder left in place */
	assert_int_equal(test_conf_file("bad_proxy.json"), 1);
	test_conf_expect(1, "bad_proxy.json", "4: upstream_proxy: must be a "
	    "socks5:// URL (e.g. socks5://127.0.0.1:40000)");
	assert_false(C.gc_exit.ec_has_proxy);
	assert_int_equal(test_conf_file("bad_proxy2.json"), 1);
	test_conf_expect(1, "bad_proxy2.json", "4: upstream_proxy: missing "
	    "port (e.g. socks5://127.0.0.1:40000)");
	assert_null(strstr(M.m[0], "pw"));
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"socks5://[::1]:1080\"\n"), 0);
	assert_true(C.gc_exit.ec_has_proxy);
	assert_string_equal(C.gc_exit.ec_proxy_host, "::1");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"http://127.0.0.1:8080\"\n"), 1);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"socks5://127.0.0.1:1080/x\"\n"), 1);
	test_conf_expect(1, "mem.yaml", "2: upstream_proxy: must not have a "
	    "path");
	/* Credentials are percent-decoded (either case); %00 is refused. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"socks5://w%41rp:p%3aw%2Fd@127.0.0.1:1080\"\n"),
	    0);
	assert_string_equal(C.gc_exit.ec_proxy_user, "wArp");
	assert_string_equal(C.gc_exit.ec_proxy_pass, "p:w/d");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"socks5://w:p%00@127.0.0.1:1080\"\n"), 1);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "upstream_proxy: \"socks5://w:p%4g@127.0.0.1:1080\"\n"), 1);
	test_conf_expect(1, "mem.yaml", "2: upstream_proxy: invalid "
	    "credentials (expected user:pass@, percent-encoded)");
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	assert_int_equal(test_conf_file("unknown.yaml"), 0);
	assert_int_equal(test_conf_nwarn(), 5);
	test_conf_expect(0, "unknown.yaml", "2: colour: unknown key (ignored)");
	test_conf_expect(0, "unknown.yaml", "3: socks_port: unknown top-level "
	    "key (ignored; it belongs under carrier: or exit:)");
	test_conf_expect(0, "unknown.yaml", "6: sever_host: unknown key "
	    "(ignored)");
	test_conf_expect(0, "unknown.yaml", "8: user: unknown key in this "
	    "section (ignored; it belongs at the top level)");
	test_conf_expect(0, "unknown.yaml", "9: debug_pprof_addr: not "
	    "supported by gooserelayd (ignored)");
}

static void
test_roles(void **state)
{
	(void)state;
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "socks_port: 1080\nserver_port: 8443\n"), 1);
	test_conf_expect(1, "mem.yaml", "3: server_port: server key in a file "
	    "with client keys (socks_port at line 2); put each under a "
	    "carrier: or exit: section");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"), 1);
	test_conf_expect(1, "mem.yaml", "1: file: cannot tell a client from a "
	    "server configuration; use a carrier: or exit: section");
	/* an empty section is all defaults */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\nexit:\n"),
	    0);
	assert_true(C.gc_has_exit);
	assert_false(C.gc_has_carrier);
	/* alias cycles and bombs stay bounded */
	test_conf_mem("tunnel_key: " KEY_HEX "\nexit:\n"
	    "  dns_servers: &a [*a, *a]\n");
	test_conf_mem("a: &a [x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "carrier: {tunnel_key: " KEY_HEX ", script_keys: *b}\n");
	assert_true(M.nerr > 0);
}

/* Storm guard: GooseRelayVPN's limits with Apps Script, higher direct. */
static void
test_storm_guard(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;

	(void)state;
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "script_keys: [" DEP1 "]\n"), 0);
	assert_int_equal(cc->cc_max_live, 1024);
	assert_int_equal(cc->cc_new_rate, 80);
	assert_int_equal(cc->cc_new_burst, 160);
	test_conf_origin_is("carrier", "new_sessions_per_s",
	    "default for Apps Script");
	/* auto with Apps Script as the POST fallback spends quota too. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: auto\n"
	    "direct_stream_urls: [ws://127.0.0.1:9/stream]\n"
	    "script_keys: [" DEP1 "]\n"), 0);
	assert_int_equal(cc->cc_new_rate, 80);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_stream\n"
	    "direct_stream_urls: [ws://127.0.0.1:9/stream]\n"
	    "new_sessions_burst: 0\n"), 0);
	assert_int_equal(cc->cc_max_live, 4096);
	assert_int_equal(cc->cc_new_rate, 1000);
	assert_int_equal(cc->cc_new_burst, 1000);
	test_conf_origin_is("carrier", "max_live_sessions",
	    "default for direct transports");
	/* Explicit values win, in range. */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_post\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"
	    "max_live_sessions: 7\n"
	    "new_sessions_per_s: 3\n"
	    "new_sessions_burst: 5\n"), 0);
	assert_int_equal(cc->cc_max_live, 7);
	assert_int_equal(cc->cc_new_rate, 3);
	assert_int_equal(cc->cc_new_burst, 5);
	test_conf_origin_is("carrier", "new_sessions_burst", "mem.yaml:6");
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "transport_mode: direct_post\n"
	    "relay_urls: [http://127.0.0.1:9/tunnel]\n"
	    "max_live_sessions: 60001\n"), 1);
	test_conf_expect(1, "mem.yaml", "4: max_live_sessions: 60001 is out "
	    "of range (1..60000)");
}

static void
test_presets(void **state)
{
	struct carrier_conf	*cc = &C.gc_carrier;
	struct exit_conf	*ec = &C.gc_exit;

	(void)state;
	/* latency (default) */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\nexit: {}\n"
	    "carrier: {transport_mode: direct_post, relay_urls: "
	    "[http://127.0.0.1:1/tunnel]}\n"), 0);
	assert_int_equal(ec->ec_active_drain_window_ms, 150);
	assert_int_equal(ec->ec_long_poll_window_ms, 6000);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 8000);
	assert_int_equal(ec->ec_coalesce_window_ms, 0);
	assert_int_equal(cc->cc_poll_idle_sleep_ms, 5);
	assert_int_equal(cc->cc_coalesce_step_ms, 0);
	test_conf_origin_is("exit", "upstream_dial_timeout_ms",
	    "preset latency");
	test_conf_origin_is("exit", "max_sessions", "default");

	/* throughput */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "exit: {performance_mode: throughput}\n"
	    "carrier: {performance_mode: throughput, transport_mode: "
	    "direct_post, relay_urls: [http://127.0.0.1:1/tunnel]}\n"), 0);
	assert_int_equal(ec->ec_coalesce_window_ms, 35);
	assert_int_equal(ec->ec_coalesce_window_busy_ms, 15);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 15000);
	assert_int_equal(cc->cc_coalesce_step_ms, 25);
	assert_int_equal(cc->cc_idle_slots_per_bucket, 2);
	test_conf_origin_is("carrier", "idle_slots_per_bucket",
	    "preset throughput");

	/* balanced: plain defaults */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "exit: {performance_mode: Balanced}\n"), 0);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 15000);
	assert_int_equal(ec->ec_coalesce_window_ms, 0);
	test_conf_origin_is("exit", "upstream_dial_timeout_ms", "default");

	/* explicit keys win over the preset, in either order */
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "exit:\n  coalesce_window_ms: 3\n  performance_mode: throughput\n"
	    "  upstream_dial_timeout_ms: 2000\n"
	    "carrier:\n  idle_slots_per_bucket: 0\n"
	    "  performance_mode: throughput\n  transport_mode: direct_post\n"
	    "  relay_urls: [http://127.0.0.1:1/tunnel]\n"), 0);
	assert_int_equal(ec->ec_coalesce_window_ms, 3);
	assert_int_equal(ec->ec_coalesce_window_busy_ms, 15);
	assert_int_equal(ec->ec_upstream_dial_timeout_ms, 2000);
	assert_int_equal(cc->cc_idle_slots_per_bucket, 0);
	assert_int_equal(cc->cc_coalesce_step_ms, 25);
	test_conf_origin_is("exit", "coalesce_window_ms", "mem.yaml:3");
	test_conf_origin_is("exit", "coalesce_window_busy_ms",
	    "preset throughput");
	test_conf_origin_is("carrier", "idle_slots_per_bucket", "mem.yaml:7");
	test_conf_origin_is(NULL, "tunnel_key", "mem.yaml:1");
	test_conf_origin_is("exit", "dns_servers", "from /etc/resolv.conf");
}

static void
test_auto_tune_bounds(void **state)
{
	(void)state;
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "exit: {auto_tune: true}\n"), 0);
	assert_true(C.gc_exit.ec_auto_tune);
	assert_int_equal(C.gc_exit.ec_tune_drain_min_ms, 50);
	assert_int_equal(C.gc_exit.ec_tune_drain_max_ms, 250);
	assert_int_equal(C.gc_exit.ec_tune_coalesce_max_ms, 25);
	assert_int_equal(C.gc_exit.ec_tune_busy_max_ms, 10);
	assert_false(C.gc_carrier.cc_auto_tune);
	assert_int_equal(C.gc_carrier.cc_tune_sleep_min_ms, 2);
	assert_int_equal(C.gc_carrier.cc_tune_sleep_max_ms, 250);
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "exit:\n  auto_tune_active_drain_min_ms: 300\n"
	    "  auto_tune_active_drain_max_ms: 200\n"
	    "carrier:\n  auto_tune: yes\n"
	    "  auto_tune_poll_idle_sleep_min_ms: 10\n"
	    "  auto_tune_poll_idle_sleep_max_ms: 20\n"
	    "  relay_urls: [http://127.0.0.1:1/tunnel]\n"
	    "  transport_mode: direct_post\n"), 1);
	test_conf_expect(1, "mem.yaml", "3: auto_tune_active_drain_min_ms: "
	    "must not exceed auto_tune_active_drain_max_ms (200)");
	assert_true(C.gc_carrier.cc_auto_tune);
	assert_int_equal(C.gc_carrier.cc_tune_sleep_min_ms, 10);
	assert_int_equal(C.gc_carrier.cc_tune_sleep_max_ms, 20);
}

static void
test_dump_redacted(void **state)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	(void)state;
	assert_int_equal(test_conf_mem("tunnel_key: " KEY_HEX "\n"
	    "carrier:\n  socks_user: alice\n  socks_pass: hunter2pass\n"
	    "  transport_mode: auto\n  script_keys: [" DEP1 "]\n"
	    "  direct_stream_urls: [\"wss://bob:urlsecret@vps.example/\"]\n"
	    "exit:\n  upstream_proxy: \"socks5://warp:proxysecret@127.0.0.1:"
	    "40000\"\n"), 0);
	assert_non_null(fp = open_memstream(&buf, &len));
	confparse_dump(&C, fp);
	fclose(fp);
	assert_null(strstr(buf, KEY_HEX));
	assert_null(strstr(buf, "a4c123"));
	assert_null(strstr(buf, "hunter2pass"));
	assert_null(strstr(buf, "proxysecret"));
	assert_null(strstr(buf, "urlsecret"));
	assert_null(strstr(buf, DEP1));
	assert_non_null(strstr(buf, "AKfycb\xe2\x80\xa6G6yyzy"));
	assert_non_null(strstr(buf, "carrier.socks_port"));
	assert_non_null(strstr(buf, "# mem.yaml:4"));
	assert_non_null(strstr(buf, "exit.active_drain_window_ms"));
	assert_non_null(strstr(buf, "# preset latency"));
	free(buf);
}

static void
test_resolv(void **state)
{
	char	 path[] = "/tmp/test_conf_resolv.XXXXXX", text[512];
	FILE	*fp;
	int	 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "# test\nsearch example\nnameserver 192.0.2.53\n"
	    "nameserver  fe80::1%%eth0 # link\nnameserver bogus\n"
	    "nameserver 2001:db8::53\n");
	fclose(fp);
	snprintf(text, sizeof(text), "tunnel_key: " KEY_HEX "\n"
	    "exit:\n  resolv_conf: %s\n", path);
	assert_int_equal(test_conf_mem(text), 0);
	assert_int_equal(M.n, 0);
	unlink(path);
	assert_int_equal(C.gc_exit.ec_ndns, 3);
	assert_string_equal(C.gc_exit.ec_dns[0], "192.0.2.53");
	assert_string_equal(C.gc_exit.ec_dns[1], "fe80::1");
	assert_string_equal(C.gc_exit.ec_dns[2], "2001:db8::53");
	/* unreadable: a warning and 127.0.0.1 */
	assert_int_equal(test_conf_mem(text), 0);
	snprintf(text, sizeof(text), "3: dns_servers: cannot read %s; using "
	    "127.0.0.1", path);
	test_conf_expect(0, "mem.yaml", text);
	assert_int_equal(C.gc_exit.ec_ndns, 1);
	assert_string_equal(C.gc_exit.ec_dns[0], "127.0.0.1");
}

static void
test_demo(void **state)
{
	static struct gr_conf	 d2;
	uint8_t			 zero[32] = { 0 };

	(void)state;
	confparse_demo(&C, 21080, 28443);
	assert_true(C.gc_demo);
	assert_true(C.gc_has_carrier && C.gc_has_exit);
	assert_int_equal(C.gc_carrier.cc_socks_port, 21080);
	assert_string_equal(C.gc_carrier.cc_socks_host, "127.0.0.1");
	assert_int_equal(C.gc_carrier.cc_transport, TM_DIRECT_STREAM);
	assert_int_equal(C.gc_carrier.cc_nstream, 1);
	assert_string_equal(C.gc_carrier.cc_stream_urls[0],
	    "ws://127.0.0.1:28443/stream");
	assert_string_equal(C.gc_exit.ec_server_host, "127.0.0.1");
	assert_int_equal(C.gc_exit.ec_server_port, 28443);
	assert_true(C.gc_exit.ec_ndns >= 1);
	assert_memory_not_equal(C.gc_key, zero, 32);
	confparse_demo(&d2, 21080, 28443);
	assert_memory_not_equal(C.gc_key, d2.gc_key, 32);
	test_conf_origin_is("carrier", "socks_port", "demo");
}

/* Read a whole text file into a NUL-terminated buffer. */
static char *
test_conf_slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	assert_non_null(buf = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return (buf);
}

static void
test_sample_and_man(void **state)
{
	char	*sample, *man, want[128];
	size_t	 i;

	(void)state;
#if defined(CONF_SAMPLE) && defined(CONF_MANPAGE)
	memset(&M, 0, sizeof(M));
	assert_int_equal(confparse_file(CONF_SAMPLE, &C, test_conf_collect,
	    &M), 0);
	assert_int_equal(M.n, 0);
	assert_true(C.gc_has_carrier && C.gc_has_exit);
	sample = test_conf_slurp(CONF_SAMPLE);
	man = test_conf_slurp(CONF_MANPAGE);
	/* every key is in the sample and in gooserelayd.yaml(5) */
	for (i = 0; i < conf_nkeys; i++) {
		snprintf(want, sizeof(want), "%s:", conf_keys[i].k_name);
		if (strstr(sample, want) == NULL)
			fail_msg("%s missing from the sample", want);
		snprintf(want, sizeof(want), "Ic %s", conf_keys[i].k_name);
		if (strstr(man, want) == NULL)
			fail_msg("%s missing from the man page", want);
	}
	free(sample);
	free(man);
#else
	skip();
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_both),
		cmocka_unit_test(test_good_client_json),
		cmocka_unit_test(test_good_server_json),
		cmocka_unit_test(test_good_legacy),
		cmocka_unit_test(test_good_bom),
		cmocka_unit_test(test_good_v15_direct),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_range),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_bad_transport),
		cmocka_unit_test(test_bad_url),
		cmocka_unit_test(test_bad_script),
		cmocka_unit_test(test_bad_proxy),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_storm_guard),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_auto_tune_bounds),
		cmocka_unit_test(test_dump_redacted),
		cmocka_unit_test(test_resolv),
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_sample_and_man),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
