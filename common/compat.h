/*
 * What glibc has and other systems (OpenBSD first) may lack, or have
 * under another name.  gr_config.h includes this file last (AH_BOTTOM in
 * configure.ac), so every source sees it; each replacement is compiled
 * only when configure did not find the real thing.  Tested systems:
 * README, "Systems".
 */
#ifndef GR_COMPAT_H
#define GR_COMPAT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Event loop flags for every process: libev's recommended backends for
 * this system (epoll on Linux, kqueue or poll on the BSDs), and no
 * LIBEV_FLAGS from the environment: the sandbox allow-lists the system
 * calls of the backend it was measured with.
 */
#define GR_EV_FLAGS	(EVFLAG_AUTO | EVFLAG_NOENV)

/* recvmsg(2) flag: without it, ipc.c sets close-on-exec itself. */
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC	0
#define GR_NO_CMSG_CLOEXEC	1
#endif

/* "KILL" for SIGKILL; NULL if the number is unknown. */
const char	*compat_sigabbrev(int);

/* The uid of the peer of a connected UNIX socket: 0 or -1. */
int		 compat_peeruid(int fd, uid_t *);

#ifndef HAVE_PIPE2
int		 pipe2(int [2], int);
#endif
#ifndef HAVE_CLOSEFROM
void		 closefrom(int);
#endif
#ifndef HAVE_ARC4RANDOM_UNIFORM
uint32_t	 arc4random_uniform(uint32_t);
#endif
#ifndef HAVE_ARC4RANDOM_BUF
void		 arc4random_buf(void *, size_t);
#endif

#endif /* GR_COMPAT_H */
