/*
 * The SOCKS listener's UDP twin: one datagram socket bound to the same
 * address and port as the SOCKS TCP listener (as shadowsocks-libev does),
 * the relay socket of every SOCKS5 UDP ASSOCIATE (RFC 1928 section 7).
 * Workers bind nothing themselves, so the supervisor opens it with the
 * TCP listener, keeps it for as long as that one lives (across worker
 * restarts and reloads that keep the address) and passes a dup to the
 * carrier with every generation.  A twin that cannot be bound is logged
 * and left out: the SOCKS TCP service matters more, and UDP ASSOCIATE
 * then answers "command not supported".
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "supervisor.h"

#define LISTEN_UDP_RCVBUF	(1024 * 1024)	/* bursts of datagrams */

/* Bind a UDP socket to the address ln's TCP socket is bound to. */
int
listen_udp_open(struct listener *ln, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	int			 fd = -1, on = 1, rb = LISTEN_UDP_RCVBUF;

	ln->ln_ufd = -1;
	if (getsockname(ln->ln_fd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		goto fail;
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		goto fail;
	ln->ln_ufd = fd;
	return 0;
 fail:
	snprintf(err, errlen, "UDP relay socket on %s: %s", ln->ln_addr,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * After listen_prepare made ln (the SOCKS entry): keep the twin that
 * came with a kept TCP socket, open one for a new TCP socket, or none
 * when the carrier has udp_enabled: false.
 */
void
listen_udp_prepare(const struct gr_conf *conf, struct listener *ln)
{
	char	 err[256];

	if (!conf->gc_has_carrier || !conf->gc_carrier.cc_udp_enabled ||
	    ln->ln_fd == -1) {
		ln->ln_ufd = -1;	/* listen_udp_commit closes the old */
		return;
	}
	if (ln->ln_ufd != -1)
		return;
	if (listen_udp_open(ln, err, sizeof(err)) == -1)
		log_warnx("%s; SOCKS5 UDP ASSOCIATE is off", err);
}

/* A prepare that is not committed: close what it opened. */
void
listen_udp_discard(struct listener *ln, const struct listener *cur)
{
	if (ln->ln_ufd != -1 && ln->ln_ufd != cur->ln_ufd)
		close(ln->ln_ufd);
}

/* ln becomes current: close the old twin if ln does not keep it. */
void
listen_udp_commit(const struct listener *ln, struct listener *old)
{
	if (old->ln_ufd != -1 && old->ln_ufd != ln->ln_ufd)
		close(old->ln_ufd);
	if (ln->ln_ufd != -1 && ln->ln_ufd != old->ln_ufd)
		log_info("listening on %s (SOCKS5 UDP relay)", ln->ln_addr);
}

void
listen_udp_close(struct listener *ln)
{
	if (ln->ln_ufd != -1)
		close(ln->ln_ufd);
	ln->ln_ufd = -1;
}

/* With a configuration generation: a dup of the twin for the carrier. */
void
listen_udp_push(struct ipc *ipc, uint32_t gen, const struct listener *ln)
{
	struct msg_listener	 ml;
	int			 fd;

	if (ln->ln_kind != LISTENER_SOCKS || ln->ln_ufd == -1)
		return;
	if ((fd = fcntl(ln->ln_ufd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("dup UDP relay socket");
		return;
	}
	memset(&ml, 0, sizeof(ml));
	ml.ml_kind = LISTENER_SOCKS_UDP;
	snprintf(ml.ml_addr, sizeof(ml.ml_addr), "%s", ln->ln_addr);
	(void)ipc_send(ipc, IMSG_CONF_LISTENER, gen, fd, &ml, sizeof(ml));
}
