/*
 * Diagnostics bundle: a configuration full of distinctive secrets (tunnel
 * key, socks user/pass, proxy credentials, long deployment ids, URL
 * credentials) is bundled together with worker text, stats and log lines
 * that repeat the secrets (as a careless component might); the bundle is
 * read back with libarchive and every file is searched for every secret.
 * None may appear; every expected file must be there and non-empty.
 */
#include "gr_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "confparse.h"
#include "diag.h"
#include "log.h"

#define KEY_HEX	"5ec2e7ab5ec2e7ab00112233445566778899aabb" \
		"ccddeeff0123456789abcdef"
#define KEY_HEXU "5EC2E7AB5EC2E7AB00112233445566778899AABB" \
		"CCDDEEFF0123456789ABCDEF"
#define SOCKS_USER "sockuserQ7Zk"
#define SOCKS_PASS "s0cksPassW0rd-Xq9Zr"
#define PROXY_USER "proxyUserVv3"
#define PROXY_PASS "pr0xyP4ssK8Jm"
#define SCRIPT1 "AKfycbzSecretDeploymentOne_4Gq8Lw2Jm9Pz7Rt5Yx3Nc6Vb1Hd0Fs"
#define SCRIPT2 "AKfycbxAnotherSecretDeploy_Tw0-9Kj7Hg5Fd3Sa1Qz8Xc6Vb4Nm2"
#define URL_USER "relayUserM2n"
#define URL_PASS "relayPassB7c4D"
#define WS_USER "wsUserT5y6u"
#define WS_PASS "wsPassR3e2w1Q"

/* transport_mode auto: Apps Script deployments + WebSocket. */
static const char test_diag_yaml_a[] =
	"tunnel_key: " KEY_HEX "\n"
	"carrier:\n"
	"  socks_host: 127.0.0.1\n"
	"  socks_port: 11080\n"
	"  socks_user: " SOCKS_USER "\n"
	"  socks_pass: \"" SOCKS_PASS "\"\n"
	"  transport_mode: auto\n"
	"  script_keys:\n"
	"    - id: " SCRIPT1 "\n"
	"      account: acct-a\n"
	"    - " SCRIPT2 "\n"
	"  direct_stream_urls:\n"
	"    - wss://" WS_USER ":" WS_PASS "@vps.example.net/stream\n"
	"exit:\n"
	"  server_host: 127.0.0.1\n"
	"  server_port: 18443\n"
	"  upstream_proxy: socks5://" PROXY_USER ":" PROXY_PASS
	    "@127.0.0.1:1081\n";
static const char *test_diag_leak_a[] = {
	KEY_HEX, KEY_HEXU, SOCKS_USER, SOCKS_PASS, PROXY_USER, PROXY_PASS,
	SCRIPT1, SCRIPT2, WS_USER ":" WS_PASS, NULL
};

/* transport_mode auto with direct POST relays (no deployments). */
static const char test_diag_yaml_b[] =
	"tunnel_key: " KEY_HEX "\n"
	"carrier:\n"
	"  socks_user: " SOCKS_USER "\n"
	"  socks_pass: " SOCKS_PASS "\n"
	"  transport_mode: auto\n"
	"  relay_urls:\n"
	"    - https://" URL_USER ":" URL_PASS "@relay.example.net/tunnel\n"
	"  direct_stream_urls:\n"
	"    - wss://" WS_USER ":" WS_PASS "@vps.example.net/stream\n"
	"exit:\n"
	"  upstream_proxy: socks5://" PROXY_USER ":" PROXY_PASS
	    "@127.0.0.1:1081\n";
static const char *test_diag_leak_b[] = {
	KEY_HEX, SOCKS_PASS, PROXY_PASS, URL_USER ":" URL_PASS, URL_PASS,
	WS_PASS, WS_USER, NULL
};

struct test_diag_msgs {
	char	 text[4096];
};

static void
test_diag_msg(int is_error, const char *msg, void *arg)
{
	struct test_diag_msgs	*m = arg;

	if (is_error) {
		strncat(m->text, msg, sizeof(m->text) - strlen(m->text) - 2);
		strcat(m->text, ";");
	}
}

