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

/* libwebsockets: errors and warnings through log.c, rate-limited. */
void	liblog_lws(void);
/* The emitter itself (for a context that sets its own level). */
void	liblog_lws_emit(int level, const char *line);

#endif /* GR_LIBLOG_H */
