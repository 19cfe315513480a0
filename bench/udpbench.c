/*
 * udpbench: UDP echo through a SOCKS5 UDP ASSOCIATE (or straight to the
 * sink), the same driver for every proxy (bench/udp_bench.sh).
 *
 *	udpbench sink PORT
 *		a UDP echo sink on 127.0.0.1:PORT (recvmmsg/sendmmsg)
 *	udpbench [-S HOST:PORT] -d PORT [-L label] rtt N SIZE
 *		N round trips of SIZE bytes, one at a time, after 50 warm-up
 *		ones: p50/p90/p99/mean/min/max in microseconds
 *	udpbench [-S HOST:PORT] -d PORT [-L label] rate SECS SIZE WINDOW
 *		datagrams of SIZE bytes, at most WINDOW unanswered, for SECS
 *		seconds: replies per second, and how many never came back
 *
 * -S: the SOCKS5 proxy (no authentication; the ASSOCIATE names
 * 0.0.0.0:0).  -d: the sink's port on 127.0.0.1.  Payloads are random
 * bytes (no proxy gets to compress them).  One JSON object per run on
 * stdout.  Every wait is bounded (2 s per datagram in rtt).
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UB_MAX		65536
#define UB_HDR		10		/* RSV RSV FRAG 01 IPv4 PORT */
#define UB_BATCH	32

