/*
 * Logging for every process.  The supervisor writes to syslog (daemon
 * mode) or stderr (-d); a worker hands each formatted line to a forward
 * function (wproc.c sends it as IMSG_LOG) because after the sandbox it can
 * reach neither /dev/log nor, usually, a terminal.
 */
#include "gr_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048
#define LOG_RING_LINES	512	/* "the last few hundred lines" (diag) */
#define LOG_RING_WIDTH	256

static int	 log_stderr = 1;
static int	 log_verbose;
static char	 log_name[32] = "gooserelayd";
static void	(*log_forward)(int, const char *);

static char	 log_ring[LOG_RING_LINES][LOG_RING_WIDTH];
static unsigned	 log_ring_next;

void
log_init(int to_stderr, int facility, const char *procname)
{
	log_stderr = to_stderr;
	if (procname != NULL)
		log_procname(procname);
	if (!to_stderr)
		openlog(log_name, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procname(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_set_forward(void (*fn)(int, const char *))
{
	log_forward = fn;
}

static void
log_ring_add(const char *prefix, const char *line)
{
	snprintf(log_ring[log_ring_next % LOG_RING_LINES], LOG_RING_WIDTH,
	    "%s%s%s", prefix != NULL ? prefix : "", prefix != NULL ? ": " : "",
	    line);
	log_ring_next++;
}

void
log_ring_dump(void (*fn)(const char *, void *), void *arg)
{
	unsigned	 i, start;

	start = log_ring_next > LOG_RING_LINES ?
	    log_ring_next - LOG_RING_LINES : 0;
	for (i = start; i < log_ring_next; i++)
		fn(log_ring[i % LOG_RING_LINES], arg);
}

/* Replace control characters: worker lines are not trusted for a tty. */
static void
log_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
log_write(int prio, const char *prefix, const char *line)
{
	log_ring_add(prefix, line);
	if (log_stderr) {
		if (prefix != NULL)
			fprintf(stderr, "%s: %s\n", prefix, line);
		else
			fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else if (prefix != NULL)
		syslog(prio, "%s: %s", prefix, line);
	else
		syslog(prio, "%s", line);
}

void
log_emit(int prio, const char *procname, const char *line)
{
	char	 buf[LOG_LINE_MAX];

	snprintf(buf, sizeof(buf), "%s", line);
	log_sanitize(buf);
	prio &= LOG_PRIMASK;
	if (prio == LOG_DEBUG && log_verbose < 1)
		return;
	log_write(prio, procname, buf);
}

void
vlog(int prio, const char *fmt, va_list ap)
{
	char	 buf[LOG_LINE_MAX];
	int	 saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_forward != NULL)
		log_forward(prio, buf);
	else
		log_write(prio, NULL, buf);
	errno = saved;
}

void
logit(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}

static void
log_verr(int prio, int errnum, const char *fmt, va_list ap)
{
	char	 buf[LOG_LINE_MAX];

	if (fmt == NULL) {
		logit(prio, "%s", strerror(errnum));
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	logit(prio, "%s: %s", buf, strerror(errnum));
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_verr(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_verr(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

double
lograte_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
lograte_allow(struct lograte *lr, double now, uint64_t *dropped)
{
	*dropped = 0;
	if (lr->lr_start == 0 || now - lr->lr_start >= lr->lr_window ||
	    now < lr->lr_start) {
		lr->lr_start = now;
		lr->lr_lines = 0;
	}
	if (lr->lr_lines >= lr->lr_burst) {
		lr->lr_dropped++;
		return 0;
	}
	lr->lr_lines++;
	*dropped = lr->lr_dropped;
	lr->lr_dropped = 0;
	return 1;
}
