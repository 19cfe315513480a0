/*
 * Time-sized writes on one tunnel socket (txpace.h).
 *
 * Rate: tcpi_delivery_rate, the kernel's per-ACK estimate of what the
 * path delivers.  The estimate is the largest sample of the last
 * TXPACE_WINDOW (two half-windows, as BBR's max filter), so it follows a
 * path that slows down within a second.  Samples taken while the sender
 * had nothing to send (app-limited) do not count: a few bytes acked
 * within a round trip of an empty path "deliver" at hundreds of MB/s
 * (measured: a 312-byte reply over the 20 Mbit/s shaped link sized the
 * next POST response to 2.4 MB).  When we ran the kernel's queue dry
 * while writing full messages (our own budget was the limit, every
 * sample app-limited), the estimate grows by a quarter per sample, up to
 * what cwnd/RTT and the pacing rate allow (txpace_probe).
 *
 * Unsent bytes: the kernel's tcpi_notsent_bytes when last read, plus what
 * was written since.  That can only overstate the queue, so "room" needs
 * no system call until it reaches the low-water mark; then TCP_INFO says.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <string.h>

#ifdef __linux__
#include <linux/tcp.h>
#define TXPACE_LINUX	1
#endif

#include "txpace.h"

static double
txpace_clamp(double v, double lo, double hi)
{
	return (v < lo ? lo : v > hi ? hi : v);
}

/* TCP_NOTSENT_LOWAT follows the estimate (a change of a quarter or more). */
static void
txpace_set_lowat(struct txpace *tp)
{
#ifdef TXPACE_LINUX
	uint32_t	 want;

	want = (uint32_t)txpace_clamp(tp->tp_rate * TXPACE_QUEUE_TIME,
	    TXPACE_LOWAT_MIN, TXPACE_LOWAT_MAX);
	if (tp->tp_lowat != 0 && want < tp->tp_lowat + tp->tp_lowat / 4 &&
	    want > tp->tp_lowat - tp->tp_lowat / 4)
		return;
	if (setsockopt(tp->tp_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &want,
	    sizeof(want)) == 0)
		tp->tp_lowat = want;
	else
		tp->tp_on = 0;
#endif
}

void
txpace_init(struct txpace *tp, int fd, size_t msgmax, double now)
{
	memset(tp, 0, sizeof(*tp));
	tp->tp_fd = fd;
	tp->tp_msgmax = msgmax;
	tp->tp_win_at = now;
	tp->tp_unsent_at = now;
#ifdef TXPACE_LINUX
	tp->tp_on = 1;
	txpace_set_lowat(tp);
#endif
}

void
txpace_sample(struct txpace *tp, double rate, int app_limited,
    uint32_t notsent, double now)
{
	if (now - tp->tp_win_at >= TXPACE_WINDOW / 2) {
		tp->tp_wmax[1] = now - tp->tp_win_at >= TXPACE_WINDOW ?
		    0 : tp->tp_wmax[0];
		tp->tp_wmax[0] = 0;
		tp->tp_win_at = now;
	}
	tp->tp_samples++;
	tp->tp_notsent = notsent;
	if (rate > 0 && !app_limited && rate > tp->tp_wmax[0])
		tp->tp_wmax[0] = rate;
	if (tp->tp_wmax[0] > 0 || tp->tp_wmax[1] > 0)
		tp->tp_rate = tp->tp_wmax[0] > tp->tp_wmax[1] ?
		    tp->tp_wmax[0] : tp->tp_wmax[1];
	/* An idle socket keeps its last estimate. */
}

/*
 * Our own budget held the sender back (full messages, and the kernel
 * found nothing to send): the path may carry more than the estimate says,
 * so it grows by a quarter, up to cap (what cwnd/RTT and the pacing rate
 * allow; 0: none known).  Samples taken while the queue runs dry are
 * app-limited and do not count, which is why the estimate has to be
 * pushed: it stops growing once samples with a queue behind them exist.
 */
void
txpace_probe(struct txpace *tp, double cap, double now)
{
	double	 grown;

	grown = tp->tp_rate > TXPACE_MSG_MIN / TXPACE_MSG_TIME ?
	    tp->tp_rate : TXPACE_MSG_MIN / TXPACE_MSG_TIME;
	grown *= 1.25;
	if (cap > 0 && grown > cap)
		grown = cap;
	txpace_sample(tp, 0, 1, tp->tp_notsent, now);	/* age the window */
	if (grown > tp->tp_wmax[0])
		tp->tp_wmax[0] = grown;
	if (grown > tp->tp_rate)
		tp->tp_rate = grown;
}

#ifdef TXPACE_LINUX
/* What cwnd/RTT and the pacing rate allow, bytes/s (a probe's ceiling). */
static double
txpace_cap(const struct tcp_info *ti)
{
	double	 cap, w;

	cap = (double)ti->tcpi_pacing_rate;
	if (ti->tcpi_rtt > 0) {
		w = (double)ti->tcpi_snd_cwnd * ti->tcpi_snd_mss * 1e6 /
		    ti->tcpi_rtt;
		if (w > cap)
			cap = w;
	}
	return (cap);
}

/* TCP_INFO of fd, or -1. */
static int
txpace_getinfo(int fd, struct tcp_info *ti)
{
	socklen_t	 len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) == -1 ||
	    len < offsetof(struct tcp_info, tcpi_delivery_rate) +
	    sizeof(ti->tcpi_delivery_rate))
		return (-1);
	return (0);
}

