/*
 * SOCKS5 wire parsing (RFC 1928, RFC 1929), free of I/O so it can be unit
 * tested and fuzzed.  Each parser looks at the bytes received so far and
 * returns the number of bytes its message used (> 0), 0 when more bytes
 * are needed, or -1 when the message is malformed (*errstr set).  Every
 * message is bounded: greeting <= 257, auth <= 513, request <= 262 bytes.
 */
#ifndef GR_SOCKS5_H
#define GR_SOCKS5_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCKS5_VER		0x05
#define SOCKS5_AUTH_VER		0x01

#define SOCKS5_M_NOAUTH		0x00
#define SOCKS5_M_USERPASS	0x02
#define SOCKS5_M_NONE		0xff

#define SOCKS5_CMD_CONNECT	0x01
#define SOCKS5_CMD_BIND		0x02
#define SOCKS5_CMD_UDP		0x03

#define SOCKS5_ATYP_IPV4	0x01
#define SOCKS5_ATYP_DOMAIN	0x03
#define SOCKS5_ATYP_IPV6	0x04

/* Reply codes (RFC 1928 section 6). */
#define SOCKS5_REP_OK		0x00
#define SOCKS5_REP_FAIL		0x01
#define SOCKS5_REP_NOTALLOWED	0x02
#define SOCKS5_REP_CMD		0x07
#define SOCKS5_REP_ATYP		0x08

#define SOCKS5_REPLY_LEN	10
#define SOCKS5_TARGET_MAX	255	/* = WIRE_MAX_TARGET */

struct socks5_greeting {
	int		 g_noauth;	/* offered method 0x00 */
	int		 g_userpass;	/* offered method 0x02 */
};

struct socks5_auth {
	char		 a_user[256];
	char		 a_pass[256];
	uint8_t		 a_ulen;
	uint8_t		 a_plen;
};

struct socks5_req {
	uint8_t		 r_cmd;
	uint8_t		 r_atyp;
	uint8_t		 r_rep;		/* reply code when parsing failed */
	char		 r_target[SOCKS5_TARGET_MAX + 1];	/* host:port */
	size_t		 r_tlen;
};

ssize_t	socks5_parse_greeting(const uint8_t *, size_t,
	    struct socks5_greeting *, const char **errstr);
ssize_t	socks5_parse_auth(const uint8_t *, size_t, struct socks5_auth *,
	    const char **errstr);
/*
 * Parse a request.  A well-formed request for a command other than
 * CONNECT parses fine (r_cmd tells); -1 means malformed, with r_rep set to
 * the reply code to send before closing.
 */
ssize_t	socks5_parse_req(const uint8_t *, size_t, struct socks5_req *,
	    const char **errstr);
/* Method selection reply (2 bytes). */
void	socks5_method_reply(uint8_t out[2], uint8_t method);
/* Auth status reply (2 bytes): 0 = success. */
void	socks5_auth_reply(uint8_t out[2], int ok);
/* Request reply with BND.ADDR 0.0.0.0:0 (10 bytes). */
void	socks5_reply(uint8_t out[SOCKS5_REPLY_LEN], uint8_t rep);
/* Constant-time credential check; 1 if both match. */
int	socks5_auth_check(const struct socks5_auth *, const char *user,
	    const char *pass);

#endif /* GR_SOCKS5_H */
