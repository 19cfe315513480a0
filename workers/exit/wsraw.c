/*
 * /stream on ws:// framed by the exit itself once libwebsockets has done
 * the upgrade (issue 12), as the carrier does on its side: lws 4.1's
 * write path costs an epoll_ctl pair and an extra loop pass per message
 * (POLLOUT on, WRITEABLE callback, POLLOUT off) and buffers whatever the
 * socket refuses where we cannot see it, so the kernel's queue decides
 * what a new session waits behind.  Here:
 *
 *	- reading: frames from the client (masked) through common/wsframe.c,
 *	  bulk payload read straight into the message buffer and unmasked
 *	  there; pings answered, a close or EOF ends the connection (lws
 *	  closes it, asynchronously);
 *	- writing: the next message is built only when the kernel wants more
 *	  (common/txpace.c: TCP_NOTSENT_LOWAT a few ms of the path's delivery
 *	  rate) and sized to a few ms on the wire, so the drain scheduler
 *	  (drain.c) picks what goes next at the last moment and a new
 *	  session's first bytes wait behind milliseconds of bulk, not
 *	  megabytes.  Unmasked server frames, the header in the LWS_PRE
 *	  headroom of the sealed body: no copy.  Sent from an ev_prepare at
 *	  the end of the loop pass that made data ready, so the sessions of
 *	  one pass share a message; a write watcher only while waiting for
 *	  the socket.
 *
 * A message is committed (drain.c) once all of it is in the kernel; a
 * connection that fails before rolls it back: a peer cannot decode half a
 * batch, so it provably did not get it.  The exit has no TLS (a reverse
 * proxy terminates wss://), so every stream goes this way.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"
#include "txpace.h"
#include "wsframe.h"

#define WSRAW_READ		(256 * 1024)
#define WSRAW_READS		8	/* reads per readable event */
#define WSRAW_DIRECT		(16 * 1024)	/* payload read in place */
#define WSRAW_DIRECT_MAX	(1024 * 1024)
#define WSRAW_BATCHES		4	/* messages per loop pass */
/*
 * ... and one large one at most: a pass that builds several (each an AEAD
 * pass over up to EXIT_WS_MSG_PACE) keeps a new session's SYN, its dial
 * and its first upstream bytes waiting (issue 12; loopback, during a
 * download, traced: SYN to the exit's read of the reply 3.0 -> 0.9 ms
 * p50 with 256 KiB messages).
 * Small ones go on: stopping after each would arm the write watcher
 * (an epoll_ctl pair and a loop pass) for every echo.
 */
#define WSRAW_PASS_BYTES	(EXIT_WS_MSG_PACE / 2)

struct wsraw {
	int			 wr_fd;
	const struct wsraw_ops	*wr_ops;
	void			*wr_arg;
	struct wbuf		*wr_in;		/* the owner's message buffer */
	int			 wr_authed;
	int			 wr_dead;
	ev_io			 wr_rio;
	ev_io			 wr_wio;
	ev_prepare		 wr_prep;
	struct wsframe_rx	 wr_wf;
	struct txpace		 wr_pace;
	/* What is being sent: a message or a control frame. */
	const uint8_t		*wr_out;
	size_t			 wr_outlen;
	size_t			 wr_outoff;
	int			 wr_outmsg;	/* wr_out is a built message */
	uint8_t			 wr_ctl[WSFRAME_HDR_MAX + WSFRAME_CTL_MAX];
	uint8_t			 wr_pong[WSFRAME_CTL_MAX];
	size_t			 wr_ponglen;
	int			 wr_pong_due;
};

static uint8_t	*wsraw_rbuf;	/* one read buffer for every stream */

static void	wsraw_read_cb(struct ev_loop *, ev_io *, int);
static void	wsraw_write_cb(struct ev_loop *, ev_io *, int);
static void	wsraw_prep_cb(struct ev_loop *, ev_prepare *, int);
static void	wsraw_flush(struct wsraw *);

