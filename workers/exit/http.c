/*
 * HTTP and WebSocket surface of the exit (docs/protocol.md 2.1-2.4), served by
 * libwebsockets on our libev loop.  The supervisor's listening socket is
 * accepted here and each connection adopted by lws.
 *
 *	POST /tunnel	one batch in, one batch out; the response is held
 *			(active_drain_window_ms after a non-empty batch,
 *			long_poll_window_ms after an empty one) until the
 *			client has something drainable; an empty batch at the
 *			deadline.  Bodies are text (base64) or binary and the
 *			reply mirrors the request's Content-Type.
 *	GET /stream	WebSocket, binary messages, one batch per message;
 *			after the upgrade the connection is read and written
 *			by wsraw.c (paced, framed by us), not by lws.
 *	GET /healthz	{"ok":true,"version":...,"protocol":1}
 *
 * Per-connection state lives in a struct xconn hung off the wsi's opaque
 * user data (not lws's per-session data, which lws may re-bind between
 * HTTP transactions), so libev watchers inside it never move.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "exit.h"
#include "liblog.h"
#include "udp.h"
#include "log.h"

#define HTTP_BODY_CHUNK		(256 * 1024)	/* per WRITEABLE */
#define HTTP_WS_CHUNK		(256 * 1024)
#define HTTP_RX_BUF		(128 * 1024)
#define HTTP_LWS_TICK		0.25

enum xconn_kind {
	XK_HTTP = 0,
	XK_WS
};

enum xhttp_state {
	XH_IDLE = 0,
	XH_BODY,		/* reading a /tunnel body */
	XH_WAIT,		/* held: waiting for data or the deadline */
	XH_WRITE		/* writing the response body */
};

struct xconn {
	struct lws		*xc_wsi;
	enum xconn_kind		 xc_kind;
	enum xhttp_state	 xc_state;
	struct xclient		*xc_cl;		/* holds a cl_refs */
	LIST_ENTRY(xconn)	 xc_wentry;
	int			 xc_waiting;	/* on cl_waiters */
	ev_timer		 xc_timer;	/* hold deadline / hello */
	int			 xc_deadline;	/* the hold expired */
	ev_timer		 xc_ctimer;	/* coalescing window */
	int			 xc_coalesced;	/* window used (or none) */
	int			 xc_syn;	/* opened sessions (http_build) */
	struct txpace_conn	 xc_pace;	/* POST budget (txpace.c) */
	int			 xc_text;	/* base64 bodies */
	enum wire_layout	 xc_layout;	/* mirror the client's */
	struct admit_slot	 xc_slot;	/* pre-auth (admit.c) */
	size_t			 xc_clen;	/* declared Content-Length */
	struct wbuf		 xc_in;		/* body / WS message */
	struct wire_batch	 xc_batch;	/* reused decoder */
	int			 xc_batch_init;
	struct xresp		*xc_resp;	/* response in progress */
	size_t			 xc_off;	/* body bytes written */
	/* WebSocket */
	struct wsraw		*xc_raw;	/* framed by us (wsraw.c) */
	int			 xc_authed;
	int			 xc_closing;
	int			 xc_msg_bad;
};

static struct lws_protocols	 http_protocols[];

static const uint8_t		 http_zero[LWS_PRE];

static void	http_timer_cb(struct ev_loop *, ev_timer *, int);
static void	http_coalesce_cb(struct ev_loop *, ev_timer *, int);

static void
http_lws_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	/*
	 * lws 4.1's libev glue re-arms its single timer without stopping it,
	 * so earlier deadlines (timeouts, validity pings) are missed while
	 * idle (an lws 4.1 bug, seen as validity pings and timeouts that
	 * fire only when other traffic wakes the loop): poke it regularly.
	 */
	if (ex->ee_lws != NULL)
		lws_cancel_service(ex->ee_lws);
}

int
http_init(struct ev_loop *loop)
{
	struct lws_context_creation_info	 info;
	void					*loops[1];

	liblog_lws();
	memset(&info, 0, sizeof(info));
	loops[0] = loop;
	info.options = LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = http_protocols;
	info.pt_serv_buf_size = HTTP_RX_BUF;
	info.max_http_header_data = 4096;
	info.keepalive_timeout = 60;
	info.timeout_secs = 30;
	if ((ex->ee_lws = lws_create_context(&info)) == NULL) {
		log_warnx("lws_create_context failed");
		return (-1);
	}
	/*
	 * lws sized its fd table from the soft descriptor limit just now;
	 * wproc_init raised it first, and the sandbox keeps that value.
	 */
	log_debug("libwebsockets: fd table for %ld descriptors",
	    sysconf(_SC_OPEN_MAX));
	ev_timer_init(&ex->ee_lws_tick, http_lws_tick, HTTP_LWS_TICK,
	    HTTP_LWS_TICK);
	ev_timer_start(loop, &ex->ee_lws_tick);
	ev_unref(loop);
	return (0);
}

/* A connection accepted on the supervisor's listener. */
void
http_adopt(int fd)
{
	int	 one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* On failure lws has closed fd already (and logged why). */
	if (lws_adopt_socket(ex->ee_lws, fd) == NULL)
		log_debug("lws_adopt_socket failed");
}

