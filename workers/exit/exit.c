/*
 * gooserelay-exit: the sandboxed server side of the tunnel.
 *
 *	gooserelay-exit [-d] [-v...] -I instance	(run by gooserelayd)
 *
 * Pre-sandbox init (lws context on our libev loop, c-ares, tzset, RAND)
 * happens before sandbox_enter; the listening socket, the key and the
 * exit_conf arrive afterwards over fd 3.  The listener stays open in the
 * supervisor across our restarts, so connections wait in its backlog.
 */
#include "gr_config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/rand.h>

#include "acceptgate.h"
#include "exit.h"
#include "log.h"
#include "sandbox.h"
#include "udp.h"
#include "wproc.h"

static struct exit_env	 exit_env;
struct exit_env		*ex = &exit_env;

static ev_timer		 exit_shutdown_timer;
static ev_timer		 exit_shutdown_check;
static struct acceptgate exit_agate;

double
exit_now(void)
{
	return (ev_now(ex->ee_loop));
}

static void
exit_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int	 fd, i;

	/* Bounded per wake-up so one burst cannot starve the loop. */
	for (i = 0; i < 64; i++) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			/* At the fd limit: pause, never spin (issue 18). */
			acceptgate_error(&exit_agate, errno);
			return;
		}
		acceptgate_ok(&exit_agate);
		http_adopt(fd);
	}
}

uint64_t
exit_accept_pauses(void)
{
	return (exit_agate.ag_total);
}

/* After an accept pause: still serving this listener? */
static int
exit_accept_want(void *arg)
{
	return (ex->ee_accepting && ex->ee_listen_fd != -1 &&
	    ex->ee_accept.fd == ex->ee_listen_fd);
}

static void
exit_gc_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	double	 now = ev_now(loop);

	upstream_gc(now);
	client_gc(now);
	backoff_gc(now);
	chunk_pool_trim(64);
}

/*
 * The sweep runs every 60 s as in GooseRelayVPN, or twice per idle
 * timeout when that is shorter, so a short configured timeout is kept
 * within half of itself.  Re-armed when a reload changes the timeout.
 */
static void
exit_gc_arm(void)
{
	double	 iv = exit_idle_timeout() / 2;

	if (iv > EXIT_GC_INTERVAL)
		iv = EXIT_GC_INTERVAL;
	if (ev_is_active(&ex->ee_gc) && ex->ee_gc.repeat == iv)
		return;
	ev_timer_stop(ex->ee_loop, &ex->ee_gc);
	ev_timer_init(&ex->ee_gc, exit_gc_cb, iv, iv);
	ev_timer_start(ex->ee_loop, &ex->ee_gc);
}

static void
exit_scfg(void)
{
	sess_cfg_default(&ex->ee_scfg);
	ex->ee_scfg.sc_replay = 0;
	/*
	 * rxflow.c gives a session over EXIT_RX_SESS_MAX some time to drain;
	 * past 1.5 times that the engine aborts it at once.
	 */
	ex->ee_scfg.sc_rx_max = EXIT_RX_SESS_MAX / 2 * 3;
	ex->ee_scfg_replay = ex->ee_scfg;
	ex->ee_scfg_replay.sc_replay = 1;
	ex->ee_scfg_replay.sc_rx_ack = 1;
}

/*
 * Apply a generation (wproc.h): what can fail (checks, the new key
 * schedule, the test hook) is done aside first; the swap that follows
 * cannot fail, so a refused generation leaves the running one as it was.
 */
