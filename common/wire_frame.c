/*
 * Frame codec (docs/protocol.md 1.1) and the downstream ACK payload ("GACK").
 * All integers are big-endian.
 */
#include "gr_config.h"

#include <stdint.h>
#include <string.h>

#include "wire.h"

#define WIRE_FRAME_KNOWN_FLAGS	(WIRE_F_SYN | WIRE_F_FIN | WIRE_F_ACK | \
				    WIRE_F_RST)

static void
wire_frame_put64(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static uint64_t
wire_frame_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (v);
}

size_t
wire_frame_size(const struct wire_frame *f)
{
	return (WIRE_FRAME_HDR + (size_t)f->f_tlen + f->f_len + f->f_len2);
}

/*
 * Write the header (session id .. payload length, including the target)
 * into buf; returns its size.  Shared with the batch encoder, which
 * encrypts the payload pieces separately.
 */
size_t
wire_frame_encode_hdr(const struct wire_frame *f, uint8_t *buf)
{
	uint32_t plen = f->f_len + f->f_len2;
	size_t	 off = 0;

	memcpy(buf, f->f_sid, WIRE_SID_LEN);
	off += WIRE_SID_LEN;
	wire_frame_put64(buf + off, f->f_seq);
	off += 8;
	buf[off++] = f->f_flags;
	buf[off++] = f->f_tlen;
	if (f->f_tlen > 0) {
		memcpy(buf + off, f->f_target, f->f_tlen);
		off += f->f_tlen;
	}
	buf[off++] = plen >> 24;
	buf[off++] = plen >> 16;
	buf[off++] = plen >> 8;
	buf[off++] = plen;
	return (off);
}

size_t
wire_frame_encode(const struct wire_frame *f, uint8_t *buf)
{
	size_t	 off;

	off = wire_frame_encode_hdr(f, buf);
	if (f->f_len > 0) {
		memcpy(buf + off, f->f_payload, f->f_len);
		off += f->f_len;
	}
	if (f->f_len2 > 0) {
		memcpy(buf + off, f->f_payload2, f->f_len2);
		off += f->f_len2;
	}
	return (off);
}

/* Can this frame be encoded?  Checked by the batch encoder. */
int
wire_frame_check(const struct wire_frame *f, const char **errstr)
{
	if (f->f_len > WIRE_MAX_PAYLOAD || f->f_len2 > WIRE_MAX_PAYLOAD ||
	    f->f_len + f->f_len2 > WIRE_MAX_PAYLOAD) {
		*errstr = "frame: payload larger than 262144 bytes";
		return (-1);
	}
	if ((f->f_len > 0 && f->f_payload == NULL) ||
	    (f->f_len2 > 0 && f->f_payload2 == NULL)) {
		*errstr = "frame: payload pointer missing";
		return (-1);
	}
	if (f->f_tlen > 0 && f->f_target == NULL) {
		*errstr = "frame: target pointer missing";
		return (-1);
	}
	if (f->f_flags & ~WIRE_FRAME_KNOWN_FLAGS) {
		*errstr = "frame: unknown flag bits";
		return (-1);
	}
	return (0);
}

/*
 * Decode exactly one frame that must occupy all n bytes (the batch's
 * per-frame length prefix says how long it is).
 */
int
wire_frame_decode(const uint8_t *p, size_t n, struct wire_frame *f,
    const char **errstr)
{
	size_t	 off;
	uint32_t plen;

	memset(f, 0, sizeof(*f));
	if (n < WIRE_FRAME_HDR) {
		*errstr = "frame: short header";
		return (-1);
	}
	memcpy(f->f_sid, p, WIRE_SID_LEN);
	off = WIRE_SID_LEN;
	f->f_seq = wire_frame_get64(p + off);
	off += 8;
	f->f_flags = p[off++];
	f->f_tlen = p[off++];
	if (f->f_flags & ~WIRE_FRAME_KNOWN_FLAGS) {
		*errstr = "frame: unknown flag bits";
		return (-1);
	}
	if (n - off < (size_t)f->f_tlen + 4) {
		*errstr = "frame: short target/length";
		return (-1);
	}
	f->f_target = f->f_tlen > 0 ? (const char *)p + off : NULL;
	off += f->f_tlen;
	plen = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
	    (uint32_t)p[off + 2] << 8 | p[off + 3];
	off += 4;
	if (plen > WIRE_MAX_PAYLOAD) {
		*errstr = "frame: payload larger than 262144 bytes";
		return (-1);
	}
	if (n - off < plen) {
		*errstr = "frame: short payload";
		return (-1);
	}
	if (n - off != plen) {
		*errstr = "frame: declared length does not match frame size";
		return (-1);
	}
	f->f_payload = plen > 0 ? p + off : NULL;
	f->f_len = plen;
	return (0);
}

void
wire_gack_encode(uint8_t out[WIRE_GACK_LEN], uint64_t next_seq)
{
	memcpy(out, "GACK", 4);
	out[4] = 0x01;
	wire_frame_put64(out + 5, next_seq);
}

void
wire_gwin_encode(uint8_t out[WIRE_GWIN_LEN], uint64_t limit)
{
	memcpy(out, "GWIN", 4);
	out[4] = 0x01;
	wire_frame_put64(out + 5, limit);
}

int
wire_gwin_decode(const uint8_t *p, size_t n, uint64_t *limit,
    const char **errstr)
{
	if (n != WIRE_GWIN_LEN) {
		*errstr = "gwin: payload is not 13 bytes";
		return (-1);
	}
	if (memcmp(p, "GWIN", 4) != 0) {
		*errstr = "gwin: bad magic";
		return (-1);
	}
	if (p[4] != 0x01) {
		*errstr = "gwin: unsupported version";
		return (-1);
	}
	*limit = wire_frame_get64(p + 5);
	return (0);
}

int
wire_gack_decode(const uint8_t *p, size_t n, uint64_t *next_seq,
    const char **errstr)
{
	if (n != WIRE_GACK_LEN) {
		*errstr = "gack: payload is not 13 bytes";
		return (-1);
	}
	if (memcmp(p, "GACK", 4) != 0) {
		*errstr = "gack: bad magic";
		return (-1);
	}
	if (p[4] != 0x01) {
		*errstr = "gack: unsupported version";
		return (-1);
	}
	*next_seq = wire_frame_get64(p + 5);
	return (0);
}