static struct xconn *
http_xconn(struct lws *wsi, int create)
{
	struct xconn	*xc;

	if ((xc = lws_get_opaque_user_data(wsi)) != NULL || !create)
		return (xc);
	if ((xc = calloc(1, sizeof(*xc))) == NULL)
		return (NULL);
	xc->xc_wsi = wsi;
	ev_timer_init(&xc->xc_timer, http_timer_cb, 1, 0);
	xc->xc_timer.data = xc;
	ev_timer_init(&xc->xc_ctimer, http_coalesce_cb, 1, 0);
	xc->xc_ctimer.data = xc;
	lws_set_opaque_user_data(wsi, xc);
	return (xc);
}

static void
http_set_client(struct xconn *xc, struct xclient *cl)
{
	if (xc->xc_cl == cl)
		return;
	if (xc->xc_cl != NULL)
		xc->xc_cl->cl_refs--;
	xc->xc_cl = cl;
	if (cl != NULL)
		cl->cl_refs++;
}

static void
http_unwait(struct xconn *xc)
{
	if (xc->xc_waiting) {
		LIST_REMOVE(xc, xc_wentry);
		xc->xc_waiting = 0;
	}
	ev_timer_stop(ex->ee_loop, &xc->xc_timer);
	ev_timer_stop(ex->ee_loop, &xc->xc_ctimer);
}

static void
http_preauth_release(struct xconn *xc)
{
	admit_release(&xc->xc_slot);
}

/* The connection is going away: nothing drained for it is lost. */
static void
http_xconn_free(struct lws *wsi)
{
	struct xconn	*xc;

	if ((xc = lws_get_opaque_user_data(wsi)) == NULL)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	wsraw_stop(xc->xc_raw);
	xc->xc_raw = NULL;
	http_unwait(xc);
	http_preauth_release(xc);
	if (xc->xc_resp != NULL) {
		if (xc->xc_cl != NULL)
			drain_rollback(xc->xc_cl, xc->xc_resp);
		drain_resp_put(xc->xc_resp);
		xc->xc_resp = NULL;
	}
	if (xc->xc_kind == XK_WS && xc->xc_authed && xc->xc_cl != NULL)
		client_stream_closed(xc->xc_cl, xc);
	http_set_client(xc, NULL);
	wbuf_free(&xc->xc_in);
	if (xc->xc_batch_init)
		wire_batch_free(&xc->xc_batch);
	free(xc);
}

/* The stream has something to send: ours (wsraw.c) or lws's writer. */
static void
http_stream_kick(struct xconn *xc)
{
	if (xc->xc_raw != NULL)
		wsraw_kick(xc->xc_raw);
	else
		lws_callback_on_writable(xc->xc_wsi);
}

/* Wake everything waiting for this client's data. */
void
http_wake_client(struct xclient *cl)
{
	struct xconn	*xc;

	LIST_FOREACH(xc, &cl->cl_waiters, xc_wentry)
		lws_callback_on_writable(xc->xc_wsi);
	if ((xc = cl->cl_stream) != NULL && xc->xc_resp == NULL)
		http_stream_kick(xc);
}

