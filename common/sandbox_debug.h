/*
 * --enable-sandbox-debug support for sandbox_seccomp.c: a SIGSYS handler
 * that records the trapped system call and wakes the event loop, which
 * logs its name.  Kept apart because <ev.h> and <seccomp.h> cannot be
 * included in the same file (both define EV_NONE and friends).
 */
#ifndef GR_SANDBOX_DEBUG_H
#define GR_SANDBOX_DEBUG_H

/* name(nr) returns a malloc'd system call name or NULL. */
void	sandbox_debug_init(char *(*name)(int));

#endif /* GR_SANDBOX_DEBUG_H */
