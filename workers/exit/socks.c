/*
 * SOCKS5 client handshake (RFC 1928 CONNECT, RFC 1929 user/pass) for
 * upstream_proxy.  The target name goes to the proxy unresolved (remote
 * DNS).  Pure state machine, no I/O: the caller sends socks_out() and
 * reads exactly socks_want() bytes at a time, so nothing past the proxy's
 * reply is ever read here.
 */
#include "gr_config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"

enum socks_step {
	SK_GREET = 0,		/* sending the greeting */
	SK_METHOD,		/* reading the chosen method */
	SK_AUTH,		/* sending user/pass */
	SK_AUTH_REPLY,
	SK_CONNECT,		/* sending the request */
	SK_REPLY_HEAD,		/* ver rep rsv atyp + first address byte */
	SK_REPLY_TAIL,		/* rest of the address and the port */
	SK_DONE,
	SK_FAILED
};

struct socks_state {
	enum socks_step	 sk_step;
	uint8_t		 sk_out[600];
	size_t		 sk_outlen;
	size_t		 sk_outoff;
	uint8_t		 sk_in[8];
	size_t		 sk_inlen;
	size_t		 sk_want;
	uint8_t		 sk_req[300];	/* CONNECT request, built early */
	size_t		 sk_reqlen;
	char		 sk_user[256];
	char		 sk_pass[256];
};

static void
socks_set_out(struct socks_state *sk, const uint8_t *p, size_t n,
    enum socks_step next_send)
{
	memcpy(sk->sk_out, p, n);
	sk->sk_outlen = n;
	sk->sk_outoff = 0;
	sk->sk_step = next_send;
}

struct socks_state *
socks_new(const char *host, uint16_t port, const char *user,
    const char *pass)
{
	struct socks_state	*sk;
	struct in_addr		 a4;
	struct in6_addr		 a6;
	size_t			 hl = strlen(host), n = 0;
	uint8_t			 greet[3];

	if (hl == 0 || hl > 255 || strlen(user) > 255 || strlen(pass) > 255)
		return (NULL);
	if ((sk = calloc(1, sizeof(*sk))) == NULL)
		return (NULL);
	strncpy(sk->sk_user, user, sizeof(sk->sk_user) - 1);
	strncpy(sk->sk_pass, pass, sizeof(sk->sk_pass) - 1);

	sk->sk_req[n++] = 5;
	sk->sk_req[n++] = 1;		/* CONNECT */
	sk->sk_req[n++] = 0;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		sk->sk_req[n++] = 1;
		memcpy(sk->sk_req + n, &a4, 4);
		n += 4;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		sk->sk_req[n++] = 4;
		memcpy(sk->sk_req + n, &a6, 16);
		n += 16;
	} else {
		sk->sk_req[n++] = 3;
		sk->sk_req[n++] = hl;
		memcpy(sk->sk_req + n, host, hl);
		n += hl;
	}
	sk->sk_req[n++] = port >> 8;
	sk->sk_req[n++] = port & 0xff;
	sk->sk_reqlen = n;

	greet[0] = 5;
	greet[1] = 1;
	greet[2] = user[0] != '\0' ? 2 : 0;
	socks_set_out(sk, greet, 3, SK_GREET);
	return (sk);
}

void
socks_free(struct socks_state *sk)
{
	if (sk == NULL)
		return;
	explicit_bzero(sk->sk_pass, sizeof(sk->sk_pass));
	explicit_bzero(sk->sk_out, sizeof(sk->sk_out));
	free(sk);
}

const uint8_t *
socks_out(struct socks_state *sk, size_t *n)
{
	if (sk->sk_outoff >= sk->sk_outlen)
		return (NULL);
	*n = sk->sk_outlen - sk->sk_outoff;
	return (sk->sk_out + sk->sk_outoff);
}

