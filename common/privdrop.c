/*
 * rlimits, chroot and the uid/gid drop shared by every sandbox flavour.
 * Any failure is fatal: a half-confined worker must not run.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

#define PRIVDROP_NOFILE_DEFAULT	8192

static void
privdrop_setrlimit(int res, rlim_t v, const char *name)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(res, &rl) == -1)
		fatal("setrlimit %s", name);
}

/*
 * RLIMIT_NOFILE to nofile (soft and hard), clamped to the hard limit when
 * it cannot be raised (not root, or no CAP_SYS_RESOURCE).  Returns the
 * limit now in force.  Called twice: early in every worker, before
 * libwebsockets sizes its fd table from the soft limit (a table sized
 * for 1024 refuses the 1025th descriptor), and again by the sandbox with
 * the same value, so the two always agree.
 */
rlim_t
privdrop_nofile(rlim_t nofile)
{
	struct rlimit	 rl;

	if (nofile == 0)
		nofile = PRIVDROP_NOFILE_DEFAULT;
	rl.rlim_cur = rl.rlim_max = nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit NOFILE");
		if (rl.rlim_max != RLIM_INFINITY && nofile > rl.rlim_max)
			nofile = rl.rlim_max;
		privdrop_setrlimit(RLIMIT_NOFILE, nofile, "NOFILE");
	}
	return nofile;
}

/*
 * No fork (NPROC 0), no file writes (FSIZE 0), no core dumps; NOFILE
 * sized for the connection limit, never above what we may raise to.
 */
void
privdrop_rlimits(const struct sandbox_params *sp)
{
	(void)privdrop_nofile(sp->sp_nofile);
	privdrop_setrlimit(RLIMIT_CORE, 0, "CORE");
	privdrop_setrlimit(RLIMIT_FSIZE, 0, "FSIZE");
	privdrop_setrlimit(RLIMIT_NPROC, 0, "NPROC");
#ifdef __linux__
	/* Key material can be neither ptrace'd nor dumped. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl PR_SET_DUMPABLE");
#endif
}

int
privdrop_drop(const struct sandbox_params *sp)
{
	struct passwd	*pw;
	struct stat	 st;
	uid_t		 ru, eu, su;
	gid_t		 rg, eg, sg;

	if (geteuid() != 0) {
		log_warnx("not running as root: no chroot and no user change "
		    "(rlimits and the OS sandbox still apply)");
		return 0;
	}
	/* getpwnam reads /etc/passwd: it must come before the chroot. */
	if ((pw = getpwnam(sp->sp_user)) == NULL)
		fatalx("unknown service user %s", sp->sp_user);
	if (pw->pw_uid == 0)
		fatalx("service user %s must not be root", sp->sp_user);
	/*
	 * The chroot must be root-owned and not writable by others, or the
	 * unprivileged worker could plant files in its own root.
	 */
	if (stat(sp->sp_chroot, &st) == -1)
		fatal("chroot directory %s", sp->sp_chroot);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatalx("%s must be a root-owned directory writable only by "
		    "root", sp->sp_chroot);
	if (chroot(sp->sp_chroot) == -1)
		fatal("chroot %s", sp->sp_chroot);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &pw->pw_gid) == -1)
		fatal("setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1)
		fatal("setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("setresuid");
	/* Verify the drop: every id changed, and root cannot come back. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("getresuid");
	if (ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid)
		fatalx("privilege drop did not take");
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		fatalx("privilege drop is reversible");
	return 1;
}
