/*
 * sink: the far end of every benchmark, one process on loopback.
 *
 * It listens on four ports with GooseRelayVPN's sink modes (docs/protocol.md
 * section 6.2) so one client can measure any proxy the same way:
 *	echo	write back what arrives
 *	upload	8-byte big-endian length N, read N bytes, reply 1 byte
 *	source	8-byte big-endian length N, write N bytes, close
 *	quick	write 1 byte, close
 * Length prefixes exist because a tunnel has no half-close.  Ports are
 * chosen by the kernel and printed on one line, so a script can start the
 * sink without racing for a port.  libev, one thread, non-blocking.
 * The source sends random bytes (a tunnel that compresses would make
 * zeros look faster than real traffic); -z sends zeros as before.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

enum sink_mode {
	SINK_ECHO = 0,
	SINK_UPLOAD,
	SINK_SOURCE,
	SINK_QUICK,
	SINK_NMODES
};

static const char *sink_mode_names[SINK_NMODES] = {
	"echo", "upload", "source", "quick"
};

#define SINK_BUFSZ	(256 * 1024)

struct sink_conn {
	ev_io		 sc_io;
	enum sink_mode	 sc_mode;
	unsigned char	 sc_hdr[8];
	size_t		 sc_hdrlen;
	uint64_t	 sc_left;	/* upload: to read; source: to write */
	unsigned char	*sc_pend;	/* echo: bytes the peer has not taken */
	size_t		 sc_pendlen;
	size_t		 sc_pendoff;
};

struct sink_listener {
	ev_io		 sl_io;
	enum sink_mode	 sl_mode;
	uint16_t	 sl_port;
};

/* One read buffer and one source buffer shared by every connection. */
static unsigned char	 sink_rbuf[SINK_BUFSZ];
static unsigned char	 sink_src[SINK_BUFSZ];
static unsigned long	 sink_nconns;

static void	sink_conn_cb(struct ev_loop *, ev_io *, int);

static void
sink_conn_free(struct ev_loop *loop, struct sink_conn *c)
{
	ev_io_stop(loop, &c->sc_io);
	close(c->sc_io.fd);
	free(c->sc_pend);
	free(c);
	sink_nconns--;
}

/* Switch the connection's watcher between reading and writing. */
static void
sink_conn_want(struct ev_loop *loop, struct sink_conn *c, int events)
{
	if (c->sc_io.events == events)
		return;
	ev_io_stop(loop, &c->sc_io);
	ev_io_set(&c->sc_io, c->sc_io.fd, events);
	ev_io_start(loop, &c->sc_io);
}

/* Source mode: write sink_src until the length is sent, then close. */
static int
sink_source_write(struct sink_conn *c)
{
	ssize_t	 n;
	size_t	 want;

	while (c->sc_left > 0) {
		want = c->sc_left > SINK_BUFSZ ? SINK_BUFSZ : c->sc_left;
		n = write(c->sc_io.fd, sink_src, want);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 1;
			return -1;
		}
		c->sc_left -= n;
	}
	return 0;
}

/* Echo mode: flush what the peer did not take last time. */
static int
sink_echo_flush(struct sink_conn *c)
{
	ssize_t	 n;

	while (c->sc_pendoff < c->sc_pendlen) {
		n = write(c->sc_io.fd, c->sc_pend + c->sc_pendoff,
		    c->sc_pendlen - c->sc_pendoff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 1;
			return -1;
		}
		c->sc_pendoff += n;
	}
	c->sc_pendlen = c->sc_pendoff = 0;
	return 0;
}

/* Echo mode: write back; keep what does not fit and stop reading. */
static int
sink_echo_data(struct sink_conn *c, const unsigned char *p, size_t len)
{
	ssize_t	 n;

	n = write(c->sc_io.fd, p, len);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		n = 0;
	}
	if ((size_t)n == len)
		return 0;
	/* Rare: only when the peer stops reading.  Not a steady state. */
	free(c->sc_pend);
	if ((c->sc_pend = malloc(len - n)) == NULL)
		return -1;
	memcpy(c->sc_pend, p + n, len - n);
	c->sc_pendlen = len - n;
	c->sc_pendoff = 0;
	return 1;
}

/* Upload and source: collect the 8-byte length prefix. */
static size_t
sink_take_header(struct sink_conn *c, const unsigned char *p, size_t len)
{
	size_t	 take, i;

	take = sizeof(c->sc_hdr) - c->sc_hdrlen;
	if (take > len)
		take = len;
	memcpy(c->sc_hdr + c->sc_hdrlen, p, take);
	c->sc_hdrlen += take;
	if (c->sc_hdrlen == sizeof(c->sc_hdr)) {
		c->sc_left = 0;
		for (i = 0; i < sizeof(c->sc_hdr); i++)
			c->sc_left = (c->sc_left << 8) | c->sc_hdr[i];
	}
	return take;
}