void
socks_sent(struct socks_state *sk, size_t n)
{
	sk->sk_outoff += n;
	if (sk->sk_outoff < sk->sk_outlen)
		return;
	switch (sk->sk_step) {
	case SK_GREET:
		sk->sk_step = SK_METHOD;
		sk->sk_want = 2;
		break;
	case SK_AUTH:
		sk->sk_step = SK_AUTH_REPLY;
		sk->sk_want = 2;
		break;
	case SK_CONNECT:
		sk->sk_step = SK_REPLY_HEAD;
		sk->sk_want = 5;
		break;
	default:
		break;
	}
	sk->sk_inlen = 0;
}

size_t
socks_want(struct socks_state *sk)
{
	return (sk->sk_want > sk->sk_inlen ? sk->sk_want - sk->sk_inlen : 0);
}

static int
socks_reply_errno(uint8_t rep)
{
	switch (rep) {
	case 3:
		return (ENETUNREACH);
	case 4:
		return (EHOSTUNREACH);
	case 5:
		return (ECONNREFUSED);
	case 6:
		return (ETIMEDOUT);
	default:
		return (ECONNREFUSED);
	}
}

static int
socks_fail(struct socks_state *sk, int *err, int e)
{
	sk->sk_step = SK_FAILED;
	*err = e;
	return (-1);
}

int
socks_in(struct socks_state *sk, const uint8_t *p, size_t n, size_t *used,
    int *err)
{
	uint8_t	 auth[515];
	size_t	 take, ul, pl;

	*used = 0;
	take = socks_want(sk);
	if (take > n)
		take = n;
	if (sk->sk_step == SK_REPLY_TAIL) {
		/* The bound address is not needed: count, don't keep. */
		sk->sk_inlen += take;
		*used = take;
		if (socks_want(sk) > 0)
			return (0);
		sk->sk_step = SK_DONE;
		return (1);
	}
	if (sk->sk_inlen + take > sizeof(sk->sk_in))
		return (socks_fail(sk, err, EPROTO));
	memcpy(sk->sk_in + sk->sk_inlen, p, take);
	sk->sk_inlen += take;
	*used = take;
	if (socks_want(sk) > 0)
		return (0);

	switch (sk->sk_step) {
	case SK_METHOD:
		if (sk->sk_in[0] != 5)
			return (socks_fail(sk, err, EPROTO));
		if (sk->sk_in[1] == 0) {
			socks_set_out(sk, sk->sk_req, sk->sk_reqlen,
			    SK_CONNECT);
			return (0);
		}
		if (sk->sk_in[1] != 2 || sk->sk_user[0] == '\0')
			return (socks_fail(sk, err, EACCES));
		ul = strlen(sk->sk_user);
		pl = strlen(sk->sk_pass);
		auth[0] = 1;
		auth[1] = ul;
		memcpy(auth + 2, sk->sk_user, ul);
		auth[2 + ul] = pl;
		memcpy(auth + 3 + ul, sk->sk_pass, pl);
		socks_set_out(sk, auth, 3 + ul + pl, SK_AUTH);
		explicit_bzero(auth, sizeof(auth));
		return (0);
	case SK_AUTH_REPLY:
		if (sk->sk_in[1] != 0)
			return (socks_fail(sk, err, EACCES));
		socks_set_out(sk, sk->sk_req, sk->sk_reqlen, SK_CONNECT);
		return (0);
	case SK_REPLY_HEAD:
		if (sk->sk_in[0] != 5)
			return (socks_fail(sk, err, EPROTO));
		if (sk->sk_in[1] != 0)
			return (socks_fail(sk, err,
			    socks_reply_errno(sk->sk_in[1])));
		switch (sk->sk_in[3]) {
		case 1:
			sk->sk_want = 4 - 1 + 2;
			break;
		case 4:
			sk->sk_want = 16 - 1 + 2;
			break;
		case 3:
			sk->sk_want = sk->sk_in[4] + 2;
			break;
		default:
			return (socks_fail(sk, err, EPROTO));
		}
		sk->sk_step = SK_REPLY_TAIL;
		sk->sk_inlen = 0;
		return (0);
	default:
		return (socks_fail(sk, err, EPROTO));
	}
}
