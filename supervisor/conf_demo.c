/*
 * The embedded loopback demo (no config file anywhere): a carrier and an
 * exit on 127.0.0.1 joined by direct_stream, with a fresh random key, so
 * "gooserelayd -d" alone gives a working SOCKS5 proxy to try.
 */
#include "gr_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "conf_keys.h"

/* Fill buf with random bytes from the kernel; aborts if it cannot. */
static void
conf_demo_random(void *buf, size_t len)
{
#if defined(__linux__)
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A demo key must never be predictable. */
			fprintf(stderr, "getrandom: %s\n", strerror(errno));
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
#else
	arc4random_buf(buf, len);
#endif
}

void
confparse_demo(struct gr_conf *conf, unsigned short socks_port,
    unsigned short exit_port)
{
	struct carrier_conf	*cc = &conf->gc_carrier;
	struct exit_conf	*ec = &conf->gc_exit;
	uint8_t			 id[16];
	size_t			 i;

	conf_defaults_init(conf, "(demo)");
	conf->gc_demo = 1;
	conf->gc_has_carrier = conf->gc_has_exit = 1;

	snprintf(cc->cc_socks_host, sizeof(cc->cc_socks_host), "127.0.0.1");
	cc->cc_socks_port = socks_port;
	cc->cc_transport = TM_DIRECT_STREAM;
	cc->cc_nstream = 1;
	snprintf(cc->cc_stream_urls[0], CONF_URL_LEN,
	    "ws://127.0.0.1:%u/stream", exit_port);
	conf_defaults_limits(cc);
	conf_demo_random(id, sizeof(id));
	for (i = 0; i < sizeof(id); i++)
		snprintf(cc->cc_instance_id + 2 * i, 3, "%02x", id[i]);
	/* No state files: the demo leaves nothing behind. */
	conf->gc_quota_state_path[0] = '\0';
	conf->gc_instance_file[0] = '\0';
	conf->gc_ca_file[0] = '\0';
	cc->cc_has_ca = 0;

	snprintf(ec->ec_server_host, sizeof(ec->ec_server_host), "127.0.0.1");
	ec->ec_server_port = exit_port;
	ec->ec_upstream_dial_timeout_ms = 8000;		/* latency preset */
	if (conf_check_resolv(conf->gc_resolv_conf, ec) <= 0) {
		snprintf(ec->ec_dns[0], CONF_HOST_LEN, "127.0.0.1");
		ec->ec_ndns = 1;
	}

	conf_demo_random(conf->gc_key, sizeof(conf->gc_key));
	for (i = 0; i < conf_nkeys && i < CONF_MAX_KEYS; i++)
		conf->gc_origin_kind[i] = CONF_ORIGIN_DEMO;
}
