/*
 * direct_stream on ws://: once lws has done the handshake, the carrier
 * frames the connection itself both ways (wsframe.c).  lws 4.1's client
 * parser runs every received byte through its state machine, and its
 * write path costs an epoll_ctl pair per message (POLLOUT on, WRITEABLE,
 * POLLOUT off), a read() of /dev/urandom per frame for the mask key and
 * a copy.  Raw writes go out from an ev_prepare at the end of the loop
 * iteration that made data ready (so one iteration's sessions share a
 * batch), straight with send(); a write watcher is armed only while the
 * socket refuses bytes.  Mask keys come from a RAND_bytes pool.  lws
 * still closes the connection.  What goes on the wire is sized by time
 * (common/txpace.c, issue 12): the kernel's unsent queue is kept to a few
 * ms of the path's delivery rate (TCP_NOTSENT_LOWAT) and each batch to a
 * few ms as well, so a new session's SYN waits behind milliseconds of an
 * upload, not megabytes; on a fast path batches grow to
 * CARRIER_STREAM_BUDGET.
 *
 * stream.c owns the connection (lws dials, upgrades and closes it) and
 * hands it here from CLIENT_ESTABLISHED (stream_raw_start()); what a
 * message brings goes to the tunnel as on the lws path.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "stream_int.h"

#define STREAM_RAW_READ		(256 * 1024)
#define STREAM_RAW_READS	1		/* reads per readable event */
#define STREAM_RAW_DIRECT	(16 * 1024)	/* payload read in place */
#define STREAM_RAW_BATCHES	4		/* raw sends per loop pass */

/* The connection must go: lws closes it from the next WRITEABLE. */
static void
stream_raw_fail(struct stream *st, const char *why)
{
	struct carrier	*car = st->st_car;

	/* stream_end() says it: as "lost", or as a failure (epfail.c). */
	if (!st->st_kill)
		log_debug("stream: %s", why);
	if (st->st_why[0] == '\0')
		snprintf(st->st_why, sizeof(st->st_why), "%s", why);
	stream_raw_quiet(st);
	st->st_kill = 1;
	if (st->st_wsi == NULL) {
		st->st_end(st, why);
		return;
	}
	lws_callback_on_writable(st->st_wsi);
	if (!ev_is_active(&st->st_killdl)) {
		ev_timer_set(&st->st_killdl, STREAM_KILL_GRACE, 0);
		ev_timer_start(car->c_loop, &st->st_killdl);
	}
}

/* A data message is complete in st_rx: hand it to the tunnel. */
static void
stream_raw_message(struct stream *st)
{
	struct carrier	*car = st->st_car;

	lws_validity_confirmed(st->st_wsi);
	if (tunnel_rx_body(car, st->st_rx.wb_data, st->st_rx.wb_len, 0) == 0) {
		stream_conn_rx_count(st);
		stream_conn_proven(st);
	}
	wbuf_reset(&st->st_rx);
	if (st->st_wsi != NULL)
		stream_conn_rx_flow(st, st->st_wsi);
}

/* Received bytes through the frame parser.  -1: the connection must go. */
static int
stream_raw_parse(struct stream *st, const uint8_t *p, size_t n)
{
	struct carrier		*car = st->st_car;
	struct wsframe_piece	 pc;
	size_t			 used;
	int			 ev;

	while (n > 0) {
		ev = wsframe_parse(&st->st_wf, p, n, &used, &pc);
		p += used;
		n -= used;
		switch (ev) {
		case WSFRAME_ERR:
			log_warnx("stream: bad frame from exit: %s",
			    st->st_wf.wf_err);
			return (-1);
		case WSFRAME_NEED:
			break;
		case WSFRAME_DATA:
			if (pc.wp_len > 0 && wbuf_append(&st->st_rx,
			    pc.wp_data, pc.wp_len) == -1)
				return (-1);
			if (pc.wp_end)
				stream_raw_message(st);
			break;
		case WSFRAME_PING:
			memcpy(st->st_pong + LWS_PRE, st->st_wf.wf_ctl,
			    st->st_wf.wf_ctllen);
			st->st_ponglen = st->st_wf.wf_ctllen;
			st->st_pong_due = 1;
			stream_raw_kick(st);
			break;
		case WSFRAME_PONG:
			ev_timer_stop(car->c_loop, &st->st_pongdl);
			lws_validity_confirmed(st->st_wsi);
			stream_conn_pong_rtt(st);
			break;
		case WSFRAME_CLOSE:
			/* Before an answer it is a failure, said as one. */
			if (st->st_proven)
				log_info("stream: exit closed the stream");
			else
				log_debug("stream: exit closed the stream");
			return (-1);
		}
		if (st->st_kill || !st->st_raw)
			return (0);
	}
	return (0);
}

