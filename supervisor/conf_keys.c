/*
 * The table of every configuration key: where it may appear, its type,
 * where the value lives and its bounds (protocol.md section 5), plus the
 * performance_mode presets (section 5.3).  One row per key keeps the
 * parser, the validator and the -n -v dump in step.
 */
#include "gr_config.h"

#include <stddef.h>
#include <string.h>

#include "conf_keys.h"

#define KIB	1024ULL
#define MIB	(1024ULL * 1024ULL)
#define HOUR_MS	3600000ULL
#define DAY_MS	(24 * HOUR_MS)

#define FSZ(type, f)	sizeof(((struct type *)0)->f)

#define C_NUM(n, f, fl, lo, hi)						\
	{ n, KS_CARRIER, KB_CARRIER, KT_UINT, fl,			\
	  offsetof(struct carrier_conf, f), FSZ(carrier_conf, f), lo, hi,	\
	  NULL, NULL, NULL }
#define C_TYPED(n, t, f, fl)						\
	{ n, KS_CARRIER, KB_CARRIER, t, fl,				\
	  offsetof(struct carrier_conf, f), FSZ(carrier_conf, f), 0, 0,	\
	  NULL, NULL, NULL }
#define C_ENUM(n, f, names)						\
	{ n, KS_CARRIER, KB_CARRIER, KT_ENUM, 0,			\
	  offsetof(struct carrier_conf, f), FSZ(carrier_conf, f), 0, 0,	\
	  names, NULL, NULL }
#define C_FN(n, fn, dump, fl)						\
	{ n, KS_CARRIER, KB_CARRIER, KT_FN, fl, 0, 0, 0, 0, NULL, fn, dump }
#define C_GPATH(n, f)							\
	{ n, KS_CARRIER, KB_GLOBAL, KT_PATH, 0,				\
	  offsetof(struct gr_conf, f), FSZ(gr_conf, f), 0, 0,		\
	  NULL, NULL, NULL }
#define E_NUM(n, f, fl, lo, hi)						\
	{ n, KS_EXIT, KB_EXIT, KT_UINT, fl,				\
	  offsetof(struct exit_conf, f), FSZ(exit_conf, f), lo, hi,	\
	  NULL, NULL, NULL }
#define E_TYPED(n, t, f, fl)						\
	{ n, KS_EXIT, KB_EXIT, t, fl,					\
	  offsetof(struct exit_conf, f), FSZ(exit_conf, f), 0, 0,	\
	  NULL, NULL, NULL }
#define E_ENUM(n, f, names)						\
	{ n, KS_EXIT, KB_EXIT, KT_ENUM, 0,				\
	  offsetof(struct exit_conf, f), FSZ(exit_conf, f), 0, 0,	\
	  names, NULL, NULL }
#define E_FN(n, fn, dump, fl)						\
	{ n, KS_EXIT, KB_EXIT, KT_FN, fl, 0, 0, 0, 0, NULL, fn, dump }
#define E_GPATH(n, f)							\
	{ n, KS_EXIT, KB_GLOBAL, KT_PATH, 0,				\
	  offsetof(struct gr_conf, f), FSZ(gr_conf, f), 0, 0,		\
	  NULL, NULL, NULL }
#define T_STR(n, f, t)							\
	{ n, KS_TOP, KB_GLOBAL, t, 0,					\
	  offsetof(struct gr_conf, f), FSZ(gr_conf, f), 0, 0,		\
	  NULL, NULL, NULL }
#define IGNORED(s, n)							\
	{ n, s, KB_GLOBAL, KT_IGNORE, KF_NODUMP, 0, 0, 0, 0, NULL, NULL, NULL }