/* A small complete response written from inside a callback. */
static int
http_simple(struct lws *wsi, unsigned int status, const char *ctype,
    const char *body, int close_after)
{
	uint8_t		 buf[LWS_PRE + 1024], *start, *p, *end;
	size_t		 blen = body != NULL ? strlen(body) : 0;

	start = p = buf + LWS_PRE;
	end = buf + sizeof(buf) - 1;
	if (status >= 400 && status != 404 && status != 405)
		ex->ee_stats.es_http_4xx++;
	if (lws_add_http_common_headers(wsi, status, ctype, blen, &p, end))
		return (-1);
	if (close_after && lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
		return (-1);
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return (-1);
	if (blen > 0) {
		memcpy(buf + LWS_PRE, body, blen);
		if (lws_write(wsi, buf + LWS_PRE, blen,
		    LWS_WRITE_HTTP_FINAL) != (int)blen)
			return (-1);
	}
	if (close_after)
		return (-1);
	if (lws_http_transaction_completed(wsi))
		return (-1);
	return (0);
}

static int
http_healthz(struct lws *wsi, int close_after)
{
	char	 body[128];

	snprintf(body, sizeof(body),
	    "{\"ok\":true,\"version\":\"%s\",\"protocol\":%d}",
	    PACKAGE_VERSION, WIRE_PROTOCOL_VERSION);
	return (http_simple(wsi, 200, "application/json", body, close_after));
}

/*
 * Does the request declare a body (one we are not going to read)?  Such
 * a request must not be answered with keep-alive: when it came pipelined
 * behind another one, lws 4.1 discards its body from a buffer segment it
 * has not advanced, gets stuck in LRS_DEFERRING_ACTION consuming nothing,
 * and loops forever inside lws_http_action (found by sockfuzz).
 */
static int
http_declares_body(struct lws *wsi)
{
	char	 cl[32];
	int	 n;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
		return (1);
	if ((n = lws_hdr_copy(wsi, cl, sizeof(cl),
	    WSI_TOKEN_HTTP_CONTENT_LENGTH)) < 0)
		return (1);
	return (strspn(cl, "0 \t") != (size_t)n);
}

static int
http_is_binary_ctype(struct lws *wsi)
{
	char	 ct[128];

	if (lws_hdr_copy(wsi, ct, sizeof(ct),
	    WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0)
		return (0);
	return (reqcheck_binary(ct));
}

/* LWS_CALLBACK_HTTP: a new request on this connection. */
static int
http_request(struct lws *wsi, const char *uri)
{
	const struct exit_conf	*ec = &ex->ee_conf;
	struct xconn		*xc;
	char			 cl[32];
	uint64_t		 clen;
	int			 status, body;

	if ((xc = http_xconn(wsi, 1)) == NULL)
		return (-1);
	xc->xc_kind = XK_HTTP;
	xc->xc_state = XH_IDLE;
	xc->xc_deadline = 0;

	body = http_declares_body(wsi);
	if (strcmp(uri, "/healthz") == 0)
		return (http_healthz(wsi, body));
	if (strcmp(uri, "/stream") == 0)
		return (http_simple(wsi, ec->ec_stream_enabled ? 426 : 404,
		    "text/plain", ec->ec_stream_enabled ?
		    "upgrade required\n" : "not found\n", body));
	if (strcmp(uri, "/tunnel") != 0)
		return (http_simple(wsi, 404, "text/plain", "not found\n",
		    body));
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0)
		return (http_simple(wsi, 405, "text/plain",
		    "method not allowed\n", 1));
	ex->ee_stats.es_requests++;
	if (ex->ee_shutdown || !ex->ee_configured)
		return (http_simple(wsi, 503, "text/plain",
		    "shutting down\n", 1));
	status = reqcheck_clen(cl, lws_hdr_copy(wsi, cl, sizeof(cl),
	    WSI_TOKEN_HTTP_CONTENT_LENGTH), ec->ec_max_request_body_bytes,
	    &clen);
	if (status == 411)
		return (http_simple(wsi, 411, "text/plain",
		    "length required\n", 1));
	if (status == 400)
		return (http_simple(wsi, 400, "text/plain",
		    "bad content-length\n", 1));
	if (status != 0)
		return (http_simple(wsi, 413, "text/plain",
		    "request body too large\n", 1));
	/* Known sources first, strangers capped (admit.c). */
	if (admit_take(&xc->xc_slot, lws_get_socket_fd(wsi),
	    ADMIT_POST) == -1) {
		ex->ee_stats.es_http_503++;
		return (http_simple(wsi, 503, "text/plain", "busy\n", 1));
	}
	if (clen == 0) {
		/* Nothing to authenticate: the key-mismatch answer. */
		http_preauth_release(xc);
		ex->ee_stats.es_decode_fail++;
		return (http_simple(wsi, 204, NULL, NULL, 0));
	}
	xc->xc_text = !http_is_binary_ctype(wsi);
	xc->xc_clen = clen;
	xc->xc_state = XH_BODY;
	wbuf_reset(&xc->xc_in);
	if (wbuf_reserve(&xc->xc_in, clen) == -1)
		return (-1);
	/* Deadline and minimum rate of the body: admit_body_check. */
	ev_timer_stop(ex->ee_loop, &xc->xc_timer);
	ev_timer_set(&xc->xc_timer, admit_body_check(&xc->xc_slot, 0, clen,
	    exit_now()), 0);
	ev_timer_start(ex->ee_loop, &xc->xc_timer);
	return (0);
}

static int
http_body(struct lws *wsi, const void *in, size_t len)
{
	struct xconn	*xc = http_xconn(wsi, 0);

	if (xc == NULL || xc->xc_state != XH_BODY)
		return (-1);
	if (reqcheck_body(xc->xc_in.wb_len, len, xc->xc_clen) != 0)
		return (http_simple(wsi, 413, "text/plain",
		    "request body too large\n", 1));
	if (wbuf_append(&xc->xc_in, in, len) == -1)
		return (-1);
	return (0);
}

static void
http_batch_ready(struct xconn *xc)
{
	if (!xc->xc_batch_init) {
		wire_batch_init(&xc->xc_batch);
		xc->xc_batch_init = 1;
	}
}

/*
 * Is another POST of this client held, able to carry what comes
 * downstream?  The carrier sends a session's next frames only once the
 * POST that carried its previous ones returned (docs/protocol.md 4.3), so
 * holding a POST with frames for the whole active window stalls that
 * session's uplink: the request that follows a SYN waited 150 ms for the
 * SYN's POST to come back empty.  When an idle long-poll of the same
 * client is held, that one carries the downstream data, and a POST with
 * frames is answered at once (an empty batch if nothing is drainable).
 */
static int
http_other_waiter(struct xclient *cl, struct xconn *self)
{
	struct xconn	*xc;

	LIST_FOREACH(xc, &cl->cl_waiters, xc_wentry) {
		if (xc != self && xc->xc_state == XH_WAIT &&
		    !xc->xc_deadline)
			return (1);
	}
	return (0);
}

/*
 * wire_compat v1.5: read bodies as GooseRelayVPN v1.5 does, whatever the
 * Content-Type: padded base64 (Go's StdEncoding), then the v1.5 layout,
 * so a v1.6 batch gets its 204.  Go's parser is not exact and may take a
 * v1.6 batch for an empty one (1 in 768); this one always refuses it.
 */
static int
http_v15_refuses(const struct xconn *xc)
{
	size_t	 n = xc->xc_in.wb_len;

	if (ex->ee_conf.ec_wire_compat != WIRE_COMPAT_V15)
		return (0);
	while (n > 0 && (xc->xc_in.wb_data[n - 1] == '\n' ||
	    xc->xc_in.wb_data[n - 1] == '\r' ||
	    xc->xc_in.wb_data[n - 1] == ' '))
		n--;
	return (!xc->xc_text || n % 4 != 0 ||
	    xc->xc_batch.b_layout != WIRE_LAYOUT_V15);
}

/*
 * Does the batch open sessions?  1: a SYN with connect-data, whose
 * answer is on its way; 2: bare SYNs only, whose data can only follow
 * once this POST is answered (the carrier sends a session's next frames
 * after its SYN is confirmed); 0: none.
 */
static int
http_batch_syn(const struct wire_batch *b)
{
	size_t	 i;
	int	 syn = 0;

	for (i = 0; i < b->b_nframes; i++) {
		if (!(b->b_frames[i].f_flags & WIRE_F_SYN))
			continue;
		if (b->b_frames[i].f_len > 0)
			return (1);
		syn = 2;
	}
	return (syn);
}

/*
 * A response with a session's first bytes is being written on self: a
 * POST held for its sessions' first answer (connect-data) that did not
 * carry them goes back now instead of at the end of its window; its
 * sessions send nothing more before it returns.
 */
static void
http_syn_answered(struct xclient *cl, struct xconn *self)
{
	struct xconn	*xc;

	LIST_FOREACH(xc, &cl->cl_waiters, xc_wentry) {
		if (xc != self && xc->xc_state == XH_WAIT &&
		    xc->xc_syn == 1 && !xc->xc_deadline) {
			xc->xc_deadline = 1;
			lws_callback_on_writable(xc->xc_wsi);
		}
	}
}

/* The whole body is in: authenticate, route, then hold the response. */
static int
http_body_done(struct lws *wsi)
{
	struct xconn	*xc = http_xconn(wsi, 0);
	struct xclient	*cl;
	const char	*errstr;
	double		 hold;
	int		 had;

	if (xc == NULL || xc->xc_state != XH_BODY)
		return (-1);
	ev_timer_stop(ex->ee_loop, &xc->xc_timer);
	if (reqcheck_body_done(xc->xc_in.wb_len, xc->xc_clen) != 0) {
		http_preauth_release(xc);
		return (http_simple(wsi, 400, "text/plain",
		    "truncated body\n", 1));
	}
	http_batch_ready(xc);
	if (wire_body_open(ex->ee_aead, xc->xc_in.wb_data, xc->xc_in.wb_len,
	    xc->xc_text, &xc->xc_batch, &errstr) == -1 ||
	    (http_v15_refuses(xc) && (errstr = "not the v1.5 layout"))) {
		http_preauth_release(xc);
		ex->ee_stats.es_decode_fail++;
		admit_log("undecryptable request (%s): likely tunnel_key "
		    "mismatch", errstr);
		xc->xc_state = XH_IDLE;
		/*
		 * Closed: answered from inside lws_http_action when the
		 * request came pipelined, keep-alive would loop in lws (see
		 * http_declares_body).
		 */
		return (http_simple(wsi, 204, NULL, NULL, 1));
	}
	admit_authed(lws_get_socket_fd(wsi));
	http_preauth_release(xc);
	ev_timer_stop(ex->ee_loop, &xc->xc_timer);
	xc->xc_layout = xc->xc_batch.b_layout;
	if ((cl = client_get(xc->xc_batch.b_cid, 1)) == NULL)
		return (-1);
	http_set_client(xc, cl);
	cl->cl_last_post = exit_now();
	xc->xc_syn = http_batch_syn(&xc->xc_batch);
	route_batch(cl, &xc->xc_batch, &had);
	if (xc->xc_in.wb_cap > 1024 * 1024)
		wbuf_free(&xc->xc_in);

	hold = (had ? ex->ee_conf.ec_active_drain_window_ms :
	    ex->ee_conf.ec_long_poll_window_ms) / 1000.0;
	xc->xc_state = XH_WAIT;
	xc->xc_deadline = 0;
	xc->xc_coalesced = 0;
	LIST_INSERT_HEAD(&cl->cl_waiters, xc, xc_wentry);
	xc->xc_waiting = 1;
	ev_timer_set(&xc->xc_timer, hold, 0);
	ev_timer_start(ex->ee_loop, &xc->xc_timer);
	/*
	 * A POST that opened sessions with their first bytes waits for their
	 * answer (below, http_syn_answered()): the carrier sends nothing more
	 * of them before this POST returns, and the answer rides on it.
	 */
	if ((had && xc->xc_syn != 1 && http_other_waiter(cl, xc)) ||
	    xc->xc_syn == 2)
		xc->xc_deadline = 1;
	if (client_has_work(cl) || ex->ee_shutdown || xc->xc_deadline)
		lws_callback_on_writable(wsi);
	return (0);
}

static void
http_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xconn	*xc = w->data;
	double		 next;

	if (xc->xc_kind == XK_WS) {
		if (!xc->xc_authed) {
			admit_hello_expired(&xc->xc_slot);
			xc->xc_closing = 1;
			lws_callback_on_writable(xc->xc_wsi);
		}
		return;
	}
	if (xc->xc_state == XH_BODY) {
		next = admit_body_check(&xc->xc_slot, xc->xc_in.wb_len,
		    xc->xc_clen, exit_now());
		if (next > 0) {
			ev_timer_set(&xc->xc_timer, next, 0);
			ev_timer_start(loop, &xc->xc_timer);
			return;
		}
		/* Too slow or too late: the slot goes with the connection. */
		lws_set_timeout(xc->xc_wsi, PENDING_TIMEOUT_HTTP_CONTENT,
		    LWS_TO_KILL_ASYNC);
		return;
	}
	xc->xc_deadline = 1;
	lws_callback_on_writable(xc->xc_wsi);
}

