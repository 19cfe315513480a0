/* FUZZ-SOURCES: common/wsframe.c */
/* FUZZ-LIBS: */
/*
 * The WebSocket frame reader (common/wsframe.c).
 * Input: byte 0 picks the message cap, byte 1 seeds the split pattern
 * and with its top bit makes us the server (frames must be masked: the
 * exit's side), the rest is what the other end sent.  The stream is
 * parsed three ways: in one buffer, in small pieces of varying size, and
 * in pieces with bulk payload taken through wsframe_direct (as stream.c
 * and wsraw.c read it); all three must report the same messages, control
 * frames and error, at the same offset.  Every piece must lie inside the
 * input, no message may exceed the cap, and a frame built by wsframe_hdr
 * around the input must parse back to it.
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsframe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A normalised record of what the parser reported. */
struct fw_log {
	uint8_t		*l_buf;
	size_t		 l_len;
	size_t		 l_cap;
	uint8_t		*l_msg;		/* message being assembled */
	size_t		 l_msglen;
};

static void
fw_put(struct fw_log *l, uint8_t type, const uint8_t *p, size_t n)
{
	uint8_t	 h[5];

	h[0] = type;
	memcpy(h + 1, &n, 4);
	if (l->l_len + 5 + n > l->l_cap)
		abort();
	memcpy(l->l_buf + l->l_len, h, 5);
	if (n > 0)
		memcpy(l->l_buf + l->l_len + 5, p, n);
	l->l_len += 5 + n;
}

/* key: the piece came masked (server), unmask the copy with it. */
static void
fw_data(struct fw_log *l, const uint8_t *p, size_t n, int end,
    uint64_t cap, const uint8_t *key)
{
	if (n > 0) {
		memcpy(l->l_msg + l->l_msglen, p, n);
		if (key != NULL)
			wsframe_mask(l->l_msg + l->l_msglen, n, key);
	}
	l->l_msglen += n;
	if (l->l_msglen > cap)
		abort();
	if (end) {
		fw_put(l, 'M', l->l_msg, l->l_msglen);
		l->l_msglen = 0;
	}
}

/* Feed in at [0, n) in pieces from split(); 1: direct reads too. */
static void
fw_run(const uint8_t *in, size_t n, uint64_t cap, uint8_t seed, int direct,
    int server, struct fw_log *l)
{
	struct wsframe_rx	 rx;
	struct wsframe_piece	 pc;
	size_t			 off = 0, end, used, k, step;
	uint64_t		 d;
	uint32_t		 s = seed;
	int			 ev, r;

	if (server)
		wsframe_rx_init_server(&rx, cap);
	else
		wsframe_rx_init(&rx, cap);
	while (off < n) {
		s = s * 1103515245 + 12345;
		step = seed == 0 ? n : 1 + (s >> 16) % 9;
		end = off + step > n ? n : off + step;
		if (direct && (d = wsframe_direct(&rx)) > 0) {
			k = d < end - off ? (size_t)d : end - off;
			if (l->l_msglen + k > cap)
				abort();
			memcpy(l->l_msg + l->l_msglen, in + off, k);
			wsframe_direct_unmask(&rx, l->l_msg + l->l_msglen, k);
			l->l_msglen += k;
			if ((r = wsframe_direct_done(&rx, k)) == -1)
				abort();
			if (r)
				fw_data(l, NULL, 0, 1, cap, NULL);
			off += k;
			continue;
		}
		while (off < end) {
			ev = wsframe_parse(&rx, in + off, end - off, &used,
			    &pc);
			if (used > end - off)
				abort();
			if (pc.wp_len > 0 && (pc.wp_data < in + off ||
			    pc.wp_data + pc.wp_len > in + off + used))
				abort();
			off += used;
			switch (ev) {
			case WSFRAME_ERR:
				if (rx.wf_err == NULL)
					abort();
				fw_put(l, 'E', (uint8_t *)&off, sizeof(off));
				return;
			case WSFRAME_NEED:
				if (off != end)
					abort();
				break;
			case WSFRAME_DATA:
				if (pc.wp_masked != server)
					abort();
				fw_data(l, pc.wp_data, pc.wp_len, pc.wp_end,
				    cap, pc.wp_masked ? pc.wp_key : NULL);
				break;
			case WSFRAME_PING:
			case WSFRAME_PONG:
			case WSFRAME_CLOSE:
				if (rx.wf_ctllen > WSFRAME_CTL_MAX)
					abort();
				fw_put(l, (uint8_t)('0' + ev), rx.wf_ctl,
				    rx.wf_ctllen);
				break;
			default:
				abort();
			}
		}
	}
}