/*
 * Read TCP_INFO.  hungry: the caller has a message to write, so a queue
 * found empty after full messages means our own budget held the sender
 * back.
 */
static void
txpace_info(struct txpace *tp, double now, int hungry)
{
	struct tcp_info	 ti;

	if (txpace_getinfo(tp->tp_fd, &ti) == -1) {
		tp->tp_on = 0;
		return;
	}
	tp->tp_info_at = now;
	tp->tp_rtt_us = ti.tcpi_rtt;
	tp->tp_minrtt_us = ti.tcpi_min_rtt;
	tp->tp_unsent = ti.tcpi_notsent_bytes;
	tp->tp_unsent_at = now;
	txpace_sample(tp, (double)ti.tcpi_delivery_rate,
	    ti.tcpi_delivery_rate_app_limited, ti.tcpi_notsent_bytes, now);
	if (hungry && tp->tp_full && ti.tcpi_delivery_rate_app_limited &&
	    ti.tcpi_notsent_bytes == 0)
		txpace_probe(tp, txpace_cap(&ti), now);
	txpace_set_lowat(tp);
}
#endif

size_t
txpace_budget(struct txpace *tp, double now)
{
	double	 b;

	if (!tp->tp_on)
		return (tp->tp_msgmax);
	b = tp->tp_rate * TXPACE_MSG_TIME;
	return ((size_t)txpace_clamp(b, TXPACE_MSG_MIN < tp->tp_msgmax ?
	    TXPACE_MSG_MIN : tp->tp_msgmax, tp->tp_msgmax));
}

int
txpace_room(struct txpace *tp, double now)
{
#ifdef TXPACE_LINUX
	if (!tp->tp_on)
		return (1);
	if (tp->tp_unsent < tp->tp_lowat &&
	    now - tp->tp_info_at < TXPACE_SAMPLE)
		return (1);
	txpace_info(tp, now, 1);
	if (!tp->tp_on || tp->tp_unsent < tp->tp_lowat)
		return (1);
	tp->tp_waits++;
	return (0);
#else
	return (1);
#endif
}

void
txpace_sent(struct txpace *tp, size_t n, double now)
{
	tp->tp_unsent += n;
	/* Full messages: our budget, not the sessions, set the pace. */
	tp->tp_full = n * 2 >= txpace_budget(tp, now);
}

void
txpace_writable(struct txpace *tp, double now)
{
#ifdef TXPACE_LINUX
	if (tp->tp_on)
		txpace_info(tp, now, 1);
#endif
}

void
txpace_init_rate(struct txpace *tp, size_t msgmax, double now)
{
	memset(tp, 0, sizeof(*tp));
	tp->tp_fd = -1;
	tp->tp_msgmax = msgmax;
	tp->tp_win_at = now;
#ifdef TXPACE_LINUX
	tp->tp_on = 1;
#endif
}

/*
 * An exchange on fd finished (its answer is in): fold what the
 * connection delivered while busy since the last one into the estimate.
 * A new connection (or a counter that went back) starts over.
 */
void
txpace_exchange(struct txpace *tp, struct txpace_conn *tc, int fd,
    double now)
{
#ifdef TXPACE_LINUX
	struct tcp_info	 ti;
	double		 b, t;

	if (!tp->tp_on || fd < 0 || txpace_getinfo(fd, &ti) == -1)
		return;
	tp->tp_rtt_us = ti.tcpi_rtt;
	tp->tp_minrtt_us = ti.tcpi_min_rtt;
	if (tc->tc_ok && ti.tcpi_bytes_acked >= tc->tc_acked &&
	    ti.tcpi_busy_time > tc->tc_busy) {
		b = (double)(ti.tcpi_bytes_acked - tc->tc_acked);
		t = (double)(ti.tcpi_busy_time - tc->tc_busy) / 1e6;
		if (now - tp->tp_win_at >= TXPACE_WINDOW / 2) {
			tp->tp_sumb[1] = now - tp->tp_win_at >= TXPACE_WINDOW ?
			    0 : tp->tp_sumb[0];
			tp->tp_sumt[1] = now - tp->tp_win_at >= TXPACE_WINDOW ?
			    0 : tp->tp_sumt[0];
			tp->tp_sumb[0] = tp->tp_sumt[0] = 0;
			tp->tp_win_at = now;
		}
		tp->tp_sumb[0] += b;
		tp->tp_sumt[0] += t;
		tp->tp_samples++;
		tp->tp_rate = (tp->tp_sumb[0] + tp->tp_sumb[1]) /
		    (tp->tp_sumt[0] + tp->tp_sumt[1]);
	}
	tc->tc_acked = ti.tcpi_bytes_acked;
	tc->tc_busy = ti.tcpi_busy_time;
	tc->tc_ok = 1;
#endif
}

size_t
txpace_budget_rtt(struct txpace *tp, double secs, size_t floor, double now)
{
	double	 t, b;

	/*
	 * No exchange measured yet (every connection so far carried one;
	 * a client without keep-alive never gives a sample): the byte cap,
	 * as before pacing.
	 */
	if (!tp->tp_on || tp->tp_rate <= 0)
		return (tp->tp_msgmax);
	t = tp->tp_minrtt_us / 1e6;
	b = tp->tp_rate * (t > secs ? t : secs);
	return ((size_t)txpace_clamp(b, floor < tp->tp_msgmax ? floor :
	    tp->tp_msgmax, tp->tp_msgmax));
}
