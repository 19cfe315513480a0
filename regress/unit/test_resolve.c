/*
 * Host names of the carrier's endpoints (supervisor/resolve.c) and the
 * carrier side of the contract (workers/carrier/httpc.c): the supervisor
 * fills numeric addresses, leaves unresolved entries out of the carrier's
 * copy, and the carrier's HTTP client refuses a name instead of handing
 * it to getaddrinfo.  Only numeric hosts and localhost (/etc/hosts) are
 * looked up here: no DNS query leaves the machine.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ev.h>

#include "confparse.h"
#include "supervisor.h"
#include "httpc.h"

/* What resolve.c needs from the rest of the supervisor. */
struct ev_loop	*sv_loop;
struct gr_conf	*sv_conf;
uint32_t	 sv_gen = 1;
int		 sv_shutting_down;
static int	 reloads;

int
reload_busy(void)
{
	return 0;
}

int
reload_push_conf(struct gr_conf *nc, const char *why)
{
	reloads++;
	free(nc);
	return 0;
}

static struct gr_conf *
t_conf(void)
{
	struct gr_conf	*c;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->gc_has_carrier = 1;
	conf_defaults_carrier(&c->gc_carrier);
	return (c);
}

static void
t_numeric_and_localhost(void **state)
{
	struct gr_conf		*c = t_conf();
	struct carrier_conf	*cc = &c->gc_carrier;

	(void)state;
	snprintf(cc->cc_relay_urls[0], CONF_URL_LEN,
	    "http://127.0.0.1:8443/tunnel");
	snprintf(cc->cc_relay_urls[1], CONF_URL_LEN,
	    "https://user:pw@[::1]:8443/tunnel?x=1");
	snprintf(cc->cc_relay_urls[2], CONF_URL_LEN, "http://localhost/t");
	cc->cc_nrelay = 3;
	snprintf(cc->cc_stream_urls[0], CONF_URL_LEN,
	    "wss://[2001:db8::7]/stream");
	cc->cc_nstream = 1;
	assert_int_equal(resolve_conf(c, 0), 0);
	assert_string_equal(cc->cc_relay_addr[0], "127.0.0.1");
	assert_string_equal(cc->cc_relay_addr[1], "::1");
	/* localhost: at least its IPv4 address, from /etc/hosts. */
	assert_non_null(strstr(cc->cc_relay_addr[2], "127.0.0.1"));
	assert_string_equal(cc->cc_stream_addr[0], "2001:db8::7");
	/* google_host is left alone without script_keys. */
	assert_string_equal(cc->cc_ghost_addr[0], "");
	cc->cc_nscripts = 1;
	assert_int_equal(resolve_conf(c, 0), 0);
	assert_string_equal(cc->cc_ghost_addr[0], cc->cc_google_host[0]);
	free(c);
}

static void
t_copy_drops_unresolved(void **state)
{
	struct carrier_conf	*cc;
	int			 i;

	(void)state;
	cc = calloc(1, sizeof(*cc));
	assert_non_null(cc);
	for (i = 0; i < 4; i++)
		snprintf(cc->cc_relay_urls[i], CONF_URL_LEN,
		    "http://h%d.example/tunnel", i);
	cc->cc_nrelay = 4;
	snprintf(cc->cc_relay_addr[1], CONF_ADDRS_LEN, "192.0.2.1");
	snprintf(cc->cc_relay_addr[3], CONF_ADDRS_LEN, "::1 127.0.0.1");
	snprintf(cc->cc_stream_urls[0], CONF_URL_LEN, "ws://s.example/");
	cc->cc_nstream = 1;
	cc->cc_nscripts = 1;
	cc->cc_nghosts = 2;
	snprintf(cc->cc_google_host[0], CONF_HOST_LEN, "edge.example");
	snprintf(cc->cc_google_host[1], CONF_HOST_LEN, "216.239.38.120");
	snprintf(cc->cc_ghost_addr[1], CONF_ADDRS_LEN, "216.239.38.120");
	resolve_carrier_copy(cc);
	assert_int_equal(cc->cc_nrelay, 2);
	assert_string_equal(cc->cc_relay_urls[0], "http://h1.example/tunnel");
	assert_string_equal(cc->cc_relay_addr[0], "192.0.2.1");
	assert_string_equal(cc->cc_relay_urls[1], "http://h3.example/tunnel");
	assert_string_equal(cc->cc_relay_addr[1], "::1 127.0.0.1");
	assert_int_equal(cc->cc_nstream, 0);
	assert_int_equal(cc->cc_nghosts, 1);
	assert_string_equal(cc->cc_google_host[0], "216.239.38.120");
	free(cc);
}

static int	 t_err;
static char	 t_errstr[512];

static void
t_done(struct httpc_call *hc, int err, const char *errstr, int sent,
    struct httpc_resp *resp, void *arg)
{
	(void)hc;
	(void)sent;
	(void)resp;
	t_err = err;
	snprintf(t_errstr, sizeof(t_errstr), "%s", errstr ? errstr : "");
	ev_break((struct ev_loop *)arg, EVBREAK_ALL);
}

static void
t_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* The carrier's HTTP client never resolves: a name is an error. */
static void
t_httpc_refuses_names(void **state)
{
	struct ev_loop		*loop = ev_loop_new(EVFLAG_AUTO);
	struct httpc_target	 t;
	struct httpc_pool	*p;
	struct httpc_req	 req;
	ev_timer		 to;

	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.ht_connect, sizeof(t.ht_connect), "localhost");
	snprintf(t.ht_sni, sizeof(t.ht_sni), "localhost");
	t.ht_port = 9;
	p = httpc_pool_new(loop, &t, NULL, 1, 1024);
	assert_non_null(p);
	memset(&req, 0, sizeof(req));
	req.hr_method = "GET";
	req.hr_host = "localhost";
	req.hr_path = "/";
	req.hr_timeout = 5;
	t_err = -1;
	ev_timer_init(&to, t_timeout, 5., 0.);
	ev_timer_start(loop, &to);
	if (httpc_request(p, &req, t_done, loop) != NULL && t_err == -1)
		ev_run(loop, 0);
	assert_int_not_equal(t_err, -1);
	assert_int_not_equal(t_err, HTTPC_OK);
	if (strstr(t_errstr, "not a numeric address") == NULL)
		fail_msg("err %d: %s", t_err, t_errstr);
	httpc_pool_free(p);
	ev_timer_stop(loop, &to);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_numeric_and_localhost),
		cmocka_unit_test(t_copy_drops_unresolved),
		cmocka_unit_test(t_httpc_refuses_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
