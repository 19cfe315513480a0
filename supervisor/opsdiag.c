/*
 * Diagnostics bundle from the running daemon (gooserelayctl diag,
 * gooserelayd -D): a stats snapshot of every worker first (statsreq.c,
 * bounded), then diag_write() with the worker history and the current
 * configuration.  Writing is synchronous and small (a few hundred KiB).
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "supervisor.h"

#define OPSDIAG_WORKERS_MAX	8192

struct opsdiag {
	char			 od_path[OPSDIAG_PATH_MAX];
	opsdiag_cb		 od_cb;
	void			*od_arg;
	struct statsreq		*od_sr;
};

static void
opsdiag_stats_cb(char *json, void *arg)
{
	struct opsdiag		*od = arg;
	struct diag_input	 in;
	char			 wk[OPSDIAG_WORKERS_MAX], err[256];
	int			 rc;

	worker_history(wk, sizeof(wk));
	memset(&in, 0, sizeof(in));
	in.di_conf = sv_conf;
	in.di_workers = wk;
	in.di_stats_json = json;
	if ((rc = diag_write(od->od_path, &in, err, sizeof(err))) == 0)
		log_info("diagnostics bundle written to %s", od->od_path);
	else
		log_warnx("diagnostics bundle: %s", err);
	if (od->od_cb != NULL)
		od->od_cb(rc, rc == 0 ? od->od_path : err, od->od_arg);
	free(od);
}

/*
 * Start writing a bundle to path (absolute: the daemon's cwd is /).
 * cb runs later from the loop with 0 and the path, or -1 and a reason.
 */
struct opsdiag *
opsdiag_start(const char *path, opsdiag_cb cb, void *arg)
{
	struct opsdiag	*od;

	if (path[0] != '/' || strlen(path) >= OPSDIAG_PATH_MAX)
		return NULL;
	if ((od = calloc(1, sizeof(*od))) == NULL)
		return NULL;
	snprintf(od->od_path, sizeof(od->od_path), "%s", path);
	od->od_cb = cb;
	od->od_arg = arg;
	if ((od->od_sr = statsreq_start(opsdiag_stats_cb, od)) == NULL) {
		free(od);
		return NULL;
	}
	return od;
}

/* The requester is gone: the bundle is still written, nobody is told. */
void
opsdiag_cancel(struct opsdiag *od)
{
	if (od != NULL)
		od->od_cb = NULL;
}
