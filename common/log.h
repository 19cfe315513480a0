/*
 * Logging: syslog (daemon) or stderr (-d).  In workers every line is sent
 * to the supervisor as IMSG_LOG, which writes it with the role prefix.
 * Never pass secrets to these functions.
 */
#ifndef GR_LOG_H
#define GR_LOG_H

#include <stdarg.h>

void	log_init(int to_stderr, int facility, const char *procname);
void	log_procname(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
/* Worker: hand each formatted line to fn instead of writing it. */
void	log_set_forward(void (*fn)(int prio, const char *line));
/* Supervisor: write a line received from a worker. */
void	log_emit(int prio, const char *procname, const char *line);
/* Recent lines kept in memory (for the diagnostics bundle). */
void	log_ring_dump(void (*fn)(const char *line, void *), void *);

void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__attribute__((noreturn)) void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* GR_LOG_H */
