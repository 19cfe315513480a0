/*
 * RFC 6455 framing for both ends of a WebSocket once the handshake is
 * done: an incremental parser for what the other end sends (a client
 * reads unmasked frames, a server masked ones) and the header writer.
 * Pure functions over caller buffers: no I/O, no allocation, so the
 * parser can be fuzzed alone (regress/fuzz/fuzz_wsframe.c).  Used by the
 * carrier's stream (client) and the exit's /stream (server).
 */
#ifndef GR_WSFRAME_H
#define GR_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#define WSFRAME_HDR_MAX		14	/* 2 + 8 length + 4 mask */
#define WSFRAME_CTL_MAX		125	/* control payload cap (5.5) */

#define WSFRAME_OP_CONT		0x0
#define WSFRAME_OP_TEXT		0x1
#define WSFRAME_OP_BINARY	0x2
#define WSFRAME_OP_CLOSE	0x8
#define WSFRAME_OP_PING		0x9
#define WSFRAME_OP_PONG		0xa

/* What wsframe_parse stopped for. */
enum wsframe_ev {
	WSFRAME_ERR = -1,	/* protocol error: wf_err says which */
	WSFRAME_NEED = 0,	/* every byte used; feed more */
	WSFRAME_DATA,		/* a piece of a binary message (maybe empty) */
	WSFRAME_PING,		/* control frame complete: wf_ctl/wf_ctllen */
	WSFRAME_PONG,
	WSFRAME_CLOSE
};

/* Receive state of one connection. */
struct wsframe_rx {
	uint8_t		 wf_hdr[WSFRAME_HDR_MAX];
	size_t		 wf_hlen;	/* header bytes collected */
	int		 wf_inframe;	/* header done, payload follows */
	uint64_t	 wf_rem;	/* payload bytes left in the frame */
	int		 wf_op;		/* opcode of the frame */
	int		 wf_fin;
	int		 wf_inmsg;	/* inside a fragmented binary message */
	uint64_t	 wf_msglen;	/* message bytes so far */
	uint64_t	 wf_msgmax;	/* message cap */
	uint8_t		 wf_ctl[WSFRAME_CTL_MAX];
	size_t		 wf_ctllen;
	const char	*wf_err;
	int		 wf_server;	/* we are the server: frames masked */
	uint8_t		 wf_key[4];	/* masking key of the frame */
	uint64_t	 wf_pos;	/* payload bytes of the frame taken */
};

/* One piece of message payload found by wsframe_parse. */
struct wsframe_piece {
	const uint8_t	*wp_data;	/* points into the parsed input */
	size_t		 wp_len;
	int		 wp_end;	/* the message is complete after it */
	int		 wp_masked;	/* server: XOR a copy with wp_key */
	uint8_t		 wp_key[4];	/* the key from this piece's offset */
};

void	wsframe_rx_init(struct wsframe_rx *, uint64_t msgmax);
void	wsframe_rx_init_server(struct wsframe_rx *, uint64_t msgmax);
int	wsframe_parse(struct wsframe_rx *, const uint8_t *, size_t,
	    size_t *used, struct wsframe_piece *);
uint64_t wsframe_direct(const struct wsframe_rx *);
int	wsframe_direct_done(struct wsframe_rx *, size_t);
void	wsframe_direct_unmask(const struct wsframe_rx *, uint8_t *, size_t);

size_t	wsframe_hdr(uint8_t *, int op, uint64_t len, const uint8_t mask[4]);
void	wsframe_mask(uint8_t *, size_t, const uint8_t mask[4]);

#endif /* GR_WSFRAME_H */
