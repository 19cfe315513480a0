/* FUZZ-SOURCES: supervisor/conf.c supervisor/conf_defaults.c supervisor/conf_load.c supervisor/conf_keys.c supervisor/conf_values.c supervisor/conf_check.c supervisor/conf_dump.c supervisor/conf_show.c supervisor/conf_demo.c common/wire_aead.c common/wbuf.c */
/* FUZZ-LIBS: -lyaml -lcrypto -lzstd */
/*
 * Configuration parser: any input parses or fails with messages, never
 * crashes; an accepted configuration satisfies the rules the workers rely
 * on (transport endpoints present, counts in bounds, strings terminated),
 * and the -n -v dump of it never prints the tunnel key.  The dump is
 * checked by taking it twice, with the key and with every bit of the key
 * flipped: the two must be equal.  (Looking for the key's hex in the dump
 * instead reports a false leak when the input itself repeats that hex as
 * another key's value, say socks_user, which the dump rightly prints.)
 */
#include "gr_config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confparse.h"

static void
fuzz_conf_msg(int is_error, const char *msg, void *arg)
{
	size_t	*n = arg;

	(void)is_error;
	*n += strlen(msg);
}

static void
fuzz_conf_check(const struct gr_conf *c)
{
	const struct carrier_conf	*cc = &c->gc_carrier;
	const struct exit_conf		*ec = &c->gc_exit;
	uint32_t			 i;

	assert(c->gc_has_carrier || c->gc_has_exit);
	assert(cc->cc_nscripts <= CONF_MAX_SCRIPTS);
	assert(cc->cc_nrelay <= CONF_MAX_URLS);
	assert(cc->cc_nstream <= CONF_MAX_URLS);
	assert(cc->cc_nsni >= 1 && cc->cc_nsni <= CONF_MAX_SNI);
	assert(cc->cc_nghosts >= 1 && cc->cc_nghosts <= CONF_MAX_GHOSTS);
	assert(ec->ec_ndns >= (c->gc_has_exit ? 1 : 0) &&
	    ec->ec_ndns <= CONF_MAX_DNS);
	if (c->gc_has_carrier) {
		switch (cc->cc_transport) {
		case TM_APPS_SCRIPT:
			assert(cc->cc_nscripts > 0 && cc->cc_nrelay == 0 &&
			    cc->cc_nstream == 0);
			break;
		case TM_DIRECT_POST:
			assert(cc->cc_nrelay > 0);
			break;
		case TM_DIRECT_STREAM:
			assert(cc->cc_nstream > 0);
			break;
		case TM_AUTO:
			assert(cc->cc_nstream + cc->cc_nrelay +
			    cc->cc_nscripts > 0);
			assert(cc->cc_nrelay == 0 || cc->cc_nscripts == 0);
			break;
		}
		assert(cc->cc_socks_port >= 1);
		assert(cc->cc_idle_slots_per_bucket <= 3);
		assert(cc->cc_tx_slots_per_bucket >= 1 &&
		    cc->cc_tx_slots_per_bucket <= 8);
		for (i = 0; i < cc->cc_nscripts; i++) {
			assert(memchr(cc->cc_scripts[i].cs_id, '\0',
			    CONF_SCRIPT_ID_LEN) != NULL);
			assert(strncmp(cc->cc_scripts[i].cs_id, "AKfycb", 6) ==
			    0);
		}
		for (i = 0; i < cc->cc_nstream; i++)
			assert(strncmp(cc->cc_stream_urls[i], "ws", 2) == 0);
	}
	if (c->gc_has_exit) {
		assert(ec->ec_server_port >= 1);
		assert(!ec->ec_replay_enabled ||
		    ec->ec_max_response_bytes <= 8 * 1024 * 1024);
		assert(ec->ec_max_drain_frames_per_session >= 1 &&
		    ec->ec_max_drain_frames_per_session <= 64);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gr_conf	 conf;
	static FILE		*null;
	size_t			 msglen = 0;
	char			*buf[2] = { NULL, NULL };
	size_t			 len[2] = { 0, 0 };
	FILE			*fp;
	int			 i, j;

	if (null == NULL)
		null = fopen("/dev/null", "w");
	if (confparse_mem("fuzz.yaml", (const char *)data, size, &conf,
	    fuzz_conf_msg, &msglen) != 0)
		return (0);
	fuzz_conf_check(&conf);
	for (j = 0; j < 2; j++) {
		if ((fp = open_memstream(&buf[j], &len[j])) == NULL)
			abort();
		confparse_dump(&conf, fp);
		fclose(fp);
		for (i = 0; i < (int)sizeof(conf.gc_key); i++)
			conf.gc_key[i] ^= 0xff;
	}
	assert(len[0] == len[1] && memcmp(buf[0], buf[1], len[0]) == 0);
	free(buf[0]);
	free(buf[1]);
	return (0);
}
