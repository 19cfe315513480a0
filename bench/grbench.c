/*
 * grbench: measure any SOCKS5 proxy (or none) the same way.
 *
 * It talks to bench/sink through the proxy given with -S (RFC 1928, no
 * authentication, CONNECT to an IPv4 literal) or straight to the sink
 * without -S, runs one scenario and prints one JSON object on one line.
 * Blocking sockets with send/receive timeouts, so every wait is bounded;
 * threads only where a scenario needs parallel streams.  Process CPU and
 * RSS come from /proc for the pids given with -p (the proxy's processes).
 * Timing is CLOCK_MONOTONIC; percentiles interpolate at p*(n-1)/100 like
 * GooseRelayVPN's bench/ harness.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GB_MAXPIDS	16
#define GB_BUFSZ	(256 * 1024)
#define GB_MAXTHREADS	64
#define GB_BATCH	200

#define GB_MAXPROXIES	16

struct gb_proxy {
	char		 px_host[64];
	uint16_t	 px_port;
};

struct gb_opts {
	char		 o_proxy[64];		/* "" = direct; = proxies[0] */
	uint16_t	 o_proxy_port;
	struct gb_proxy	 o_proxies[GB_MAXPROXIES];	/* idle_*: spread */
	int		 o_nproxies;
	double		 o_rate;		/* new sessions/s, 0 = flat out */
	char		 o_target[64];
	uint16_t	 o_echo, o_upload, o_source, o_quick;
	const char	*o_scenario;
	const char	*o_label;
	const char	*o_note;		/* -N: copied into the result */
	long		 o_count;		/* samples or sessions */
	uint64_t	 o_bytes;
	double		 o_seconds;		/* scenario time bound */
	int		 o_conc;		/* parallel streams/threads */
	double		 o_window;		/* idle measurement window */
	int		 o_timeout;		/* socket timeout, seconds */
	int		 o_msgsize;
	int		 o_zeros;		/* -z: upload zeros */
	double		 o_warm;		/* fb_*: bulk alone first, s */
	pid_t		 o_pids[GB_MAXPIDS];
	int		 o_npids;
};

static struct gb_opts	 gb;
static volatile int	 gb_stop;
static unsigned char	 gb_src[GB_BUFSZ];	/* what uploads send */

/* Microseconds on the monotonic clock. */
static double
gb_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * Keep new sessions under o_rate per second (per caller: *next is its
 * own schedule).  A proxy with an admission limit, such as the carrier's
 * storm guard, is then measured rather than refused.
 */
static void
gb_pace(double *next, double rate)
{
	double	 now;

	if (rate <= 0)
		return;
	now = gb_now();
	if (*next > now)
		usleep((useconds_t)(*next - now));
	else
		*next = now;
	*next += 1e6 / rate;
}

/*
 * What uploads send: random bytes unless -z (a tunnel that compresses
 * would make zeros look faster than real traffic).
 */
static void
gb_fill_src(void)
{
	FILE	*f;

	if (gb.o_zeros)
		return;
	if ((f = fopen("/dev/urandom", "r")) == NULL ||
	    fread(gb_src, 1, sizeof(gb_src), f) != sizeof(gb_src))
		err(1, "/dev/urandom");
	fclose(f);
}

