/*
 * The OS-independent half of worker confinement (sandbox.h): rlimits,
 * not dumpable, chroot to the empty dir and a verified drop to the
 * service user.  Each sandbox_*.c calls these, then adds its OS sandbox.
 */
#ifndef GR_PRIVDROP_H
#define GR_PRIVDROP_H

#include <sys/types.h>
#include <sys/resource.h>

#include "sandbox.h"

/* RLIMIT_NOFILE (0: the default), clamped to the hard limit; in force. */
rlim_t	privdrop_nofile(rlim_t);
void	privdrop_rlimits(const struct sandbox_params *);
/* Returns 1 if privileges were dropped, 0 if not root (warned). */
int	privdrop_drop(const struct sandbox_params *);

#endif /* GR_PRIVDROP_H */
