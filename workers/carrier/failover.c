/*
 * Dead exit hosts (issue 16).  A host that dies without a word (power,
 * a cut link, a firewall that drops: no RST, no FIN) was noticed only by
 * the stream's next ping (stream_ping_interval_ms, 20 s) and its pong
 * deadline (5 s); a POST to it waited for poll_timeout_ms.  Sessions
 * waited all that time, and with several URLs new sessions did too.
 *
 *  - Tunnel sockets get TCP_USER_TIMEOUT = dead_host_timeout_ms
 *    (httpc_dead_host_opts()): bytes the host does not acknowledge for
 *    that long end the connection with ETIMEDOUT, connect() included
 *    (Linux applies it to SYN_SENT).  A live host acknowledges in its
 *    kernel however busy its process is, and a zero window that the
 *    peer keeps answering does not count (Linux 5.11 and later), so only
 *    a silent host trips it.  POST connections also get keepalive (idle
 *    dead_host_timeout_ms, probes 1 s apart): a long poll held by a host
 *    that dies has nothing in flight.
 *  - The stream has pings instead: while sessions wait on the exit (a SYN
 *    not answered yet, bytes not yet confirmed, or data that came a
 *    moment ago and stopped) and nothing arrived for FAILOVER_QUIET, a
 *    ping goes at once (at most one a FAILOVER_PROBE_EVERY), which gives
 *    the kernel something to time out.  An idle carrier sends nothing
 *    more than before.
 *  - With several direct_stream_urls a connection that drops moves to
 *    the next URL at once, and the backoff applies once per round of
 *    URLs (failover_stream_now(), asked by stream.c's schedule); the POST
 *    loop keeps all requests on one relay and moves on when it fails
 *    (post.c, post_direct_pick()).
 *
 * Sessions that lived on the dead exit end with an RST from the next one
 * (liveness.c checks them there; data for a session an exit does not
 * know is answered with an RST) or, where no exit answers, by the stall
 * timeout.  Nothing here runs on the data path: one timer, armed while
 * there are connections.
 */
#include "gr_config.h"

#include "carrier.h"
#include "httpc.h"
#include "log.h"
#include "transport.h"

#define FAILOVER_TICK		0.25	/* s between looks */
#define FAILOVER_QUIET		0.75	/* s of silence before a probe */
#define FAILOVER_RECENT		10.0	/* data this recent: still waiting */
#define FAILOVER_PROBE_EVERY	1.0	/* s between probe pings */

static ev_timer		 failover_timer;	/* zeroed: stop is safe */
static uint64_t		 failover_rx_n;		/* batches in, last look */
static double		 failover_rx_at;	/* ... when they last grew */
static double		 failover_probe_at;
static uint64_t		 failover_probes;

/* Does some session wait on the exit now? */
static int
failover_waiting(struct carrier *car, double now)
{
	struct lconn	*lc;
	struct sess	*s;

	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if ((s = lc->lc_sess) == NULL ||
		    (s->s_flags & SESS_ABORTED) || (lc->lc_flags & LCF_CLOSED))
			continue;
		/* A SYN the exit has not answered. */
		if ((s->s_flags & SESS_TX_SYN_SENT) &&
		    !(lc->lc_flags & LCF_SYNOK))
			return (1);
		/* Bytes for the exit, queued or not yet confirmed. */
		if (sess_tx_buffered(s) > 0)
			return (1);
		/* Data was coming and stopped (a download, a reply). */
		if (!(s->s_flags & SESS_RX_FIN) &&
		    now - failover_rx_at < FAILOVER_RECENT)
			return (1);
	}
	return (0);
}

static void
failover_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct carrier	*car = w->data;
	double		 now = ev_now(loop);

	if (car->c_st_batches_in != failover_rx_n) {
		failover_rx_n = car->c_st_batches_in;
		failover_rx_at = now;
		return;
	}
	if (car->c_conf.cc_dead_host_timeout_ms == 0 || car->c_stopping ||
	    TAILQ_EMPTY(&car->c_conns) || !transport_up(car, TR_STREAM) ||
	    now - failover_rx_at < FAILOVER_QUIET ||
	    now - failover_probe_at < FAILOVER_PROBE_EVERY)
		return;
	if (!failover_waiting(car, now))
		return;
	if (transport_probe(car, TR_STREAM)) {
		failover_probe_at = now;
		failover_probes++;
	}
}

/* At every configuration (carrier.c), like liveness_configure(). */
void
failover_configure(struct carrier *car)
{
	if (ev_is_active(&failover_timer))
		return;
	ev_timer_init(&failover_timer, failover_tick_cb, FAILOVER_TICK,
	    FAILOVER_TICK);
	failover_timer.data = car;
	ev_timer_start(car->c_loop, &failover_timer);
}

/* A stream socket, connecting or connected: the host's deadline. */
void
failover_stream_sock(struct carrier *car, int fd)
{
	if (fd >= 0)
		httpc_dead_host_opts(fd, car->c_conf.cc_dead_host_timeout_ms,
		    0);
}

/*
 * Should the next stream attempt go at once?  fails: attempts failed in
 * a row (0: a connection that worked dropped).  With several URLs, the
 * next one is another host: it is tried without waiting, and the backoff
 * applies once per round through the list.
 */
int
failover_stream_now(struct carrier *car, unsigned int fails, size_t nurls)
{
	if (nurls < 2 || car->c_conf.cc_dead_host_timeout_ms == 0)
		return (0);
	return (fails == 0 || fails % nurls != 0);
}

/* Probe pings sent (gooserelayctl stats). */
uint64_t
failover_probe_count(void)
{
	return (failover_probes);
}
