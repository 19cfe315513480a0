/*
 * Library logging for the workers (see liblog.h).  libwebsockets' lines
 * are forwarded to log.c with the level mapped down one step: lws calls
 * "error" what is usually a peer's mistake (a header over the buffer, a
 * bad frame), which is worth a warning, not an alarm.
 */
#include "gr_config.h"

#include <string.h>
#include <syslog.h>

#include <libwebsockets.h>

#include "liblog.h"
#include "log.h"

#define LIBLOG_WINDOW	10.0	/* seconds */
#define LIBLOG_BURST	20	/* lines per window */

static struct lograte	 liblog_lws_rate = LOGRATE_INIT(LIBLOG_WINDOW,
			    LIBLOG_BURST);

void
liblog_lws_emit(int level, const char *line)
{
	uint64_t	 dropped;
	size_t		 n = strlen(line);
	int		 prio;

	if (!lograte_allow(&liblog_lws_rate, lograte_now(), &dropped))
		return;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		prio = LOG_WARNING;
	else if (level & LLL_WARN)
		prio = LOG_NOTICE;
	else
		prio = LOG_DEBUG;
	if (prio == LOG_DEBUG && log_getverbose() < 1)
		return;
	if (dropped > 0)
		logit(prio, "lws: %llu line(s) not logged (rate limit)",
		    (unsigned long long)dropped);
	logit(prio, "lws: %.*s", (int)n, line);
}

/* Before lws_create_context: it logs while it sets up. */
void
liblog_lws(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN, liblog_lws_emit);
}
