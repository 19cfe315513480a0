/*
 * The one way a configuration file becomes a configuration to run: at
 * start, for gooserelayd -n and in phase 1 of every reload (reload.c).
 * Parse (libconf.a), refuse a file with no role, keep what only a
 * restart may change, check it against this host (syscheck.c), resolve
 * the carrier's host names (resolve.c).  Nothing is committed here:
 * the caller owns nc.
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include <ev.h>

#include "confparse.h"
#include "log.h"
#include "supervisor.h"

int
confload_file(const char *path, struct gr_conf *nc,
    const struct gr_conf *prev, syscheck_cb cb, void *arg, char *err,
    size_t errlen)
{
	int	 nerr;

	if ((nerr = confparse_file(path, nc, cb, arg)) != 0) {
		snprintf(err, errlen, "%s: configuration has errors", path);
		return -1;
	}
	if (!nc->gc_has_carrier && !nc->gc_has_exit) {
		snprintf(err, errlen, "%s: neither carrier nor exit "
		    "configured", path);
		return -1;
	}
	/* Workers run as the user and in the directory they started with. */
	if (prev != NULL && strcmp(nc->gc_user, prev->gc_user) != 0) {
		log_warnx("reload: user changed; restart gooserelayd to apply "
		    "it (keeping %s)", prev->gc_user);
		memcpy(nc->gc_user, prev->gc_user, sizeof(nc->gc_user));
	}
	if (prev != NULL && strcmp(nc->gc_chroot, prev->gc_chroot) != 0) {
		log_warnx("reload: chroot changed; restart gooserelayd to "
		    "apply it (keeping %s)", prev->gc_chroot);
		memcpy(nc->gc_chroot, prev->gc_chroot,
		    sizeof(nc->gc_chroot));
	}
	if (syscheck_conf(nc, cb, arg) != 0) {
		snprintf(err, errlen, "%s: configuration does not fit this "
		    "host", path);
		return -1;
	}
	/*
	 * Not fatal: at boot DNS may not work yet.  An unresolved name is
	 * left out (and tried again), or keeps its last addresses.
	 */
	if (resolve_conf(nc, 0) > 0 && prev != NULL)
		resolve_inherit(nc, prev);
	return 0;
}
