/*
 * GooseRelayVPN wire protocol: frames, batches, AES-256-GCM envelope,
 * body encodings and control payloads (docs/protocol.md section 1).
 *
 * Every decoder here takes untrusted bytes, never reads out of bounds,
 * and returns -1 with *errstr set to a static, human-readable reason.
 * Decoded frames point into buffers owned by the decoder object; they stay
 * valid until that object is used again or freed.
 */
#ifndef GR_WIRE_H
#define GR_WIRE_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_SID_LEN		16
#define WIRE_CID_LEN		16
#define WIRE_MAX_PAYLOAD	262144		/* 256 KiB per frame */
#define WIRE_MAX_TARGET		255
#define WIRE_FRAME_HDR		30		/* without the target */
#define WIRE_FRAME_LEN_HDR	4		/* u32 length before each frame */
#define WIRE_MAX_FRAMES		65535
#define WIRE_NONCE_LEN		12
#define WIRE_TAG_LEN		16
#define WIRE_KEY_LEN		32
#define WIRE_DECOMP_CAP		(64U * 1024 * 1024)
#define WIRE_ENVELOPE_OVERHEAD	(WIRE_NONCE_LEN + WIRE_TAG_LEN)
/* Worst-case per-frame overhead a sender budgets for (length + header). */
#define WIRE_FRAME_WORST_HDR	(WIRE_FRAME_LEN_HDR + WIRE_FRAME_HDR + \
				    WIRE_MAX_TARGET)

#define WIRE_F_SYN		0x01
#define WIRE_F_FIN		0x02
#define WIRE_F_ACK		0x04
#define WIRE_F_RST		0x08

/* Batch flags byte (layout v1.6+). */
#define WIRE_BF_RAW		0x00
#define WIRE_BF_DEFLATE		0x01	/* decode only */
#define WIRE_BF_ZSTD		0x02

enum wire_layout {
	WIRE_LAYOUT_V16 = 0,	/* flags(1) || [zstd](cid || count || frames) */
	WIRE_LAYOUT_V15 = 1	/* cid || count || frames, no flags byte */
};

/* A growable byte buffer, reused across batches to avoid malloc. */
struct wbuf {
	uint8_t		*wb_data;
	size_t		 wb_len;
	size_t		 wb_cap;
};

int	 wbuf_reserve(struct wbuf *, size_t);	/* ensure cap >= len + n */
int	 wbuf_append(struct wbuf *, const void *, size_t);
int	 wbuf_setcap(struct wbuf *, size_t);	/* grow to exactly cap */
void	 wbuf_reset(struct wbuf *);		/* len = 0, keeps memory */
void	 wbuf_free(struct wbuf *);

/*
 * One frame.  On decode, f_target and f_payload point into the decoder's
 * plaintext.  On encode, f_payload may point anywhere (e.g. straight into a
 * session's pooled socket buffer) and may be split into two pieces
 * (f_payload + f_payload2) so a frame can span a ring or chain boundary
 * without a copy.
 */
struct wire_frame {
	uint8_t		 f_sid[WIRE_SID_LEN];
	uint64_t	 f_seq;
	uint8_t		 f_flags;
	uint8_t		 f_tlen;
	const char	*f_target;		/* f_tlen bytes, not NUL-ended */
	const uint8_t	*f_payload;
	uint32_t	 f_len;			/* bytes at f_payload */
	const uint8_t	*f_payload2;		/* optional second piece */
	uint32_t	 f_len2;
};

static inline uint32_t
wire_frame_paylen(const struct wire_frame *f)
{
	return (f->f_len + f->f_len2);
}

/* Serialised size of one frame (header + target + payload). */
size_t	 wire_frame_size(const struct wire_frame *);
/* Encode one frame into buf (must hold wire_frame_size bytes). */
size_t	 wire_frame_encode(const struct wire_frame *, uint8_t *);
/* Decode exactly one frame occupying all n bytes. */
int	 wire_frame_decode(const uint8_t *, size_t, struct wire_frame *,
	    const char **);

/* Key handling; wire_aead_hexval: a hex digit's value, or -1. */
int	 wire_key_parse(const char *hex, uint8_t key[WIRE_KEY_LEN],
	    const char **errstr);