static void
http_coalesce_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xconn	*xc = w->data;

	lws_callback_on_writable(xc->xc_wsi);
}

/*
 * Urgent work skips coalescing (docs/protocol.md 2.3): control frames, RSTs,
 * a session's first or second response, datagrams (udp_v1).
 */
static int
http_urgent(struct xclient *cl)
{
	struct sess	*s;

	if (!TAILQ_EMPTY(&cl->cl_ctrl) || !TAILQ_EMPTY(&cl->cl_rst) ||
	    udp_client_has_work(cl))	/* datagrams are interactive */
		return (1);
	TAILQ_FOREACH(s, &cl->cl_ready, s_ready_entry) {
		if (!(s->s_flags & SESS_IN_TXN) && s->s_drains < 2 &&
		    sess_tx_drainable(s))
			return (1);
	}
	return (0);
}

/*
 * Optional coalescing (coalesce_window_ms, coalesce_window_busy_ms with
 * >= 24 sessions; both 0 by default): the first time bulk data is ready
 * for a held POST, wait that long for more unless something urgent
 * arrives or the hold ends first.  Returns 1 while waiting.
 */
static int
http_coalesce(struct xconn *xc)
{
	struct xclient	*cl = xc->xc_cl;
	double		 w, left;

	if (xc->xc_coalesced || xc->xc_deadline || ex->ee_shutdown)
		return (ev_is_active(&xc->xc_ctimer) && !http_urgent(cl) &&
		    !xc->xc_deadline && !ex->ee_shutdown);
	xc->xc_coalesced = 1;
	w = (cl->cl_nsess >= EXIT_BUSY_SESSIONS ?
	    ex->ee_conf.ec_coalesce_window_busy_ms :
	    ex->ee_conf.ec_coalesce_window_ms) / 1000.0;
	if (w <= 0 || cl->cl_replay || !client_has_work(cl) ||
	    http_urgent(cl))
		return (0);
	left = ev_timer_remaining(ex->ee_loop, &xc->xc_timer);
	if (w > left)
		w = left;
	ev_timer_set(&xc->xc_ctimer, w, 0);
	ev_timer_start(ex->ee_loop, &xc->xc_ctimer);
	return (1);
}