/* Index = enum value (common/conf.h). */
const char *const conf_keys_perf_names[] = {
	"latency", "balanced", "throughput", NULL
};
const char *const conf_keys_transport_names[] = {
	"apps_script", "auto", "direct_post", "direct_stream", NULL
};
static const char *const conf_keys_idle_poll_names[] = {
	"always", "adaptive", "off", NULL
};
static const char *const conf_keys_http_names[] = {
	"auto", "h1", "h2", NULL
};
static const char *const conf_keys_wire_names[] = {
	"current", "v1.5", NULL
};
/* downstream_replay_mode maps to cc_replay_auto: off = 0, auto = 1. */
static const char *const conf_keys_replay_names[] = {
	"off", "auto", NULL
};

const struct conf_key conf_keys[] = {
	/* Daemon-wide, top level only (tunnel_key may also be here). */
	T_STR("user", gc_user, KT_STR),
	T_STR("chroot", gc_chroot, KT_PATH),
	T_STR("control_socket", gc_control_socket, KT_PATH),
	{ "tunnel_key", KS_TOP, KB_GLOBAL, KT_FN, KF_SECRET, 0, 0, 0, 0,
	  NULL, conf_values_tunnel_key, conf_dump_secret },

	/* carrier: GooseRelayVPN client_config.json, protocol.md 5.1 */
	C_TYPED("socks_host", KT_HOST, cc_socks_host, 0),
	C_NUM("socks_port", cc_socks_port, KF_ZERO_DEFAULT, 1, 65535),
	C_TYPED("socks_user", KT_STR, cc_socks_user, 0),
	C_TYPED("socks_pass", KT_STR, cc_socks_pass, KF_SECRET),
	C_NUM("max_local_sessions", cc_max_local_sessions, 0, 0, 1000000),
	C_NUM("max_live_sessions", cc_max_live, KF_ZERO_DEFAULT, 1, 60000),
	C_NUM("new_sessions_per_s", cc_new_rate, KF_ZERO_DEFAULT, 1, 100000),
	C_NUM("new_sessions_burst", cc_new_burst, KF_ZERO_DEFAULT, 1, 100000),
	C_FN("tunnel_key", conf_values_tunnel_key, NULL,
	    KF_SECRET | KF_NODUMP),
	C_ENUM("transport_mode", cc_transport, conf_keys_transport_names),
	C_FN("script_keys", conf_values_script_keys, conf_dump_scripts, 0),
	C_FN("google_host", conf_values_google_host, conf_dump_ghosts, 0),
	C_FN("sni", conf_values_sni, conf_dump_sni, 0),
	C_ENUM("fronting_http_version", cc_fronting_http,
	    conf_keys_http_names),
	C_FN("relay_urls", conf_values_relay_urls, conf_dump_relay, 0),
	C_FN("direct_stream_urls", conf_values_stream_urls, conf_dump_stream,
	    0),
	C_ENUM("downstream_replay_mode", cc_replay_auto,
	    conf_keys_replay_names),
	C_TYPED("fresh_start_reset", KT_BOOL, cc_fresh_start_reset, 0),
	C_FN("client_instance_id", conf_values_instance_id,
	    conf_dump_instance, 0),
	C_GPATH("client_instance_id_file", gc_instance_file),
	C_GPATH("quota_state_path", gc_quota_state_path),
	C_GPATH("ca_file", gc_ca_file),
	C_ENUM("wire_compat", cc_wire_compat, conf_keys_wire_names),
	C_ENUM("performance_mode", cc_perf, conf_keys_perf_names),
	C_TYPED("auto_tune", KT_BOOL, cc_auto_tune, 0),
	C_NUM("auto_tune_poll_idle_sleep_min_ms", cc_tune_sleep_min_ms,
	    KF_ZERO_DEFAULT, 1, 60000),
	C_NUM("auto_tune_poll_idle_sleep_max_ms", cc_tune_sleep_max_ms,
	    KF_ZERO_DEFAULT, 1, 60000),
	C_NUM("coalesce_step_ms", cc_coalesce_step_ms, 0, 0, 10000),
	C_NUM("idle_slots_per_bucket", cc_idle_slots_per_bucket, 0, 0, 3),
	C_NUM("idle_poll_max_buckets", cc_idle_poll_max_buckets,
	    KF_ZERO_DEFAULT, 1, 2),
	C_ENUM("idle_poll_mode", cc_idle_poll_mode, conf_keys_idle_poll_names),
	C_NUM("tx_slots_per_bucket", cc_tx_slots_per_bucket, KF_ZERO_DEFAULT,
	    1, 8),
	C_NUM("workers_per_endpoint", cc_workers_per_endpoint,
	    KF_ZERO_DEFAULT, 1, 64),
	C_TYPED("post_pipeline", KT_BOOL, cc_post_pipeline, 0),
	C_NUM("poll_idle_sleep_ms", cc_poll_idle_sleep_ms, KF_ZERO_DEFAULT,
	    1, 60000),
	C_NUM("poll_timeout_ms", cc_poll_timeout_ms, KF_ZERO_DEFAULT,
	    1000, HOUR_MS),
	C_NUM("endpoint_blacklist_base_ms", cc_blacklist_base_ms,
	    KF_ZERO_DEFAULT, 1, DAY_MS),
	C_NUM("endpoint_blacklist_max_ms", cc_blacklist_max_ms,
	    KF_ZERO_DEFAULT, 1, DAY_MS),
	C_NUM("endpoint_outage_grace_ms", cc_outage_grace_ms,
	    KF_ZERO_DEFAULT, 1, DAY_MS),
	C_NUM("max_request_bytes_pre_encode", cc_max_request_bytes,
	    KF_ZERO_DEFAULT, 256 * KIB, 8 * MIB),
	C_NUM("tx_buffer_budget_bytes", cc_tx_buffer_budget,
	    KF_ZERO_DEFAULT, 256 * KIB, 16384 * MIB),
	C_NUM("stream_connect_timeout_ms", cc_stream_connect_timeout_ms,
	    KF_ZERO_DEFAULT, 1, HOUR_MS),
	C_NUM("stream_ping_interval_ms", cc_stream_ping_interval_ms,
	    KF_ZERO_DEFAULT, 1, HOUR_MS),
	C_NUM("stream_reconnect_backoff_ms", cc_stream_reconnect_backoff_ms,
	    KF_ZERO_DEFAULT, 1, HOUR_MS),
	C_NUM("session_stall_timeout_s", cc_session_stall_timeout_s, 0, 0,
	    86400),
	C_TYPED("routing_token", KT_BOOL, cc_routing_token, 0),
	C_NUM("dead_host_timeout_ms", cc_dead_host_timeout_ms, 0, 0, 60000),
	C_TYPED("debug_timing", KT_BOOL, cc_debug_timing, 0),
	C_TYPED("stats_json", KT_BOOL, cc_stats_json, 0),
	C_NUM("stats_interval_s", cc_stats_interval_s, 0, 0, 86400),
	C_TYPED("udp_enabled", KT_BOOL, cc_udp_enabled, 0),
	C_NUM("udp_max_associations", cc_udp_max_assoc, KF_ZERO_DEFAULT,
	    1, 65535),
	C_NUM("udp_queue_bytes", cc_udp_queue_bytes, KF_ZERO_DEFAULT,
	    64 * KIB, 256 * MIB),
	IGNORED(KS_CARRIER, "debug_pprof_addr"),
	IGNORED(KS_CARRIER, "write_startup_diagnostics"),
	IGNORED(KS_CARRIER, "diagnostics_output_dir"),
	IGNORED(KS_CARRIER, "save_terminal_log"),
	IGNORED(KS_CARRIER, "terminal_log_file"),

	/* exit: GooseRelayVPN server_config.json, protocol.md 5.2 */
	E_TYPED("server_host", KT_HOST, ec_server_host, 0),
	E_NUM("server_port", ec_server_port, KF_ZERO_DEFAULT, 1, 65535),
	E_FN("listen_addr", conf_values_listen_addr, NULL, KF_NODUMP),
	E_FN("tunnel_key", conf_values_tunnel_key, NULL,
	    KF_SECRET | KF_NODUMP),
	E_FN("aes_key_hex", conf_values_tunnel_key, NULL,
	    KF_SECRET | KF_NODUMP),
	E_FN("upstream_proxy", conf_values_upstream_proxy, conf_dump_proxy,
	    KF_SECRET),
	E_FN("dns_servers", conf_values_dns_servers, conf_dump_dns, 0),
	E_GPATH("resolv_conf", gc_resolv_conf),
	E_ENUM("performance_mode", ec_perf, conf_keys_perf_names),
	E_TYPED("auto_tune", KT_BOOL, ec_auto_tune, 0),
	E_NUM("auto_tune_active_drain_min_ms", ec_tune_drain_min_ms,
	    KF_ZERO_DEFAULT, 1, 60000),
	E_NUM("auto_tune_active_drain_max_ms", ec_tune_drain_max_ms,
	    KF_ZERO_DEFAULT, 1, 60000),
	E_NUM("auto_tune_coalesce_max_ms", ec_tune_coalesce_max_ms, 0, 0,
	    10000),
	E_NUM("auto_tune_coalesce_busy_max_ms", ec_tune_busy_max_ms, 0, 0,
	    10000),
	E_NUM("active_drain_window_ms", ec_active_drain_window_ms,
	    KF_ZERO_DEFAULT, 1, 60000),
	E_NUM("long_poll_window_ms", ec_long_poll_window_ms,
	    KF_ZERO_DEFAULT, 1, 300000),
	E_NUM("upstream_dial_timeout_ms", ec_upstream_dial_timeout_ms,
	    KF_ZERO_DEFAULT, 1, 300000),
	E_NUM("coalesce_window_ms", ec_coalesce_window_ms, 0, 0, 10000),
	E_NUM("coalesce_window_busy_ms", ec_coalesce_window_busy_ms, 0, 0,
	    10000),
	E_NUM("max_sessions", ec_max_sessions, KF_ZERO_DEFAULT, 1, 1000000),
	E_NUM("max_drain_frames_per_session", ec_max_drain_frames_per_session,
	    KF_ZERO_DEFAULT, 1, 64),
	E_NUM("max_request_body_bytes", ec_max_request_body_bytes,
	    KF_ZERO_DEFAULT, 256 * KIB, 12 * MIB),
	E_NUM("max_response_bytes_pre_encode", ec_max_response_bytes,
	    KF_ZERO_DEFAULT, 256 * KIB, 22 * MIB),
	E_TYPED("initial_response_cap_enabled", KT_BOOL,
	    ec_initial_cap_enabled, 0),
	E_NUM("initial_response_bytes_pre_encode", ec_initial_response_bytes,
	    KF_ZERO_DEFAULT, 256 * KIB, 22 * MIB),
	E_TYPED("second_response_cap_enabled", KT_BOOL,
	    ec_second_cap_enabled, 0),
	E_NUM("second_response_bytes_pre_encode", ec_second_response_bytes,
	    KF_ZERO_DEFAULT, 256 * KIB, 22 * MIB),
	E_TYPED("downstream_replay_enabled", KT_BOOL, ec_replay_enabled, 0),
	E_TYPED("stream_enabled", KT_BOOL, ec_stream_enabled, 0),
	E_ENUM("wire_compat", ec_wire_compat, conf_keys_wire_names),
	E_NUM("session_idle_timeout_s", ec_idle_timeout_s, KF_ZERO_DEFAULT,
	    1, 86400),
	E_NUM("stream_disconnect_grace_s", ec_stream_grace_s,
	    KF_ZERO_DEFAULT, 1, 3600),
	E_TYPED("debug_timing", KT_BOOL, ec_debug_timing, 0),
	E_TYPED("stats_json", KT_BOOL, ec_stats_json, 0),
	E_NUM("stats_interval_s", ec_stats_interval_s, 0, 0, 86400),
	E_TYPED("udp_enabled", KT_BOOL, ec_udp_enabled, 0),
	E_NUM("udp_idle_timeout_s", ec_udp_idle_timeout_s, KF_ZERO_DEFAULT,
	    1, 86400),
	E_NUM("udp_max_associations", ec_udp_max_assoc, KF_ZERO_DEFAULT,
	    1, 1000000),
	E_NUM("udp_max_associations_per_client", ec_udp_max_assoc_client,
	    KF_ZERO_DEFAULT, 1, 1000000),
	E_NUM("udp_max_datagrams_per_s", ec_udp_max_dps, KF_ZERO_DEFAULT,
	    1, 10000000),
	E_NUM("udp_max_datagrams_per_s_per_client", ec_udp_max_dps_client,
	    KF_ZERO_DEFAULT, 1, 10000000),
	E_NUM("udp_queue_bytes", ec_udp_queue_bytes, KF_ZERO_DEFAULT,
	    64 * KIB, 1024 * MIB),
	E_NUM("udp_queue_bytes_per_client", ec_udp_queue_bytes_client,
	    KF_ZERO_DEFAULT, 64 * KIB, 1024 * MIB),
	IGNORED(KS_EXIT, "debug_pprof_addr"),
	IGNORED(KS_EXIT, "write_startup_diagnostics"),
	IGNORED(KS_EXIT, "diagnostics_output_dir"),
	IGNORED(KS_EXIT, "save_terminal_log"),
	IGNORED(KS_EXIT, "terminal_log_file"),
};
const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) <= CONF_MAX_KEYS,
    "CONF_MAX_KEYS too small for the key table");

