/*
 * Accept pauses at the descriptor limit (see acceptgate.h).  The gate
 * only ever stops the watcher on a resource error and starts it again
 * when the pause ends if the owner still wants it; everything else the
 * owner does with its watcher (stop on shutdown, a new listener on
 * reload) needs no coordination: ev_io_start on an active watcher does
 * nothing, and want() is asked every time.
 */
#include "gr_config.h"

#include <errno.h>
#include <string.h>

#include "acceptgate.h"
#include "log.h"

static void
acceptgate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct acceptgate	*ag = w->data;

	if (ag->ag_want == NULL || ag->ag_want(ag->ag_arg))
		ev_io_start(ag->ag_loop, ag->ag_io);
}

void
acceptgate_init(struct acceptgate *ag, struct ev_loop *loop, ev_io *io,
    const char *what, int (*want)(void *), void *arg, unsigned long limit)
{
	memset(ag, 0, sizeof(*ag));
	ag->ag_loop = loop;
	ag->ag_io = io;
	ag->ag_what = what;
	ag->ag_want = want;
	ag->ag_arg = arg;
	ag->ag_limit = limit;
	ag->ag_rate.lr_window = 60;
	ag->ag_rate.lr_burst = 5;
	ev_timer_init(&ag->ag_timer, acceptgate_timer_cb, ACCEPTGATE_PAUSE,
	    0);
	ag->ag_timer.data = ag;
}

void
acceptgate_error(struct acceptgate *ag, int err)
{
	uint64_t	 dropped;
	double		 now = ev_now(ag->ag_loop);

	switch (err) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
		return;			/* nothing to accept, or try again */
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		break;
	default:
		/* A peer's doing (EPROTO, EPERM from a filter): no pause. */
		if (lograte_allow(&ag->ag_rate, now, &dropped))
			log_warnx("%s: %s%s", ag->ag_what, strerror(err),
			    dropped > 0 ? " (and earlier errors not logged)" :
			    "");
		return;
	}
	ev_io_stop(ag->ag_loop, ag->ag_io);
	/* Set again: an expired one-shot timer keeps a 0 s remainder. */
	ev_timer_stop(ag->ag_loop, &ag->ag_timer);
	ev_timer_set(&ag->ag_timer, ACCEPTGATE_PAUSE, 0);
	ev_timer_start(ag->ag_loop, &ag->ag_timer);
	ag->ag_pauses++;
	ag->ag_total++;
	if (!ag->ag_episode) {
		ag->ag_episode = 1;
		ag->ag_since = ag->ag_reminded = now;
		log_warnx("%s: %s (descriptor limit %lu): not accepting new "
		    "connections for %.1f s at a time until descriptors are "
		    "free", ag->ag_what, strerror(err), ag->ag_limit,
		    ACCEPTGATE_PAUSE);
	} else if (now - ag->ag_reminded >= ACCEPTGATE_REMIND) {
		ag->ag_reminded = now;
		log_warnx("%s: still out of descriptors after %.0f s (%llu "
		    "pauses)", ag->ag_what, now - ag->ag_since,
		    (unsigned long long)ag->ag_pauses);
	}
}

void
acceptgate_ok(struct acceptgate *ag)
{
	if (!ag->ag_episode)
		return;
	log_info("%s: accepting again after %.1f s (%llu pause(s))",
	    ag->ag_what, ev_now(ag->ag_loop) - ag->ag_since,
	    (unsigned long long)ag->ag_pauses);
	ag->ag_episode = 0;
	ag->ag_pauses = 0;
}

void
acceptgate_stop(struct acceptgate *ag)
{
	ev_timer_stop(ag->ag_loop, &ag->ag_timer);
}
