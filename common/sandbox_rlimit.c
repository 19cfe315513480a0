/*
 * Fallback worker sandbox: rlimits, chroot and the verified drop only,
 * with a loud warning.  Chosen by --with-sandbox=rlimit where neither
 * seccomp nor pledge is available.
 */
#include "gr_config.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "log.h"
#include "privdrop.h"
#include "sandbox.h"

void
sandbox_enter(const struct sandbox_params *sp)
{
	privdrop_rlimits(sp);
	(void)privdrop_drop(sp);
#ifdef __linux__
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
#endif
	log_warnx("sandbox: rlimits, chroot and user change only; no system "
	    "call filter (built with --with-sandbox=rlimit)");
}

const char *
sandbox_name(void)
{
	return "rlimit";
}