static double
ub_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
ub_die(const char *what)
{
	fprintf(stderr, "udpbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
ub_sink(int port)
{
	struct sockaddr_in	 sin, from[UB_BATCH];
	struct mmsghdr		 mm[UB_BATCH];
	struct iovec		 iov[UB_BATCH];
	static uint8_t		 buf[UB_BATCH][UB_MAX];
	int			 fd, i, n, rb = 4 << 20;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		ub_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rb, sizeof(rb));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ub_die("bind");
	printf("sink %d\n", port);
	fflush(stdout);
	for (;;) {
		for (i = 0; i < UB_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = UB_MAX;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if ((n = recvmmsg(fd, mm, UB_BATCH, MSG_WAITFORONE, NULL)) <= 0)
			continue;
		for (i = 0; i < n; i++)
			iov[i].iov_len = mm[i].msg_len;
		(void)sendmmsg(fd, mm, n, 0);
	}
	return (0);
}

static void
ub_readn(int fd, uint8_t *p, size_t n)
{
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			ub_die("socks read");
		p += r;
		n -= r;
	}
}

/* UDP ASSOCIATE; returns the UDP socket connected to the relay. */
static int
ub_associate(const char *proxy, int *tcp)
{
	struct sockaddr_in	 sin;
	char			 host[64];
	uint8_t			 b[32];
	int			 port, fd, u;

	if (sscanf(proxy, "%63[^:]:%d", host, &port) != 2)
		ub_die("-S HOST:PORT");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		ub_die("-S address");
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ub_die("socks connect");
	if (write(fd, "\x05\x01\x00", 3) != 3)
		ub_die("socks write");
	ub_readn(fd, b, 2);
	if (b[0] != 5 || b[1] != 0)
		ub_die("socks method");
	if (write(fd, "\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00", 10) != 10)
		ub_die("socks write");
	ub_readn(fd, b, 4);
	if (b[1] != 0) {
		fprintf(stderr, "udpbench: ASSOCIATE reply %u\n", b[1]);
		exit(1);
	}
	if (b[3] != 1)
		ub_die("socks reply is not IPv4");
	ub_readn(fd, b + 4, 6);
	if (memcmp(b + 4, "\0\0\0\0", 4) != 0)
		memcpy(&sin.sin_addr, b + 4, 4);
	memcpy(&sin.sin_port, b + 8, 2);
	if ((u = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(u, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ub_die("udp connect");
	*tcp = fd;
	return (u);
}

/* Straight to the sink, for the floor. */
static int
ub_direct(int dport)
{
	struct sockaddr_in	 sin;
	int			 u;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(dport);
	if ((u = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(u, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ub_die("udp connect");
	return (u);
}

struct ub {
	int		 u;
	int		 socks;		/* prepend/strip the SOCKS header */
	int		 dport;
	uint8_t		 out[UB_MAX];
	uint8_t		 in[UB_MAX];
};

static void
ub_send(struct ub *ub, uint64_t seq, size_t size)
{
	uint8_t	*p = ub->out;
	size_t	 h = 0;

	if (ub->socks) {
		memcpy(p, "\0\0\0\x01\x7f\0\0\x01", 8);
		p[8] = ub->dport >> 8;
		p[9] = ub->dport & 0xff;
		h = UB_HDR;
	}
	memcpy(p + h, &seq, sizeof(seq));
	(void)send(ub->u, p, h + size, MSG_DONTWAIT);
}

/* A reply's sequence number, or -1 (wrong size or header). */
static int64_t
ub_recv(struct ub *ub, size_t size, int flags)
{
	ssize_t		 r;
	uint64_t	 seq;
	size_t		 h = ub->socks ? UB_HDR : 0;

	if ((r = recv(ub->u, ub->in, sizeof(ub->in), flags)) < 0)
		return (-2);
	if ((size_t)r != h + size)
		return (-1);
	memcpy(&seq, ub->in + h, sizeof(seq));
	return ((int64_t)seq);
}

static int
ub_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static int
ub_rtt(struct ub *ub, const char *label, int n, size_t size)
{
	struct pollfd	 pfd = { ub->u, POLLIN, 0 };
	double		*t, t0, sum = 0;
	int		 i, lost = 0, k;
	int64_t		 s;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		ub_die("calloc");
	for (i = -50; i < n; i++) {
		t0 = ub_now();
		ub_send(ub, (uint64_t)(i + 1000), size);
		for (;;) {
			if (poll(&pfd, 1, 2000) <= 0) {
				lost++;
				break;
			}
			if ((s = ub_recv(ub, size, 0)) == i + 1000)
				break;
		}
		if (i >= 0)
			t[i] = (ub_now() - t0) * 1e6;
	}
	qsort(t, n, sizeof(*t), ub_cmp);
	for (k = 0; k < n; k++)
		sum += t[k];
	printf("{\"peer\":\"%s\",\"test\":\"udp_rtt\",\"size\":%zu,\"n\":%d,"
	    "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
	    "\"mean_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,\"lost\":%d}\n",
	    label, size, n, t[(n - 1) * 50 / 100], t[(n - 1) * 90 / 100],
	    t[(n - 1) * 99 / 100], sum / n, t[0], t[n - 1], lost);
	free(t);
	return (lost == 0 ? 0 : 1);
}

static int
ub_rate(struct ub *ub, const char *label, double secs, size_t size,
    int window)
{
	struct pollfd	 pfd = { ub->u, POLLIN, 0 };
	double		 t0 = ub_now(), end = t0 + secs, last = t0, now;
	uint64_t	 sent = 0, got = 0, inflight = 0, inwin;
	int64_t		 s;

	while ((now = ub_now()) < end) {
		while (inflight < (uint64_t)window) {
			ub_send(ub, sent++, size);
			inflight++;
		}
		if (poll(&pfd, 1, 50) > 0) {
			while ((s = ub_recv(ub, size, MSG_DONTWAIT)) != -2) {
				if (s < 0)
					continue;
				got++;
				if (inflight > 0)
					inflight--;
				last = ub_now();
			}
		} else if (ub_now() - last > 0.05) {
			/* The window's datagrams are lost: open it again. */
			inflight = 0;
			last = ub_now();
		}
	}
	now = ub_now();
	inwin = got;
	/* Stragglers for up to half a second: not lost, not in the rate. */
	while (poll(&pfd, 1, 500) > 0)
		while ((s = ub_recv(ub, size, MSG_DONTWAIT)) != -2)
			if (s >= 0)
				got++;
	printf("{\"peer\":\"%s\",\"test\":\"udp_rate\",\"size\":%zu,"
	    "\"window\":%d,\"secs\":%.2f,\"sent\":%llu,\"received\":%llu,"
	    "\"dgrams_per_s\":%.0f,\"lost\":%llu}\n", label, size, window,
	    now - t0, (unsigned long long)sent, (unsigned long long)got,
	    inwin / (now - t0), (unsigned long long)(sent - got));
	return (0);
}

int
main(int argc, char *argv[])
{
	struct ub	*ub;
	const char	*proxy = NULL, *label = "direct";
	int		 c, tcp = -1, dport = 0;

	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return (ub_sink(atoi(argv[2])));
	while ((c = getopt(argc, argv, "S:d:L:")) != -1) {
		switch (c) {
		case 'S':
			proxy = optarg;
			break;
		case 'd':
			dport = atoi(optarg);
			break;
		case 'L':
			label = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (dport <= 0 || argc < 1 || (ub = calloc(1, sizeof(*ub))) == NULL)
		goto usage;
	ub->dport = dport;
	/* Random payload, as real datagrams (DNS, QUIC) mostly are. */
	for (c = 0; c < UB_MAX; c++)
		ub->out[c] = (uint8_t)random();
	if (proxy != NULL) {
		ub->u = ub_associate(proxy, &tcp);
		ub->socks = 1;
	} else
		ub->u = ub_direct(dport);
	if (strcmp(argv[0], "rtt") == 0 && argc == 3)
		return (ub_rtt(ub, label, atoi(argv[1]),
		    (size_t)atoi(argv[2]) < 8 ? 8 : (size_t)atoi(argv[2])));
	if (strcmp(argv[0], "rate") == 0 && argc == 4)
		return (ub_rate(ub, label, atof(argv[1]),
		    (size_t)atoi(argv[2]) < 8 ? 8 : (size_t)atoi(argv[2]),
		    atoi(argv[3])));
usage:
	fprintf(stderr, "usage: udpbench sink PORT\n"
	    "       udpbench [-S HOST:PORT] -d PORT [-L label] rtt N SIZE\n"
	    "       udpbench [-S HOST:PORT] -d PORT [-L label] "
	    "rate SECS SIZE WINDOW\n");
	return (2);
}
