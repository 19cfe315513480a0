/*
 * Debug-only companion of sandbox_seccomp.c (see sandbox_debug.h).  The
 * handler does only async-signal-safe work: store the number and
 * ev_async_send(); the log line is written from the loop.
 */
#include "gr_config.h"

#ifdef SANDBOX_DEBUG
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <ucontext.h>
#include <string.h>

#include <ev.h>

#include "log.h"
#include "sandbox_debug.h"

static volatile sig_atomic_t	 sandbox_debug_nr = -1;
static ev_async			 sandbox_debug_async;
static char			*(*sandbox_debug_name)(int);

static void
sandbox_debug_sigsys(int sig, siginfo_t *si, void *ctx)
{
	sandbox_debug_nr = si->si_syscall;
#if defined(__x86_64__)
	/* The call was skipped: make it fail cleanly instead. */
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#endif
	ev_async_send(ev_default_loop(0), &sandbox_debug_async);
}

static void
sandbox_debug_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	char	*name;
	int	 nr = sandbox_debug_nr;

	name = sandbox_debug_name(nr);
	log_warnx("sandbox violation (debug build, not killed): system call "
	    "%d (%s)", nr, name != NULL ? name : "?");
	free(name);
}

void
sandbox_debug_init(char *(*name)(int))
{
	struct sigaction	 sa;

	sandbox_debug_name = name;
	ev_async_init(&sandbox_debug_async, sandbox_debug_cb);
	ev_async_start(ev_default_loop(0), &sandbox_debug_async);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_debug_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction SIGSYS");
	log_warnx("seccomp in debug mode: violations are logged, not killed");
}
#endif /* SANDBOX_DEBUG */
