/*
 * Logging: syslog (daemon) or stderr (-d).  In workers every line is sent
 * to the supervisor as IMSG_LOG, which writes it with the role prefix.
 * Never pass secrets to these functions.
 */
#ifndef GR_LOG_H
#define GR_LOG_H

#include <stdarg.h>
#include <stdint.h>

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

/*
 * A line budget for messages a peer can provoke: at most lr_burst lines
 * per lr_window seconds; lines over it are counted, and the count comes
 * back with the next line let through.
 */
struct lograte {
	double		 lr_window;
	unsigned int	 lr_burst;
	double		 lr_start;
	unsigned int	 lr_lines;
	uint64_t	 lr_dropped;
};
#define LOGRATE_INIT(window, burst)	{ (window), (burst), 0, 0, 0 }

/* 1: log the line now (*dropped: lines left out before it), 0: drop. */
int	lograte_allow(struct lograte *, double now, uint64_t *dropped);
/* Monotonic seconds (the vDSO clock: no system call in a sandbox). */
double	lograte_now(void);

#endif /* GR_LOG_H */
