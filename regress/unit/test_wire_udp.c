/*
 * udp_v1 codec tests (docs/udp.md): known-answer vectors for the
 * datagram frame payload, the whole frame and a sealed batch carrying one
 * (made with Python's cryptography package, not with this code), the
 * SOCKS5 UDP request header, socket address conversions, every rejection,
 * and the "udp_v1" feature name in the probe reply.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t		 n = strlen(s) / 2, i;
	unsigned int	 v;

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = v;
	}
	return (n);
}

/* "GUDP" 01, IPv4 127.0.0.1, port 53, data "abc". */
static const char *vec_ipv4 = "4755445001017f0000010035616263";
/* "GUDP" 01, IPv6 ::1, port 5353, no data. */
static const char *vec_ipv6 =
    "4755445001040000000000000000000000000000"
    "000114e9";
/* "GUDP" 01, domain "udp.example", port 53, data 00 01. */
static const char *vec_domain =
    "4755445001030b7564702e6578616d706c6500350001";
/* The IPv4 datagram as a frame: sid 00..0f, seq 5, ACK, no target. */
static const char *vec_frame =
    "000102030405060708090a0b0c0d0e0f000000000000000504000000000f"
    "4755445001017f0000010035616263";
/*
 * That frame in a v1.6 raw batch, client id a0..af, sealed with key
 * 00..1f and nonce 10..1b, as an unpadded base64 text body.
 */
static const char *vec_body =
    "EBESExQVFhcYGRobfV45tOptnxVt3aG3pNXE/XhQTw4bwnqx5vvhY1tSU9NZ41wP"
    "+Khh7342klGKmBYfE7xHc+zMDLbsHztO85elazCZXUBbhkK1NTCFipQM8HjBJGQ8";

