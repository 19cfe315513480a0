/*
 * OpenBSD worker sandbox: rlimits, chroot and the verified drop, then
 * pledge.  Workers never open files (everything arrives over IPC as bytes
 * or fds), so no rpath; "recvfd" for listener fds; the exit resolves
 * upstream names itself, hence "dns".
 */
#include "gr_config.h"

#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "sandbox.h"

void
sandbox_enter(const struct sandbox_params *sp)
{
	const char	*promises;

	privdrop_rlimits(sp);
	(void)privdrop_drop(sp);
	promises = sp->sp_role == PROC_EXIT ? "stdio inet dns recvfd" :
	    "stdio inet recvfd";
#ifdef HAVE_UNVEIL
	if (unveil("/", "") == -1 || unveil(NULL, NULL) == -1)
		fatal("unveil");
#endif
#ifdef HAVE_PLEDGE
	if (pledge(promises, NULL) == -1)
		fatal("pledge %s", promises);
#else
	(void)promises;
	fatalx("built with --with-sandbox=pledge on a system without pledge");
#endif
}

const char *
sandbox_name(void)
{
	return "pledge";
}
