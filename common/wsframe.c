/*
 * RFC 6455 framing.  The parser takes whatever the socket gave (any
 * split: a header may arrive one byte at a time) and stops at each piece
 * of binary payload and at each complete control frame; the caller owns
 * the message buffer, so bulk payload can also be read straight into it
 * (wsframe_direct).  Everything the other end may not send is an error:
 * masked frames from a server, unmasked ones from a client (5.1),
 * reserved bits (no extension is negotiated),
 * reserved opcodes, text frames (the tunnel carries binary batches only),
 * fragmented or oversized control frames, a continuation outside a
 * message or a new message inside one, 64-bit lengths with the top bit
 * set, and messages over the caller's cap, which is checked from the
 * frame header before any payload is taken.
 *
 * A server gets the payload masked: pieces say which key to XOR a copy
 * with, control payloads are unmasked here, and bulk read straight into
 * the caller's buffer is unmasked by wsframe_direct_unmask.
 *
 * lws 4.1 has both halves but runs every received byte through its state
 * machine and reads /dev/urandom once per frame sent, and its write path
 * costs an epoll_ctl pair and a loop pass per message (docs/performance.md),
 * which is why both workers frame ws:// themselves after the handshake.
 */
#include "gr_config.h"

#include <string.h>

#include "wsframe.h"

void
wsframe_rx_init(struct wsframe_rx *rx, uint64_t msgmax)
{
	memset(rx, 0, sizeof(*rx));
	rx->wf_msgmax = msgmax;
}

void
wsframe_rx_init_server(struct wsframe_rx *rx, uint64_t msgmax)
{
	wsframe_rx_init(rx, msgmax);
	rx->wf_server = 1;
}

/* The frame's key as seen from payload offset pos. */
static void
wsframe_key_at(const struct wsframe_rx *rx, uint64_t pos, uint8_t key[4])
{
	int	 i;

	for (i = 0; i < 4; i++)
		key[i] = rx->wf_key[(pos + i) & 3];
}

static int
wsframe_fail(struct wsframe_rx *rx, const char *why)
{
	rx->wf_err = why;
	return (WSFRAME_ERR);
}

/* Bytes of header needed once the first two are known. */
static size_t
wsframe_hdr_need(const struct wsframe_rx *rx)
{
	size_t	 mask = (rx->wf_hdr[1] & 0x80) ? 4 : 0;

	switch (rx->wf_hdr[1] & 0x7f) {
	case 126:
		return (4 + mask);
	case 127:
		return (10 + mask);
	default:
		return (2 + mask);
	}
}

/* The header in wf_hdr is complete: check it and enter the frame. */
static int
wsframe_header(struct wsframe_rx *rx)
{
	const uint8_t	*h = rx->wf_hdr;
	uint64_t	 len = h[1] & 0x7f;
	int		 i, op = h[0] & 0x0f, fin = (h[0] & 0x80) != 0;

	if (h[0] & 0x70)
		return (wsframe_fail(rx, "reserved bits set"));
	if ((h[1] & 0x80) && !rx->wf_server)
		return (wsframe_fail(rx, "masked frame from the server"));
	if (!(h[1] & 0x80) && rx->wf_server)
		return (wsframe_fail(rx, "unmasked frame from the client"));
	if (rx->wf_server)
		memcpy(rx->wf_key, h + rx->wf_hlen - 4, 4);
	if (len == 126)
		len = (uint64_t)h[2] << 8 | h[3];
	else if (len == 127) {
		if (h[2] & 0x80)
			return (wsframe_fail(rx, "64-bit length overflow"));
		for (len = 0, i = 2; i < 10; i++)
			len = len << 8 | h[i];
	}
	switch (op) {
	case WSFRAME_OP_CONT:
		if (!rx->wf_inmsg)
			return (wsframe_fail(rx, "continuation outside a "
			    "message"));
		break;
	case WSFRAME_OP_BINARY:
		if (rx->wf_inmsg)
			return (wsframe_fail(rx, "new message inside a "
			    "fragmented one"));
		rx->wf_inmsg = 1;
		rx->wf_msglen = 0;
		break;
	case WSFRAME_OP_TEXT:
		return (wsframe_fail(rx, "text frame"));
	case WSFRAME_OP_CLOSE:
	case WSFRAME_OP_PING:
	case WSFRAME_OP_PONG:
		if (!fin)
			return (wsframe_fail(rx, "fragmented control frame"));
		if (len > WSFRAME_CTL_MAX)
			return (wsframe_fail(rx, "control frame over 125 "
			    "bytes"));
		break;
	default:
		return (wsframe_fail(rx, "reserved opcode"));
	}
	if (op <= WSFRAME_OP_BINARY && len > rx->wf_msgmax - rx->wf_msglen)
		return (wsframe_fail(rx, "message over the size cap"));
	rx->wf_op = op;
	rx->wf_fin = fin;
	rx->wf_rem = len;
	rx->wf_pos = 0;
	rx->wf_ctllen = 0;
	rx->wf_inframe = 1;
	return (WSFRAME_NEED);
}

/* The frame's payload is all in: back to header state. */
static int
wsframe_frame_end(struct wsframe_rx *rx, struct wsframe_piece *pc)
{
	rx->wf_inframe = 0;
	rx->wf_hlen = 0;
	switch (rx->wf_op) {
	case WSFRAME_OP_CLOSE:
		return (WSFRAME_CLOSE);
	case WSFRAME_OP_PING:
		return (WSFRAME_PING);
	case WSFRAME_OP_PONG:
		return (WSFRAME_PONG);
	}
	if (rx->wf_fin) {
		rx->wf_inmsg = 0;
		pc->wp_end = 1;
	}
	return (WSFRAME_DATA);
}

