/*
 * gooserelay-carrier: the client side of the tunnel.  A local SOCKS5
 * proxy whose connections become sessions carried to the exit by the
 * WebSocket stream, the POST poll loop, or both (transport_mode auto).
 * Started by gooserelayd with the IPC socket on fd 3; receives its config,
 * the tunnel key, the SOCKS listener and the CA bundle over IPC.
 */
#include "gr_config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "carrier.h"
#include "log.h"
#include "rtoken.h"
#include "sandbox.h"
#include "transport.h"
#include "udp.h"
#include "wproc.h"

struct carrier	*carrier;
static ev_timer	 carrier_stop_timer;
static ev_idle	 carrier_exit_idle;

static int	carrier_configure(struct wproc_conf *, char *, size_t);
static void	carrier_start(void);
static void	carrier_shutdown(uint32_t);
static void	carrier_stats(uint32_t);

static const struct wproc_ops carrier_ops = {
	.wo_configure = carrier_configure,
	.wo_start = carrier_start,
	.wo_shutdown = carrier_shutdown,
	.wo_stats = carrier_stats,
	.wo_quota_load = post_quota_load,
};

/* Warn about an open proxy: bound beyond loopback with no credentials. */
static void
carrier_check_exposure(const struct carrier_conf *cc, const char *addr)
{
	if (cc->cc_socks_user[0] != '\0')
		return;
	if (strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]", 5) == 0 ||
	    strncmp(addr, "localhost", 9) == 0)
		return;
	log_warnx("SOCKS5 listener %s is not loopback and has no "
	    "socks_user/socks_pass: anyone who can reach it can use the "
	    "tunnel", addr);
}

/*
 * Reload: keys the running carrier cannot change in place keep their old
 * value, and the log says a restart is needed.  Everything else applies:
 * script_keys / relay_urls (post_reload), direct_stream_urls
 * (stream_configure), the listener, tunnel_key, timeouts, blacklist and
 * slot knobs, stats and auto_tune settings.
 */
static void
carrier_restart_keys(const struct carrier_conf *o, struct carrier_conf *n)
{
#define KEEP(cond, name, field) do {					\
	if (cond) {							\
		log_warnx("reload: %s changed; restart gooserelayd to "	\
		    "apply it (keeping the running value)", name);	\
		memcpy(&n->field, &o->field, sizeof(n->field));		\
	}								\
} while (0)
	KEEP(o->cc_transport != n->cc_transport, "transport_mode",
	    cc_transport);
	KEEP(o->cc_wire_compat != n->cc_wire_compat, "wire_compat",
	    cc_wire_compat);
	if (o->cc_nghosts != n->cc_nghosts || memcmp(o->cc_google_host,
	    n->cc_google_host, sizeof(o->cc_google_host)) != 0) {
		n->cc_nghosts = o->cc_nghosts;
		KEEP(1, "google_host", cc_google_host);
	}
	if (o->cc_nsni != n->cc_nsni || memcmp(o->cc_sni, n->cc_sni,
	    sizeof(o->cc_sni)) != 0) {
		n->cc_nsni = o->cc_nsni;
		KEEP(1, "sni", cc_sni);
	}
	KEEP(o->cc_fronting_http != n->cc_fronting_http,
	    "fronting_http_version", cc_fronting_http);
	KEEP(o->cc_workers_per_endpoint != n->cc_workers_per_endpoint,
	    "workers_per_endpoint", cc_workers_per_endpoint);
	KEEP(strcmp(o->cc_instance_id, n->cc_instance_id) != 0,
	    "client_instance_id", cc_instance_id);
	/* A balancer would move the run's sessions to another exit. */
	KEEP(o->cc_routing_token != n->cc_routing_token, "routing_token",
	    cc_routing_token);
#undef KEEP
}

/*
 * Apply a generation (wproc.h).  First everything that can fail, aside,
 * without touching the running carrier: checks, the new key schedule,
 * the choice of listener.  Then the swap, in which only the first POST
 * setup can fail: a refused generation leaves the previous one running
 * exactly as it was, and the supervisor rolls the others back to it.
 */
