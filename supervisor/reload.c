/*
 * SIGHUP (and gooserelayctl reload): parse the file again; on any error
 * log every message and keep serving the old configuration (relayd's
 * "configuration reloading FAILED").  Otherwise open any new listening
 * socket first, so a port that cannot be bound also keeps the old
 * configuration, then make the new one current and push it to the
 * workers as a new generation.  Workers keep their live sessions.
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "confparse.h"
#include "log.h"
#include "supervisor.h"

static void
reload_msg(int is_error, const char *msg, void *arg)
{
	int	*nerr = arg;

	if (is_error) {
		log_warnx("%s", msg);
		(*nerr)++;
	} else
		log_info("%s", msg);
}

int
reload_config(char *err, size_t errlen)
{
	struct gr_conf	*nc;
	struct listener	 ln[2];
	int		 nerr = 0;

	if (sv_conf->gc_demo || sv_opts.so_conffile == NULL) {
		snprintf(err, errlen, "demo mode has no file to reload");
		log_warnx("reload: %s", err);
		return -1;
	}
	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_info("reloading %s", sv_opts.so_conffile);
	if (confparse_file(sv_opts.so_conffile, nc, reload_msg, &nerr) != 0 ||
	    nerr != 0) {
		snprintf(err, errlen, "%s has errors; keeping the old "
		    "configuration", sv_opts.so_conffile);
		goto fail;
	}
	if (!nc->gc_has_carrier && !nc->gc_has_exit) {
		snprintf(err, errlen, "%s has neither carrier nor exit; "
		    "keeping the old configuration", sv_opts.so_conffile);
		goto fail;
	}
	/* An unresolved name is skipped, or keeps its last addresses. */
	if (resolve_conf(nc, 0) > 0)
		resolve_inherit(nc, sv_conf);
	if (listen_prepare(nc, ln, listeners, err, errlen) == -1)
		goto fail;
	listen_commit(ln);
	explicit_bzero(sv_conf, sizeof(*sv_conf));
	free(sv_conf);
	sv_conf = nc;
	sv_gen++;
	worker_configure_roles(sv_conf);
	worker_reload();
	resolve_schedule();
	log_info("configuration generation %u loaded", sv_gen);
	return 0;
 fail:
	log_warnx("configuration reloading FAILED: %s", err);
	explicit_bzero(nc, sizeof(*nc));
	free(nc);
	return -1;
}
