/*
 * Typed configuration shared by the supervisor (which parses YAML into it,
 * supervisor/conf.c) and the workers (which receive it over IPC).
 *
 * These structs are plain old data on purpose: no pointers, fixed-size
 * NUL-terminated strings, so one struct travels as one IPC message and a
 * worker can validate it by length.  Secrets are not in here: the tunnel
 * key travels in its own message (IMSG_CONF_KEY) and is wiped after use.
 * Key names follow GooseRelayVPN's (protocol.md section 5).
 */
#ifndef GR_CONF_H
#define GR_CONF_H

#include <stdint.h>

#define CONF_HOST_LEN		256
#define CONF_URL_LEN		512
#define CONF_MAX_URLS		16
#define CONF_MAX_SCRIPTS	64
#define CONF_SCRIPT_ID_LEN	160
#define CONF_ACCOUNT_LEN	64
#define CONF_MAX_SNI		8
#define CONF_MAX_GHOSTS		8
#define CONF_MAX_DNS		4
#define CONF_CRED_LEN		256
#define CONF_PATH_LEN		1024
#define CONF_INSTANCE_LEN	129
#define CONF_MAX_KEYS		160	/* origin slots, see gr_conf */
#define CONF_MAX_ADDRS		4	/* addresses kept per name */
#define CONF_ADDRS_LEN		192	/* that many, blank-separated */

enum conf_transport {
	TM_APPS_SCRIPT = 0,	/* GooseRelayVPN's default */
	TM_AUTO,
	TM_DIRECT_POST,
	TM_DIRECT_STREAM
};

enum conf_perf {
	PERF_LATENCY = 0,	/* default */
	PERF_BALANCED,
	PERF_THROUGHPUT
};

enum conf_idle_poll {
	IDLE_POLL_ALWAYS = 0,
	IDLE_POLL_ADAPTIVE,
	IDLE_POLL_OFF
};

enum conf_http_version {
	FRONT_HTTP_AUTO = 0,
	FRONT_HTTP_H1,
	FRONT_HTTP_H2
};

enum conf_wire_compat {
	WIRE_COMPAT_CURRENT = 0,	/* v1.6+ layout */
	WIRE_COMPAT_V15			/* carrier: emit v1.5 batches; exit:
					 * serve as a v1.5 server does */
};

struct conf_script {
	char		 cs_id[CONF_SCRIPT_ID_LEN];	/* bare deployment id */
	char		 cs_account[CONF_ACCOUNT_LEN];	/* "" = unlabeled */
};

struct carrier_conf {
	char		 cc_socks_host[CONF_HOST_LEN];	/* 127.0.0.1 */
	uint16_t	 cc_socks_port;			/* 1080 */
	char		 cc_socks_user[CONF_CRED_LEN];
	char		 cc_socks_pass[CONF_CRED_LEN];
	uint32_t	 cc_max_local_sessions;		/* 0 = unlimited */
	/* Storm guard (local.c), 0 = the transport's default below. */
	uint32_t	 cc_max_live;			/* max_live_sessions */
	uint32_t	 cc_new_rate;			/* new_sessions_per_s */
	uint32_t	 cc_new_burst;			/* new_sessions_burst */

	enum conf_transport cc_transport;
	enum conf_wire_compat cc_wire_compat;

	uint32_t	 cc_nscripts;
	struct conf_script cc_scripts[CONF_MAX_SCRIPTS];
	uint32_t	 cc_nghosts;
	char		 cc_google_host[CONF_MAX_GHOSTS][CONF_HOST_LEN];
	uint32_t	 cc_nsni;
	char		 cc_sni[CONF_MAX_SNI][CONF_HOST_LEN];
	enum conf_http_version cc_fronting_http;

	uint32_t	 cc_nrelay;
	char		 cc_relay_urls[CONF_MAX_URLS][CONF_URL_LEN];
	uint32_t	 cc_nstream;
	char		 cc_stream_urls[CONF_MAX_URLS][CONF_URL_LEN];

	int		 cc_replay_auto;		/* auto=1, off=0 */
	int		 cc_fresh_start_reset;		/* 1 */
	char		 cc_instance_id[CONF_INSTANCE_LEN];
	int		 cc_has_ca;			/* CA bundle follows */