static int
exit_configure(struct wproc_conf *wc, char *err, size_t errlen)
{
	struct wire_aead	*aead = NULL;
	const char		*why;
	int			 i, li = -1, had_stream;

	if (!wc->wc_has_exit) {
		snprintf(err, errlen, "no exit section");
		return (-1);
	}
	if (!wc->wc_has_key && ex->ee_aead == NULL) {
		snprintf(err, errlen, "no tunnel key");
		return (-1);
	}
	for (i = 0; i < wc->wc_nlisteners && li == -1; i++)
		if (wc->wc_listeners[i].kind == LISTENER_HTTP &&
		    wc->wc_listeners[i].fd != -1)
			li = i;
	if (li == -1 && ex->ee_listen_fd == -1) {
		snprintf(err, errlen, "no HTTP listener");
		return (-1);
	}
	if (wc->wc_has_key && (aead = wire_aead_new(wc->wc_key)) == NULL) {
		snprintf(err, errlen, "cannot set up AES-256-GCM");
		return (-1);
	}
	if ((why = wproc_test_reject(wc)) != NULL) {
		if (aead != NULL)
			wire_aead_free(aead);
		snprintf(err, errlen, "%s", why);
		return (-1);
	}

	/* The swap: nothing below fails. */
	if (aead != NULL) {
		if (ex->ee_aead != NULL)
			wire_aead_free(ex->ee_aead);
		ex->ee_aead = aead;
	}
	had_stream = ex->ee_configured && ex->ee_conf.ec_stream_enabled;
	ex->ee_conf = wc->wc_exit;
	/* A GooseRelayVPN v1.5 server has no /stream and no replay. */
	if (ex->ee_conf.ec_wire_compat == WIRE_COMPAT_V15) {
		ex->ee_conf.ec_stream_enabled = 0;
		ex->ee_conf.ec_replay_enabled = 0;
	}
	/*
	 * stream_enabled is checked at upgrade time only: a reload that
	 * turns it off also ends the streams already up, so their clients
	 * move to POST (within stream_disconnect_grace_s) as they would
	 * against a freshly started exit.
	 */
	if (had_stream && !ex->ee_conf.ec_stream_enabled)
		http_streams_close();
	if (ex->ee_conf.ec_max_drain_frames_per_session == 0)
		ex->ee_conf.ec_max_drain_frames_per_session = 8;
	if (ex->ee_conf.ec_max_response_bytes == 0)
		ex->ee_conf.ec_max_response_bytes = 6291456;
	(void)resolve_set_servers(&ex->ee_conf);
	udp_configure();

	if (li != -1) {
		/*
		 * Every generation carries the current listener (a dup of the
		 * supervisor's socket, or a new one after a changed
		 * server_port): always serve the one just received.
		 * Connections already accepted are not affected.
		 */
		if (ex->ee_listen_fd != -1) {
			ev_io_stop(ex->ee_loop, &ex->ee_accept);
			close(ex->ee_listen_fd);
		}
		ex->ee_listen_fd = wc->wc_listeners[li].fd;
		wc->wc_listeners[li].fd = -1;	/* ours now */
		ev_io_init(&ex->ee_accept, exit_accept_cb, ex->ee_listen_fd,
		    EV_READ);
		if (ex->ee_accepting)
			ev_io_start(ex->ee_loop, &ex->ee_accept);
	}
	ex->ee_configured = 1;
	if (ex->ee_accepting)
		exit_gc_arm();
	estats_configure();
	log_debug("configured: %s, replay %s, stream %s",
	    li != -1 ? wc->wc_listeners[li].addr : "listener",
	    ex->ee_conf.ec_replay_enabled ? "on" : "off",
	    ex->ee_conf.ec_stream_enabled ? "on" : "off");
	return (0);
}

static void
exit_start(void)
{
	ex->ee_accepting = 1;
	if (ex->ee_listen_fd != -1)
		ev_io_start(ex->ee_loop, &ex->ee_accept);
	exit_gc_arm();
	log_info("exit ready");
}

static void
exit_shutdown_done(struct ev_loop *loop, ev_timer *w, int revents)
{
	log_info("exit: shutdown complete");
	wproc_exit(0);
}

/* Leave early once every queued RST went out. */
static void
exit_shutdown_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xclient	*cl, *tmp;

	HASH_ITER(cl_hh, ex->ee_clients, cl, tmp) {
		if (cl->cl_nctrl > 0 && (cl->cl_stream != NULL ||
		    !LIST_EMPTY(&cl->cl_waiters)))
			return;
	}
	exit_shutdown_done(loop, w, revents);
}

