/*
 * Receive flow control of the carrier (issue 18): how much that the apps
 * have not read yet may pile up here.  direct_post had none: a SOCKS
 * client reading slower than the tunnel (curl --limit-rate 20M) had its
 * session reset with "rx_overflow" once 64 MiB waited for it.
 *
 * With an exit that lists rx_window_v1 (ours), per session: the probe
 * gives the exit the window each session starts with (CARRIER_RX_WINDOW,
 * in stream bytes) and a GWIN frame moves a session's limit on as its
 * app reads, so the exit stops draining that session, and only that
 * one: a slow or stopped reader holds at most a window here while the
 * other sessions go on at full speed, over POST as over the stream.
 * While more than CARRIER_RX_BUDGET waits in all, limits grow by
 * CARRIER_RX_WINMIN at a time.
 *
 * Without it (GooseRelayVPN exits), per transport, as the stream did
 * before: over CARRIER_RX_PAUSE in all, the stream is not read and the
 * POST loop starts no exchange (each answer may bring max_response_bytes
 * more) until half of that went to the apps; every session waits then.
 * With windows this stays as a memory backstop (CARRIER_RX_PAUSE_WIN).
 */
#include "gr_config.h"

#include "carrier.h"
#include "log.h"
#include "transport.h"

static int	 rxwin_held;		/* POST: no new exchange */

/* GWIN payloads go where GACKs do (tunnel_batch tb_gack). */
_Static_assert(WIRE_GWIN_LEN == WIRE_GACK_LEN, "GWIN and GACK sizes");

/* Per-session windows with this exit? */
static int
rxwin_on(const struct carrier *car)
{
	return ((car->c_features & WIRE_FEAT_RX_WINDOW) != 0);
}

/* Queued RX in all above which the transports stop taking more. */
size_t
rxwin_pause_mark(const struct carrier *car)
{
	return (rxwin_on(car) ? CARRIER_RX_PAUSE_WIN : CARRIER_RX_PAUSE);
}

/* A new session: the exit gives it the probe's window. */
void
rxwin_open(struct lconn *lc)
{
	lc->lc_win = lc->lc_win_sent = CARRIER_RX_WINDOW;
	lc->lc_rxb = 0;
}

/* Keep c_rxq (RX queued for all apps) right after lc's queue changed. */
void
rxwin_account(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	size_t		 q = 0;

	if (lc->lc_sess != NULL && !(lc->lc_flags & LCF_CLOSED) &&
	    !(lc->lc_sess->s_flags & SESS_ABORTED))
		q = sess_rx_queued(lc->lc_sess);
	car->c_rxq += q;
	car->c_rxq -= lc->lc_rxb;
	lc->lc_rxb = q;
}

/*
 * The app read some of lc's bytes: the window moves on once a quarter of
 * it (or of CARRIER_RX_WINMIN under budget pressure) was read, in a GWIN
 * that rides with the next batch's ACKs.
 */
void
rxwin_consumed(struct lconn *lc)
{
	struct carrier	*car = lc->lc_car;
	struct sess	*s = lc->lc_sess;
	uint64_t	 read, want, w;

	if (!rxwin_on(car) || s == NULL ||
	    (s->s_flags & (SESS_ABORTED | SESS_RX_FIN)))
		return;
	read = s->s_bytes_in - sess_rx_queued(s);
	w = car->c_rxq < CARRIER_RX_BUDGET ? CARRIER_RX_WINDOW :
	    CARRIER_RX_WINMIN;
	want = read + w;
	if (want < lc->lc_win + w / 4)
		return;
	lc->lc_win = want;
	if (!(lc->lc_flags & LCF_ACKQ)) {
		lc->lc_flags |= LCF_ACKQ;
		TAILQ_INSERT_TAIL(&car->c_ackq, lc, lc_ackq);
	}
	tunnel_kick(car);
}

/*
 * The exit just listed rx_window_v1.  Sessions opened before it read our
 * probe (a SYN in a POST that overtook the probe's) have no window there:
 * send each its limit.
 */
void
rxwin_negotiated(struct carrier *car)
{
	struct lconn	*lc;
	int		 n = 0;

	TAILQ_FOREACH(lc, &car->c_conns, lc_all) {
		if (lc->lc_sess == NULL || (lc->lc_flags & LCF_CLOSED))
			continue;
		rxwin_resend(lc);
		if (!(lc->lc_flags & LCF_ACKQ)) {
			lc->lc_flags |= LCF_ACKQ;
			TAILQ_INSERT_TAIL(&car->c_ackq, lc, lc_ackq);
		}
		n++;
	}
	if (n > 0)
		tunnel_kick(car);
}

/* A GWIN for lc is due: its payload into out (tunnel_fill). */
int
rxwin_frame(struct lconn *lc, uint8_t out[WIRE_GWIN_LEN])
{
	if (!rxwin_on(lc->lc_car) || lc->lc_win <= lc->lc_win_sent)
		return (0);
	wire_gwin_encode(out, lc->lc_win);
	lc->lc_win_sent = lc->lc_win;
	return (1);
}

/* The batch with lc's GWIN was lost: send the limit again. */
void
rxwin_resend(struct lconn *lc)
{
	lc->lc_win_sent = 0;
}

/*
 * POST: may an exchange start?  Not while too much waits for the apps
 * (hysteresis: again below half the mark).
 */
int
rxwin_post_hold(struct carrier *car)
{
	size_t	 mark = rxwin_pause_mark(car);

	if (!rxwin_held && car->c_rxq >= mark) {
		rxwin_held = 1;
		log_debug("%zu bytes wait for local apps: POST paused",
		    car->c_rxq);
	} else if (rxwin_held && car->c_rxq < mark / 2)
		rxwin_held = 0;
	return (rxwin_held);
}

/* Local sockets took RX bytes: the transports may take more. */
void
rxwin_drained(struct carrier *car)
{
	transport_drained(car);		/* the stream reads again */
	if (rxwin_held && !rxwin_post_hold(car))
		transport_wake(car);	/* POST pollers held by the window */
}