	enum conf_perf	 cc_perf;
	int		 cc_auto_tune;
	uint32_t	 cc_coalesce_step_ms;		/* 0 */
	uint32_t	 cc_idle_slots_per_bucket;	/* 1 (0..3) */
	uint32_t	 cc_idle_poll_max_buckets;	/* 2 (1..2) */
	enum conf_idle_poll cc_idle_poll_mode;
	uint32_t	 cc_tx_slots_per_bucket;	/* 3 (1..8) */
	uint32_t	 cc_workers_per_endpoint;	/* 3 */
	int		 cc_post_pipeline;		/* 1 */
	uint32_t	 cc_poll_idle_sleep_ms;		/* 5 */
	uint32_t	 cc_poll_timeout_ms;		/* 300000 */
	uint32_t	 cc_blacklist_base_ms;		/* 3000 */
	uint32_t	 cc_blacklist_max_ms;		/* 3600000 */
	uint32_t	 cc_outage_grace_ms;		/* 300000 */
	uint32_t	 cc_max_request_bytes;		/* 8 MiB */
	uint64_t	 cc_tx_buffer_budget;		/* 64 MiB */
	uint32_t	 cc_stream_connect_timeout_ms;	/* 5000 */
	uint32_t	 cc_stream_ping_interval_ms;	/* 20000 */
	uint32_t	 cc_stream_reconnect_backoff_ms;/* 1000 */
	uint32_t	 cc_session_stall_timeout_s;	/* 60, 0 = off */
	int		 cc_routing_token;		/* 1: ?r= in URLs */
	uint32_t	 cc_dead_host_timeout_ms;	/* 3000, 0 = off */
	int		 cc_debug_timing;
	int		 cc_stats_json;
	uint32_t	 cc_stats_interval_s;		/* 60, 0 = off */
	/* auto_tune bounds of poll_idle_sleep_ms (protocol.md 5.4) */
	uint32_t	 cc_tune_sleep_min_ms;		/* 2 */
	uint32_t	 cc_tune_sleep_max_ms;		/* 250 */

	/*
	 * Where to dial each relay_urls / direct_stream_urls / google_host
	 * entry: its host's numeric addresses, space-separated, in
	 * getaddrinfo order.  The supervisor fills them (resolve.c) because
	 * the chrooted, seccomp-confined carrier cannot resolve names; the
	 * name itself stays in the URL for Host, SNI and certificate checks.
	 */
	char		 cc_relay_addr[CONF_MAX_URLS][CONF_ADDRS_LEN];
	char		 cc_stream_addr[CONF_MAX_URLS][CONF_ADDRS_LEN];
	char		 cc_ghost_addr[CONF_MAX_GHOSTS][CONF_ADDRS_LEN];

	/* SOCKS5 UDP ASSOCIATE (workers/carrier/udp.c, docs/udp.md) */
	int		 cc_udp_enabled;		/* 1 */
	uint32_t	 cc_udp_max_assoc;		/* 256 */
	uint32_t	 cc_udp_queue_bytes;		/* 4 MiB */
};

struct exit_conf {
	char		 ec_server_host[CONF_HOST_LEN];	/* 0.0.0.0 */
	uint16_t	 ec_server_port;		/* 8443 */

	/* upstream_proxy: socks5://[user:pass@]host:port, parsed */
	int		 ec_has_proxy;
	char		 ec_proxy_host[CONF_HOST_LEN];
	uint16_t	 ec_proxy_port;
	char		 ec_proxy_user[CONF_CRED_LEN];
	char		 ec_proxy_pass[CONF_CRED_LEN];

	/* DNS servers for c-ares ("ip" or "ip:port"); from resolv.conf. */
	uint32_t	 ec_ndns;
	char		 ec_dns[CONF_MAX_DNS][CONF_HOST_LEN];