static int
carrier_configure(struct wproc_conf *wc, char *err, size_t errlen)
{
	static struct carrier_conf	 nc, prev;
	struct carrier			*car = carrier;
	struct wire_aead		*aead = NULL, *oaead;
	const char			*why;
	uint8_t				 okey[WIRE_KEY_LEN];
	int				 li, first = !car->c_configured;

	if (!wc->wc_has_carrier) {
		snprintf(err, errlen, "no carrier section");
		return (-1);
	}
	if (!wc->wc_has_key && first) {
		snprintf(err, errlen, "no tunnel key");
		return (-1);
	}
	/* As received: the supervisor filled every default and bound. */
	nc = wc->wc_carrier;
	if (!first)
		carrier_restart_keys(&car->c_conf, &nc);
	/* Every generation carries the current listener: serve that one. */
	li = wproc_listener(wc, LISTENER_SOCKS);
	if (li == -1 && car->c_lfd == -1) {
		snprintf(err, errlen, "no SOCKS listener");
		return (-1);
	}
	if (wc->wc_has_key && (first ||
	    memcmp(car->c_key, wc->wc_key, sizeof(car->c_key)) != 0) &&
	    (aead = wire_aead_new(wc->wc_key)) == NULL) {
		snprintf(err, errlen, "cannot set up AES-256-GCM");
		return (-1);
	}
	if ((why = wproc_test_reject(wc)) != NULL) {
		if (aead != NULL)
			wire_aead_free(aead);
		snprintf(err, errlen, "%s", why);
		return (-1);
	}

	/* The swap. */
	prev = car->c_conf;
	car->c_conf = nc;
	oaead = car->c_aead;
	memcpy(okey, car->c_key, sizeof(okey));
	if (aead != NULL) {
		car->c_aead = aead;
		memcpy(car->c_key, wc->wc_key, sizeof(car->c_key));
	}
	/* The transports this transport_mode runs (transport.c). */
	if (transport_configure(car, wc->wc_ca, wc->wc_calen) == -1) {
		if (!first) {
			/*
			 * Only a first POST setup during a reload (auto mode
			 * gaining relay_urls) fails, on memory exhaustion,
			 * and leaves post.c half set up: exit, and the
			 * supervisor restarts us on the committed generation.
			 */
			fatalx("reload: POST transport setup failed");
		}
		car->c_conf = prev;
		car->c_aead = oaead;
		memcpy(car->c_key, okey, sizeof(okey));
		explicit_bzero(okey, sizeof(okey));
		if (aead != NULL)
			wire_aead_free(aead);
		snprintf(err, errlen, "POST transport setup failed");
		return (-1);
	}
	explicit_bzero(okey, sizeof(okey));
	/* Before the transports start: the next dial carries it. */
	rtoken_set(car->c_key, sizeof(car->c_key), car->c_cid,
	    sizeof(car->c_cid), car->c_conf.cc_routing_token);
	if (aead != NULL && oaead != NULL)
		wire_aead_free(oaead);
	car->c_enc.eo_layout = car->c_conf.cc_wire_compat == WIRE_COMPAT_V15 ?
	    WIRE_LAYOUT_V15 : WIRE_LAYOUT_V16;
	car->c_enc.eo_compress = car->c_enc.eo_layout == WIRE_LAYOUT_V16;
	if (car->c_conf.cc_wire_compat == WIRE_COMPAT_V15) {
		wbuf_reset(&car->c_probe);
		wbuf_reset(&car->c_probe_post);
	} else
		tunnel_probe_build(car);
	if (li != -1) {
		/*
		 * A dup of the supervisor's socket, or a new one after a
		 * changed socks_port: serve the one just received, as the
		 * exit does.  Connections already accepted are not affected.
		 */
		carrier_check_exposure(&car->c_conf, wc->wc_listeners[li].addr);
		if (car->c_lfd != -1) {
			if (car->c_started)
				local_stop_accept(car);
			close(car->c_lfd);
		}
		car->c_lfd = wc->wc_listeners[li].fd;
		wc->wc_listeners[li].fd = -1;	/* ours now */
		if (car->c_started && !car->c_stopping)
			local_listen(car, car->c_lfd);
	}
	udp_configure(car, wc);		/* the listener's UDP twin, if any */
	local_admit_soon(car);		/* the storm guard may have grown */
	if (!first)
		log_info("configuration generation %u applied", wc->wc_gen);
	car->c_configured = 1;
	cstats_configure(car);
	liveness_configure(car);
	failover_configure(car);
	if (!first && car->c_started)
		transport_start(car);	/* no-op if running */
	return (0);
}

