/*
 * The one place for built-in defaults: every key not set in the file
 * keeps the value written here (the performance_mode presets of
 * conf_keys.c go on top).  The workers take what they receive as it is:
 * a key whose 0 means "the default" (KF_ZERO_DEFAULT) never reaches them
 * as 0.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include "conf_keys.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

/* Built-in defaults, docs/protocol.md 5.1 (newest GooseRelayVPN client). */
void
conf_defaults_carrier(struct carrier_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	snprintf(cc->cc_socks_host, sizeof(cc->cc_socks_host), "127.0.0.1");
	cc->cc_socks_port = 1080;
	cc->cc_transport = TM_APPS_SCRIPT;
	cc->cc_wire_compat = WIRE_COMPAT_CURRENT;
	cc->cc_nghosts = 1;
	snprintf(cc->cc_google_host[0], CONF_HOST_LEN, "216.239.38.120");
	cc->cc_nsni = 3;
	snprintf(cc->cc_sni[0], CONF_HOST_LEN, "www.google.com");
	snprintf(cc->cc_sni[1], CONF_HOST_LEN, "mail.google.com");
	snprintf(cc->cc_sni[2], CONF_HOST_LEN, "accounts.google.com");
	cc->cc_fronting_http = FRONT_HTTP_AUTO;
	cc->cc_replay_auto = 1;
	cc->cc_fresh_start_reset = 1;
	cc->cc_perf = PERF_LATENCY;
	cc->cc_coalesce_step_ms = 0;
	cc->cc_idle_slots_per_bucket = 1;
	cc->cc_idle_poll_max_buckets = 2;
	cc->cc_idle_poll_mode = IDLE_POLL_ALWAYS;
	cc->cc_tx_slots_per_bucket = 3;
	cc->cc_workers_per_endpoint = 3;
	cc->cc_post_pipeline = 1;
	cc->cc_poll_idle_sleep_ms = 5;
	cc->cc_poll_timeout_ms = 300000;
	cc->cc_blacklist_base_ms = 3000;
	cc->cc_blacklist_max_ms = 3600000;
	cc->cc_outage_grace_ms = 300000;
	cc->cc_max_request_bytes = 8 * 1024 * 1024;
	cc->cc_tx_buffer_budget = 64ULL * 1024 * 1024;
	cc->cc_stream_connect_timeout_ms = 5000;
	cc->cc_stream_ping_interval_ms = 20000;
	cc->cc_stream_reconnect_backoff_ms = 1000;
	cc->cc_session_stall_timeout_s = 60;
	cc->cc_routing_token = 1;
	cc->cc_dead_host_timeout_ms = 3000;
	cc->cc_stats_interval_s = 60;
	cc->cc_tune_sleep_min_ms = 2;
	cc->cc_tune_sleep_max_ms = 250;
	cc->cc_udp_enabled = 1;
	cc->cc_udp_max_assoc = 256;
	cc->cc_udp_queue_bytes = 4 * 1024 * 1024;
}