int	 wire_aead_hexval(int c);

/* AES-256-GCM with reused EVP contexts and counter nonces. */
struct wire_aead;
struct wire_aead *wire_aead_new(const uint8_t key[WIRE_KEY_LEN]);
void	 wire_aead_free(struct wire_aead *);
/* Seal one contiguous plaintext: nonce || ciphertext || tag appended. */
int	 wire_aead_seal(struct wire_aead *, const uint8_t *, size_t,
	    struct wbuf *out, const char **errstr);
/* Open one envelope into plain (reset first); -1 on any failure. */
int	 wire_aead_open(struct wire_aead *, const uint8_t *, size_t,
	    struct wbuf *plain, const char **errstr);

/* Options for building a batch. */
struct wire_encopts {
	enum wire_layout eo_layout;
	int		 eo_compress;	/* allow zstd (v1.6 layout only) */
};

/*
 * Build and seal one batch.  The envelope (nonce || ciphertext || tag) is
 * appended to out.  When uncompressed, frames are encrypted straight from
 * their payload pointers into out (one pass, no plaintext copy).
 */
int	 wire_batch_seal(struct wire_aead *, const uint8_t cid[WIRE_CID_LEN],
	    const struct wire_frame *, size_t nframes,
	    const struct wire_encopts *, struct wbuf *out, const char **errstr);

/* Plaintext size of a batch built from these frames (v1.6 raw). */
size_t	 wire_batch_plainsize(const struct wire_frame *, size_t);

/* A reusable batch decoder. */
struct wire_batch {
	uint8_t			 b_cid[WIRE_CID_LEN];
	enum wire_layout	 b_layout;
	uint8_t			 b_bflags;	/* flags byte seen (v1.6) */
	size_t			 b_nframes;
	struct wire_frame	*b_frames;
	size_t			 b_fcap;
	struct wbuf		 b_plain;	/* decrypted plaintext */
	struct wbuf		 b_body;	/* decompressed body */
	struct wbuf		 b_raw;		/* base64-decoded envelope */
	struct ZSTD_DCtx_s	*b_zdctx;	/* reused zstd decoder */
};

void	 wire_batch_init(struct wire_batch *);
void	 wire_batch_free(struct wire_batch *);

/*
 * Open a binary envelope: authenticate and decrypt, then parse the v1.6
 * layout, falling back to the v1.5 layout (docs/protocol.md section 1.5).
 */
int	 wire_batch_open(struct wire_aead *, const uint8_t *, size_t,
	    struct wire_batch *, const char **errstr);

/*
 * Parse an already decrypted plaintext (v1.6, falling back to v1.5).
 * Frames point into p or into b_body.  Used by wire_batch_open and by
 * the fuzz harnesses.
 */
int	 wire_batch_parse(struct wire_batch *, const uint8_t *, size_t,
	    const char **errstr);

/* Base64, standard alphabet.  Encoding is unpadded. */
size_t	 wire_b64_enclen(size_t);		/* chars, unpadded */
size_t	 wire_b64_encode(char *dst, const uint8_t *src, size_t n);
/* Accepts padded or unpadded input with surrounding whitespace. */
int	 wire_b64_decode(struct wbuf *out, const char *src, size_t n,
	    const char **errstr);
/* libcrypto-based reference pair (tests, fuzzing, bench). */
size_t	 wire_b64_encode_evp(char *dst, const uint8_t *src, size_t n);
int	 wire_b64_decode_evp(struct wbuf *out, const char *src, size_t n,
	    const char **errstr);

/*
 * Body helpers: the HTTP/WebSocket body for a batch.  text != 0 means the
 * base64 text form (Apps Script, direct POST before negotiation).
 */
int	 wire_body_seal(struct wire_aead *, const uint8_t cid[WIRE_CID_LEN],
	    const struct wire_frame *, size_t, const struct wire_encopts *,
	    int text, struct wbuf *out, struct wbuf *scratch,
	    const char **errstr);
int	 wire_body_open(struct wire_aead *, const uint8_t *, size_t, int text,
	    struct wire_batch *, const char **errstr);

