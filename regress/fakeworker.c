/*
 * A stand-in worker for the supervisor's end-to-end tests: the real
 * wproc protocol and the real sandbox, but instead of a tunnel it
 * answers every connection on its listener with a fixed HTTP 200
 * ("ok\n").  The role comes from the name it is run as
 * (gooserelay-carrier or gooserelay-exit, a symlink in a test libexec
 * directory), so supervisor tests do not depend on the real workers.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "ipc.h"
#include "log.h"
#include "sandbox.h"
#include "wproc.h"

#define FAKEWORKER_RESP	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" \
			"Connection: close\r\n\r\nok\n"

static struct ev_loop	*fakeworker_loop;
static ev_io		 fakeworker_lio;
static int		 fakeworker_lfd = -1;
static int		 fakeworker_started;

struct fakeworker_conn {
	ev_io		 fc_io;
};

static void
fakeworker_conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fakeworker_conn	*fc = (struct fakeworker_conn *)w;
	char			 buf[4096];
	ssize_t			 n;

	n = recv(w->fd, buf, sizeof(buf), 0);
	if (n == -1 && errno == EAGAIN)
		return;
	/* Any bytes (or EOF): answer once and close. */
	if (n > 0)
		(void)!send(w->fd, FAKEWORKER_RESP, sizeof(FAKEWORKER_RESP) - 1,
		    MSG_NOSIGNAL);
	ev_io_stop(loop, w);
	close(w->fd);
	free(fc);
}

static void
fakeworker_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fakeworker_conn	*fc;
	int			 fd;

	if ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return;
	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		close(fd);
		return;
	}
	ev_io_init(&fc->fc_io, fakeworker_conn_cb, fd, EV_READ);
	ev_io_start(loop, &fc->fc_io);
}

static void
fakeworker_listen(void)
{
	if (fakeworker_lfd == -1 || !fakeworker_started)
		return;
	ev_io_init(&fakeworker_lio, fakeworker_accept_cb, fakeworker_lfd,
	    EV_READ);
	ev_io_start(fakeworker_loop, &fakeworker_lio);
}

static int
fakeworker_configure(struct wproc_conf *wc, char *err, size_t errlen)
{
	int	 i;

	uint32_t i_dns;
	const char *why;

	if ((why = wproc_test_reject(wc)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (!wc->wc_has_key) {
		snprintf(err, errlen, "no tunnel key");
		return -1;
	}
	/* What arrived, for the tests to check against the files. */
	if (wc->wc_ca != NULL)
		log_info("CA bundle %zu bytes, %s", wc->wc_calen,
		    strlen((char *)wc->wc_ca) == wc->wc_calen ? "NUL-ended" :
		    "embedded NUL");
	if (wc->wc_has_exit)
		for (i_dns = 0; i_dns < wc->wc_exit.ec_ndns &&
		    i_dns < CONF_MAX_DNS; i_dns++)
			log_info("dns server %.64s", wc->wc_exit.ec_dns[i_dns]);
	for (i = 0; i < wc->wc_nlisteners; i++) {
		/* The SOCKS listener's UDP twin is not one to accept on. */
		if (wc->wc_listeners[i].kind == LISTENER_SOCKS_UDP)
			continue;
		/* A new generation always brings the current listener. */
		ev_io_stop(fakeworker_loop, &fakeworker_lio);
		if (fakeworker_lfd != -1)
			close(fakeworker_lfd);
		fakeworker_lfd = wc->wc_listeners[i].fd;
		wc->wc_listeners[i].fd = -1;
		log_info("generation %u: listening on %s", wc->wc_gen,
		    wc->wc_listeners[i].addr);
	}
	fakeworker_listen();
	return 0;
}

static void
fakeworker_start(void)
{
	fakeworker_started = 1;
	fakeworker_listen();
}

/* Echo the quota state back: the supervisor must write it atomically. */
static void
fakeworker_quota_load(const char *json, size_t len)
{
	log_info("quota state received (%zu bytes)", len);
	wproc_send_quota(json, len);
}

static void
fakeworker_shutdown(uint32_t grace_ms)
{
	log_info("shutting down");
	wproc_exit(0);
}

int
main(int argc, char *argv[])
{
	static const struct wproc_ops ops = {
		.wo_configure = fakeworker_configure,
		.wo_start = fakeworker_start,
		.wo_shutdown = fakeworker_shutdown,
		.wo_quota_load = fakeworker_quota_load,
	};
	struct sandbox_params	 sp;
	enum proc_role		 role;
	const char		*name;

	/* By the name it runs as, not its directory's (wt-carrierfaults). */
	name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	role = strstr(name, "carrier") != NULL ? PROC_CARRIER : PROC_EXIT;
	wproc_args(argc, argv);
	fakeworker_loop = ev_default_loop(GR_EV_FLAGS);
	wproc_init(fakeworker_loop, role, &ops);
	ev_io_init(&fakeworker_lio, fakeworker_accept_cb, -1, EV_READ);
	tzset();
	wproc_sandbox_params(&sp);
	sandbox_enter(&sp);
	wproc_hello();
	ev_run(fakeworker_loop, 0);
	return 0;
}