/* Built-in defaults, docs/protocol.md 5.2; the latency preset is on top. */
void
conf_defaults_exit(struct exit_conf *ec)
{
	memset(ec, 0, sizeof(*ec));
	snprintf(ec->ec_server_host, sizeof(ec->ec_server_host), "0.0.0.0");
	ec->ec_server_port = 8443;
	ec->ec_perf = PERF_LATENCY;
	ec->ec_active_drain_window_ms = 150;
	ec->ec_long_poll_window_ms = 6000;
	ec->ec_upstream_dial_timeout_ms = 15000;
	ec->ec_coalesce_window_ms = 0;
	ec->ec_coalesce_window_busy_ms = 0;
	ec->ec_max_sessions = 4096;
	ec->ec_max_drain_frames_per_session = 8;
	ec->ec_max_request_body_bytes = 12 * 1024 * 1024;
	ec->ec_max_response_bytes = 6 * 1024 * 1024;
	ec->ec_initial_cap_enabled = 1;
	ec->ec_initial_response_bytes = 512 * 1024;
	ec->ec_second_cap_enabled = 1;
	ec->ec_second_response_bytes = 1024 * 1024;
	ec->ec_replay_enabled = 0;
	ec->ec_stream_enabled = 1;
	ec->ec_stats_interval_s = 60;
	ec->ec_tune_drain_min_ms = 50;
	ec->ec_tune_drain_max_ms = 250;
	ec->ec_tune_coalesce_max_ms = 25;
	ec->ec_tune_busy_max_ms = 10;
	ec->ec_idle_timeout_s = 600;
	ec->ec_stream_grace_s = 30;
	ec->ec_udp_enabled = 1;
	ec->ec_udp_idle_timeout_s = 60;
	ec->ec_udp_max_assoc = 4096;
	ec->ec_udp_max_assoc_client = 256;
	ec->ec_udp_max_dps = 200000;
	ec->ec_udp_max_dps_client = 50000;
	ec->ec_udp_queue_bytes = 64 * 1024 * 1024;
	ec->ec_udp_queue_bytes_client = 4 * 1024 * 1024;
}

/* Every key's default for a file called name (gc_path). */
void
conf_defaults_init(struct gr_conf *conf, const char *name)
{
	memset(conf, 0, sizeof(*conf));
	conf_copy(conf->gc_path, sizeof(conf->gc_path), name);
	conf_defaults_carrier(&conf->gc_carrier);
	conf_defaults_exit(&conf->gc_exit);
	conf_copy(conf->gc_user, sizeof(conf->gc_user), GR_USER);
	conf_copy(conf->gc_chroot, sizeof(conf->gc_chroot), GR_EMPTY_DIR);
	conf_copy(conf->gc_control_socket, sizeof(conf->gc_control_socket),
	    RUNSTATEDIR "/gooserelayd.sock");
	conf_copy(conf->gc_resolv_conf, sizeof(conf->gc_resolv_conf),
	    "/etc/resolv.conf");
}

/*
 * Storm guard defaults, which depend on the transport (conf_check.c
 * applies them once the whole carrier section is read).  Through Apps
 * Script every session costs UrlFetch quota, so GooseRelayVPN's guard
 * applies (docs/protocol.md 4.7: 1024 live, 80 new per second, burst
 * 160).  Direct transports reach one's own
 * exit and spend no quota: there the limits only keep a runaway
 * application from exhausting the exit's max_sessions (4096) and file
 * descriptors, and a browser opening 300 connections at once or a
 * thousand in a row is served without waiting.
 */
#define CONF_APPS_MAX_LIVE	1024
#define CONF_APPS_NEW_RATE	80
#define CONF_APPS_NEW_BURST	160
#define CONF_DIRECT_MAX_LIVE	4096
#define CONF_DIRECT_NEW_RATE	1000
#define CONF_DIRECT_NEW_BURST	1000

/* 1 if sessions may travel through Apps Script (and spend quota). */
int
conf_defaults_uses_apps(const struct carrier_conf *cc)
{
	return (cc->cc_transport == TM_APPS_SCRIPT ||
	    (cc->cc_transport == TM_AUTO && cc->cc_nscripts > 0));
}

/* Fill the storm guard keys left at 0 with the transport's defaults. */
void
conf_defaults_limits(struct carrier_conf *cc)
{
	int	 apps = conf_defaults_uses_apps(cc);

	if (cc->cc_max_live == 0)
		cc->cc_max_live = apps ? CONF_APPS_MAX_LIVE :
		    CONF_DIRECT_MAX_LIVE;
	if (cc->cc_new_rate == 0)
		cc->cc_new_rate = apps ? CONF_APPS_NEW_RATE :
		    CONF_DIRECT_NEW_RATE;
	if (cc->cc_new_burst == 0)
		cc->cc_new_burst = apps ? CONF_APPS_NEW_BURST :
		    CONF_DIRECT_NEW_BURST;
}
