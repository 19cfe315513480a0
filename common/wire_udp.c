/*
 * Datagram codecs of udp_v1 (docs/udp.md): the frame payload
 * "GUDP" 0x01 ATYP ADDR PORT DATA, and the SOCKS5 UDP request header
 * RSV RSV FRAG ATYP ADDR PORT (RFC 1928 section 7), which share the
 * SOCKS5 address format.  Both are parsed from untrusted bytes: every
 * length is checked before it is read, domain names may hold no NUL,
 * blank or control byte (the exit passes them to its resolver), and a
 * datagram's data is at most WIRE_UDP_MAX_DATA bytes.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include "wire.h"

int
wire_udp_is(const uint8_t *p, size_t n)
{
	return (n >= 4 && memcmp(p, WIRE_UDP_MAGIC, 4) == 0);
}

int
wire_udp_addr_decode(const uint8_t *p, size_t n, struct wire_udp_addr *a,
    const char **errstr)
{
	size_t	 alen, off, i;

	memset(a, 0, sizeof(*a));
	if (n < 1) {
		*errstr = "udp: no address type";
		return (-1);
	}
	a->ua_atyp = p[0];
	switch (p[0]) {
	case WIRE_UDP_ATYP_IPV4:
		alen = 4;
		off = 1;
		break;
	case WIRE_UDP_ATYP_IPV6:
		alen = 16;
		off = 1;
		break;
	case WIRE_UDP_ATYP_DOMAIN:
		if (n < 2) {
			*errstr = "udp: short domain length";
			return (-1);
		}
		alen = p[1];
		off = 2;
		if (alen == 0) {
			*errstr = "udp: empty domain name";
			return (-1);
		}
		break;
	default:
		*errstr = "udp: unknown address type";
		return (-1);
	}
	if (n - off < alen + 2) {
		*errstr = "udp: short address";
		return (-1);
	}
	if (p[0] == WIRE_UDP_ATYP_DOMAIN) {
		for (i = 0; i < alen; i++) {
			if (p[off + i] < 0x21 || p[off + i] > 0x7e) {
				*errstr = "udp: bad character in domain name";
				return (-1);
			}
		}
	}
	memcpy(a->ua_addr, p + off, alen);
	a->ua_alen = (uint8_t)alen;
	a->ua_port = (uint16_t)(p[off + alen] << 8 | p[off + alen + 1]);
	return ((int)(off + alen + 2));
}

size_t
wire_udp_addr_encode(const struct wire_udp_addr *a, uint8_t *out)
{
	size_t	 off = 0;

	out[off++] = a->ua_atyp;
	if (a->ua_atyp == WIRE_UDP_ATYP_DOMAIN)
		out[off++] = a->ua_alen;
	memcpy(out + off, a->ua_addr, a->ua_alen);
	off += a->ua_alen;
	out[off++] = a->ua_port >> 8;
	out[off++] = a->ua_port & 0xff;
	return (off);
}

size_t
wire_udp_hdr_encode(const struct wire_udp_addr *a, uint8_t *out)
{
	memcpy(out, WIRE_UDP_MAGIC, 4);
	out[4] = WIRE_UDP_VERSION;
	return (WIRE_UDP_PREFIX + wire_udp_addr_encode(a, out +
	    WIRE_UDP_PREFIX));
}

int
wire_udp_decode(const uint8_t *p, size_t n, struct wire_udp_addr *a,
    const uint8_t **data, size_t *dlen, const char **errstr)
{
	int	 h;

	*data = NULL;
	*dlen = 0;
	if (!wire_udp_is(p, n)) {
		memset(a, 0, sizeof(*a));
		*errstr = "udp: bad magic";
		return (-1);
	}
	if (n < WIRE_UDP_PREFIX || p[4] != WIRE_UDP_VERSION) {
		memset(a, 0, sizeof(*a));
		*errstr = "udp: unsupported version";
		return (-1);
	}
	if ((h = wire_udp_addr_decode(p + WIRE_UDP_PREFIX,
	    n - WIRE_UDP_PREFIX, a, errstr)) == -1)
		return (-1);
	if (n - WIRE_UDP_PREFIX - (size_t)h > WIRE_UDP_MAX_DATA) {
		*errstr = "udp: datagram larger than 65535 bytes";
		return (-1);
	}
	*data = p + WIRE_UDP_PREFIX + h;
	*dlen = n - WIRE_UDP_PREFIX - (size_t)h;
	return (0);
}

int
wire_udp_socks_decode(const uint8_t *p, size_t n, struct wire_udp_addr *a,
    uint8_t *frag, const char **errstr)
{
	int	 h;

	*frag = 0;
	if (n < WIRE_UDP_SOCKS_PREFIX) {
		memset(a, 0, sizeof(*a));
		*errstr = "socks udp: short header";
		return (-1);
	}
	*frag = p[2];
	if (p[0] != 0 || p[1] != 0) {
		memset(a, 0, sizeof(*a));
		*errstr = "socks udp: reserved bytes not zero";
		return (-1);
	}
	if ((h = wire_udp_addr_decode(p + WIRE_UDP_SOCKS_PREFIX,
	    n - WIRE_UDP_SOCKS_PREFIX, a, errstr)) == -1)
		return (-1);
	if (n - WIRE_UDP_SOCKS_PREFIX - (size_t)h > WIRE_UDP_MAX_DATA) {
		*errstr = "socks udp: datagram larger than 65535 bytes";
		return (-1);
	}
	return (WIRE_UDP_SOCKS_PREFIX + h);
}

int
wire_udp_addr_from_sa(struct wire_udp_addr *a, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->ua_atyp = WIRE_UDP_ATYP_IPV4;
		a->ua_alen = 4;
		memcpy(a->ua_addr, &sin->sin_addr, 4);
		a->ua_port = ntohs(sin->sin_port);
		return (0);
	}
	if (sa->sa_family != AF_INET6)
		return (-1);
	a->ua_port = ntohs(sin6->sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		a->ua_atyp = WIRE_UDP_ATYP_IPV4;
		a->ua_alen = 4;
		memcpy(a->ua_addr, sin6->sin6_addr.s6_addr + 12, 4);
	} else {
		a->ua_atyp = WIRE_UDP_ATYP_IPV6;
		a->ua_alen = 16;
		memcpy(a->ua_addr, &sin6->sin6_addr, 16);
	}
	return (0);
}

int
wire_udp_addr_to_sa(const struct wire_udp_addr *a,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->ua_atyp == WIRE_UDP_ATYP_IPV4 && a->ua_alen == 4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->ua_addr, 4);
		sin->sin_port = htons(a->ua_port);
		*len = sizeof(*sin);
		return (0);
	}
	if (a->ua_atyp == WIRE_UDP_ATYP_IPV6 && a->ua_alen == 16) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->ua_addr, 16);
		sin6->sin6_port = htons(a->ua_port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}