	enum conf_perf	 ec_perf;
	int		 ec_auto_tune;
	uint32_t	 ec_active_drain_window_ms;	/* 150 */
	uint32_t	 ec_long_poll_window_ms;	/* 6000 */
	uint32_t	 ec_upstream_dial_timeout_ms;	/* 8000 latency */
	uint32_t	 ec_coalesce_window_ms;		/* 0 */
	uint32_t	 ec_coalesce_window_busy_ms;	/* 0 */
	uint32_t	 ec_max_sessions;		/* 4096 */
	uint32_t	 ec_max_drain_frames_per_session; /* 8 (1..64) */
	uint32_t	 ec_max_request_body_bytes;	/* 12 MiB */
	uint32_t	 ec_max_response_bytes;		/* 6 MiB */
	int		 ec_initial_cap_enabled;	/* 1 */
	uint32_t	 ec_initial_response_bytes;	/* 512 KiB */
	int		 ec_second_cap_enabled;		/* 1 */
	uint32_t	 ec_second_response_bytes;	/* 1 MiB */
	int		 ec_replay_enabled;		/* 0 */
	int		 ec_stream_enabled;		/* 1: serve /stream */
	int		 ec_debug_timing;
	int		 ec_stats_json;
	uint32_t	 ec_stats_interval_s;		/* 60, 0 = off */
	/* auto_tune bounds (protocol.md 5.4) */
	uint32_t	 ec_tune_drain_min_ms;		/* 50 */
	uint32_t	 ec_tune_drain_max_ms;		/* 250 */
	uint32_t	 ec_tune_coalesce_max_ms;	/* 25 */
	uint32_t	 ec_tune_busy_max_ms;		/* 10 */
	/* GooseRelayVPN's fixed server timers, configurable (protocol.md 3) */
	uint32_t	 ec_idle_timeout_s;		/* 600 */
	uint32_t	 ec_stream_grace_s;		/* 30 */

	/* udp_v1 datagrams (workers/exit/udp.c, docs/udp.md) */
	int		 ec_udp_enabled;		/* 1 */
	uint32_t	 ec_udp_idle_timeout_s;		/* 60 */
	uint32_t	 ec_udp_max_assoc;		/* 4096 per worker */
	uint32_t	 ec_udp_max_assoc_client;	/* 256 */
	uint32_t	 ec_udp_max_dps;		/* 200000 per worker */
	uint32_t	 ec_udp_max_dps_client;		/* 50000 */
	uint32_t	 ec_udp_queue_bytes;		/* 64 MiB per worker */
	uint32_t	 ec_udp_queue_bytes_client;	/* 4 MiB */
	/* v1.5: behave as a GooseRelayVPN v1.5 server (for testing) */
	enum conf_wire_compat ec_wire_compat;
};

/*
 * Storm guard defaults.  Through Apps Script every session costs
 * UrlFetch quota, so GooseRelayVPN's guard applies (protocol.md 3: 1024
 * live, 80 new per second, burst 160).  Direct transports reach one's own
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
static inline int
conf_carrier_uses_apps(const struct carrier_conf *cc)
{
	return (cc->cc_transport == TM_APPS_SCRIPT ||
	    (cc->cc_transport == TM_AUTO && cc->cc_nscripts > 0));
}

/* Fill the storm guard keys left at 0 with the transport's defaults. */
static inline void
conf_carrier_limits(struct carrier_conf *cc)
{
	int	 apps = conf_carrier_uses_apps(cc);

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

/* Whole parsed file; supervisor only (holds paths and the key). */
struct gr_conf {
	char		 gc_path[CONF_PATH_LEN];
	int		 gc_has_carrier;
	int		 gc_has_exit;
	struct carrier_conf gc_carrier;
	struct exit_conf gc_exit;
	uint8_t		 gc_key[32];		/* tunnel_key */
	int		 gc_demo;		/* embedded loopback demo */
	char		 gc_ca_file[CONF_PATH_LEN];	/* carrier: CA bundle */
	char		 gc_quota_state_path[CONF_PATH_LEN];
	char		 gc_instance_file[CONF_PATH_LEN];
	char		 gc_resolv_conf[CONF_PATH_LEN];	/* exit DNS source */
	char		 gc_control_socket[CONF_PATH_LEN];
	char		 gc_user[64];
	char		 gc_chroot[CONF_PATH_LEN];
	/*
	 * Where each effective value came from, indexed by the key table of
	 * supervisor/conf_keys.c (CONF_ORIGIN_* of confparse.h, and the
	 * line in gc_path for CONF_ORIGIN_FILE).  Backs gooserelayd -n -v.
	 */
	uint8_t		 gc_origin_kind[CONF_MAX_KEYS];
	uint32_t	 gc_origin_line[CONF_MAX_KEYS];
};

void	conf_carrier_defaults(struct carrier_conf *);
void	conf_exit_defaults(struct exit_conf *);

#endif /* GR_CONF_H */