static void
sink_conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sink_conn	*c = (struct sink_conn *)w;
	ssize_t			 n;
	size_t			 off;
	int			 r;

	if (revents & EV_WRITE) {
		if (c->sc_mode == SINK_SOURCE) {
			r = sink_source_write(c);
			if (r != 1)
				sink_conn_free(loop, c);
			return;
		}
		r = sink_echo_flush(c);
		if (r == -1)
			sink_conn_free(loop, c);
		else if (r == 0)
			sink_conn_want(loop, c, EV_READ);
		return;
	}

	n = read(w->fd, sink_rbuf, sizeof(sink_rbuf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sink_conn_free(loop, c);
		return;
	}
	switch (c->sc_mode) {
	case SINK_ECHO:
		r = sink_echo_data(c, sink_rbuf, n);
		if (r == -1)
			sink_conn_free(loop, c);
		else if (r == 1)
			sink_conn_want(loop, c, EV_WRITE);
		break;
	case SINK_UPLOAD:
		off = 0;
		if (c->sc_hdrlen < sizeof(c->sc_hdr))
			off = sink_take_header(c, sink_rbuf, n);
		if (c->sc_hdrlen < sizeof(c->sc_hdr))
			break;
		if ((uint64_t)(n - off) > c->sc_left) {
			/* More than announced: a broken client. */
			sink_conn_free(loop, c);
			break;
		}
		c->sc_left -= n - off;
		if (c->sc_left == 0) {
			/* One byte into an empty socket buffer. */
			if (write(w->fd, "k", 1) != 1) {
				/* The client sees a short reply. */
			}
			sink_conn_free(loop, c);
		}
		break;
	case SINK_SOURCE:
		if (c->sc_hdrlen == sizeof(c->sc_hdr))
			break;		/* ignore anything after the header */
		sink_take_header(c, sink_rbuf, n);
		if (c->sc_hdrlen < sizeof(c->sc_hdr))
			break;
		r = sink_source_write(c);
		if (r == 1)
			sink_conn_want(loop, c, EV_WRITE);
		else
			sink_conn_free(loop, c);
		break;
	default:
		sink_conn_free(loop, c);
		break;
	}
}

static void
sink_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sink_listener	*l = (struct sink_listener *)w;
	struct sink_conn	*c;
	int			 fd, one = 1, i;

	(void)revents;
	/* Bounded: at most 64 accepts per wakeup keeps the loop fair. */
	for (i = 0; i < 64; i++) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				warn("accept");
			return;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (l->sl_mode == SINK_QUICK) {
			if (write(fd, "q", 1) != 1) {
				/* The client sees a short reply. */
			}
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->sc_mode = l->sl_mode;
		sink_nconns++;
		ev_io_init(&c->sc_io, sink_conn_cb, fd, EV_READ);
		ev_io_start(loop, &c->sc_io);
	}
}

static int
sink_listen(const char *host, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		errx(1, "bad listen address %s (IPv4 literal)", host);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		err(1, "socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind %s:%u", host, port);
	if (listen(fd, 4096) == -1)
		err(1, "listen");
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "getsockname");
	*bound = ntohs(sin.sin_port);
	return fd;
}

/* Idle sessions need one descriptor each: take the hard limit. */
static void
sink_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Incompressible bytes, made once (not a crypto need: /dev/urandom). */
static void
sink_fill_random(unsigned char *p, size_t len)
{
	FILE	*f;

	if ((f = fopen("/dev/urandom", "r")) == NULL ||
	    fread(p, 1, len, f) != len)
		err(1, "/dev/urandom");
	fclose(f);
}

static void
sink_sig_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
sink_usage(void)
{
	fprintf(stderr, "usage: sink [-z] [-l address] [-e port] [-u port] "
	    "[-s port] [-q port]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sink_listener	 ls[SINK_NMODES];
	struct ev_loop		*loop;
	ev_signal		 sigterm, sigint;
	const char		*host = "127.0.0.1";
	uint16_t		 want[SINK_NMODES] = { 0, 0, 0, 0 };
	int			 ch, i, fd, zeros = 0;

	while ((ch = getopt(argc, argv, "e:l:q:s:u:z")) != -1) {
		switch (ch) {
		case 'z':
			zeros = 1;
			break;
		case 'l':
			host = optarg;
			break;
		case 'e':
			want[SINK_ECHO] = atoi(optarg);
			break;
		case 'u':
			want[SINK_UPLOAD] = atoi(optarg);
			break;
		case 's':
			want[SINK_SOURCE] = atoi(optarg);
			break;
		case 'q':
			want[SINK_QUICK] = atoi(optarg);
			break;
		default:
			sink_usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sink_raise_nofile();
	if (!zeros)
		sink_fill_random(sink_src, sizeof(sink_src));
	loop = EV_DEFAULT;
	for (i = 0; i < SINK_NMODES; i++) {
		fd = sink_listen(host, want[i], &ls[i].sl_port);
		ls[i].sl_mode = i;
		ev_io_init(&ls[i].sl_io, sink_accept_cb, fd, EV_READ);
		ev_io_start(loop, &ls[i].sl_io);
	}
	/* The one line a script waits for. */
	for (i = 0; i < SINK_NMODES; i++)
		printf("%s%s %u", i ? " " : "", sink_mode_names[i],
		    ls[i].sl_port);
	printf("\n");
	fflush(stdout);

	ev_signal_init(&sigterm, sink_sig_cb, SIGTERM);
	ev_signal_start(loop, &sigterm);
	ev_signal_init(&sigint, sink_sig_cb, SIGINT);
	ev_signal_start(loop, &sigint);
	ev_run(loop, 0);
	return 0;
}