/*
 * Drain and seal one batch for xc's client into a new xresp; budget (0:
 * the configured max_response_bytes_pre_encode) bounds its payload.
 */
static int
http_build(struct xconn *xc, int post, int force, int text, size_t budget)
{
	struct xclient		*cl = xc->xc_cl;
	struct drain_limits	 dl;
	struct wire_encopts	 eo;
	struct xresp		*r;
	const char		*errstr;
	size_t			 n;

	if ((r = drain_resp_get()) == NULL)
		return (-1);
	drain_limits(cl, &dl, post);
	if (budget > 0 && budget < dl.dl_max_bytes)
		dl.dl_max_bytes = budget;
	/*
	 * A POST that opened sessions is not answered with bulk (issue 12):
	 * with connect-data it is held (active window) for their first
	 * bytes, which then ride on it at once instead of waiting for the
	 * next POST to come in behind bulk responses; with bare SYNs it is
	 * answered at once, so that their data can follow.  Control frames,
	 * first responses and small exchanges only, until the hold ends.
	 */
	dl.dl_urgent_only = post && (xc->xc_syn == 2 ||
	    (xc->xc_syn == 1 && !force));
	n = drain_collect(cl, r, &dl, exit_now());
	if (n == 0 && !force) {
		drain_resp_put(r);
		return (0);
	}
	/* A GooseRelayVPN v1.5 client gets v1.5 batches back. */
	memset(&eo, 0, sizeof(eo));
	eo.eo_layout = xc->xc_layout;
	eo.eo_compress = xc->xc_layout == WIRE_LAYOUT_V16;
	wbuf_reset(&r->r_out);
	if (wbuf_append(&r->r_out, http_zero, LWS_PRE) == -1 ||
	    wire_body_seal(ex->ee_aead, cl->cl_cid, r->r_frames, n, &eo, text,
	    &r->r_out, &r->r_scratch, &errstr) == -1) {
		log_warnx("sealing a response failed");
		drain_rollback(cl, r);
		drain_resp_put(r);
		return (-1);
	}
	xc->xc_resp = r;
	xc->xc_off = 0;
	return (1);
}

