/*
 * Diagnostics bundle (gooserelayctl diag, gooserelayd -D): a tar.gz
 * written with libarchive, for attaching to a bug report.  Contents, all
 * under one directory "gooserelayd-diag-YYYYmmddTHHMMSSZ/":
 *
 *	version.txt	package version, build options, compiler
 *	config.txt	effective configuration (confparse_dump: secrets
 *			redacted, deployment ids shortened) with origins
 *	workers.txt	worker states, restart history, last exit causes
 *			(text from the caller, e.g. worker_status())
 *	stats.json	stats snapshot of every worker (caller's JSON)
 *	log.txt		the last lines of the log ring (log_ring_dump)
 *	system.txt	uname, OS release, library versions
 *
 * Every file goes through a final scrub that replaces each secret of the
 * configuration (tunnel key in hex, socks user/pass, proxy credentials,
 * full deployment ids, URL user:pass) with "(redacted)" wherever it
 * appears, so a secret that leaked into a log line or a worker's text
 * still never reaches the bundle.  Secrets shorter than
 * DIAG_MIN_SECRET bytes are not scrubbed (they would match everywhere);
 * confparse_dump redacts them in config.txt.
 *
 * Supervisor only (links libconf, libarchive, libcrypto).  Writing is
 * synchronous: call it from the control handler or at startup, never on
 * a data path.
 */
#ifndef GR_DIAG_H
#define GR_DIAG_H

#include <stddef.h>

#include "conf.h"

#define DIAG_MIN_SECRET		4
#define DIAG_MAX_TEXT		(4 * 1024 * 1024)	/* per caller blob */

struct diag_input {
	const struct gr_conf	*di_conf;	/* NULL: no config.txt */
	const char		*di_workers;	/* NULL: "(none)" */
	const char		*di_stats_json;	/* NULL: "{}" */
	const char		*di_extra;	/* appended to system.txt,
						   e.g. lws version from a
						   worker; may be NULL */
};

/*
 * Write the bundle to path: a new file (O_EXCL, mode 0600, not following
 * a symlink).  Returns 0, or -1 with a reason in err.  On failure a
 * partial file is removed.
 */
int	diag_write(const char *path, const struct diag_input *, char *err,
	    size_t errlen);
/* Same to an open file descriptor (left open). */
int	diag_write_fd(int fd, const struct diag_input *, char *err,
	    size_t errlen);
/* dir/gooserelayd-diag-YYYYmmddTHHMMSSZ.tar.gz into buf; returns buf. */
const char *diag_default_path(const char *dir, char *buf, size_t len);
/*
 * Replace every secret of conf in text (in place; a replacement is
 * shorter or equal, text is NUL-terminated).  Exposed for tests.
 */
void	diag_scrub(const struct gr_conf *, char *text);

#endif /* GR_DIAG_H */