/*
 * lws 4.1's client parser handles every payload byte through its state
 * machine (79% of the carrier's CPU at ~110 MB/s, perf), while frames
 * from a server are never masked: on ws:// the carrier reads the socket
 * itself once the handshake is done.  Bulk payload is read straight into
 * the message buffer; frames and messages are bounded as in the lws path.
 * One read (up to 1 MiB of payload) per readable event: the loop comes
 * round between reads, so a new SOCKS session's handshake and first bytes
 * do not wait behind megabytes of a download (issue 12; 8 reads per event
 * made every loop pass during a loopback download several ms long).
 */
static void
stream_raw_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream	*st = w->data;
	ssize_t		 n;
	size_t		 want;
	uint64_t	 direct;
	int		 i, done;

	for (i = 0; i < STREAM_RAW_READS && st->st_raw &&
	    !st->st_rx_paused && !st->st_kill; i++) {
		direct = wsframe_direct(&st->st_wf);
		if (direct >= STREAM_RAW_DIRECT) {
			/* Bulk payload: straight into the message buffer. */
			want = direct < STREAM_RAW_READ * 4 ?
			    (size_t)direct : STREAM_RAW_READ * 4;
			if (wbuf_reserve(&st->st_rx, want) == -1) {
				stream_raw_fail(st, "out of memory");
				return;
			}
			n = read(w->fd, st->st_rx.wb_data + st->st_rx.wb_len,
			    want);
			if (n > 0) {
				st->st_rx.wb_len += n;
				if ((done = wsframe_direct_done(&st->st_wf,
				    (size_t)n)) == -1) {
					stream_raw_fail(st, "frame overrun");
					return;
				}
				if (done)
					stream_raw_message(st);
				if ((size_t)n < want)
					return;
				continue;
			}
		} else {
			want = STREAM_RAW_READ;
			n = read(w->fd, st->st_rbuf, want);
			if (n > 0 && stream_raw_parse(st, st->st_rbuf, n) ==
			    -1) {
				stream_raw_fail(st, "stream closed");
				return;
			}
			if (n > 0) {
				if ((size_t)n < want)
					return;
				continue;
			}
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		stream_raw_fail(st, n == 0 ? "exit closed the stream" :
		    errno == ETIMEDOUT ? "the exit host stopped answering" :
		    "stream read error");
		return;
	}
}

/* Four fresh mask bytes (RFC 6455 5.3) from a pool of RAND_bytes. */
static const uint8_t *
stream_raw_maskkey(struct stream *st)
{
	const uint8_t	*k;

	if (st->st_moff + 4 > sizeof(st->st_mpool)) {
		if (RAND_bytes(st->st_mpool, sizeof(st->st_mpool)) != 1)
			fatalx("RAND_bytes failed");
		st->st_moff = 0;
	}
	k = st->st_mpool + st->st_moff;
	st->st_moff += 4;
	return (k);
}