/*
 * The payload budget of a binary POST response: about EXIT_POST_TIME of
 * what one of this client's POST connections delivers (txpace_exchange:
 * bytes acknowledged over busy time, sampled on each connection when its
 * next request comes in), so a response is never seconds of bulk that a
 * new session's reply could wait behind, and pollers come back soon.
 */
static size_t
http_post_budget(struct xconn *xc)
{
	struct xclient	*cl = xc->xc_cl;
	double		 now = exit_now();

	if (xc->xc_text)
		return (0);
	if (!cl->cl_postpace_on) {
		txpace_init_rate(&cl->cl_postpace,
		    ex->ee_conf.ec_max_response_bytes, now);
		cl->cl_postpace_on = 1;
	}
	cl->cl_postpace.tp_msgmax = ex->ee_conf.ec_max_response_bytes;
	txpace_exchange(&cl->cl_postpace, &xc->xc_pace,
	    lws_get_socket_fd(xc->xc_wsi), now);
	return (txpace_budget_rtt(&cl->cl_postpace, EXIT_POST_TIME,
	    EXIT_POST_MIN, now));
}

/* LWS_CALLBACK_HTTP_WRITEABLE */
static int
http_writeable(struct lws *wsi)
{
	struct xconn	*xc = http_xconn(wsi, 0);
	struct xresp	*r;
	uint8_t		 hbuf[LWS_PRE + 512], *start, *p, *end;
	size_t		 blen, chunk;
	int		 rc, final;

	if (xc == NULL)
		return (0);
	if (xc->xc_state == XH_WAIT) {
		if (http_coalesce(xc))
			return (0);
		ev_timer_stop(ex->ee_loop, &xc->xc_ctimer);
		rc = http_build(xc, 1, xc->xc_deadline || ex->ee_shutdown,
		    xc->xc_text, http_post_budget(xc));
		if (rc == -1)
			return (-1);
		if (rc == 0)
			return (0);		/* keep holding */
		http_unwait(xc);
		if (xc->xc_resp->r_first)
			http_syn_answered(xc->xc_cl, xc);
		xc->xc_state = XH_WRITE;
		r = xc->xc_resp;
		blen = r->r_out.wb_len - LWS_PRE;
		start = p = hbuf + LWS_PRE;
		end = hbuf + sizeof(hbuf) - 1;
		if (lws_add_http_common_headers(wsi, 200, xc->xc_text ?
		    "text/plain" : "application/octet-stream", blen, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return (-1);
		lws_callback_on_writable(wsi);
		return (0);
	}
	if (xc->xc_state != XH_WRITE || (r = xc->xc_resp) == NULL)
		return (0);
	blen = r->r_out.wb_len - LWS_PRE;
	chunk = blen - xc->xc_off;
	if (chunk > HTTP_BODY_CHUNK)
		chunk = HTTP_BODY_CHUNK;
	final = xc->xc_off + chunk == blen;
	if (chunk > 0 && lws_write(wsi, r->r_out.wb_data + LWS_PRE +
	    xc->xc_off, chunk, final ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP) < (int)chunk)
		return (-1);		/* rolled back on close */
	xc->xc_off += chunk;
	if (!final) {
		lws_callback_on_writable(wsi);
		return (0);
	}
	/* Handed to the kernel: the batch counts as delivered. */
	drain_commit(xc->xc_cl, r, exit_now());
	drain_resp_put(r);
	xc->xc_resp = NULL;
	xc->xc_state = XH_IDLE;
	http_set_client(xc, NULL);
	if (lws_http_transaction_completed(wsi))
		return (-1);
	return (0);
}

/* --- WebSocket /stream --- */

static int
http_confirm_upgrade(struct lws *wsi)
{
	char	 uri[64], origin[256], host[256];
	const char *o;
	struct xconn *xc;

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, "/stream") != 0 || !ex->ee_conf.ec_stream_enabled) {
		(void)http_simple(wsi, 404, "text/plain", "not found\n", 1);
		return (1);
	}
	if (ex->ee_shutdown) {
		ex->ee_stats.es_http_503++;
		(void)http_simple(wsi, 503, "text/plain", "busy\n", 1);
		return (1);
	}
	/* Browsers from another origin may not dial us (coder/websocket). */
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) > 0 &&
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) > 0) {
		o = strstr(origin, "://");
		o = o != NULL ? o + 3 : origin;
		if (strcasecmp(o, host) != 0) {
			(void)http_simple(wsi, 403, "text/plain",
			    "cross-origin\n", 1);
			return (1);
		}
	}
	/* Held until the hello authenticates (or its deadline). */
	if ((xc = http_xconn(wsi, 1)) == NULL ||
	    admit_take(&xc->xc_slot, lws_get_socket_fd(wsi),
	    ADMIT_STREAM) == -1) {
		ex->ee_stats.es_http_503++;
		(void)http_simple(wsi, 503, "text/plain", "busy\n", 1);
		return (1);
	}
	return (0);
}

static int	http_ws_message(struct xconn *);

/* wsraw.c: a complete message. */
static int
http_wsraw_message(void *arg)
{
	struct xconn	*xc = arg;

	if (xc->xc_closing)
		return (-1);
	return (http_ws_message(xc));
}

