/*
 * direct_stream: what one connection does whichever side frames it (lws
 * in stream.c, the carrier itself in stream_raw.c): downstream ACKs held
 * like TCP's delayed ACK, reading paused while local apps lag, the exit
 * proven by its first answer (which ends a URL's back-off), the ping
 * round trip.
 */
#include "gr_config.h"

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "stream_int.h"

#define STREAM_BACKOFF_MAX	30.0
#define STREAM_ACK_BYTES	(256U * 1024)	/* ... unless this came */
#define STREAM_ACK_FRAMES	16		/* ... or this many frames */

/* A URL's failure state; its back-off ladder starts at the knob. */
struct epfail *
stream_conn_ef(struct stream *st, struct stream_url *su)
{
	char	 label[sizeof(su->su_label) + 16];

	if (su->su_ef.ef_label[0] == '\0') {
		snprintf(label, sizeof(label), "stream: %s", su->su_label);
		epfail_init(&su->su_ef, label, 0, STREAM_BACKOFF_MAX);
	}
	epfail_ladder(&su->su_ef,
	    st->st_car->c_conf.cc_stream_reconnect_backoff_ms / 1000.0,
	    STREAM_BACKOFF_MAX);
	return (&su->su_ef);
}

/*
 * The connection works: the next drop starts the backoff over.  A stream
 * that is accepted but closed at once (a hello the exit rejects: wrong
 * tunnel_key) keeps backing off instead of reconnecting every second.
 */
void
stream_conn_backoff_reset(struct stream *st)
{
	struct stream_url	*su = st->st_cur;

	st->st_proven = 1;
	st->st_fails = 0;
	st->st_backoff = st->st_car->c_conf.cc_stream_reconnect_backoff_ms /
	    1000.0;
	if (su != NULL) {
		/* Says it once if it failed before (epfail.c). */
		epfail_ok(stream_conn_ef(st, su), ev_now(st->st_car->c_loop),
		    0);
		su->su_checked = 0;
		su->su_verdict[0] = '\0';
	}
}

/* The exit answered on this connection (its first message). */
void
stream_conn_proven(struct stream *st)
{
	if (st->st_proven)
		return;
	stream_conn_backoff_reset(st);
	/* Is this the exit that had our sessions?  RSTs will say. */
	liveness_transport_ok(st->st_car, 1);
}

/*
 * Downstream ACKs alone do not make a message at once: like TCP's delayed
 * ACK they ride on the next batch with data (a request/response exchange
 * then costs one message each way instead of two), or go when
 * STREAM_ACK_BYTES arrived unacknowledged or STREAM_ACK_DELAY passed,
 * far inside the exit's 3 s replay timer and its replay memory caps.
 * 1: hold them now (the timer is armed).
 */
int
stream_conn_ack_hold(struct stream *st)
{
	struct carrier	*car = st->st_car;

	if (!st->st_hello_sent || st->st_ack_now || car->c_stopping ||
	    car->c_nrst > 0 || !TAILQ_EMPTY(&car->c_readyq) ||
	    TAILQ_EMPTY(&car->c_ackq) || st->st_rx_unacked >= STREAM_ACK_BYTES ||
	    st->st_rx_unframes >= STREAM_ACK_FRAMES)
		return (0);
	if (!ev_is_active(&st->st_ackt)) {
		ev_timer_set(&st->st_ackt, STREAM_ACK_DELAY, 0);
		ev_timer_start(car->c_loop, &st->st_ackt);
	}
	return (1);
}

/*
 * What a received batch brought, for the ACK decision: payload bytes
 * after decompression (a compressed message can carry megabytes in a few
 * hundred bytes) and frames (the exit's replay store holds at most 144
 * per session and stops draining a session at its caps).
 */
void
stream_conn_rx_count(struct stream *st)
{
	const struct wire_batch	*b = &st->st_car->c_rxb;
	size_t			 i;

	for (i = 0; i < b->b_nframes; i++)
		st->st_rx_unacked += b->b_frames[i].f_len;
	st->st_rx_unframes += b->b_nframes;
}

/*
 * A batch went out with the ACKs that were due (those that did not fit
 * are sent next without waiting).
 */
void
stream_conn_ack_sent(struct stream *st)
{
	st->st_rx_unacked = 0;
	st->st_rx_unframes = 0;
	st->st_ack_now = !TAILQ_EMPTY(&st->st_car->c_ackq);
	if (!st->st_ack_now)
		ev_timer_stop(st->st_car->c_loop, &st->st_ackt);
}

/*
 * Stop reading the stream while too much waits for the local apps, and
 * read again below half of it (rxwin.c: a backstop when the exit keeps
 * to per-session windows, the only flow control with other exits).
 */
void
stream_conn_rx_flow(struct stream *st, struct lws *wsi)
{
	struct carrier	*car = st->st_car;
	size_t		 q = car->c_rxq, mark = rxwin_pause_mark(car);

	if (q >= mark && !st->st_rx_paused) {
		st->st_rx_paused = 1;
		if (st->st_raw)
			ev_io_stop(car->c_loop, &st->st_rawio);
		else
			lws_rx_flow_control(wsi, 0);
	} else if (q < mark / 2 && st->st_rx_paused) {
		st->st_rx_paused = 0;
		if (st->st_raw && !st->st_kill)
			ev_io_start(car->c_loop, &st->st_rawio);
		else
			lws_rx_flow_control(wsi, 1);
	}
}

/*
 * A pong came back: the ping round trip is the endpoint RTT of the stream
 * (stats row, EWMA 1/8 as health.c does for POST endpoints).
 */
void
stream_conn_pong_rtt(struct stream *st)
{
	struct carrier	*car = st->st_car;
	double		 rtt;

	if (st->st_ping_at <= 0 || st->st_cur == NULL)
		return;
	rtt = ev_now(car->c_loop) - st->st_ping_at;
	st->st_ping_at = 0;
	if (rtt < 0)
		return;
	cstats_rtt((uint64_t)(rtt * 1e6));
	st->st_cur->su_rtt = st->st_cur->su_rtt <= 0 ? rtt :
	    st->st_cur->su_rtt + (rtt - st->st_cur->su_rtt) / 8;
}