static const char *test_diag_files[] = {
	"version.txt", "config.txt", "workers.txt", "stats.json", "log.txt",
	"system.txt",
};
#define NFILES (sizeof(test_diag_files) / sizeof(test_diag_files[0]))

/* The temporary directory of the running case, removed even on failure. */
static char	 test_diag_dir[64];

static int
test_diag_cleanup(void **state)
{
	char	 cmd[128];

	(void)state;
	if (test_diag_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_diag_dir);
		if (system(cmd) != 0)
			return -1;
		test_diag_dir[0] = '\0';
	}
	return 0;
}

static void
test_diag_bundle(const char *yaml, const char **leak)
{
	struct gr_conf		*conf;
	struct test_diag_msgs	 msgs;
	struct diag_input	 in;
	struct archive		*a;
	struct archive_entry	*e;
	char			 path[] = "/tmp/test_diag.XXXXXX", err[256];
	char			 cmd[1024];
	char			 bundle[300], workers[4096], stats[4096];
	char			*buf, *config = NULL;
	const char		*name, *base;
	size_t			 i, j, len, seen[NFILES];
	la_ssize_t		 n;

	conf = calloc(1, sizeof(*conf));
	assert_non_null(conf);
	memset(&msgs, 0, sizeof(msgs));
	if (confparse_mem("secrets.yaml", yaml, strlen(yaml), conf,
	    test_diag_msg, &msgs) != 0)
		fail_msg("config: %s", msgs.text);
	assert_string_equal(conf->gc_carrier.cc_socks_pass, SOCKS_PASS);
	assert_string_equal(conf->gc_exit.ec_proxy_pass, PROXY_PASS);

	/* Components that leak secrets into text the bundle carries. */
	log_init(1, 0, "test_diag");
	log_info("a careless line");
	snprintf(workers, sizeof(workers), "carrier running pid 42 "
	    "restarts 1 last exit: signal 11 while using:");
	snprintf(stats, sizeof(stats), "[{\"role\":\"carrier\","
	    "\"instance\":0,\"counters\":{},\"endpoints\":[");
	for (i = 0; leak[i] != NULL; i++) {
		log_info("leak %zu: %s and https://%s@host/", i, leak[i],
		    leak[i]);
		strcat(workers, " ");
		strcat(workers, leak[i]);
		snprintf(stats + strlen(stats), sizeof(stats) - strlen(stats),
		    "%s{\"name\":\"%s\"}", i ? "," : "", leak[i]);
	}
	strcat(stats, "]}]");
	strcat(workers, "\n");

	assert_non_null(mkdtemp(path));
	snprintf(test_diag_dir, sizeof(test_diag_dir), "%s", path);
	snprintf(bundle, sizeof(bundle), "%s/bundle.tar.gz", path);
	memset(&in, 0, sizeof(in));
	in.di_conf = conf;
	in.di_workers = workers;
	in.di_stats_json = stats;
	in.di_extra = "libwebsockets: 4.3.2 (from exit#0)";
	if (diag_write(bundle, &in, err, sizeof(err)) != 0)
		fail_msg("diag_write: %s", err);
	/* O_EXCL: an existing file is not overwritten. */
	assert_int_equal(diag_write(bundle, &in, err, sizeof(err)), -1);

	memset(seen, 0, sizeof(seen));
	assert_non_null(a = archive_read_new());
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, bundle, 16384),
	    ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		assert_true(strncmp(name, "gooserelayd-diag-", 17) == 0);
		assert_non_null(base = strchr(name, '/'));
		base++;
		len = (size_t)archive_entry_size(e);
		assert_true(len > 0);
		assert_non_null(buf = calloc(1, len + 1));
		n = archive_read_data(a, buf, len);
		assert_int_equal(n, (la_ssize_t)len);
		assert_int_equal(strlen(buf), len);	/* text, no NUL */
		/*
		 * The secrets of this configuration (the log ring still
		 * holds the previous case's lines: only the current
		 * configuration's secrets are known to the scrub).
		 */
		for (i = 0; leak[i] != NULL; i++)
			if (strstr(buf, leak[i]) != NULL)
				fail_msg("secret %zu found in %s", i, name);
		for (j = 0; j < NFILES; j++)
			if (strcmp(base, test_diag_files[j]) == 0)
				seen[j]++;
		if (strcmp(base, "config.txt") == 0)
			config = strdup(buf);
		if (strcmp(base, "log.txt") == 0)
			assert_non_null(strstr(buf, "a careless line"));
		if (strcmp(base, "system.txt") == 0) {
			assert_non_null(strstr(buf, "openssl: OpenSSL"));
			assert_non_null(strstr(buf, "4.3.2 (from exit#0)"));
		}
		if (strcmp(base, "workers.txt") == 0)
			assert_non_null(strstr(buf, "signal 11"));
		if (strcmp(base, "version.txt") == 0)
			assert_non_null(strstr(buf, PACKAGE_VERSION));
		free(buf);
	}
	archive_read_free(a);
	for (j = 0; j < NFILES; j++)
		if (seen[j] != 1)
			fail_msg("%s: %zu times in the bundle", test_diag_files[j],
			    seen[j]);
	/* The configuration is there, shortened / redacted. */
	assert_non_null(config);
	if (conf->gc_carrier.cc_nscripts > 0)
		assert_non_null(strstr(config, "AKfycb\xe2\x80\xa6"));
	if (conf->gc_carrier.cc_nrelay > 0)
		assert_non_null(strstr(config, "relay.example.net/tunnel"));
	assert_non_null(strstr(config, "vps.example.net/stream"));
	assert_non_null(strstr(config, "127.0.0.1"));
	free(config);

	/* Also with the system tar, as a user would unpack it. */
	snprintf(cmd, sizeof(cmd), "cd %s && tar -xzf bundle.tar.gz && "
	    "! grep -r -F", path);
	for (i = 0; leak[i] != NULL; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		    " -e '%s'", leak[i]);
	strncat(cmd, " gooserelayd-diag-*", sizeof(cmd) - strlen(cmd) - 1);
	assert_true(strlen(cmd) < sizeof(cmd) - 1);
	assert_int_equal(system(cmd), 0);
	free(conf);
}