/* Downstream ACK: "GACK" 0x01 u64be(next_seq), exactly 13 bytes. */
#define WIRE_GACK_LEN	13
void	 wire_gack_encode(uint8_t out[WIRE_GACK_LEN], uint64_t next_seq);
/*
 * Receive window (rx_window_v1, ours only): an ACK frame with "GWIN" 0x01
 * u64be(limit), exactly 13 bytes: the peer may send this session's data
 * bytes below stream offset limit.
 */
#define WIRE_GWIN_LEN	13
void	 wire_gwin_encode(uint8_t out[WIRE_GWIN_LEN], uint64_t limit);
int	 wire_gwin_decode(const uint8_t *, size_t, uint64_t *limit,
	    const char **errstr);
int	 wire_gack_decode(const uint8_t *, size_t, uint64_t *next_seq,
	    const char **errstr);

/*
 * udp_v1 (ours, negotiated; docs/udp.md): one datagram per ACK frame of
 * the association's session id, payload
 *	"GUDP" 0x01 ATYP ADDR PORT DATA
 * with the SOCKS5 address format (RFC 1928 section 5): ATYP 0x01 IPv4 (4
 * bytes), 0x03 domain (length byte 1..255, then the name), 0x04 IPv6 (16
 * bytes); PORT u16 BE.  Carrier to exit: the destination; exit to
 * carrier: the source of a reply (never a domain).  ACK frames are never
 * delivered to a byte stream by any GooseRelayVPN version, and an ACK for
 * a session it does not know is answered with an RST, never a dial.
 * Also the SOCKS5 UDP request header (RFC 1928 section 7), which carries
 * the same address after RSV(2) FRAG(1).
 */
#define WIRE_UDP_MAGIC		"GUDP"
#define WIRE_UDP_VERSION	0x01
#define WIRE_UDP_PREFIX		5	/* magic + version */
#define WIRE_UDP_ADDR_MAX	(1 + 1 + 255 + 2)
#define WIRE_UDP_HDR_MAX	(WIRE_UDP_PREFIX + WIRE_UDP_ADDR_MAX)
#define WIRE_UDP_MAX_DATA	65535	/* one IP datagram's payload */
#define WIRE_UDP_SOCKS_PREFIX	3	/* RSV RSV FRAG */
#define WIRE_UDP_ATYP_IPV4	0x01
#define WIRE_UDP_ATYP_DOMAIN	0x03
#define WIRE_UDP_ATYP_IPV6	0x04

struct wire_udp_addr {
	uint8_t		 ua_atyp;
	uint8_t		 ua_alen;		/* 4, 16 or the name's length */
	uint8_t		 ua_addr[255];		/* not NUL-ended */
	uint16_t	 ua_port;
};

/* Does this ACK payload claim to be a datagram ("GUDP", any version)? */
int	 wire_udp_is(const uint8_t *, size_t);
/* ATYP ADDR PORT at p: bytes used, or -1. */
int	 wire_udp_addr_decode(const uint8_t *, size_t, struct wire_udp_addr *,
	    const char **errstr);
/* Encode ATYP ADDR PORT into out (WIRE_UDP_ADDR_MAX bytes); its size. */
size_t	 wire_udp_addr_encode(const struct wire_udp_addr *, uint8_t *out);
/* A datagram frame payload: address and data (pointing into p). */
int	 wire_udp_decode(const uint8_t *, size_t, struct wire_udp_addr *,
	    const uint8_t **data, size_t *dlen, const char **errstr);
/* "GUDP" 0x01 + address into out (WIRE_UDP_HDR_MAX bytes); its size. */
size_t	 wire_udp_hdr_encode(const struct wire_udp_addr *, uint8_t *out);
/*
 * A SOCKS5 UDP request datagram: header length (RSV FRAG ATYP ADDR PORT)
 * or -1.  *frag is the FRAG byte as received (the caller drops != 0).
 */
int	 wire_udp_socks_decode(const uint8_t *, size_t,
	    struct wire_udp_addr *, uint8_t *frag, const char **errstr);