static void
exit_shutdown(uint32_t grace_ms)
{
	ex->ee_shutdown = 1;
	ex->ee_accepting = 0;
	ev_io_stop(ex->ee_loop, &ex->ee_accept);
	acceptgate_stop(&exit_agate);
	log_info("exit: shutting down (%u session(s), grace %u ms)",
	    (unsigned)ex->ee_sessions.st_count, grace_ms);
	upstream_abort_all(1);
	udp_shutdown();
	http_shutdown();
	ev_timer_init(&exit_shutdown_timer, exit_shutdown_done,
	    grace_ms / 1000.0, 0);
	ev_timer_start(ex->ee_loop, &exit_shutdown_timer);
	ev_timer_init(&exit_shutdown_check, exit_shutdown_poll, 0.1, 0.1);
	ev_timer_start(ex->ee_loop, &exit_shutdown_check);
}

static void
exit_stats(uint32_t reqid)
{
	estats_reply(reqid);
}

/*
 * jansson seeds its hash function from /dev/urandom on first use: make
 * that happen now, before the sandbox forbids opening files.
 */
static void
exit_warm_json(void)
{
	struct wire_probe_reply	 pr;
	struct wire_probe	 p;
	struct wbuf		 out = { NULL, 0, 0 };
	const char		*errstr;

	memset(&pr, 0, sizeof(pr));
	pr.pr_ok = 1;
	pr.pr_protocol = WIRE_PROTOCOL_VERSION;
	if (wire_probe_reply_encode(&pr, &out) == 0)
		(void)wire_probe_reply_decode(out.wb_data, out.wb_len, &pr,
		    &errstr);
	memset(&p, 0, sizeof(p));
	wbuf_reset(&out);
	if (wire_probe_encode(&p, &out) == 0)
		(void)wire_probe_decode(out.wb_data, out.wb_len, &p, &errstr);
	wbuf_free(&out);
}

static const struct wproc_ops exit_ops = {
	.wo_configure = exit_configure,
	.wo_start = exit_start,
	.wo_shutdown = exit_shutdown,
	.wo_stats = exit_stats,
	.wo_quota_load = NULL
};

int
main(int argc, char *argv[])
{
	struct sandbox_params	 params;
	uint8_t			 seed[16];

	wproc_args(argc, argv);
	ex->ee_loop = ev_default_loop(GR_EV_FLAGS);
	if (ex->ee_loop == NULL) {
		fprintf(stderr, "gooserelay-exit: no event loop\n");
		return (1);
	}
	ex->ee_listen_fd = -1;
	sess_table_init(&ex->ee_sessions);
	exit_scfg();
	wproc_init(ex->ee_loop, PROC_EXIT, &exit_ops);
	acceptgate_init(&exit_agate, ex->ee_loop, &ex->ee_accept, "accept",
	    exit_accept_want, NULL, wproc_nofile_limit());

	/*
	 * Everything that touches the file system happens here, before
	 * chroot and seccomp: lws dlopens its libev plugin and opens
	 * /dev/urandom, c-ares reads its config, time conversions read
	 * /etc/localtime, OpenSSL seeds its DRBG.
	 */
	if (http_init(ex->ee_loop) == -1)
		fatalx("cannot create the libwebsockets context");
	if (resolve_init(ex->ee_loop, NULL) == -1)
		fatalx("cannot initialise c-ares");
	tzset();
	exit_warm_json();
	estats_init();
	if (RAND_bytes(seed, sizeof(seed)) != 1)
		fatalx("RAND_bytes failed");
	explicit_bzero(seed, sizeof(seed));

	wproc_sandbox_params(&params);
	sandbox_enter(&params);
	wproc_hello();
	ev_run(ex->ee_loop, 0);
	return (0);
}