static void
carrier_start(void)
{
	struct carrier	*car = carrier;

	if (car->c_started)
		return;
	car->c_started = 1;
	local_start(car, car->c_lfd);
	transport_start(car);
	log_info("carrier ready (%s)", transport_mode_name(&car->c_conf));
}

static void
carrier_exit_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	wproc_exit(0);
}

static void
carrier_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	log_info("shutdown: RSTs not confirmed in time");
	wproc_exit(0);
}

/* A batch settled: during shutdown, leave once every RST is out. */
void
carrier_settled(struct carrier *car)
{
	if (car->c_stopping && car->c_nrst == 0)
		ev_idle_start(car->c_loop, &carrier_exit_idle);
}

/*
 * Stop accepting; one batch with an RST for every live session, bounded
 * by 5 s (direct) or 15 s (apps_script), then exit.
 */
static void
carrier_shutdown(uint32_t grace_ms)
{
	struct carrier	*car = carrier;
	struct lconn	*lc;
	double		 bound;
	size_t		 n = 0;

	if (car->c_stopping)
		return;
	local_stop_accept(car);
	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if (lc->lc_sess != NULL &&
		    (lc->lc_sess->s_flags & SESS_TX_SYN_SENT) &&
		    !(lc->lc_sess->s_flags & SESS_ABORTED)) {
			tunnel_queue_rst(car, lc->lc_sess->s_id);
			n++;
		}
	}
	n += udp_shutdown(car);
	car->c_stopping = 1;
	ev_idle_init(&carrier_exit_idle, carrier_exit_cb);
	if (n == 0 || !transport_any_up(car)) {
		ev_idle_start(car->c_loop, &carrier_exit_idle);
		return;
	}
	/* Nothing but the RSTs may go out now. */
	while ((lc = TAILQ_FIRST(&car->c_readyq)) != NULL) {
		TAILQ_REMOVE(&car->c_readyq, lc, lc_ready);
		lc->lc_flags &= ~LCF_READY;
	}
	bound = transport_rst_bound(&car->c_conf);
	if (grace_ms > 0 && grace_ms / 1000.0 < bound)
		bound = grace_ms / 1000.0;
	log_info("shutdown: sending RST for %zu sessions", n);
	ev_timer_init(&carrier_stop_timer, carrier_stop_timer_cb, bound, 0);
	ev_timer_start(car->c_loop, &carrier_stop_timer);
	tunnel_kick(car);
}

static void
carrier_stats(uint32_t reqid)
{
	cstats_reply(carrier, reqid);
}

int
main(int argc, char *argv[])
{
	struct sandbox_params	 sp;
	struct ev_loop		*loop;
	const char		*failed;
	uint8_t			 rb[16];

	wproc_args(argc, argv);
	if ((loop = ev_default_loop(GR_EV_FLAGS)) == NULL)
		fatalx("ev_default_loop");
	wproc_init(loop, PROC_CARRIER, &carrier_ops);

	if ((carrier = calloc(1, sizeof(*carrier))) == NULL)
		fatal("calloc");
	carrier->c_loop = loop;
	carrier->c_lfd = -1;
	tunnel_init(carrier);
	/* Everything that opens files happens before the sandbox. */
	if (transport_preinit(carrier, &failed) == -1)
		fatalx("transport %s: init failed", failed);
	tzset();
	if (RAND_bytes(rb, sizeof(rb)) != 1 ||
	    RAND_priv_bytes(rb, sizeof(rb)) != 1)
		fatalx("RAND_bytes");
	/* jansson seeds its hash function from /dev/urandom on first use. */
	json_object_seed(0);
	cstats_init(carrier);

	wproc_sandbox_params(&sp);
	sandbox_enter(&sp);
	wproc_hello();
	ev_run(loop, 0);
	return (0);
}
