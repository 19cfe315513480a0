/*
 * Telling the service manager what the daemon is doing (systemd's
 * sd_notify(3) protocol, Type=notify): READY=1 once every configured
 * worker is ready, RELOADING=1 (with MONOTONIC_USEC, as systemd asks)
 * when a reload of the file begins and READY=1 again when it is committed
 * or rolled back, STOPPING=1 at shutdown, and a one-line STATUS= whenever
 * it changes ("serving: carrier gen 3, exit gen 3", "reloading: ...",
 * "carrier restarting in 4 s, exit gen 3").
 *
 * Built with libsystemd (configure --with-systemd, the default when it is
 * found); without it every function here does nothing.  The workers never
 * see NOTIFY_SOCKET (worker_env() passes a fixed list).
 */
#include "gr_config.h"

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "supervisor.h"

static int	 notify_ready_sent;	/* the first READY=1 went out */
static int	 notify_in_reload;	/* RELOADING=1 without READY=1 yet */
static int	 notify_stopping;
static char	 notify_last[256];	/* last STATUS= sent */

#ifdef HAVE_LIBSYSTEMD
static void
notify_send(const char *msg)
{
	int	 rc;

	if ((rc = sd_notify(0, msg)) < 0)
		log_debug("sd_notify: %s", strerror(-rc));
}
#else
static void
notify_send(const char *msg)
{
}
#endif

/* One role's part of the status line. */
static void
notify_role(const struct worker *w, char *buf, size_t len)
{
	double	 t;

	switch (w->w_state) {
	case SS_RUNNING:
	case SS_RELOADING:
		snprintf(buf, len, "%s gen %u", worker_name(w), w->w_gen);
		break;
	case SS_BACKOFF:
		t = ev_timer_remaining(sv_loop, (ev_timer *)&w->w_timer);
		snprintf(buf, len, "%s restarting in %.0f s", worker_name(w),
		    t < 1 ? 1 : t);
		break;
	case SS_FAILED:
		snprintf(buf, len, "%s failed", worker_name(w));
		break;
	case SS_DRAINING:
	case SS_EXITED:
		snprintf(buf, len, "%s stopped", worker_name(w));
		break;
	default:
		snprintf(buf, len, "%s starting", worker_name(w));
		break;
	}
}

/* Every configured role has a worker that is ready. */
static int
notify_all_ready(void)
{
	int	 i, n = 0;

	for (i = 0; i < WORKER_NROLES; i++) {
		if (!workers[i].w_enabled)
			continue;
		if (workers[i].w_ready <= 0 ||
		    (workers[i].w_state != SS_RUNNING &&
		    workers[i].w_state != SS_RELOADING))
			return 0;
		n++;
	}
	return n > 0;
}

static void
notify_status_line(char *buf, size_t len)
{
	char		 part[96];
	const char	*what;
	size_t		 off;
	int		 i, n = 0;

	if (notify_stopping)
		what = "stopping";
	else if (notify_in_reload)
		what = "reloading";
	else if (notify_all_ready())
		what = "serving";
	else
		what = notify_ready_sent ? "degraded" : "starting";
	snprintf(buf, len, "%s:", what);
	for (i = 0; i < WORKER_NROLES; i++) {
		if (!workers[i].w_enabled)
			continue;
		notify_role(&workers[i], part, sizeof(part));
		off = strlen(buf);
		snprintf(buf + off, len - off, "%s %s", n++ ? "," : "", part);
	}
}

/*
 * The workers' states changed (worker.c calls this after every event):
 * the first time all are ready, READY=1; STATUS= when the line changed.
 */
void
notify_update(void)
{
	char	 st[sizeof(notify_last)], msg[sizeof(st) + 32];
	int	 ready = 0;

	if (!notify_ready_sent && !notify_stopping && notify_all_ready()) {
		notify_ready_sent = 1;
		ready = 1;
	}
	notify_status_line(st, sizeof(st));
	if (!ready && strcmp(st, notify_last) == 0)
		return;
	snprintf(notify_last, sizeof(notify_last), "%s", st);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", ready ? "READY=1\n" : "",
	    st);
	notify_send(msg);
}

/* A reload of the file begins (SIGHUP, gooserelayctl reload). */
void
notify_reloading(void)
{
	struct timespec	 ts;
	char		 msg[sizeof(notify_last) + 64];

	if (!notify_ready_sent || notify_stopping || notify_in_reload)
		return;
	notify_in_reload = 1;
	notify_status_line(notify_last, sizeof(notify_last));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=%s", (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000, notify_last);
	notify_send(msg);
}

/* The reload is over: committed, rolled back or refused at parse time. */
void
notify_reloaded(void)
{
	char	 st[sizeof(notify_last)], msg[sizeof(st) + 32];

	if (!notify_in_reload)
		return;
	notify_in_reload = 0;
	notify_status_line(st, sizeof(st));
	snprintf(notify_last, sizeof(notify_last), "%s", st);
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", st);
	notify_send(msg);
}

/* Shutdown began. */
void
notify_stop(const char *why)
{
	char	 msg[sizeof(notify_last) + 32];

	if (notify_stopping)
		return;
	notify_stopping = 1;
	notify_in_reload = 0;
	snprintf(notify_last, sizeof(notify_last), "stopping%s%s",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	snprintf(msg, sizeof(msg), "STOPPING=1\nSTATUS=%s", notify_last);
	notify_send(msg);
}