/* wsraw.c: the next message for this stream, if it is the client's. */
static int
http_wsraw_build(void *arg, size_t budget, uint8_t **body, size_t *len)
{
	struct xconn	*xc = arg;
	struct xresp	*r;
	int		 rc;

	if (xc->xc_closing || !xc->xc_authed || xc->xc_cl == NULL ||
	    xc->xc_cl->cl_stream != xc || xc->xc_resp != NULL)
		return (0);
	if ((rc = http_build(xc, 0, 0, 0, budget)) <= 0)
		return (rc);
	r = xc->xc_resp;
	*body = r->r_out.wb_data + LWS_PRE;
	*len = r->r_out.wb_len - LWS_PRE;
	return (1);
}

/* wsraw.c: the message is in the kernel. */
static void
http_wsraw_sent(void *arg)
{
	struct xconn	*xc = arg;
	struct xresp	*r;

	if ((r = xc->xc_resp) == NULL)
		return;
	xc->xc_resp = NULL;
	drain_commit(xc->xc_cl, r, exit_now());
	drain_resp_put(r);
}

/* wsraw.c: EOF, an error or a bad frame: lws closes the connection. */
static void
http_wsraw_failed(void *arg)
{
	struct xconn	*xc = arg;

	xc->xc_closing = 1;
	lws_set_timeout(xc->xc_wsi, PENDING_TIMEOUT_CLOSE_SEND,
	    LWS_TO_KILL_ASYNC);
}

static const struct wsraw_ops http_wsraw_ops = {
	.wo_message = http_wsraw_message,
	.wo_build = http_wsraw_build,
	.wo_sent = http_wsraw_sent,
	.wo_failed = http_wsraw_failed,
};

/*
 * Upgrade done: from now on wsraw.c reads and writes the connection
 * (lws stops reading it; it still closes it).  Without it (no memory)
 * lws carries on as before.
 */
static void
http_wsraw_start(struct xconn *xc)
{
	int	 fd;

	if ((fd = lws_get_socket_fd(xc->xc_wsi)) < 0 ||
	    (xc->xc_raw = wsraw_start(fd, &xc->xc_in, &http_wsraw_ops,
	    xc)) == NULL)
		return;
	lws_rx_flow_control(xc->xc_wsi, 0);
}

static void
http_ws_established(struct lws *wsi)
{
	struct xconn	*xc;

	if ((xc = http_xconn(wsi, 1)) == NULL)
		return;
	xc->xc_kind = XK_WS;
	xc->xc_state = XH_IDLE;
	ex->ee_stats.es_streams++;
	wbuf_reset(&xc->xc_in);
	ev_timer_stop(ex->ee_loop, &xc->xc_timer);
	ev_timer_set(&xc->xc_timer, admit_hello_timeout(&xc->xc_slot), 0);
	ev_timer_start(ex->ee_loop, &xc->xc_timer);
	http_wsraw_start(xc);
}

/* A newer stream of the same client took over: give frames back, close. */
void
http_stream_supersede(struct xconn *xc)
{
	wsraw_close(xc->xc_raw);
	if (xc->xc_resp != NULL) {
		drain_rollback(xc->xc_cl, xc->xc_resp);
		drain_resp_put(xc->xc_resp);
		xc->xc_resp = NULL;
	}
	xc->xc_closing = 1;
	lws_callback_on_writable(xc->xc_wsi);
}

/* Reload turned stream_enabled off: end every stream, frames rolled back. */
void
http_streams_close(void)
{
	struct xclient	*cl, *tmp;
	int		 n = 0;

	HASH_ITER(cl_hh, ex->ee_clients, cl, tmp) {
		if (cl->cl_stream != NULL && !cl->cl_stream->xc_closing) {
			http_stream_supersede(cl->cl_stream);
			n++;
		}
	}
	if (n > 0)
		log_info("stream_enabled is off: closing %d stream(s)", n);
}

/* Unacked frames go out again on the new stream (upstream_ack_v1). */
static void
http_stream_requeue(struct xclient *cl)
{
	struct xsess	*x;

	TAILQ_FOREACH(x, &cl->cl_sessions, x_cl_entry) {
		if (x->x_s->s_flags & SESS_IN_TXN)
			continue;
		if (sess_replay_frames(x->x_s) > 0) {
			sess_replay_requeue(x->x_s);
			(void)client_replay_sync(cl, x, 0);
			if (sess_tx_drainable(x->x_s))
				client_set_ready(cl, x->x_s);
		}
	}
}

