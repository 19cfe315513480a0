/*
 * Accepting on a listener without spinning at the descriptor limit.  On
 * EMFILE/ENFILE (or ENOBUFS/ENOMEM) accept(2) leaves the connection in the
 * queue, so a level-triggered watcher fires again at once: the exit once
 * logged 13 million "accept4: Too many open files" lines in 43 s.  Here,
 * as nginx does, the listener's watcher is stopped for a short pause and
 * started again by a timer; the episode is logged once when it starts,
 * with a reminder every minute while it lasts, and once when an accept
 * succeeds again.  Connections wait in the listen queue meanwhile.
 */
#ifndef GR_ACCEPTGATE_H
#define GR_ACCEPTGATE_H

#include <stdint.h>

#include <ev.h>

#include "log.h"

struct acceptgate {
	struct ev_loop	*ag_loop;
	ev_io		*ag_io;		/* the owner's listener watcher */
	ev_timer	 ag_timer;
	const char	*ag_what;	/* names the listener in the log */
	int		(*ag_want)(void *);	/* should it run now? */
	void		*ag_arg;
	unsigned long	 ag_limit;	/* RLIMIT_NOFILE, for the log */
	int		 ag_episode;	/* at the limit since ag_since */
	double		 ag_since;
	double		 ag_reminded;
	uint64_t	 ag_pauses;	/* in this episode */
	uint64_t	 ag_total;	/* since start (stats) */
	struct lograte	 ag_rate;	/* other accept errors */
};

#define ACCEPTGATE_PAUSE	0.5	/* seconds */
#define ACCEPTGATE_REMIND	60.0

/*
 * io: the owner's watcher (it may be re-initialised on another fd later);
 * want(arg) says whether the owner wants it running when a pause ends.
 */
void	acceptgate_init(struct acceptgate *, struct ev_loop *, ev_io *,
	    const char *what, int (*want)(void *), void *arg,
	    unsigned long limit);
/* accept failed with err: stop looping (paused on a resource error). */
void	acceptgate_error(struct acceptgate *, int err);
/* An accept succeeded: ends an episode. */
void	acceptgate_ok(struct acceptgate *);
/* The owner stops accepting for good (shutdown): no restart. */
void	acceptgate_stop(struct acceptgate *);

#endif /* GR_ACCEPTGATE_H */