/* No more reads or writes; the owner closes the connection. */
static void
wsraw_quiet(struct wsraw *wr)
{
	ev_io_stop(ex->ee_loop, &wr->wr_rio);
	ev_io_stop(ex->ee_loop, &wr->wr_wio);
	ev_prepare_stop(ex->ee_loop, &wr->wr_prep);
}

static void
wsraw_fail(struct wsraw *wr, const char *why)
{
	if (wr->wr_dead)
		return;
	wr->wr_dead = 1;
	wsraw_quiet(wr);
	log_debug("stream: %s", why);
	wr->wr_ops->wo_failed(wr->wr_arg);
}

struct wsraw *
wsraw_start(int fd, struct wbuf *in, const struct wsraw_ops *ops, void *arg)
{
	struct wsraw	*wr;

	if (wsraw_rbuf == NULL && (wsraw_rbuf = malloc(WSRAW_READ)) == NULL)
		return (NULL);
	if ((wr = calloc(1, sizeof(*wr))) == NULL)
		return (NULL);
	wr->wr_fd = fd;
	wr->wr_ops = ops;
	wr->wr_arg = arg;
	wr->wr_in = in;
	/* Before the hello authenticates: its 64 KiB limit (2.4). */
	wsframe_rx_init_server(&wr->wr_wf, EXIT_HELLO_MAX);
	txpace_init(&wr->wr_pace, fd, ex->ee_conf.ec_max_response_bytes <
	    EXIT_WS_MSG_PACE ? ex->ee_conf.ec_max_response_bytes :
	    EXIT_WS_MSG_PACE, exit_now());
	ev_io_init(&wr->wr_rio, wsraw_read_cb, fd, EV_READ);
	wr->wr_rio.data = wr;
	ev_io_init(&wr->wr_wio, wsraw_write_cb, fd, EV_WRITE);
	wr->wr_wio.data = wr;
	ev_prepare_init(&wr->wr_prep, wsraw_prep_cb);
	wr->wr_prep.data = wr;
	ev_io_start(ex->ee_loop, &wr->wr_rio);
	return (wr);
}

/* The hello authenticated the client: the full message size from now. */
void
wsraw_authed(struct wsraw *wr)
{
	wr->wr_authed = 1;
	wr->wr_wf.wf_msgmax = EXIT_WS_MSG_MAX;
}

/* The connection is being closed by its owner: no more I/O on it. */
void
wsraw_close(struct wsraw *wr)
{
	if (wr == NULL)
		return;
	wr->wr_dead = 1;
	wsraw_quiet(wr);
}

void
wsraw_stop(struct wsraw *wr)
{
	if (wr == NULL)
		return;
	wsraw_quiet(wr);
	free(wr);
}

/* Something became drainable: send at the end of this loop pass. */
void
wsraw_kick(struct wsraw *wr)
{
	if (wr->wr_dead || ev_is_active(&wr->wr_wio))
		return;
	ev_prepare_start(ex->ee_loop, &wr->wr_prep);
}

/* A complete message is in wr_in: hand it over.  -1: close. */
static int
wsraw_message(struct wsraw *wr)
{
	int	 rc;

	rc = wr->wr_ops->wo_message(wr->wr_arg);
	wbuf_reset(wr->wr_in);
	return (rc);
}

/* Payload of a message, masked as it came: append and unmask. */
static int
wsraw_append(struct wsraw *wr, const struct wsframe_piece *pc)
{
	uint8_t	*dst;

	if (reqcheck_ws(wr->wr_in->wb_len, pc->wp_len, wr->wr_authed) != 0) {
		admit_log("stream message over %u bytes: closing",
		    wr->wr_authed ? EXIT_WS_MSG_MAX : EXIT_HELLO_MAX);
		return (-1);
	}
	if (wbuf_append(wr->wr_in, pc->wp_data, pc->wp_len) == -1)
		return (-1);
	dst = wr->wr_in->wb_data + wr->wr_in->wb_len - pc->wp_len;
	if (pc->wp_masked)
		wsframe_mask(dst, pc->wp_len, pc->wp_key);
	return (0);
}