static void
test_diag_bundle_scripts(void **state)
{
	(void)state;
	test_diag_bundle(test_diag_yaml_a, test_diag_leak_a);
}

static void
test_diag_bundle_relays(void **state)
{
	(void)state;
	test_diag_bundle(test_diag_yaml_b, test_diag_leak_b);
}

/* The scrub on its own: secrets go, the text around them stays. */
static void
test_diag_scrub(void **state)
{
	struct gr_conf	*conf;
	char		 text[512];

	(void)state;
	conf = calloc(1, sizeof(*conf));
	assert_non_null(conf);
	snprintf(conf->gc_carrier.cc_socks_pass,
	    sizeof(conf->gc_carrier.cc_socks_pass), "%s", "****");
	snprintf(conf->gc_exit.ec_proxy_pass,
	    sizeof(conf->gc_exit.ec_proxy_pass), "%s", "abc");	/* short */
	snprintf(conf->gc_carrier.cc_socks_user,
	    sizeof(conf->gc_carrier.cc_socks_user), "%s", "(redacted)");
	snprintf(text, sizeof(text), "a **** b ******** c abc d "
	    "(redacted)(redacted) e");
	diag_scrub(conf, text);	/* must terminate */
	assert_string_equal(text, "a **** b ******** c abc d "
	    "(redacted)(redacted) e");
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->gc_carrier.cc_socks_pass,
	    sizeof(conf->gc_carrier.cc_socks_pass), "%s", "hunter2x");
	snprintf(text, sizeof(text), "pw=hunter2x;hunter2xhunter2x.");
	diag_scrub(conf, text);
	assert_string_equal(text, "pw=********;****************.");

	/* A line cut inside a secret loses the cut-off start too. */
	snprintf(conf->gc_exit.ec_proxy_pass,
	    sizeof(conf->gc_exit.ec_proxy_pass), "%s", PROXY_PASS);
	snprintf(text, sizeof(text), "cut pr0xyP4s\nnext pr0xy\n"
	    "end pr0xyP4ssK8J");
	diag_scrub(conf, text);
	assert_string_equal(text, "cut ********\nnext pr0xy\n"
	    "end ************");
	free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_diag_bundle_scripts,
		    test_diag_cleanup),
		cmocka_unit_test_teardown(test_diag_bundle_relays,
		    test_diag_cleanup),
		cmocka_unit_test(test_diag_scrub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
