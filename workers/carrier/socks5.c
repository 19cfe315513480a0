/*
 * SOCKS5 message parsers and reply builders (RFC 1928, RFC 1929).  No
 * local DNS: domain names are passed on verbatim as "host:port" and
 * resolved by the exit ("socks5h" semantics, docs/protocol.md 4.7).
 */
#include "gr_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "socks5.h"

ssize_t
socks5_parse_greeting(const uint8_t *p, size_t n, struct socks5_greeting *g,
    const char **errstr)
{
	size_t	 i, nm;

	memset(g, 0, sizeof(*g));
	if (n < 1)
		return (0);
	if (p[0] != SOCKS5_VER) {
		*errstr = "not a SOCKS5 greeting";
		return (-1);
	}
	if (n < 2)
		return (0);
	nm = p[1];
	if (nm == 0) {
		*errstr = "greeting offers no methods";
		return (-1);
	}
	if (n < 2 + nm)
		return (0);
	for (i = 0; i < nm; i++) {
		if (p[2 + i] == SOCKS5_M_NOAUTH)
			g->g_noauth = 1;
		else if (p[2 + i] == SOCKS5_M_USERPASS)
			g->g_userpass = 1;
	}
	return ((ssize_t)(2 + nm));
}

ssize_t
socks5_parse_auth(const uint8_t *p, size_t n, struct socks5_auth *a,
    const char **errstr)
{
	size_t	 ulen, plen;

	memset(a, 0, sizeof(*a));
	if (n < 1)
		return (0);
	if (p[0] != SOCKS5_AUTH_VER) {
		*errstr = "bad username/password version";
		return (-1);
	}
	if (n < 2)
		return (0);
	ulen = p[1];
	if (n < 2 + ulen + 1)
		return (0);
	plen = p[2 + ulen];
	if (n < 3 + ulen + plen)
		return (0);
	memcpy(a->a_user, p + 2, ulen);
	a->a_user[ulen] = '\0';
	memcpy(a->a_pass, p + 3 + ulen, plen);
	a->a_pass[plen] = '\0';
	a->a_ulen = ulen;
	a->a_plen = plen;
	return ((ssize_t)(3 + ulen + plen));
}

ssize_t
socks5_parse_req(const uint8_t *p, size_t n, struct socks5_req *r,
    const char **errstr)
{
	char		 host[INET6_ADDRSTRLEN];
	size_t		 need, alen, i;
	uint16_t	 port;
	int		 len;

	memset(r, 0, sizeof(*r));
	r->r_rep = SOCKS5_REP_FAIL;
	if (n < 4)
		return (0);
	if (p[0] != SOCKS5_VER) {
		*errstr = "bad request version";
		return (-1);
	}
	r->r_cmd = p[1];
	r->r_atyp = p[3];
	switch (r->r_atyp) {
	case SOCKS5_ATYP_IPV4:
		alen = 4;
		need = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		alen = 16;
		need = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (n < 5)
			return (0);
		alen = p[4];
		if (alen == 0) {
			*errstr = "empty domain name";
			return (-1);
		}
		need = 5 + alen + 2;
		break;
	default:
		r->r_rep = SOCKS5_REP_ATYP;
		*errstr = "unsupported address type";
		return (-1);
	}
	if (n < need)
		return (0);
	port = (uint16_t)(p[need - 2] << 8 | p[need - 1]);

	switch (r->r_atyp) {
	case SOCKS5_ATYP_IPV4:
		inet_ntop(AF_INET, p + 4, host, sizeof(host));
		len = snprintf(r->r_target, sizeof(r->r_target), "%s:%u",
		    host, port);
		break;
	case SOCKS5_ATYP_IPV6:
		inet_ntop(AF_INET6, p + 4, host, sizeof(host));
		len = snprintf(r->r_target, sizeof(r->r_target), "[%s]:%u",
		    host, port);
		break;
	default:
		/* The name goes to the exit as text: no NUL or controls. */
		for (i = 0; i < alen; i++) {
			if (p[5 + i] < 0x21 || p[5 + i] == 0x7f) {
				*errstr = "bad character in domain name";
				return (-1);
			}
		}
		len = snprintf(r->r_target, sizeof(r->r_target), "%.*s:%u",
		    (int)alen, (const char *)p + 5, port);
		break;
	}
	if (len < 0 || (size_t)len >= sizeof(r->r_target)) {
		*errstr = "target longer than 255 bytes";
		return (-1);
	}
	r->r_tlen = (size_t)len;
	r->r_rep = SOCKS5_REP_OK;
	return ((ssize_t)need);
}

void
socks5_method_reply(uint8_t out[2], uint8_t method)
{
	out[0] = SOCKS5_VER;
	out[1] = method;
}

void
socks5_auth_reply(uint8_t out[2], int ok)
{
	out[0] = SOCKS5_AUTH_VER;
	out[1] = ok ? 0x00 : 0x01;
}

void
socks5_reply(uint8_t out[SOCKS5_REPLY_LEN], uint8_t rep)
{
	memset(out, 0, SOCKS5_REPLY_LEN);
	out[0] = SOCKS5_VER;
	out[1] = rep;
	out[3] = SOCKS5_ATYP_IPV4;
}

/* Compare without an early exit so timing says nothing about the secret. */
static int
socks5_cteq(const char *a, size_t alen, const char *b)
{
	size_t		 blen = strlen(b), i;
	unsigned char	 d = (alen != blen);

	for (i = 0; i < alen; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i < blen ? i : 0];
	return (d == 0);
}

int
socks5_auth_check(const struct socks5_auth *a, const char *user,
    const char *pass)
{
	int	 u, p;

	u = socks5_cteq(a->a_user, a->a_ulen, user);
	p = socks5_cteq(a->a_pass, a->a_plen, pass);
	return (u & p);
}
