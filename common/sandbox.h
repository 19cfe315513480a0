/*
 * Worker confinement, in this order (style.md 3.5): rlimits, not
 * dumpable, chroot to the empty root-owned dir, setgroups/setresgid/
 * setresuid to the service user with the drop verified, no_new_privs,
 * then the OS sandbox (libseccomp allow-list with kill, or pledge).
 * As non-root there is no chroot or uid change, with a warning; rlimits,
 * no_new_privs and seccomp still apply.  Call it after all pre-sandbox
 * init (libev loop, lws context, c-ares, tzset, RAND) and before HELLO.
 */
#ifndef GR_SANDBOX_H
#define GR_SANDBOX_H

#include <sys/types.h>

#include "msg.h"

struct sandbox_params {
	enum proc_role	 sp_role;
	const char	*sp_user;	/* GR_USER */
	const char	*sp_chroot;	/* GR_EMPTY_DIR */
	unsigned long	 sp_nofile;	/* RLIMIT_NOFILE */
};

/* Exits via fatal() on any failure: a half-confined worker must not run. */
void	sandbox_enter(const struct sandbox_params *);
/* Name of the sandbox implementation, for logs and -V. */
const char *sandbox_name(void);

#endif /* GR_SANDBOX_H */
