/*
 * Library logging for the sandboxed workers.  A library that logs on its
 * own (libwebsockets' stderr emitter calls isatty(2), an ioctl outside
 * the seccomp filter) can kill a worker on any input that reaches an
 * error path: every library's output goes through log.c instead, at a
 * bounded rate, since the peers that provoke those lines are untrusted.
 *
 * Linked into the workers only (it needs libwebsockets).
 */
#ifndef GR_LIBLOG_H
#define GR_LIBLOG_H

#include <stdint.h>

/*
 * A line budget: at most lr_burst lines per lr_window seconds; lines over
 * it are counted and the count is reported with the next line let
 * through.
 */
struct lograte {
	double		 lr_window;
	unsigned int	 lr_burst;
	double		 lr_start;
	unsigned int	 lr_lines;
	uint64_t	 lr_dropped;
};

/* 1: log the line now (*dropped: lines suppressed before it), 0: drop. */
int	lograte_allow(struct lograte *, double now, uint64_t *dropped);
/* Monotonic seconds (the vDSO clock; no system call in the sandbox). */
double	lograte_now(void);

/* libwebsockets: errors and warnings through log.c, rate-limited. */
void	liblog_lws(void);
/* The emitter itself (for a context that sets its own level). */
void	liblog_lws_emit(int level, const char *line);

#endif /* GR_LIBLOG_H */
