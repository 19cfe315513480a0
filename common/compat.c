/*
 * Replacements for what compat.h declares, each compiled only when
 * configure did not find the system's own (glibc has all of them since
 * 2.36; OpenBSD has all but sigabbrev_np and SO_PEERCRED).
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
compat_sigabbrev(int sig)
{
#ifdef HAVE_SIGABBREV_NP
	return sigabbrev_np(sig);
#else
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
		{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
		{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
		{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
		{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
		{ SIGCHLD, "CHLD" }, { SIGCONT, "CONT" }, { SIGSTOP, "STOP" },
		{ SIGTSTP, "TSTP" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
		{ SIGSYS, "SYS" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return NULL;
#endif
}

int
compat_peeruid(int fd, uid_t *uid)
{
#ifdef SO_PEERCRED
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	*uid = cred.uid;
	return 0;
#else
	gid_t	 gid;

	return getpeereid(fd, uid, &gid);
#endif
}

#ifndef HAVE_PIPE2
int
pipe2(int fd[2], int flags)
{
	int	 i;

	if (pipe(fd) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (((flags & O_CLOEXEC) &&
		    fcntl(fd[i], F_SETFD, FD_CLOEXEC) == -1) ||
		    ((flags & O_NONBLOCK) &&
		    fcntl(fd[i], F_SETFL, O_NONBLOCK) == -1)) {
			close(fd[0]);
			close(fd[1]);
			return -1;
		}
	}
	return 0;
}
#endif

#ifndef HAVE_CLOSEFROM
/* Called between fork and exec: close(2) only. */
void
closefrom(int lowfd)
{
	long	 max, fd;

	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
}
#endif

#ifndef HAVE_ARC4RANDOM_BUF
void
arc4random_buf(void *buf, size_t len)
{
	uint8_t	*p = buf;
	size_t	 n;

	while (len > 0) {
		n = len > 256 ? 256 : len;
		if (getentropy(p, n) == -1)
			abort();	/* predictable bytes are worse */
		p += n;
		len -= n;
	}
}
#endif

#ifndef HAVE_ARC4RANDOM_UNIFORM
/* Uniform in [0, upper) without modulo bias (OpenBSD's method). */
uint32_t
arc4random_uniform(uint32_t upper)
{
	uint32_t	 r, min;

	if (upper < 2)
		return 0;
	min = -upper % upper;
	do
		arc4random_buf(&r, sizeof(r));
	while (r < min);
	return r % upper;
}
#endif