/*
 * Parse up to n bytes at p.  *used says how many were consumed; call
 * again with the rest until WSFRAME_NEED.  WSFRAME_DATA: pc holds a piece
 * of message payload (pointing into p) and whether the message ended
 * with it; a frame boundary in the middle of a message is not reported.
 */
int
wsframe_parse(struct wsframe_rx *rx, const uint8_t *p, size_t n,
    size_t *used, struct wsframe_piece *pc)
{
	uint8_t	 key[4];
	size_t	 off = 0, need, take;
	int	 rc;

	memset(pc, 0, sizeof(*pc));
	*used = 0;
	if (rx->wf_err != NULL)
		return (WSFRAME_ERR);
	while (off < n || (rx->wf_inframe && rx->wf_rem == 0)) {
		if (!rx->wf_inframe) {
			need = rx->wf_hlen < 2 ? 2 : wsframe_hdr_need(rx);
			take = need - rx->wf_hlen;
			if (take > n - off)
				take = n - off;
			memcpy(rx->wf_hdr + rx->wf_hlen, p + off, take);
			rx->wf_hlen += take;
			off += take;
			if (rx->wf_hlen < 2 ||
			    rx->wf_hlen < wsframe_hdr_need(rx))
				continue;
			if ((rc = wsframe_header(rx)) != WSFRAME_NEED) {
				*used = off;
				return (rc);
			}
			/* Empty intermediate data frames end silently. */
			if (rx->wf_rem == 0 && rx->wf_op <= WSFRAME_OP_BINARY &&
			    !rx->wf_fin) {
				rx->wf_inframe = 0;
				rx->wf_hlen = 0;
			}
			continue;
		}
		take = n - off < rx->wf_rem ? n - off : (size_t)rx->wf_rem;
		if (rx->wf_op >= WSFRAME_OP_CLOSE) {
			memcpy(rx->wf_ctl + rx->wf_ctllen, p + off, take);
			if (rx->wf_server) {
				wsframe_key_at(rx, rx->wf_pos, key);
				wsframe_mask(rx->wf_ctl + rx->wf_ctllen, take,
				    key);
			}
			rx->wf_ctllen += take;
		} else {
			pc->wp_data = p + off;
			pc->wp_len = take;
			if (rx->wf_server) {
				pc->wp_masked = 1;
				wsframe_key_at(rx, rx->wf_pos, pc->wp_key);
			}
			rx->wf_msglen += take;
		}
		rx->wf_pos += take;
		rx->wf_rem -= take;
		off += take;
		*used = off;
		if (rx->wf_rem == 0)
			return (wsframe_frame_end(rx, pc));
		if (rx->wf_op <= WSFRAME_OP_BINARY)
			return (WSFRAME_DATA);
	}
	*used = off;
	return (WSFRAME_NEED);
}

/*
 * Payload bytes of a binary message the caller may read straight into its
 * message buffer (0 outside one); it then reports them with
 * wsframe_direct_done, which returns 1 when the message is complete,
 * 0 if not, -1 if more was claimed than the frame holds.
 */
uint64_t
wsframe_direct(const struct wsframe_rx *rx)
{
	if (rx->wf_err != NULL || !rx->wf_inframe ||
	    rx->wf_op > WSFRAME_OP_BINARY)
		return (0);
	return (rx->wf_rem);
}

int
wsframe_direct_done(struct wsframe_rx *rx, size_t n)
{
	struct wsframe_piece	 pc;

	if (n > wsframe_direct(rx))
		return (-1);
	rx->wf_pos += n;
	rx->wf_rem -= n;
	rx->wf_msglen += n;
	if (rx->wf_rem > 0)
		return (0);
	memset(&pc, 0, sizeof(pc));
	(void)wsframe_frame_end(rx, &pc);
	return (pc.wp_end);
}

/*
 * Server: n payload bytes just read straight into p (before
 * wsframe_direct_done reports them) are unmasked in place.
 */
void
wsframe_direct_unmask(const struct wsframe_rx *rx, uint8_t *p, size_t n)
{
	uint8_t	 key[4];

	if (!rx->wf_server)
		return;
	wsframe_key_at(rx, rx->wf_pos, key);
	wsframe_mask(p, n, key);
}

/*
 * A final frame's header for len payload bytes into out (room for
 * WSFRAME_HDR_MAX); masked when mask is not NULL (every client frame,
 * 5.3).  Returns the header length.
 */
size_t
wsframe_hdr(uint8_t *out, int op, uint64_t len, const uint8_t mask[4])
{
	size_t	 h = 2;
	int	 i;

	out[0] = 0x80 | (op & 0x0f);
	if (len < 126)
		out[1] = (uint8_t)len;
	else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		h = 10;
	}
	if (mask != NULL) {
		out[1] |= 0x80;
		memcpy(out + h, mask, 4);
		h += 4;
	}
	return (h);
}

/* XOR a whole payload with its masking key, eight bytes at a time. */
void
wsframe_mask(uint8_t *p, size_t n, const uint8_t mask[4])
{
	uint64_t	 m, v;
	size_t		 i = 0;

	memcpy(&m, mask, 4);
	memcpy((uint8_t *)&m + 4, mask, 4);
	for (; i + 8 <= n; i += 8) {
		memcpy(&v, p + i, 8);
		v ^= m;
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] ^= mask[i & 3];
}
