/*
 * Weak logging stand-ins (common/log.h) for unit tests of carrier parts
 * that log: lines go to stderr.  libipc's log.c wins when linked.
 */
#include "gr_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

__attribute__((weak)) void
vlog(int prio, const char *fmt, va_list ap)
{
	(void)prio;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((weak)) void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap);
	va_end(ap);
}

__attribute__((weak)) void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap);
	va_end(ap);
}

__attribute__((weak)) void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(6, fmt, ap);
	va_end(ap);
}

__attribute__((weak)) void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(7, fmt, ap);
	va_end(ap);
}