/* A control frame (ping, pong) of ours into st_ctlout, to be sent next. */
static void
stream_raw_ctl(struct stream *st, int op, const uint8_t *p, size_t n)
{
	const uint8_t	*key = stream_raw_maskkey(st);
	size_t		 h;

	h = wsframe_hdr(st->st_ctlout, op, n, key);
	memcpy(st->st_ctlout + h, p, n);
	wsframe_mask(st->st_ctlout + h, n, key);
	st->st_out = st->st_ctlout;
	st->st_outlen = h + n;
	st->st_outoff = 0;
}

/* Data or a pong became due: out at the end of this loop pass. */
void
stream_raw_kick(struct stream *st)
{
	if (!st->st_kill && !ev_is_active(&st->st_wio))
		ev_prepare_start(st->st_car->c_loop, &st->st_prep);
}

/* Send what is pending.  1: all of it, 0: the socket is full, -1: error */
static int
stream_raw_send(struct stream *st)
{
	ssize_t	 n;

	while (st->st_outoff < st->st_outlen) {
		n = send(st->st_fd, st->st_out + st->st_outoff,
		    st->st_outlen - st->st_outoff, MSG_NOSIGNAL);
		if (n > 0) {
			st->st_outoff += (size_t)n;
			txpace_sent(&st->st_pace, (size_t)n,
			    ev_now(st->st_car->c_loop));
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		return (-1);
	}
	st->st_out = NULL;
	st->st_outlen = st->st_outoff = 0;
	return (1);
}

/*
 * Seal the next batch into the message buffer, frame and mask it in
 * place (the header goes into the LWS_PRE headroom), send it.  0: sent or
 * queued, 1: nothing to send, -1: the connection must go.
 */
static int
stream_raw_batch(struct stream *st)
{
	struct carrier		*car = st->st_car;
	struct tunnel_batch	*tb = st->st_tb;
	const uint8_t		*key;
	uint8_t			 hdr[WSFRAME_HDR_MAX], *body;
	size_t			 n, h;
	int			 probe = 0, wasup = st->st_hello_sent, rc;

	if (!st->st_hello_sent)
		probe = car->c_conf.cc_wire_compat != WIRE_COMPAT_V15 ?
		    TUNNEL_PROBE_STREAM : 0;
	/* The hello carries the probe and control frames only (see below). */
	n = tunnel_fill(car, tb, st->st_hello_sent ?
	    txpace_budget(&st->st_pace, ev_now(car->c_loop)) : 0, 0, probe);
	if (n == 0 && st->st_hello_sent)
		return (1);
	if (tunnel_seal(car, tb, 0, LWS_PRE) == -1) {
		tunnel_rollback(car, tb);
		return (-1);
	}
	body = tb->tb_body.wb_data + LWS_PRE;
	n = tb->tb_body.wb_len - LWS_PRE;
	key = stream_raw_maskkey(st);
	h = wsframe_hdr(hdr, WSFRAME_OP_BINARY, n, key);
	memcpy(body - h, hdr, h);
	wsframe_mask(body, n, key);
	st->st_out = body - h;
	st->st_outlen = h + n;
	st->st_outoff = 0;
	if ((rc = stream_raw_send(st)) == -1 && st->st_outoff == 0) {
		/* Nothing left: the frames go again on the next path. */
		tunnel_rollback(car, tb);
		return (-1);
	}
	/* The rest is ours to send: the batch is settled. */
	tunnel_commit(car, tb);
	stream_conn_ack_sent(st);
	st->st_hello_sent = 1;
	if (!wasup)
		tunnel_kick(car);	/* sessions that waited for POST */
	return (rc == -1 ? -1 : 0);
}

/*
 * Send on a raw connection: what is pending, then a pong or ping that is
 * due, then batches while there is work and the socket takes them (a few
 * per loop pass, so local reads go on).  The write watcher runs only
 * while something waits for the socket.
 */
void
stream_raw_flush(struct stream *st)
{
	struct carrier	*car = st->st_car;
	uint8_t		 ping[8];
	int		 nb = 0, rc;

	ev_prepare_stop(car->c_loop, &st->st_prep);
	while (st->st_raw && !st->st_kill) {
		if (st->st_outlen > 0) {
			if ((rc = stream_raw_send(st)) == -1)
				goto fail;
			if (rc == 0)
				goto wait;
			continue;
		}
		if (st->st_pong_due) {
			st->st_pong_due = 0;
			stream_raw_ctl(st, WSFRAME_OP_PONG,
			    st->st_pong + LWS_PRE, st->st_ponglen);
			continue;
		}
		if (st->st_ping_due) {
			st->st_ping_due = 0;
			RAND_bytes(ping, sizeof(ping));
			stream_raw_ctl(st, WSFRAME_OP_PING, ping, sizeof(ping));
			st->st_ping_at = ev_now(car->c_loop);
			ev_timer_set(&st->st_pongdl,
			    car->c_conf.cc_stream_connect_timeout_ms / 1000.0,
			    0);
			ev_timer_start(car->c_loop, &st->st_pongdl);
			continue;
		}
		if (st->st_hello_sent && (!tunnel_has_work(car) ||
		    stream_conn_ack_hold(st)))
			break;
		/* The kernel has a few ms unsent: pick the next later. */
		if (!txpace_room(&st->st_pace, ev_now(car->c_loop)))
			goto wait;
		if (nb++ == STREAM_RAW_BATCHES)
			goto wait;	/* more when the loop comes round */
		if ((rc = stream_raw_batch(st)) == -1)
			goto fail;
		if (rc == 1)
			break;
	}
	ev_io_stop(car->c_loop, &st->st_wio);
	return;
wait:
	ev_io_start(car->c_loop, &st->st_wio);
	return;
fail:
	stream_raw_fail(st, "stream write error");
}

void
stream_raw_prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	stream_raw_flush(w->data);
}