/* IPv4 / IPv6 socket addresses (v4-mapped IPv6 becomes IPv4). */
int	 wire_udp_addr_from_sa(struct wire_udp_addr *,
	    const struct sockaddr *);
int	 wire_udp_addr_to_sa(const struct wire_udp_addr *,
	    struct sockaddr_storage *, socklen_t *);

/* Version probe: ACK frame payload "goose_version_probe:v1|{json}". */
#define WIRE_PROBE_PREFIX	"goose_version_probe:v1|"
#define WIRE_PROTOCOL_VERSION	1

struct wire_probe {
	char	 p_client_version[64];
	int	 p_protocol;
	char	 p_instance_id[129];	/* "" when absent */
	char	 p_run_id[33];		/* "" when absent */
	int	 p_reset_previous;
	int	 p_upstream_ack;	/* "upstream_ack": true (ours only) */
	uint32_t p_rx_window;		/* "rx_window": bytes (ours only) */
};

/* Feature bits of the probe reply. */
#define WIRE_FEAT_ZSTD		0x01	/* "zstd" */
#define WIRE_FEAT_RAW_B64	0x02	/* "raw_base64" */
#define WIRE_FEAT_BINARY	0x04	/* "binary_batch_v1" */
#define WIRE_FEAT_RUN_RESET	0x08	/* "client_run_reset_v1" */
#define WIRE_FEAT_REPLAY	0x10	/* "downstream_replay_v1" */
#define WIRE_FEAT_UPSTREAM_ACK	0x20	/* "upstream_ack_v1" (ours only) */
/*
 * Ours only: an ACK for a session the exit does not have is answered
 * with an RST, so a client may check its sessions with GACKs.
 */
#define WIRE_FEAT_SESS_CHECK	0x40	/* "session_check_v1" */
/*
 * Ours only: per-session receive windows.  The probe's "rx_window" is
 * the window every session of the client starts with; GWIN frames move
 * a session's limit on.
 */
#define WIRE_FEAT_RX_WINDOW	0x80	/* "rx_window_v1" */
#define WIRE_FEAT_UDP		0x100	/* "udp_v1" (ours only; docs/udp.md) */

struct wire_probe_reply {
	int		 pr_ok;
	int		 pr_protocol;
	char		 pr_server_version[64];
	uint32_t	 pr_max_frame_payload;
	unsigned int	 pr_features;
};

/* Is this ACK payload a version probe (prefix match, JSON optional)? */
int	 wire_probe_is(const uint8_t *, size_t);
int	 wire_probe_encode(const struct wire_probe *, struct wbuf *out);
int	 wire_probe_decode(const uint8_t *, size_t, struct wire_probe *,
	    const char **errstr);
int	 wire_probe_reply_encode(const struct wire_probe_reply *,
	    struct wbuf *out);
int	 wire_probe_reply_decode(const uint8_t *, size_t,
	    struct wire_probe_reply *, const char **errstr);

/* Probe reply feature bits <-> names ("features" JSON array). */
const char *wire_feature_name(unsigned int bit);

/*
 * Internal to libwire (wire_batch.c, wire_body.c, wire_aead.c): piecewise
 * sealing.  Begin writes the nonce, update encrypts straight into out,
 * finish appends the tag.
 */
int	 wire_aead_seal_begin(struct wire_aead *, struct wbuf *out,
	    size_t plainlen, const char **errstr);
int	 wire_aead_seal_update(struct wire_aead *, struct wbuf *out,
	    const uint8_t *, size_t, const char **errstr);
int	 wire_aead_seal_finish(struct wire_aead *, struct wbuf *out,
	    const char **errstr);
/* Frame header only (through the payload length); returns its size. */
size_t	 wire_frame_encode_hdr(const struct wire_frame *, uint8_t *);
/* Is this frame encodable (payload/target bounds, known flags)? */
int	 wire_frame_check(const struct wire_frame *, const char **errstr);
/* Per-aead scratch used by the batch encoder when it must assemble. */
struct wbuf *wire_aead_scratch(struct wire_aead *, int which);
struct ZSTD_CCtx_s *wire_aead_zcctx(struct wire_aead *);

#endif /* GR_WIRE_H */