static void
test_decode_vectors(void **state)
{
	struct wire_udp_addr	 a;
	uint8_t			 p[64], out[WIRE_UDP_HDR_MAX];
	const uint8_t		*data;
	const char		*err = NULL;
	size_t			 n, dlen, h;

	n = unhex(vec_ipv4, p, sizeof(p));
	assert_true(wire_udp_is(p, n));
	assert_int_equal(wire_udp_decode(p, n, &a, &data, &dlen, &err), 0);
	assert_int_equal(a.ua_atyp, WIRE_UDP_ATYP_IPV4);
	assert_int_equal(a.ua_alen, 4);
	assert_memory_equal(a.ua_addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(a.ua_port, 53);
	assert_int_equal(dlen, 3);
	assert_memory_equal(data, "abc", 3);
	h = wire_udp_hdr_encode(&a, out);
	assert_int_equal(h, n - 3);
	assert_memory_equal(out, p, h);

	n = unhex(vec_ipv6, p, sizeof(p));
	assert_int_equal(wire_udp_decode(p, n, &a, &data, &dlen, &err), 0);
	assert_int_equal(a.ua_atyp, WIRE_UDP_ATYP_IPV6);
	assert_int_equal(a.ua_port, 5353);
	assert_int_equal(a.ua_addr[15], 1);
	assert_int_equal(dlen, 0);
	assert_int_equal(wire_udp_hdr_encode(&a, out), n);
	assert_memory_equal(out, p, n);

	n = unhex(vec_domain, p, sizeof(p));
	assert_int_equal(wire_udp_decode(p, n, &a, &data, &dlen, &err), 0);
	assert_int_equal(a.ua_atyp, WIRE_UDP_ATYP_DOMAIN);
	assert_int_equal(a.ua_alen, 11);
	assert_memory_equal(a.ua_addr, "udp.example", 11);
	assert_int_equal(a.ua_port, 53);
	assert_int_equal(dlen, 2);
	assert_int_equal(wire_udp_hdr_encode(&a, out), n - 2);
	assert_memory_equal(out, p, n - 2);
}

static void
test_frame_vector(void **state)
{
	struct wire_frame	 f, g;
	uint8_t			 want[128], got[128], pl[64];
	const char		*err = NULL;
	size_t			 n, pn, i;

	n = unhex(vec_frame, want, sizeof(want));
	pn = unhex(vec_ipv4, pl, sizeof(pl));
	memset(&f, 0, sizeof(f));
	for (i = 0; i < WIRE_SID_LEN; i++)
		f.f_sid[i] = (uint8_t)i;
	f.f_seq = 5;
	f.f_flags = WIRE_F_ACK;
	f.f_payload = pl;
	f.f_len = (uint32_t)pn;
	assert_int_equal(wire_frame_check(&f, &err), 0);
	assert_int_equal(wire_frame_size(&f), n);
	assert_int_equal(wire_frame_encode(&f, got), n);
	assert_memory_equal(got, want, n);
	assert_int_equal(wire_frame_decode(want, n, &g, &err), 0);
	assert_int_equal(g.f_flags, WIRE_F_ACK);
	assert_int_equal(g.f_tlen, 0);
	assert_true(wire_udp_is(g.f_payload, g.f_len));
	/* Not a GACK, not a probe: no old meaning of an ACK payload fits. */
	{
		uint64_t	 next;

		assert_int_equal(wire_gack_decode(g.f_payload, g.f_len, &next,
		    &err), -1);
		assert_false(wire_probe_is(g.f_payload, g.f_len));
	}
}

static void
test_sealed_vector(void **state)
{
	struct wire_batch	 b;
	struct wire_aead	*ae;
	struct wire_udp_addr	 a;
	uint8_t			 key[WIRE_KEY_LEN], cid[WIRE_CID_LEN];
	const uint8_t		*data;
	const char		*err = NULL;
	size_t			 dlen, i;

	assert_int_equal(wire_key_parse("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", key, &err), 0);
	assert_non_null(ae = wire_aead_new(key));
	wire_batch_init(&b);
	assert_int_equal(wire_body_open(ae, (const uint8_t *)vec_body,
	    strlen(vec_body), 1, &b, &err), 0);
	for (i = 0; i < WIRE_CID_LEN; i++)
		cid[i] = (uint8_t)(0xa0 + i);
	assert_memory_equal(b.b_cid, cid, WIRE_CID_LEN);
	assert_int_equal(b.b_nframes, 1);
	assert_int_equal(b.b_frames[0].f_flags, WIRE_F_ACK);
	assert_int_equal(b.b_frames[0].f_seq, 5);
	assert_int_equal(wire_udp_decode(b.b_frames[0].f_payload,
	    b.b_frames[0].f_len, &a, &data, &dlen, &err), 0);
	assert_int_equal(a.ua_port, 53);
	assert_int_equal(dlen, 3);
	assert_memory_equal(data, "abc", 3);
	wire_batch_free(&b);
	wire_aead_free(ae);
}

static void
test_socks_header(void **state)
{
	struct wire_udp_addr	 a;
	uint8_t			 p[64];
	const char		*err = NULL;
	uint8_t			 frag;
	size_t			 n;

	/* RSV RSV FRAG, 10.0.0.1:443, "data". */
	n = unhex("000000010a00000101bb64617461", p, sizeof(p));
	assert_int_equal(wire_udp_socks_decode(p, n, &a, &frag, &err), 10);
	assert_int_equal(frag, 0);
	assert_int_equal(a.ua_port, 443);
	assert_memory_equal(a.ua_addr, "\x0a\x00\x00\x01", 4);
	/* FRAG is reported, not judged: the relay drops it and counts. */
	n = unhex("0000010301780001", p, sizeof(p));
	assert_int_equal(wire_udp_socks_decode(p, n, &a, &frag, &err), 8);
	assert_int_equal(frag, 1);
	assert_int_equal(a.ua_atyp, WIRE_UDP_ATYP_DOMAIN);
	/* Reserved bytes must be zero. */
	n = unhex("000100010a00000101bb", p, sizeof(p));
	err = NULL;
	assert_int_equal(wire_udp_socks_decode(p, n, &a, &frag, &err), -1);
	assert_non_null(err);
	/* Short: header only, then cut inside the address. */
	err = NULL;
	assert_int_equal(wire_udp_socks_decode(p, 2, &a, &frag, &err), -1);
	assert_non_null(err);
	n = unhex("000000010a0000", p, sizeof(p));
	err = NULL;
	assert_int_equal(wire_udp_socks_decode(p, n, &a, &frag, &err), -1);
	assert_non_null(err);
}

static void
test_rejections(void **state)
{
	static const char *bad[] = {
		"",				/* empty */
		"475544",			/* short magic */
		"4755445801017f0000010035",	/* "GUDX" */
		"4755445002017f0000010035",	/* version 2 */
		"47554450",			/* no version */
		"475544500102",			/* ATYP 2 */
		"4755445001",			/* no ATYP */
		"47554450010300",		/* empty domain */
		"4755445001030161",		/* domain, no port */
		"47554450010302612000",		/* space in domain */
		"47554450010301000035",		/* NUL in domain */
		"475544500103017f0035",		/* DEL in domain */
		"4755445001017f00000100",	/* short port */
		"4755445001040000",		/* short IPv6 */
	};
	struct wire_udp_addr	 a;
	uint8_t			 p[64], *big;
	const uint8_t		*data;
	const char		*err;
	size_t			 i, n, dlen;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(bad[i], p, sizeof(p));
		err = NULL;
		assert_int_equal(wire_udp_decode(p, n, &a, &data, &dlen,
		    &err), -1);
		assert_non_null(err);
		assert_null(data);
	}
	/* 65535 bytes of data pass, 65536 do not. */
	n = unhex(vec_ipv4, p, sizeof(p)) - 3;
	assert_non_null(big = calloc(1, n + 65536));
	memcpy(big, p, n);
	assert_int_equal(wire_udp_decode(big, n + 65535, &a, &data, &dlen,
	    &err), 0);
	assert_int_equal(dlen, 65535);
	err = NULL;
	assert_int_equal(wire_udp_decode(big, n + 65536, &a, &data, &dlen,
	    &err), -1);
	assert_non_null(err);
	free(big);
}