/* Bytes read into wsraw_rbuf through the parser.  -1: close. */
static int
wsraw_parse(struct wsraw *wr, const uint8_t *p, size_t n)
{
	struct wsframe_piece	 pc;
	size_t			 used;
	int			 ev;

	while (n > 0 && !wr->wr_dead) {
		ev = wsframe_parse(&wr->wr_wf, p, n, &used, &pc);
		p += used;
		n -= used;
		switch (ev) {
		case WSFRAME_ERR:
			/* A peer provokes it: the budgeted logger. */
			admit_log("stream: bad frame: %s", wr->wr_wf.wf_err);
			return (-1);
		case WSFRAME_NEED:
			break;
		case WSFRAME_DATA:
			if (pc.wp_len > 0 && wsraw_append(wr, &pc) == -1)
				return (-1);
			if (pc.wp_end && wsraw_message(wr) == -1)
				return (-1);
			break;
		case WSFRAME_PING:
			memcpy(wr->wr_pong, wr->wr_wf.wf_ctl,
			    wr->wr_wf.wf_ctllen);
			wr->wr_ponglen = wr->wr_wf.wf_ctllen;
			wr->wr_pong_due = 1;
			wsraw_kick(wr);
			break;
		case WSFRAME_PONG:
			break;
		case WSFRAME_CLOSE:
			log_debug("stream: client closed the stream");
			return (-1);
		}
	}
	return (0);
}

/*
 * Bulk payload read straight into the message buffer: what read(2)
 * returned, or -2 when the connection must close.
 */
static ssize_t
wsraw_read_direct(struct wsraw *wr, uint64_t direct)
{
	struct wbuf	*in = wr->wr_in;
	size_t		 want;
	ssize_t		 n;
	int		 done;

	want = direct < WSRAW_DIRECT_MAX ? (size_t)direct : WSRAW_DIRECT_MAX;
	if (reqcheck_ws(in->wb_len, want, wr->wr_authed) != 0 ||
	    wbuf_reserve(in, want) == -1)
		return (-2);
	n = read(wr->wr_fd, in->wb_data + in->wb_len, want);
	if (n <= 0)
		return (n);
	wsframe_direct_unmask(&wr->wr_wf, in->wb_data + in->wb_len, (size_t)n);
	in->wb_len += (size_t)n;
	if ((done = wsframe_direct_done(&wr->wr_wf, (size_t)n)) == -1)
		return (-2);
	if (done && wsraw_message(wr) == -1)
		return (-2);
	return (n);
}

static void
wsraw_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct wsraw	*wr = w->data;
	uint64_t	 direct;
	size_t		 want;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < WSRAW_READS && !wr->wr_dead; i++) {
		direct = wsframe_direct(&wr->wr_wf);
		if (direct >= WSRAW_DIRECT) {
			want = direct < WSRAW_DIRECT_MAX ? (size_t)direct :
			    WSRAW_DIRECT_MAX;
			n = wsraw_read_direct(wr, direct);
			if (n == -2) {
				wsraw_fail(wr, "bad or oversized message");
				return;
			}
		} else {
			want = WSRAW_READ;
			n = read(wr->wr_fd, wsraw_rbuf, want);
			if (n > 0 && wsraw_parse(wr, wsraw_rbuf, (size_t)n) ==
			    -1) {
				wsraw_fail(wr, "closing");
				return;
			}
		}
		if (n > 0) {
			if ((size_t)n < want)
				return;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		wsraw_fail(wr, n == 0 ? "client closed the connection" :
		    "read error");
		return;
	}
}

