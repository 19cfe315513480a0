/*
 * Checks of a parsed configuration against this host, for gooserelayd -n,
 * start and reload: the files and accounts it names must be usable
 * before a worker is started with them (a worker finds out too late, in
 * its sandbox, and can only die).  Each message is "file:line: key:
 * reason" like the parser's (conf*.c checks the text; this file checks
 * the system).
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confparse.h"
#include "supervisor.h"

struct syscheck {
	const struct gr_conf	*sc_conf;
	syscheck_cb		 sc_cb;
	void			*sc_arg;
	int			 sc_nerr;
};

static void
syscheck_msg(struct syscheck *sc, const char *section, const char *key,
    const char *fmt, ...) __attribute__((__format__ (printf, 4, 5)));

static void
syscheck_msg(struct syscheck *sc, const char *section, const char *key,
    const char *fmt, ...)
{
	char	 org[CONF_PATH_LEN + 32], text[CONF_PATH_LEN * 2 + 256];
	char	 where[CONF_PATH_LEN + 48];
	va_list	 ap;

	/* "file:line" when the key is in the file, else the file alone. */
	confparse_origin(sc->sc_conf, section, key, org, sizeof(org));
	if (strncmp(org, sc->sc_conf->gc_path, strlen(sc->sc_conf->gc_path))
	    == 0 && org[strlen(sc->sc_conf->gc_path)] == ':')
		snprintf(where, sizeof(where), "%s", org);
	else
		snprintf(where, sizeof(where), "%s", sc->sc_conf->gc_path);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sc->sc_nerr++;
	if (sc->sc_cb != NULL) {
		char	 line[sizeof(where) + sizeof(text) + 64];

		snprintf(line, sizeof(line), "%s: %s: %s", where, key, text);
		sc->sc_cb(1, line, sc->sc_arg);
	}
}

/* Was key set in the file (not a default)? */
static int
syscheck_in_file(const struct gr_conf *conf, const char *key)
{
	char	 org[CONF_PATH_LEN + 32];
	size_t	 n = strlen(conf->gc_path);

	confparse_origin(conf, NULL, key, org, sizeof(org));
	return strncmp(org, conf->gc_path, n) == 0 && org[n] == ':';
}

static void
syscheck_ca(struct syscheck *sc)
{
	const struct gr_conf	*conf = sc->sc_conf;
	struct stat		 st;
	int			 fd;

	if (!conf->gc_has_carrier || conf->gc_ca_file[0] == '\0')
		return;
	if ((fd = open(conf->gc_ca_file, O_RDONLY | O_CLOEXEC)) == -1) {
		syscheck_msg(sc, "carrier", "ca_file", "cannot read %s: %s",
		    conf->gc_ca_file, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		syscheck_msg(sc, "carrier", "ca_file", "%s is not a regular "
		    "file", conf->gc_ca_file);
	close(fd);
}

/*
 * The workers' user and chroot directory, when the file names them or
 * when they will be used (as root).  The directory must be one the
 * unprivileged worker cannot plant files in (privdrop.c checks again).
 */
static void
syscheck_sandbox(struct syscheck *sc)
{
	const struct gr_conf	*conf = sc->sc_conf;
	struct passwd		*pw;
	struct stat		 st;
	int			 root = geteuid() == 0;

	if (root || syscheck_in_file(conf, "user")) {
		errno = 0;
		if ((pw = getpwnam(conf->gc_user)) == NULL)
			syscheck_msg(sc, NULL, "user", "no such user: %s",
			    conf->gc_user);
		else if (pw->pw_uid == 0)
			syscheck_msg(sc, NULL, "user", "%s is root: workers "
			    "must run unprivileged", conf->gc_user);
	}
	if (!root && !syscheck_in_file(conf, "chroot"))
		return;
	if (stat(conf->gc_chroot, &st) == -1)
		syscheck_msg(sc, NULL, "chroot", "%s: %s", conf->gc_chroot,
		    strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		syscheck_msg(sc, NULL, "chroot", "%s is not a directory",
		    conf->gc_chroot);
	else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		syscheck_msg(sc, NULL, "chroot", "%s must be owned by root "
		    "and writable by root only (owner uid %u, mode %04o)",
		    conf->gc_chroot, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
}

int
syscheck_conf(const struct gr_conf *conf, syscheck_cb cb, void *arg)
{
	struct syscheck	 sc;

	memset(&sc, 0, sizeof(sc));
	sc.sc_conf = conf;
	sc.sc_cb = cb;
	sc.sc_arg = arg;
	if (conf->gc_demo)
		return 0;
	syscheck_ca(&sc);
	syscheck_sandbox(&sc);
	return sc.sc_nerr;
}