static void
test_sockaddr(void **state)
{
	struct wire_udp_addr	 a;
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(1234);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.7",
	    &sin6->sin6_addr), 1);
	/* A v4-mapped source goes to the client as IPv4. */
	assert_int_equal(wire_udp_addr_from_sa(&a, (struct sockaddr *)&ss),
	    0);
	assert_int_equal(a.ua_atyp, WIRE_UDP_ATYP_IPV4);
	assert_memory_equal(a.ua_addr, "\xc0\x00\x02\x07", 4);
	assert_int_equal(a.ua_port, 1234);
	assert_int_equal(wire_udp_addr_to_sa(&a, &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	/* Domains have no socket address. */
	memset(&a, 0, sizeof(a));
	a.ua_atyp = WIRE_UDP_ATYP_DOMAIN;
	a.ua_alen = 1;
	assert_int_equal(wire_udp_addr_to_sa(&a, &ss, &sl), -1);
}

static void
test_feature_name(void **state)
{
	struct wire_probe_reply	 pr, back;
	struct wbuf		 out = { NULL, 0, 0 };
	const char		*err = NULL;

	assert_string_equal(wire_feature_name(WIRE_FEAT_UDP), "udp_v1");
	memset(&pr, 0, sizeof(pr));
	pr.pr_ok = 1;
	pr.pr_protocol = 1;
	pr.pr_features = WIRE_FEAT_ZSTD | WIRE_FEAT_UDP;
	assert_int_equal(wire_probe_reply_encode(&pr, &out), 0);
	assert_non_null(memmem(out.wb_data, out.wb_len, "\"udp_v1\"", 8));
	assert_int_equal(wire_probe_reply_decode(out.wb_data, out.wb_len,
	    &back, &err), 0);
	assert_int_equal(back.pr_features, WIRE_FEAT_ZSTD | WIRE_FEAT_UDP);
	wbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_frame_vector),
		cmocka_unit_test(test_sealed_vector),
		cmocka_unit_test(test_socks_header),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_feature_name),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