static void
stream_raw_wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream	*st = w->data;

	txpace_writable(&st->st_pace, ev_now(loop));
	stream_raw_flush(st);
}

/* Handshake done on ws://: take the connection over from lws. */
void
stream_raw_start(struct stream *st, struct lws *wsi)
{
	struct carrier	*car = st->st_car;
	int		 fd, one = 1;

	if (st->st_cur == NULL || st->st_cur->su_tls ||
	    (fd = lws_get_socket_fd(wsi)) < 0)
		return;
	/* Small batches go out at once (lws sets it too; make sure). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (st->st_rbuf == NULL &&
	    (st->st_rbuf = malloc(STREAM_RAW_READ)) == NULL)
		return;
	lws_rx_flow_control(wsi, 0);
	st->st_raw = 1;
	st->st_fd = fd;
	wsframe_rx_init(&st->st_wf, CARRIER_RXMSG_MAX);
	st->st_pong_due = 0;
	st->st_out = NULL;
	st->st_outlen = st->st_outoff = 0;
	st->st_moff = sizeof(st->st_mpool);	/* fresh keys */
	txpace_init(&st->st_pace, fd, CARRIER_STREAM_BUDGET,
	    ev_now(car->c_loop));
	ev_io_init(&st->st_rawio, stream_raw_cb, fd, EV_READ);
	st->st_rawio.data = st;
	ev_io_init(&st->st_wio, stream_raw_wio_cb, fd, EV_WRITE);
	st->st_wio.data = st;
	ev_io_start(car->c_loop, &st->st_rawio);
	/* The hello goes out at the end of this loop pass. */
	ev_prepare_start(car->c_loop, &st->st_prep);
}

/* The connection is being closed: no more raw reads or writes on it. */
void
stream_raw_quiet(struct stream *st)
{
	struct carrier	*car = st->st_car;

	ev_io_stop(car->c_loop, &st->st_rawio);
	ev_io_stop(car->c_loop, &st->st_wio);
	ev_prepare_stop(car->c_loop, &st->st_prep);
}

void
stream_raw_stop(struct stream *st)
{
	if (!st->st_raw)
		return;
	stream_raw_quiet(st);
	st->st_raw = 0;
	st->st_out = NULL;
	st->st_outlen = st->st_outoff = 0;
	st->st_pong_due = 0;
}
