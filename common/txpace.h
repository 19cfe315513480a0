/*
 * Sizing what a worker writes into one tunnel socket by time on the wire
 * (issue 12), shared by the carrier's stream and the exit's /stream.
 *
 * One multiplexed connection carries every session: whatever sits in the
 * kernel's send queue, or in a message being written, is ahead of a new
 * session's first bytes.  So the writer keeps both short in time: it
 * estimates the path's delivery rate from TCP_INFO, keeps the kernel's
 * unsent bytes under TCP_NOTSENT_LOWAT = a few ms of that rate (socket
 * writability then means "the kernel wants more"), builds each message
 * from what is ready at that moment, sized to a few ms as well, and lets
 * messages grow back to their byte caps when the path is fast (loopback).
 *
 * No timers and no I/O beyond getsockopt/setsockopt on the socket: the
 * caller asks txpace_room() before it builds a message, and arms its
 * write watcher when the answer is no; txpace_writable() when it fires.
 * Where TCP_INFO is missing (not Linux) every call says "room" and the
 * budget is the byte cap: the old behaviour.
 */
#ifndef GR_TXPACE_H
#define GR_TXPACE_H

#include <stddef.h>
#include <stdint.h>

#define TXPACE_MSG_TIME		0.002	/* a message: this long on the wire */
#define TXPACE_QUEUE_TIME	0.002	/* unsent kernel queue (lowat) */
#define TXPACE_MSG_MIN		(4U * 1024)
#define TXPACE_LOWAT_MIN	(8U * 1024)
/*
 * On a fast path (loopback, a LAN) the delivery rate is the kernel's
 * copy, several GB/s, while the receiving worker's CPU is the bottleneck
 * and what it has not read yet waits in its receive buffer, where no
 * estimate sees it: the unsent queue is at most 2 ms at 2 Gbit/s, which
 * still keeps a 10 Gbit/s path busy between loop passes (4 MiB before:
 * a new session's first byte waited behind it, docs/performance.md).
 */
#define TXPACE_LOWAT_MAX	(512U * 1024)
#define TXPACE_WINDOW		1.0	/* s: rate = max of recent samples */
#define TXPACE_SAMPLE		0.005	/* s between TCP_INFO reads */

struct txpace {
	int		 tp_fd;
	int		 tp_on;		/* TCP_INFO works on this socket */
	size_t		 tp_msgmax;	/* byte cap of one message */
	double		 tp_rate;	/* estimate, bytes/s; 0 = none yet */
	double		 tp_wmax[2];	/* windowed max: this half, last */
	double		 tp_sumb[2];	/* exchanges: bytes, this half, last */
	double		 tp_sumt[2];	/* ... and busy seconds */
	double		 tp_win_at;	/* this half-window began */
	double		 tp_info_at;	/* last TCP_INFO read */
	uint32_t	 tp_lowat;	/* TCP_NOTSENT_LOWAT in force */
	double		 tp_unsent;	/* model of the kernel's unsent bytes */
	double		 tp_unsent_at;
	int		 tp_full;	/* the last message used its budget */
	/* For stats and tests: the last TCP_INFO values. */
	uint32_t	 tp_notsent;
	uint32_t	 tp_rtt_us;
	uint32_t	 tp_minrtt_us;
	uint64_t	 tp_samples;
	uint64_t	 tp_waits;	/* room said no */
};

void	txpace_init(struct txpace *, int fd, size_t msgmax, double now);
/* Bytes the next message may carry. */
size_t	txpace_budget(struct txpace *, double now);
/* 1: build and write a message now; 0: wait for the socket (EV_WRITE). */
int	txpace_room(struct txpace *, double now);
/* A message (or part of one) of n bytes went to the kernel. */
void	txpace_sent(struct txpace *, size_t n, double now);
/* The write watcher fired: the kernel's unsent bytes are under lowat. */
void	txpace_writable(struct txpace *, double now);
/*
 * Exchanges (POST requests and responses): one estimate fed by several
 * connections (the POSTs of one client), no low-water mark of its own.
 * A sample is what one connection delivered while it had data in flight
 * (tcpi_bytes_acked over tcpi_busy_time since its last exchange; the
 * caller keeps a struct txpace_conn per connection); the estimate is the
 * sum of bytes over the sum of busy time of the last TXPACE_WINDOW, so a
 * burst through a token bucket does not inflate it.  With k exchanges
 * in flight it is the share of one; the budget of the next covers that
 * share for secs, or the connection's round trip if longer, and at least
 * floor bytes (every exchange costs headers and a partial segment or two
 * each way, a few hundred bytes: the floor keeps that to a few percent
 * on a slow link).
 */
struct txpace_conn {
	uint64_t	 tc_acked;
	uint64_t	 tc_busy;	/* us */
	int		 tc_ok;
};
void	txpace_init_rate(struct txpace *, size_t msgmax, double now);
void	txpace_exchange(struct txpace *, struct txpace_conn *, int fd,
	    double now);
size_t	txpace_budget_rtt(struct txpace *, double secs, size_t floor,
	    double now);
/*
 * Estimator steps (also for unit tests): one delivery-rate sample
 * (app-limited ones do not count), and a probe upwards when our own
 * budget was the limit (cap: ceiling in bytes/s, 0 none).
 */
void	txpace_sample(struct txpace *, double rate, int app_limited,
	    uint32_t notsent, double now);
void	txpace_probe(struct txpace *, double cap, double now);

#endif /* GR_TXPACE_H */