/*
 * protocol.md 5.3.  "balanced" is the plain defaults, so it has no rows;
 * a value equal to the default still counts as the preset's when the
 * preset names it (latency's 5 ms idle sleep, say).
 */
const struct conf_preset conf_presets[] = {
	{ "poll_idle_sleep_ms", KS_CARRIER, PERF_LATENCY, 5 },
	{ "coalesce_step_ms", KS_CARRIER, PERF_THROUGHPUT, 25 },
	{ "idle_slots_per_bucket", KS_CARRIER, PERF_THROUGHPUT, 2 },
	{ "active_drain_window_ms", KS_EXIT, PERF_LATENCY, 150 },
	{ "long_poll_window_ms", KS_EXIT, PERF_LATENCY, 6000 },
	{ "upstream_dial_timeout_ms", KS_EXIT, PERF_LATENCY, 8000 },
	{ "coalesce_window_ms", KS_EXIT, PERF_THROUGHPUT, 35 },
	{ "coalesce_window_busy_ms", KS_EXIT, PERF_THROUGHPUT, 15 },
};
const size_t conf_npresets = sizeof(conf_presets) / sizeof(conf_presets[0]);

/* Index of key name in section sect, or -1. */
int
conf_keys_find(int sect, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf_nkeys; i++)
		if (conf_keys[i].k_sect == sect &&
		    strcmp(conf_keys[i].k_name, name) == 0)
			return ((int)i);
	return (-1);
}

int
conf_keys_index(const struct conf_key *k)
{
	return ((int)(k - conf_keys));
}

/* Address of the value of k inside conf. */
void *
conf_keys_ptr(struct gr_conf *conf, const struct conf_key *k)
{
	char	*base;

	switch (k->k_base) {
	case KB_CARRIER:
		base = (char *)&conf->gc_carrier;
		break;
	case KB_EXIT:
		base = (char *)&conf->gc_exit;
		break;
	default:
		base = (char *)conf;
		break;
	}
	return (base + k->k_off);
}

const void *
conf_keys_cptr(const struct gr_conf *conf, const struct conf_key *k)
{
	return (conf_keys_ptr((struct gr_conf *)conf, k));
}