static int
http_ws_message(struct xconn *xc)
{
	struct xclient	*cl;
	struct xconn	*old;
	const char	*errstr;
	int		 had;

	http_batch_ready(xc);
	if (wire_body_open(ex->ee_aead, xc->xc_in.wb_data, xc->xc_in.wb_len,
	    0, &xc->xc_batch, &errstr) == -1) {
		ex->ee_stats.es_decode_fail++;
		admit_log("undecryptable stream message (%s): likely "
		    "tunnel_key mismatch", errstr);
		return (-1);
	}
	if (!xc->xc_authed) {
		if ((cl = client_get(xc->xc_batch.b_cid, 1)) == NULL)
			return (-1);
		xc->xc_layout = xc->xc_batch.b_layout;
		xc->xc_authed = 1;
		admit_authed(lws_get_socket_fd(xc->xc_wsi));
		if (xc->xc_raw != NULL)
			wsraw_authed(xc->xc_raw);
		http_preauth_release(xc);
		ev_timer_stop(ex->ee_loop, &xc->xc_timer);
		http_set_client(xc, cl);
		if ((old = cl->cl_stream) != NULL && old != xc) {
			cl->cl_stream = NULL;
			http_stream_supersede(old);
		}
		cl->cl_stream = xc;
		ev_timer_stop(ex->ee_loop, &cl->cl_grace);
		if (cl->cl_upack)
			http_stream_requeue(cl);
	} else if (memcmp(xc->xc_cl->cl_cid, xc->xc_batch.b_cid,
	    WIRE_CID_LEN) != 0) {
		log_info("stream message from another client_id: closing");
		return (-1);
	}
	cl = xc->xc_cl;
	route_batch(cl, &xc->xc_batch, &had);
	if (xc->xc_in.wb_cap > 1024 * 1024)
		wbuf_free(&xc->xc_in);
	if (client_has_work(cl))
		http_stream_kick(xc);
	return (0);
}

static int
http_ws_receive(struct lws *wsi, const void *in, size_t len)
{
	struct xconn	*xc = http_xconn(wsi, 0);
	size_t		 limit;

	if (xc == NULL || xc->xc_closing)
		return (-1);
	if (lws_is_first_fragment(wsi)) {
		wbuf_reset(&xc->xc_in);
		xc->xc_msg_bad = 0;
	}
	if (!lws_frame_is_binary(wsi)) {
		log_debug("text message on /stream: closing");
		return (-1);
	}
	if (reqcheck_ws(xc->xc_in.wb_len, len, xc->xc_authed) != 0) {
		limit = xc->xc_authed ? EXIT_WS_MSG_MAX : EXIT_HELLO_MAX;
		admit_log("stream message over %zu bytes: closing", limit);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    NULL, 0);
		return (-1);
	}
	if (wbuf_append(&xc->xc_in, in, len) == -1)
		return (-1);
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return (0);
	return (http_ws_message(xc));
}

static int
http_ws_writeable(struct lws *wsi)
{
	struct xconn	*xc = http_xconn(wsi, 0);
	struct xresp	*r;
	size_t		 blen, chunk;
	int		 first, final, rc;

	if (xc == NULL)
		return (-1);
	if (xc->xc_closing) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"bye", 3);
		return (-1);
	}
	if (xc->xc_raw != NULL) {
		/* We write this connection ourselves (wsraw.c). */
		wsraw_kick(xc->xc_raw);
		return (0);
	}
	if (!xc->xc_authed || xc->xc_cl == NULL ||
	    xc->xc_cl->cl_stream != xc)
		return (0);
	if (xc->xc_resp == NULL) {
		if ((rc = http_build(xc, 0, 0, 0, 0)) == -1)
			return (-1);
		if (rc == 0)
			return (0);
	}
	r = xc->xc_resp;
	blen = r->r_out.wb_len - LWS_PRE;
	chunk = blen - xc->xc_off;
	if (chunk > HTTP_WS_CHUNK)
		chunk = HTTP_WS_CHUNK;
	first = xc->xc_off == 0;
	final = xc->xc_off + chunk == blen;
	if (lws_write(wsi, r->r_out.wb_data + LWS_PRE + xc->xc_off, chunk,
	    lws_write_ws_flags(LWS_WRITE_BINARY, first, final)) < (int)chunk)
		return (-1);		/* rolled back on close */
	xc->xc_off += chunk;
	if (final) {
		drain_commit(xc->xc_cl, r, exit_now());
		drain_resp_put(r);
		xc->xc_resp = NULL;
		if (!client_has_work(xc->xc_cl))
			return (0);
	}
	lws_callback_on_writable(wsi);
	return (0);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return (http_request(wsi, in != NULL ? in : ""));
	case LWS_CALLBACK_HTTP_BODY:
		return (http_body(wsi, in, len));
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return (http_body_done(wsi));
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return (http_writeable(wsi));
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return (http_confirm_upgrade(wsi));
	case LWS_CALLBACK_ESTABLISHED:
		http_ws_established(wsi);
		return (0);
	case LWS_CALLBACK_RECEIVE:
		return (http_ws_receive(wsi, in, len));
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return (http_ws_writeable(wsi));
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		http_xconn_free(wsi);
		return (0);
	default:
		return (0);
	}
}

/*
 * protocols[0] serves HTTP and WebSocket upgrades without a subprotocol;
 * "tunnel" is accepted too for clients that name one.
 */
static struct lws_protocols http_protocols[] = {
	{ "http", http_callback, 0, HTTP_RX_BUF, 0, NULL, HTTP_RX_BUF },
	{ "tunnel", http_callback, 0, HTTP_RX_BUF, 0, NULL, HTTP_RX_BUF },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Shutdown: held requests answer now (with the queued RSTs). */
void
http_shutdown(void)
{
	struct xclient	*cl, *tmp;

	HASH_ITER(cl_hh, ex->ee_clients, cl, tmp)
		http_wake_client(cl);
}