static int
gb_writen(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes; -1 on error, timeout or early EOF. */
static int
gb_readn(int fd, void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int
gb_tcp(const char *host, uint16_t port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = gb.o_timeout;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
gb_socks_greet_send(int fd)
{
	static const unsigned char	 greet[3] = { 5, 1, 0 };

	return gb_writen(fd, greet, sizeof(greet));
}

static int
gb_socks_greet_recv(int fd)
{
	unsigned char	 r[2];

	if (gb_readn(fd, r, 2) == -1 || r[0] != 5 || r[1] != 0)
		return -1;
	return 0;
}

static int
gb_socks_req_send(int fd, uint16_t port)
{
	unsigned char	 req[10] = { 5, 1, 0, 1 };

	if (inet_pton(AF_INET, gb.o_target, req + 4) != 1)
		return -1;
	req[8] = port >> 8;
	req[9] = port & 0xff;
	return gb_writen(fd, req, sizeof(req));
}

/* The reply's bound address has a variable length (ATYP). */
static int
gb_socks_req_recv(int fd)
{
	unsigned char	 r[4 + 1 + 255 + 2];
	size_t		 alen;

	if (gb_readn(fd, r, 4) == -1 || r[0] != 5 || r[1] != 0)
		return -1;
	switch (r[3]) {
	case 1:
		alen = 4;
		break;
	case 4:
		alen = 16;
		break;
	case 3:
		if (gb_readn(fd, r + 4, 1) == -1)
			return -1;
		return gb_readn(fd, r + 5, r[4] + 2);
	default:
		return -1;
	}
	return gb_readn(fd, r + 4, alen + 2);
}

/* A connected stream to the sink port, through the proxy if any. */
static int
gb_dial(uint16_t port)
{
	int	 fd;

	if (gb.o_proxy[0] == '\0')
		return gb_tcp(gb.o_target, port);
	if ((fd = gb_tcp(gb.o_proxy, gb.o_proxy_port)) == -1)
		return -1;
	if (gb_socks_greet_send(fd) == -1 || gb_socks_greet_recv(fd) == -1 ||
	    gb_socks_req_send(fd, port) == -1 || gb_socks_req_recv(fd) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
gb_cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile of a sorted array, index p*(n-1)/100 interpolated. */
static double
gb_pct(const double *v, long n, double p)
{
	double	 idx, frac;
	long	 i;

	if (n <= 0)
		return NAN;
	idx = p * (n - 1) / 100.0;
	i = (long)idx;
	frac = idx - i;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * frac;
}

/* Print "name":{p50,p90,p99,mean,min,max} in microseconds. */
static void
gb_print_lat(const char *name, double *v, long n)
{
	double	 sum = 0;
	long	 i;

	qsort(v, n, sizeof(*v), gb_cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	if (n == 0) {
		printf(",\"%s\":{\"n\":0}", name);
		return;
	}
	printf(",\"%s\":{\"n\":%ld,\"p50_us\":%.1f,\"p90_us\":%.1f,"
	    "\"p99_us\":%.1f,\"mean_us\":%.1f,\"min_us\":%.1f,"
	    "\"max_us\":%.1f}", name, n, gb_pct(v, n, 50), gb_pct(v, n, 90),
	    gb_pct(v, n, 99), sum / n, v[0], v[n - 1]);
}

static void
gb_head(void)
{
	printf("{\"scenario\":\"%s\",\"label\":\"%s\"", gb.o_scenario,
	    gb.o_label);
	if (gb.o_proxy[0] != '\0')
		printf(",\"proxy\":\"%s:%u\"", gb.o_proxy, gb.o_proxy_port);
	else
		printf(",\"proxy\":\"direct\"");
}

static void
gb_tail(int ok, const char *error)
{
	printf(",\"ok\":%s", ok ? "true" : "false");
	if (error != NULL)
		printf(",\"error\":\"%s\"", error);
	if (gb.o_note != NULL)
		printf(",\"note\":\"%s\"", gb.o_note);
	printf("}\n");
	fflush(stdout);
}

/* utime + stime of a process, in clock ticks; -1 if it is gone. */
static long long
gb_proc_cpu(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: parse after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* Fields 3..13 then utime (14) and stime (15). */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st) != 2)
		return -1;
	return (long long)ut + st;
}

/* VmRSS in KiB; -1 if unknown. */
static long
gb_proc_rss(pid_t pid)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
gb_proc_comm(pid_t pid, char *buf, size_t len)
{
	char	 path[64];
	FILE	*f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, len, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static long long
gb_cpu_all(long long *each)
{
	long long	 t, sum = 0;
	int		 i;

	for (i = 0; i < gb.o_npids; i++) {
		t = gb_proc_cpu(gb.o_pids[i]);
		if (each != NULL)
			each[i] = t;
		if (t > 0)
			sum += t;
	}
	return sum;
}

/* echo_rtt: msgsize-byte round trips on one stream. */
static int
gb_echo_rtt(void)
{
	unsigned char	 buf[65536];
	double		*v, t0, tdl;
	long		 i, n = 0;
	int		 fd, w, ioerr = 0;

	if (gb.o_msgsize > (int)sizeof(buf))
		gb.o_msgsize = sizeof(buf);
	memset(buf, 'e', gb.o_msgsize);
	if ((v = calloc(gb.o_count, sizeof(*v))) == NULL)
		err(1, NULL);
	gb_head();
	if ((fd = gb_dial(gb.o_echo)) == -1) {
		gb_tail(0, "dial");
		return 1;
	}
	/* Warm up: the first exchanges pay for the session's setup. */
	for (w = 0; w < 10; w++)
		if (gb_writen(fd, buf, gb.o_msgsize) == -1 ||
		    gb_readn(fd, buf, gb.o_msgsize) == -1) {
			gb_tail(0, "warmup");
			return 1;
		}
	tdl = gb_now() + gb.o_seconds * 1e6;
	for (i = 0; i < gb.o_count && gb_now() < tdl; i++) {
		t0 = gb_now();
		if (gb_writen(fd, buf, gb.o_msgsize) == -1 ||
		    gb_readn(fd, buf, gb.o_msgsize) == -1) {
			ioerr = 1;
			break;
		}
		v[n++] = gb_now() - t0;
	}
	close(fd);
	printf(",\"msg_bytes\":%d", gb.o_msgsize);
	gb_print_lat("rtt", v, n);
	gb_tail(n > 0 && !ioerr, ioerr ? "io (stalled or closed)" : NULL);
	free(v);
	return 0;
}

/* One fresh connection, 1 byte out, 1 byte back; microseconds or -1. */
static double
gb_connect_once(void)
{
	unsigned char	 c = 'c';
	double		 t0, t;
	int		 fd;

	t0 = gb_now();
	if ((fd = gb_dial(gb.o_echo)) == -1)
		return -1;
	if (gb_writen(fd, &c, 1) == -1 || gb_readn(fd, &c, 1) == -1) {
		close(fd);
		return -1;
	}
	t = gb_now() - t0;
	close(fd);
	return t;
}

/* connect_first_byte: fresh connection + SOCKS + 1-byte echo. */
static int
gb_connect_first_byte(void)
{
	double	*v, t, tdl, next = 0;
	long	 i, n = 0, errs = 0;

	if ((v = calloc(gb.o_count, sizeof(*v))) == NULL)
		err(1, NULL);
	gb_head();
	tdl = gb_now() + gb.o_seconds * 1e6;
	for (i = 0; i < gb.o_count && gb_now() < tdl; i++) {
		gb_pace(&next, gb.o_rate);
		if ((t = gb_connect_once()) < 0)
			errs++;
		else
			v[n++] = t;
	}
	printf(",\"errors\":%ld", errs);
	gb_print_lat("cfb", v, n);
	gb_tail(n > 0 && errs == 0, errs ? "io" : NULL);
	free(v);
	return 0;
}

struct gb_xfer {
	pthread_t	 x_thr;
	int		 x_up;
	uint64_t	 x_bytes;	/* wanted */
	uint64_t	 x_done;
	double		 x_t0, x_t1;	/* first byte out, last byte in */
	double		 x_deadline;
	int		 x_complete;
	volatile int	 x_started;	/* first data moved */
	const char	*x_err;
};

/* One bulk transfer on one stream, bounded by size and deadline. */
static void *
gb_xfer_run(void *arg)
{
	struct gb_xfer	*x = arg;
	unsigned char	 hdr[8], *buf;
	uint64_t	 want;
	ssize_t		 n;
	int		 fd, i;

	if ((buf = calloc(1, GB_BUFSZ)) == NULL) {
		x->x_err = "nomem";
		return NULL;
	}
	for (i = 0; i < 8; i++)
		hdr[i] = x->x_bytes >> (56 - 8 * i);
	if ((fd = gb_dial(x->x_up ? gb.o_upload : gb.o_source)) == -1) {
		x->x_err = "dial";
		free(buf);
		return NULL;
	}
	x->x_t0 = gb_now();
	if (gb_writen(fd, hdr, sizeof(hdr)) == -1) {
		x->x_err = "io";
		goto done;
	}
	while (x->x_done < x->x_bytes && !gb_stop &&
	    gb_now() < x->x_deadline) {
		want = x->x_bytes - x->x_done;
		if (want > GB_BUFSZ)
			want = GB_BUFSZ;
		if (x->x_up)
			n = write(fd, gb_src, want);
		else
			n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->x_err = n == 0 ? "eof" : "io";
			break;
		}
		x->x_done += n;
		x->x_started = 1;
	}
	if (x->x_done == x->x_bytes) {
		/* Upload: the sink's 1 byte says every byte arrived. */
		if (!x->x_up || gb_readn(fd, buf, 1) == 0)
			x->x_complete = 1;
		else
			x->x_err = "noack";
	}
 done:
	x->x_t1 = gb_now();
	close(fd);
	free(buf);
	return NULL;
}

/* bulk_down, bulk_up, parallel_down: MiB/s over o_conc streams. */
static int
gb_bulk(int up)
{
	struct gb_xfer	 x[GB_MAXTHREADS];
	long long	 c0, c1;
	uint64_t	 total = 0;
	double		 t0, t1, secs, cpu_s;
	int		 i, complete = 1;
	const char	*e = NULL;

	memset(x, 0, sizeof(x));
	c0 = gb_cpu_all(NULL);
	t0 = gb_now();
	for (i = 0; i < gb.o_conc; i++) {
		x[i].x_up = up;
		x[i].x_bytes = gb.o_bytes;
		x[i].x_deadline = t0 + gb.o_seconds * 1e6;
		if (pthread_create(&x[i].x_thr, NULL, gb_xfer_run, &x[i]))
			err(1, "pthread_create");
	}
	for (i = 0; i < gb.o_conc; i++) {
		pthread_join(x[i].x_thr, NULL);
		total += x[i].x_done;
		complete &= x[i].x_complete;
		if (x[i].x_err != NULL)
			e = x[i].x_err;
	}
	t1 = gb_now();
	c1 = gb_cpu_all(NULL);
	secs = (t1 - t0) / 1e6;
	cpu_s = (double)(c1 - c0) / sysconf(_SC_CLK_TCK);
	gb_head();
	printf(",\"streams\":%d,\"bytes\":%llu,\"seconds\":%.4f,"
	    "\"mib_s\":%.2f,\"complete\":%s", gb.o_conc,
	    (unsigned long long)total, secs,
	    secs > 0 ? total / 1048576.0 / secs : 0.0,
	    complete ? "true" : "false");
	if (gb.o_npids > 0 && total > 0)
		printf(",\"proxy_cpu_s\":%.3f,\"cpu_s_per_gib\":%.3f", cpu_s,
		    cpu_s / (total / 1073741824.0));
	gb_tail(total > 0 && e == NULL, e);
	return 0;
}

struct gb_churn {
	pthread_t	 ch_thr;
	double		 ch_deadline;
	long		 ch_ok, ch_err;
};

static void *
gb_churn_run(void *arg)
{
	struct gb_churn	*c = arg;
	double		 next = 0;

	while (gb_now() < c->ch_deadline) {
		gb_pace(&next, gb.o_rate / gb.o_conc);
		if (gb_connect_once() < 0)
			c->ch_err++;
		else
			c->ch_ok++;
	}
	return NULL;
}

/* sessions_per_sec: connect, 1 byte, close, for o_seconds. */
static int
gb_sessions(void)
{
	struct gb_churn	 c[GB_MAXTHREADS];
	long		 ok = 0, errs = 0;
	double		 t0, secs;
	int		 i;

	memset(c, 0, sizeof(c));
	t0 = gb_now();
	for (i = 0; i < gb.o_conc; i++) {
		c[i].ch_deadline = t0 + gb.o_seconds * 1e6;
		if (pthread_create(&c[i].ch_thr, NULL, gb_churn_run, &c[i]))
			err(1, "pthread_create");
	}
	for (i = 0; i < gb.o_conc; i++) {
		pthread_join(c[i].ch_thr, NULL);
		ok += c[i].ch_ok;
		errs += c[i].ch_err;
	}
	secs = (gb_now() - t0) / 1e6;
	gb_head();
	printf(",\"threads\":%d,\"sessions\":%ld,\"errors\":%ld,"
	    "\"seconds\":%.3f,\"per_sec\":%.1f", gb.o_conc, ok, errs, secs,
	    ok / secs);
	gb_tail(ok > 0, errs ? "some sessions failed" : NULL);
	return 0;
}

/*
 * Open up to n echo sessions, each proven by a 1-byte echo.  Batches go
 * through the handshake phase by phase, so the proxy's latency overlaps
 * across a batch without non-blocking state machines.  Failed sessions
 * are closed and counted; no new batch starts after the deadline.
 */
static long
gb_open_many(int *fds, long n, double deadline, long *errs)
{
	struct gb_proxy	*px;
	unsigned char	 c;
	double		 next = 0;
	long		 got = 0, b, i, j, batch = GB_BATCH;
	int		 ph, socks = gb.o_nproxies > 0;

	/* Paced: batches of a tenth of a second's worth. */
	if (gb.o_rate > 0 && gb.o_rate / 10 < batch)
		batch = gb.o_rate / 10 > 1 ? (long)(gb.o_rate / 10) : 1;
	*errs = 0;
	for (b = 0; b < n && gb_now() < deadline; b += batch) {
		long	 end = b + batch < n ? b + batch : n;

		if (gb.o_rate > 0)
			gb_pace(&next, gb.o_rate / batch);
		for (i = b; i < end; i++) {
			px = &gb.o_proxies[i % (socks ? gb.o_nproxies : 1)];
			fds[i] = gb_tcp(socks ? px->px_host : gb.o_target,
			    socks ? px->px_port : gb.o_echo);
		}
		for (ph = socks ? 0 : 4; ph < 6; ph++) {
			for (i = b; i < end; i++) {
				int	 r = 0, fd = fds[i];

				if (fd == -1)
					continue;
				/* Past the deadline: give up on the rest. */
				if (gb_now() > deadline) {
					close(fd);
					fds[i] = -1;
					continue;
				}
				switch (ph) {
				case 0: r = gb_socks_greet_send(fd); break;
				case 1: r = gb_socks_greet_recv(fd); break;
				case 2: r = gb_socks_req_send(fd, gb.o_echo);
					break;
				case 3: r = gb_socks_req_recv(fd); break;
				case 4: c = 'i'; r = gb_writen(fd, &c, 1);
					break;
				case 5: r = gb_readn(fd, &c, 1); break;
				}
				if (r == -1) {
					close(fd);
					fds[i] = -1;
				}
			}
		}
		for (i = b; i < end; i++) {
			if (fds[i] == -1)
				(*errs)++;
			else
				got++;
		}
	}
	/* Compact: live descriptors first. */
	for (i = j = 0; i < n; i++)
		if (i < b && fds[i] != -1)
			fds[j++] = fds[i];
	return got;
}

static void
gb_close_many(int *fds, long n)
{
	long	 i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

static void
gb_raise_nofile(long need)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < (rlim_t)need) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max :
		    (rlim_t)need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
gb_print_pids_rss(const char *name, const long *kb)
{
	char	 comm[32];
	int	 i;

	printf(",\"%s\":[", name);
	for (i = 0; i < gb.o_npids; i++) {
		gb_proc_comm(gb.o_pids[i], comm, sizeof(comm));
		printf("%s{\"pid\":%d,\"comm\":\"%s\",\"kib\":%ld}",
		    i ? "," : "", (int)gb.o_pids[i], comm, kb[i]);
	}
	printf("]");
}

/* idle_rss: hold o_count idle sessions, report RSS growth per session. */
static int
gb_idle_rss(void)
{
	long	 before[GB_MAXPIDS], after[GB_MAXPIDS], got, errs;
	long	 sb = 0, sa = 0, i;
	double	 t0, open_s;
	int	*fds;

	gb_raise_nofile(gb.o_count + 64);
	if ((fds = calloc(gb.o_count, sizeof(*fds))) == NULL)
		err(1, NULL);
	for (i = 0; i < gb.o_npids; i++)
		sb += before[i] = gb_proc_rss(gb.o_pids[i]);
	t0 = gb_now();
	got = gb_open_many(fds, gb.o_count, t0 + gb.o_seconds * 1e6, &errs);
	open_s = (gb_now() - t0) / 1e6;
	/* Let lazily freed buffers settle before reading RSS. */
	usleep((useconds_t)(gb.o_window * 1e6));
	for (i = 0; i < gb.o_npids; i++)
		sa += after[i] = gb_proc_rss(gb.o_pids[i]);
	gb_head();
	printf(",\"proxies\":%d,\"wanted\":%ld,\"sessions\":%ld,"
	    "\"errors\":%ld,\"open_seconds\":%.2f", gb.o_nproxies,
	    gb.o_count, got, errs, open_s);
	/* Without pids (the direct floor) there is nothing to weigh. */
	if (gb.o_npids > 0) {
		printf(",\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
		    "\"per_session_bytes\":%.0f", sb, sa,
		    got > 0 ? (sa - sb) * 1024.0 / got : 0.0);
		gb_print_pids_rss("after", after);
	}
	gb_tail(got == gb.o_count, got == gb.o_count ? NULL :
	    "not every session opened");
	gb_close_many(fds, got);
	free(fds);
	return 0;
}

/* idle_cpu: o_count idle sessions, CPU of the pids over o_window. */
static int
gb_idle_cpu(void)
{
	long long	 c0[GB_MAXPIDS], c1[GB_MAXPIDS], s0, s1;
	long		 got, errs, i;
	double		 t0, t1, hz = sysconf(_SC_CLK_TCK);
	char		 comm[32];
	int		*fds;

	gb_raise_nofile(gb.o_count + 64);
	if ((fds = calloc(gb.o_count, sizeof(*fds))) == NULL)
		err(1, NULL);
	got = gb_open_many(fds, gb.o_count, gb_now() + gb.o_seconds * 1e6,
	    &errs);
	s0 = gb_cpu_all(c0);
	t0 = gb_now();
	usleep((useconds_t)(gb.o_window * 1e6));
	s1 = gb_cpu_all(c1);
	t1 = gb_now();
	gb_head();
	printf(",\"sessions\":%ld,\"window_s\":%.2f", got, (t1 - t0) / 1e6);
	if (gb.o_npids > 0)
		printf(",\"cpu_pct\":%.3f",
		    (s1 - s0) / hz / ((t1 - t0) / 1e6) * 100);
	printf(",\"per_pid\":[");
	for (i = 0; i < gb.o_npids; i++) {
		gb_proc_comm(gb.o_pids[i], comm, sizeof(comm));
		printf("%s{\"pid\":%d,\"comm\":\"%s\",\"cpu_pct\":%.3f}",
		    i ? "," : "", (int)gb.o_pids[i], comm,
		    (c1[i] - c0[i]) / hz / ((t1 - t0) / 1e6) * 100);
	}
	printf("]");
	gb_tail(got == gb.o_count, got == gb.o_count ? NULL :
	    "not every session opened");
	gb_close_many(fds, got);
	free(fds);
	return 0;
}

/*
 * hol: while one stream downloads as fast as it can, measure fresh
 * connect + first byte and round trips on an already open echo stream.
 */
static int
gb_hol(void)
{
	struct gb_xfer	 x;
	unsigned char	 buf[64];
	double		*cfb, *rtt, t, t0, tdl, next = 0;
	long		 i, ncfb = 0, nrtt = 0, errs = 0;
	int		 efd;
	char		 why[80];

	memset(buf, 'h', sizeof(buf));
	cfb = calloc(gb.o_count, sizeof(*cfb));
	rtt = calloc(gb.o_count, sizeof(*rtt));
	if (cfb == NULL || rtt == NULL)
		err(1, NULL);
	gb_head();
	if ((efd = gb_dial(gb.o_echo)) == -1) {
		gb_tail(0, "dial");
		return 1;
	}
	memset(&x, 0, sizeof(x));
	x.x_bytes = UINT64_C(1) << 40;		/* until stopped */
	x.x_deadline = gb_now() + gb.o_seconds * 1e6;
	if (pthread_create(&x.x_thr, NULL, gb_xfer_run, &x))
		err(1, "pthread_create");
	/* Bounded wait for the download to be moving. */
	tdl = gb_now() + 5e6;
	while (!x.x_started && x.x_err == NULL && gb_now() < tdl)
		usleep(1000);
	for (i = 0; i < gb.o_count && x.x_started && !x.x_err &&
	    gb_now() < x.x_deadline; i++) {
		gb_pace(&next, gb.o_rate);
		if ((t = gb_connect_once()) < 0)
			errs++;
		else
			cfb[ncfb++] = t;
		t0 = gb_now();
		if (gb_writen(efd, buf, sizeof(buf)) == -1 ||
		    gb_readn(efd, buf, sizeof(buf)) == -1) {
			errs++;
			break;
		}
		rtt[nrtt++] = gb_now() - t0;
	}
	gb_stop = 1;
	pthread_join(x.x_thr, NULL);
	close(efd);
	printf(",\"errors\":%ld,\"bulk_mib_s\":%.2f", errs,
	    x.x_t1 > x.x_t0 ? x.x_done / 1048576.0 /
	    ((x.x_t1 - x.x_t0) / 1e6) : 0.0);
	gb_print_lat("cfb", cfb, ncfb);
	gb_print_lat("rtt", rtt, nrtt);
	if (!x.x_started)
		snprintf(why, sizeof(why), "download did not start (%s)",
		    x.x_err != NULL ? x.x_err : "no data in 5 s");
	gb_tail(ncfb > 0 && errs == 0 && x.x_started, errs ? "io" :
	    x.x_started ? NULL : why);
	free(cfb);
	free(rtt);
	return 0;
}

/*
 * One fresh connection and an n-byte echo: the time from connect() to
 * the last byte back, in microseconds, or -1.
 */
static double
gb_connect_echo(size_t n)
{
	unsigned char	 buf[4096];
	double		 t0, t;
	int		 fd;

	if (n > sizeof(buf))
		n = sizeof(buf);
	memset(buf, 'f', n);
	t0 = gb_now();
	if ((fd = gb_dial(gb.o_echo)) == -1)
		return -1;
	if (gb_writen(fd, buf, n) == -1 || gb_readn(fd, buf, n) == -1) {
		close(fd);
		return -1;
	}
	t = gb_now() - t0;
	close(fd);
	return t;
}

/*
 * fb_down, fb_up: while -c streams download (upload) as fast as the path
 * allows, a fresh session every 1/o_rate s: connect, SOCKS and an
 * o_msgsize-byte echo ("first byte" of a new connection behind bulk).
 * Sampling starts after o_warm s of bulk alone, when the queues a bulk
 * transfer builds are there, and ends after o_seconds.  Sessions run
 * one after another: one that waits a long time leaves fewer samples.
 * With several bulk streams, each one's MiB/s over the sampling window
 * and Jain's fairness index of them (1 = equal shares).
 */
static int
gb_fb(int up)
{
	struct gb_xfer	 x[GB_MAXTHREADS];
	uint64_t	 done0[GB_MAXTHREADS];
	double		*cfb, t, tdl, next = 0, ts0 = 0, ts1, secs, r;
	double		 sum = 0, sumsq = 0;
	long		 i, n = 0, errs = 0, want;
	int		 k, started, failed;
	char		 why[80];

	want = (long)(gb.o_seconds * (gb.o_rate > 0 ? gb.o_rate : 50)) + 1;
	if (want > gb.o_count)
		want = gb.o_count;
	if ((cfb = calloc(want, sizeof(*cfb))) == NULL)
		err(1, NULL);
	gb_head();
	memset(x, 0, sizeof(x));
	memset(done0, 0, sizeof(done0));
	for (k = 0; k < gb.o_conc; k++) {
		x[k].x_up = up;
		x[k].x_bytes = UINT64_C(1) << 40;	/* until stopped */
		x[k].x_deadline = gb_now() + (gb.o_warm + gb.o_seconds + 30) *
		    1e6;
		if (pthread_create(&x[k].x_thr, NULL, gb_xfer_run, &x[k]))
			err(1, "pthread_create");
	}
	tdl = gb_now() + 10e6;
	for (;;) {
		started = failed = 0;
		for (k = 0; k < gb.o_conc; k++) {
			started += x[k].x_started;
			failed += x[k].x_err != NULL;
		}
		if (started == gb.o_conc || failed || gb_now() >= tdl)
			break;
		usleep(1000);
	}
	if (started == gb.o_conc && !failed) {
		usleep((useconds_t)(gb.o_warm * 1e6));
		ts0 = gb_now();
		for (k = 0; k < gb.o_conc; k++)
			done0[k] = x[k].x_done;
		tdl = ts0 + gb.o_seconds * 1e6;
		for (i = 0; i < want && gb_now() < tdl; i++) {
			for (k = 0; k < gb.o_conc && x[k].x_err == NULL; k++)
				;
			if (k < gb.o_conc)
				break;
			gb_pace(&next, gb.o_rate);
			if ((t = gb_connect_echo(gb.o_msgsize)) < 0)
				errs++;
			else
				cfb[n++] = t;
		}
	}
	ts1 = gb_now();
	gb_stop = 1;
	for (k = 0; k < gb.o_conc; k++)
		pthread_join(x[k].x_thr, NULL);
	secs = ts0 > 0 && ts1 > ts0 ? (ts1 - ts0) / 1e6 : 0;
	printf(",\"direction\":\"%s\",\"streams\":%d,\"errors\":%ld,"
	    "\"msg_bytes\":%d,\"sample_s\":%.2f,\"stream_mib_s\":[",
	    up ? "up" : "down", gb.o_conc, errs, gb.o_msgsize, secs);
	for (k = 0; k < gb.o_conc; k++) {
		r = secs > 0 ? (x[k].x_done - done0[k]) / 1048576.0 / secs : 0;
		sum += r;
		sumsq += r * r;
		printf("%s%.3f", k ? "," : "", r);
	}
	printf("],\"bulk_mib_s\":%.3f,\"fairness\":%.3f", sum,
	    sumsq > 0 ? sum * sum / (gb.o_conc * sumsq) : 0.0);
	gb_print_lat("cfb", cfb, n);
	failed = 0;
	for (k = 0; k < gb.o_conc; k++)
		if (x[k].x_err != NULL && !failed) {
			failed = 1;
			snprintf(why, sizeof(why), "bulk failed (%s)",
			    x[k].x_err);
		}
	if (ts0 == 0 && !failed)
		snprintf(why, sizeof(why), "bulk did not start in 10 s");
	gb_tail(n > 0 && ts0 > 0 && !failed, ts0 == 0 || failed ? why :
	    errs ? "some sessions failed" : NULL);
	free(cfb);
	return 0;
}

static void
gb_usage(void)
{
	fprintf(stderr,
"usage: grbench -s scenario [-S proxyhost:port] [-t target] -E echo\n"
"	[-U upload] [-D source] [-Q quick] [-n count] [-b bytes]\n"
"	[-T seconds] [-c streams] [-w window] [-m msgsize] [-p pid]...\n"
"	[-L label] [-N note] [-o timeout] [-r sessions/s] [-W warm-up s] [-z]\n"
"scenarios: echo_rtt connect_first_byte bulk_down bulk_up parallel_down\n"
"	sessions_per_sec idle_cpu idle_rss hol fb_down fb_up\n");
	exit(2);
}

static uint16_t
gb_port(const char *s)
{
	long	 v = strtol(s, NULL, 10);

	if (v <= 0 || v > 65535)
		errx(2, "bad port %s", s);
	return v;
}

int
main(int argc, char *argv[])
{
	struct gb_proxy	*px;
	char		*colon;
	int		 ch;

	gb.o_scenario = NULL;
	gb.o_label = "";
	snprintf(gb.o_target, sizeof(gb.o_target), "127.0.0.1");
	gb.o_count = 1000;
	gb.o_bytes = 256ULL << 20;
	gb.o_seconds = 30;
	gb.o_conc = 1;
	gb.o_window = 5;
	gb.o_timeout = 15;
	gb.o_msgsize = 64;
	gb.o_warm = 1;
	while ((ch = getopt(argc, argv,
	    "b:c:D:E:L:m:N:n:o:p:Q:r:S:s:T:t:U:W:w:z")) != -1) {
		switch (ch) {
		case 'W':
			gb.o_warm = atof(optarg);
			break;
		case 'z':
			gb.o_zeros = 1;
			break;
		case 'b':
			gb.o_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			gb.o_conc = atoi(optarg);
			if (gb.o_conc < 1 || gb.o_conc > GB_MAXTHREADS)
				errx(2, "streams 1..%d", GB_MAXTHREADS);
			break;
		case 'D':
			gb.o_source = gb_port(optarg);
			break;
		case 'E':
			gb.o_echo = gb_port(optarg);
			break;
		case 'N':
			/* Printed inside a JSON string as it is. */
			if (strpbrk(optarg, "\"\\") != NULL)
				gb_usage();
			gb.o_note = optarg;
			break;
		case 'L':
			gb.o_label = optarg;
			break;
		case 'm':
			gb.o_msgsize = atoi(optarg);
			if (gb.o_msgsize < 1)
				errx(2, "bad message size");
			break;
		case 'n':
			gb.o_count = atol(optarg);
			if (gb.o_count < 1)
				errx(2, "bad count");
			break;
		case 'o':
			gb.o_timeout = atoi(optarg);
			break;
		case 'p':
			if (gb.o_npids == GB_MAXPIDS)
				errx(2, "at most %d pids", GB_MAXPIDS);
			gb.o_pids[gb.o_npids++] = atoi(optarg);
			break;
		case 'Q':
			gb.o_quick = gb_port(optarg);
			break;
		case 'S':
			/* Repeatable: idle_* spread sessions over them all. */
			if (gb.o_nproxies == GB_MAXPROXIES)
				errx(2, "at most %d proxies", GB_MAXPROXIES);
			if ((colon = strrchr(optarg, ':')) == NULL)
				errx(2, "-S host:port");
			*colon = '\0';
			px = &gb.o_proxies[gb.o_nproxies++];
			snprintf(px->px_host, sizeof(px->px_host), "%s", optarg);
			px->px_port = gb_port(colon + 1);
			if (gb.o_nproxies == 1) {
				snprintf(gb.o_proxy, sizeof(gb.o_proxy), "%s",
				    optarg);
				gb.o_proxy_port = px->px_port;
			}
			break;
		case 'r':
			gb.o_rate = atof(optarg);
			break;
		case 's':
			gb.o_scenario = optarg;
			break;
		case 'T':
			gb.o_seconds = atof(optarg);
			break;
		case 't':
			snprintf(gb.o_target, sizeof(gb.o_target), "%s", optarg);
			break;
		case 'U':
			gb.o_upload = gb_port(optarg);
			break;
		case 'w':
			gb.o_window = atof(optarg);
			break;
		default:
			gb_usage();
		}
	}
	if (gb.o_scenario == NULL || gb.o_echo == 0)
		gb_usage();
	signal(SIGPIPE, SIG_IGN);
	gb_fill_src();

	if (strcmp(gb.o_scenario, "echo_rtt") == 0)
		return gb_echo_rtt();
	if (strcmp(gb.o_scenario, "connect_first_byte") == 0)
		return gb_connect_first_byte();
	if (strcmp(gb.o_scenario, "bulk_down") == 0 ||
	    strcmp(gb.o_scenario, "parallel_down") == 0) {
		if (gb.o_source == 0)
			errx(2, "-D source port needed");
		return gb_bulk(0);
	}
	if (strcmp(gb.o_scenario, "bulk_up") == 0) {
		if (gb.o_upload == 0)
			errx(2, "-U upload port needed");
		return gb_bulk(1);
	}
	if (strcmp(gb.o_scenario, "sessions_per_sec") == 0)
		return gb_sessions();
	if (strcmp(gb.o_scenario, "idle_rss") == 0)
		return gb_idle_rss();
	if (strcmp(gb.o_scenario, "idle_cpu") == 0)
		return gb_idle_cpu();
	if (strcmp(gb.o_scenario, "fb_down") == 0 ||
	    strcmp(gb.o_scenario, "fb_up") == 0) {
		if (gb.o_source == 0 || gb.o_upload == 0)
			errx(2, "-D source and -U upload ports needed");
		return gb_fb(gb.o_scenario[3] == 'u');
	}
	if (strcmp(gb.o_scenario, "hol") == 0) {
		if (gb.o_source == 0)
			errx(2, "-D source port needed");
		return gb_hol();
	}
	gb_usage();
	return 2;
}