static void
fw_init(struct fw_log *l, size_t n)
{
	l->l_cap = 3 * n + 64 * (n + 1);
	if ((l->l_buf = malloc(l->l_cap)) == NULL ||
	    (l->l_msg = malloc(n + 1)) == NULL)
		abort();
	l->l_len = l->l_msglen = 0;
}

static void
fw_free(struct fw_log *l)
{
	free(l->l_buf);
	free(l->l_msg);
}

/* A frame made by the writer around the payload parses back to it. */
static void
fw_roundtrip(const uint8_t *p, size_t n)
{
	struct wsframe_rx	 rx;
	struct wsframe_piece	 pc;
	uint8_t			*f, key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t			 h, used;

	if ((f = malloc(WSFRAME_HDR_MAX + n + 1)) == NULL)
		abort();
	h = wsframe_hdr(f, WSFRAME_OP_BINARY, n, NULL);
	memcpy(f + h, p, n);
	/* Masking twice is the identity. */
	wsframe_mask(f + h, n, key);
	wsframe_mask(f + h, n, key);
	wsframe_rx_init(&rx, n);
	if (wsframe_parse(&rx, f, h + n, &used, &pc) != WSFRAME_DATA ||
	    used != h + n || !pc.wp_end || pc.wp_len != n ||
	    (n > 0 && memcmp(pc.wp_data, p, n) != 0))
		abort();
	/* A masked frame is refused: servers never mask. */
	h = wsframe_hdr(f, WSFRAME_OP_BINARY, n, key);
	wsframe_rx_init(&rx, n);
	if (wsframe_parse(&rx, f, h, &used, &pc) != WSFRAME_ERR)
		abort();
	/* ... and is what a server reads back, unmasked. */
	memcpy(f + h, p, n);
	wsframe_mask(f + h, n, key);
	wsframe_rx_init_server(&rx, n);
	if (wsframe_parse(&rx, f, h + n, &used, &pc) != WSFRAME_DATA ||
	    used != h + n || !pc.wp_end || pc.wp_len != n || !pc.wp_masked)
		abort();
	if (n > 0) {
		memmove(f, pc.wp_data, n);
		wsframe_mask(f, n, pc.wp_key);
		if (memcmp(f, p, n) != 0)
			abort();
	}
	/* A server refuses an unmasked frame. */
	h = wsframe_hdr(f, WSFRAME_OP_BINARY, n, NULL);
	wsframe_rx_init_server(&rx, n);
	if (wsframe_parse(&rx, f, h, &used, &pc) != WSFRAME_ERR)
		abort();
	free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_log	 a, b, c;
	uint64_t	 cap;
	uint8_t		 seed;
	int		 server;

	if (size < 2)
		return (0);
	server = (data[1] & 0x80) != 0;
	seed = (data[1] & 0x7f) | 1;
	cap = data[0] == 255 ? UINT64_MAX : (uint64_t)data[0] * 16;
	fw_init(&a, size);
	fw_init(&b, size);
	fw_init(&c, size);
	fw_run(data + 2, size - 2, cap, 0, 0, server, &a);
	fw_run(data + 2, size - 2, cap, seed, 0, server, &b);
	fw_run(data + 2, size - 2, cap, seed, 1, server, &c);
	if (a.l_len != b.l_len || memcmp(a.l_buf, b.l_buf, a.l_len) != 0 ||
	    a.l_len != c.l_len || memcmp(a.l_buf, c.l_buf, a.l_len) != 0)
		abort();
	fw_free(&a);
	fw_free(&b);
	fw_free(&c);
	fw_roundtrip(data + 2, size - 2);
	return (0);
}
