/*
 * Linux worker sandbox: rlimits, not dumpable, chroot + verified drop
 * (privdrop.c), no_new_privs, then a libseccomp allow-list whose default
 * action kills the whole process.  File opens are not allowed at all: a
 * worker has no reason to open anything after its pre-sandbox init, and
 * a kill (SIGSYS) is what the supervisor reports as a sandbox violation.
 *
 * With --enable-sandbox-debug the default action traps instead: a SIGSYS
 * handler records the syscall number and an ev_async logs its name from
 * the event loop, and the worker keeps running (the call fails ENOSYS).
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "privdrop.h"
#include "sandbox.h"
#include "sandbox_debug.h"

/*
 * Unconditionally allowed after the sandbox point.  Measured with strace
 * on the real workers under load, reload and the fuzzer (strace -f
 * -c of each worker after the sandbox point) plus cheap additions for
 * paths the measurement did not hit (timers, signals, allocator).
 */
static const char *const sandbox_allow[] = {
	/* event loop and socket I/O */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	/*
	 * libev rebuilds its epoll set when a closed fd still reports
	 * events because the file lives on in another process (a listener
	 * swapped on reload: the supervisor keeps its copy).
	 */
	"epoll_create1",
	"read", "write", "readv", "writev",
	"recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg",
	"close", "shutdown", "fcntl", "fcntl64",
	"connect", "accept", "accept4", "setsockopt", "getsockopt",
	"getsockname", "getpeername",
	/* memory (mmap/mprotect: see below) */
	"munmap", "mremap", "brk", "madvise",
	/* time and randomness */
	"clock_gettime", "clock_gettime64", "clock_getres", "gettimeofday",
	"time", "nanosleep", "clock_nanosleep", "getrandom",
	/* threads, signals, exit */
	"futex", "rt_sigreturn", "sigreturn", "rt_sigprocmask",
	"rt_sigaction", "sigaltstack", "restart_syscall",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "sched_yield", "exit", "exit_group",
	NULL
};

#ifdef SANDBOX_DEBUG
static char *
sandbox_syscall_name(int nr)
{
	return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}
#endif

static void
sandbox_rule(scmp_filter_ctx ctx, const char *name, unsigned n,
    const struct scmp_arg_cmp *cmp)
{
	int	 nr, rv;

	/* A name this architecture lacks (fcntl64 on amd64) is skipped. */
	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return;
	if (n == 0)
		rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	else
		rv = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
	if (rv < 0)
		fatalx("seccomp_rule_add %s: %s", name, strerror(-rv));
}

static void
sandbox_seccomp(const struct sandbox_params *sp)
{
	scmp_filter_ctx		 ctx;
	struct scmp_arg_cmp	 cmp[2];
	uint32_t		 dflt;
	size_t			 i;
	int			 rv;

#ifdef SANDBOX_DEBUG
	dflt = SCMP_ACT_TRAP;
	sandbox_debug_init(sandbox_syscall_name);
#else
	dflt = SCMP_ACT_KILL_PROCESS;
#endif
	/* seccomp_init also kills any foreign-architecture syscall. */
	if ((ctx = seccomp_init(dflt)) == NULL)
		fatalx("seccomp_init failed");
	for (i = 0; sandbox_allow[i] != NULL; i++)
		sandbox_rule(ctx, sandbox_allow[i], 0, NULL);

	/* Sockets: IPv4 and IPv6 only (upstream dials, c-ares). */
	cmp[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET);
	sandbox_rule(ctx, "socket", 1, cmp);
	cmp[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
	sandbox_rule(ctx, "socket", 1, cmp);

	/* No new executable memory after the pre-sandbox init. */
	cmp[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	sandbox_rule(ctx, "mmap", 1, cmp);
	sandbox_rule(ctx, "mmap2", 1, cmp);
	sandbox_rule(ctx, "mprotect", 1, cmp);

	/* ioctl: the two socket requests libraries use. */
	cmp[0] = SCMP_A1(SCMP_CMP_EQ, FIONREAD);
	sandbox_rule(ctx, "ioctl", 1, cmp);
	cmp[0] = SCMP_A1(SCMP_CMP_EQ, FIONBIO);
	sandbox_rule(ctx, "ioctl", 1, cmp);

	/* abort() signals itself; nothing else may be signalled. */
	cmp[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	sandbox_rule(ctx, "tgkill", 1, cmp);
	sandbox_rule(ctx, "kill", 1, cmp);

	if ((rv = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rv));
	seccomp_release(ctx);
	(void)sp;
}

void
sandbox_enter(const struct sandbox_params *sp)
{
	privdrop_rlimits(sp);
	(void)privdrop_drop(sp);
	/* Required for an unprivileged seccomp filter; also stops setuid. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
	sandbox_seccomp(sp);
	log_debug("sandbox entered: seccomp%s",
#ifdef SANDBOX_DEBUG
	    " (debug)"
#else
	    ""
#endif
	    );
}

const char *
sandbox_name(void)
{
#ifdef SANDBOX_DEBUG
	return "seccomp-debug";
#else
	return "seccomp";
#endif
}
