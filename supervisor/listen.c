/*
 * The supervisor opens every listening socket and keeps it for the life
 * of the configuration: workers get a dup per generation, so while a
 * worker is down (backoff, restart) clients queue in the kernel backlog
 * and are served once it is back, never refused.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"

#define LISTEN_BACKLOG	1024

struct listener	 listeners[2] = {
	{ .ln_fd = -1, .ln_ufd = -1, .ln_kind = LISTENER_SOCKS },
	{ .ln_fd = -1, .ln_ufd = -1, .ln_kind = LISTENER_HTTP },
};

static void
listen_fmt(struct listener *ln)
{
	if (strchr(ln->ln_host, ':') != NULL)
		snprintf(ln->ln_addr, sizeof(ln->ln_addr), "[%.100s]:%u",
		    ln->ln_host, ln->ln_port);
	else
		snprintf(ln->ln_addr, sizeof(ln->ln_addr), "%.100s:%u",
		    ln->ln_host, ln->ln_port);
}

/* Open host:port (port 0: the kernel picks; ln_port is set to it). */
int
listen_open(const char *host, uint16_t port, struct listener *ln, char *err,
    size_t errlen)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 pbuf[8];
	int			 fd = -1, on = 1, e;

	ln->ln_ufd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(pbuf, sizeof(pbuf), "%u", port);
	if ((e = getaddrinfo(host[0] != '\0' ? host : NULL, pbuf, &hints,
	    &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, res->ai_protocol)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	ln->ln_fd = fd;
	snprintf(ln->ln_host, sizeof(ln->ln_host), "%s", host);
	ln->ln_port = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	listen_fmt(ln);
	freeaddrinfo(res);
	return 0;
 fail:
	snprintf(err, errlen, "listen on %s port %u: %s", host, port,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

static int
listen_prepare_one(const char *host, uint16_t port, struct listener *ln,
    const struct listener *cur, char *err, size_t errlen)
{
	uint32_t	 kind = ln->ln_kind;

	/* Same address as now: keep the socket (and its backlog). */
	if (cur->ln_fd != -1 && cur->ln_port == port &&
	    strcmp(cur->ln_host, host) == 0) {
		*ln = *cur;
		return 0;
	}
	if (listen_open(host, port, ln, err, errlen) == -1)
		return -1;
	ln->ln_kind = kind;
	return 0;
}

int
listen_prepare(const struct gr_conf *conf, struct listener *ln,
    const struct listener *cur, char *err, size_t errlen)
{
	ln[0].ln_fd = ln[1].ln_fd = -1;
	ln[0].ln_ufd = ln[1].ln_ufd = -1;
	ln[0].ln_kind = LISTENER_SOCKS;
	ln[1].ln_kind = LISTENER_HTTP;
	if (conf->gc_has_carrier && listen_prepare_one(
	    conf->gc_carrier.cc_socks_host, conf->gc_carrier.cc_socks_port,
	    &ln[0], &cur[0], err, errlen) == -1)
		return -1;
	if (conf->gc_has_exit && listen_prepare_one(
	    conf->gc_exit.ec_server_host, conf->gc_exit.ec_server_port,
	    &ln[1], &cur[1], err, errlen) == -1) {
		if (ln[0].ln_fd != cur[0].ln_fd && ln[0].ln_fd != -1)
			close(ln[0].ln_fd);
		return -1;
	}
	listen_udp_prepare(conf, &ln[0]);
	return 0;
}

/* Drop sockets opened by a prepare that is not committed. */
void
listen_discard(struct listener *ln)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (ln[i].ln_fd != -1 && ln[i].ln_fd != listeners[i].ln_fd)
			close(ln[i].ln_fd);
		listen_udp_discard(&ln[i], &listeners[i]);
	}
}

/* Make ln[] current; close the sockets it no longer uses. */
void
listen_commit(struct listener *ln)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (listeners[i].ln_fd != -1 &&
		    listeners[i].ln_fd != ln[i].ln_fd) {
			log_info("closing listener %s", listeners[i].ln_addr);
			close(listeners[i].ln_fd);
		}
		if (ln[i].ln_fd != -1 && ln[i].ln_fd != listeners[i].ln_fd)
			log_info("listening on %s (%s)", ln[i].ln_addr,
			    ln[i].ln_kind == LISTENER_SOCKS ? "SOCKS5" :
			    "HTTP");
		listen_udp_commit(&ln[i], &listeners[i]);
		listeners[i] = ln[i];
	}
}

struct listener *
listen_for_role(enum proc_role role)
{
	struct listener	*ln;

	ln = role == PROC_CARRIER ? &listeners[0] : &listeners[1];
	return ln->ln_fd != -1 ? ln : NULL;
}

void
listen_close_all(void)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (listeners[i].ln_fd != -1)
			close(listeners[i].ln_fd);
		listeners[i].ln_fd = -1;
		listen_udp_close(&listeners[i]);
	}
}