/* Send what is pending.  1: all of it, 0: the socket is full, -1: error */
static int
wsraw_send(struct wsraw *wr)
{
	ssize_t	 n;

	while (wr->wr_outoff < wr->wr_outlen) {
		n = send(wr->wr_fd, wr->wr_out + wr->wr_outoff,
		    wr->wr_outlen - wr->wr_outoff, MSG_NOSIGNAL);
		if (n > 0) {
			wr->wr_outoff += (size_t)n;
			txpace_sent(&wr->wr_pace, (size_t)n, exit_now());
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		return (-1);
	}
	wr->wr_out = NULL;
	wr->wr_outlen = wr->wr_outoff = 0;
	if (wr->wr_outmsg) {
		wr->wr_outmsg = 0;
		wr->wr_ops->wo_sent(wr->wr_arg);
	}
	return (1);
}

/* The pong that is due, into wr_ctl, to be sent next. */
static void
wsraw_pong(struct wsraw *wr)
{
	size_t	 h;

	h = wsframe_hdr(wr->wr_ctl, WSFRAME_OP_PONG, wr->wr_ponglen, NULL);
	memcpy(wr->wr_ctl + h, wr->wr_pong, wr->wr_ponglen);
	wr->wr_out = wr->wr_ctl;
	wr->wr_outlen = h + wr->wr_ponglen;
	wr->wr_outoff = 0;
	wr->wr_outmsg = 0;
	wr->wr_pong_due = 0;
}

/*
 * The next message, sized by the pace, framed in its headroom.  0: one
 * is ready to send, 1: nothing to send, -1: error.
 */
static int
wsraw_next(struct wsraw *wr)
{
	uint8_t		 hdr[WSFRAME_HDR_MAX], *body;
	size_t		 n, h;
	int		 rc;

	rc = wr->wr_ops->wo_build(wr->wr_arg, txpace_budget(&wr->wr_pace,
	    exit_now()), &body, &n);
	if (rc <= 0)
		return (rc == 0 ? 1 : -1);
	h = wsframe_hdr(hdr, WSFRAME_OP_BINARY, n, NULL);
	memcpy(body - h, hdr, h);
	wr->wr_out = body - h;
	wr->wr_outlen = h + n;
	wr->wr_outoff = 0;
	wr->wr_outmsg = 1;
	return (0);
}

/*
 * Send: what is pending, then a pong that is due, then messages while
 * there is work and the kernel wants more (a few per loop pass, so
 * upstream reads go on).  The write watcher runs only while something
 * waits for the socket.
 */
static void
wsraw_flush(struct wsraw *wr)
{
	size_t	 built = 0;
	int	 nb = 0, rc;

	ev_prepare_stop(ex->ee_loop, &wr->wr_prep);
	while (!wr->wr_dead) {
		if (wr->wr_outlen > 0) {
			if ((rc = wsraw_send(wr)) == -1)
				goto fail;
			if (rc == 0)
				goto wait;
			continue;
		}
		if (wr->wr_pong_due) {
			wsraw_pong(wr);
			continue;
		}
		if (!wr->wr_authed)
			break;
		if (!txpace_room(&wr->wr_pace, exit_now()))
			goto wait;
		if (nb++ == WSRAW_BATCHES || built >= WSRAW_PASS_BYTES)
			goto wait;	/* more when the loop comes round */
		if ((rc = wsraw_next(wr)) == -1)
			goto fail;
		if (rc == 1)
			break;
		built += wr->wr_outlen;
	}
	ev_io_stop(ex->ee_loop, &wr->wr_wio);
	return;
wait:
	ev_io_start(ex->ee_loop, &wr->wr_wio);
	return;
fail:
	wsraw_fail(wr, "write error");
}

static void
wsraw_prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	wsraw_flush(w->data);
}

static void
wsraw_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct wsraw	*wr = w->data;

	txpace_writable(&wr->wr_pace, exit_now());
	wsraw_flush(wr);
}

/* Stats: the pace of this stream (estimate bytes/s, low-water mark). */
void
wsraw_pace(const struct wsraw *wr, double *rate, uint32_t *lowat)
{
	*rate = wr->wr_pace.tp_rate;
	*lowat = wr->wr_pace.tp_lowat;
}
