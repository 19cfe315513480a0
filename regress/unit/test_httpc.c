/*
 * httpc: the HTTP/1.1 client against a real server on loopback.  The
 * server is a small forked process in this file (plain TCP and libtls),
 * one child per connection, with routes that exercise keep-alive, chunked
 * and gzip bodies, size caps, timeouts, EOF-delimited bodies, redirects
 * and a server that drops a kept-alive connection.  TLS uses a CA and a
 * certificate made with openssl(1) in a temporary directory.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>
#include <tls.h>
#include <zlib.h>

#include "httpc.h"

static char		 tdir[] = "/tmp/test_httpc.XXXXXX";
static pid_t		 srv_pid = -1;
static uint16_t		 port_plain, port_tls, port_closed;
static struct ev_loop	*loop;
static char		*ca_pem;
static size_t		 ca_len;

/* ---------------- server (child) ---------------- */

struct sconn {
	int		 fd;
	struct tls	*tls;
};

static ssize_t
s_read(struct sconn *s, void *b, size_t n)
{
	ssize_t	 r;

	if (s->tls == NULL)
		return (read(s->fd, b, n));
	do {
		r = tls_read(s->tls, b, n);
	} while (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT);
	return (r);
}

static int
s_write(struct sconn *s, const void *b, size_t n)
{
	const uint8_t	*p = b;
	ssize_t		 r;

	while (n > 0) {
		if (s->tls == NULL)
			r = write(s->fd, p, n);
		else {
			r = tls_write(s->tls, p, n);
			if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT)
				continue;
		}
		if (r <= 0)
			return (-1);
		p += r;
		n -= r;
	}
	return (0);
}

static int
s_printf(struct sconn *s, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return (s_write(s, buf, n));
}

/* Serve requests on one connection until it closes. */
static void
s_serve(struct sconn *s)
{
	static uint8_t	 buf[4 * 1024 * 1024], zb[4 * 1024 * 1024];
	size_t		 have = 0, hlen, clen, i;
	char		*eoh, *cl, path[256], method[16];
	ssize_t		 r;
	int		 drop_next = 0;
	z_stream	 z;

	for (;;) {
		while ((eoh = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
			r = s_read(s, buf + have, sizeof(buf) - have - 1);
			if (r <= 0)
				return;
			have += r;
		}
		hlen = eoh + 4 - (char *)buf;
		buf[hlen - 1] = '\0';
		if (sscanf((char *)buf, "%15s %255s", method, path) != 2)
			return;
		clen = 0;
		if ((cl = strcasestr((char *)buf, "content-length:")) != NULL)
			clen = strtoul(cl + 15, NULL, 10);
		while (have < hlen + clen) {
			r = s_read(s, buf + have, sizeof(buf) - have);
			if (r <= 0)
				return;
			have += r;
		}
		if (drop_next)
			return;		/* read the request, answer nothing */
		uint8_t *body = buf + hlen;

		if (strcmp(path, "/echo") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Type: "
			    "text/plain; charset=utf-8\r\nContent-Length: "
			    "%zu\r\n\r\n", clen);
			s_write(s, body, clen);
		} else if (strcmp(path, "/conn") == 0) {
			char pb[32];
			int n = snprintf(pb, sizeof(pb), "%d", (int)getpid());
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Length: %d"
			    "\r\n\r\n%s", n, pb);
		} else if (strcmp(path, "/chunked") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n");
			for (i = 0; i < clen; i += 1000) {
				size_t n = clen - i < 1000 ? clen - i : 1000;
				s_printf(s, "%zx\r\n", n);
				s_write(s, body + i, n);
				s_printf(s, "\r\n");
			}
			s_printf(s, "0\r\n\r\n");
		} else if (strcmp(path, "/gzip") == 0) {
			memset(&z, 0, sizeof(z));
			deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8,
			    Z_DEFAULT_STRATEGY);
			z.next_in = body;
			z.avail_in = clen;
			z.next_out = zb;
			z.avail_out = sizeof(zb);
			deflate(&z, Z_FINISH);
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip"
			    "\r\nContent-Length: %lu\r\n\r\n", z.total_out);
			s_write(s, zb, z.total_out);
			deflateEnd(&z);
		} else if (strcmp(path, "/big") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Length: 5000"
			    "\r\n\r\n");
			memset(zb, 'x', 5000);
			s_write(s, zb, 5000);
		} else if (strcmp(path, "/bigchunked") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n");
			memset(zb, 'x', 1000);
			for (i = 0; i < 5; i++) {
				s_printf(s, "3e8\r\n");
				s_write(s, zb, 1000);
				s_printf(s, "\r\n");
			}
			s_printf(s, "0\r\n\r\n");
		} else if (strcmp(path, "/slow") == 0) {
			sleep(3);
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Length: 0"
			    "\r\n\r\n");
		} else if (strcmp(path, "/close") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
			    "\r\nclosed-body");
			return;
		} else if (strcmp(path, "/redirect") == 0) {
			s_printf(s, "HTTP/1.1 302 Found\r\nLocation: https://"
			    "script.googleusercontent.com/macros/echo?"
			    "user_content_key=abc\r\nContent-Length: 0\r\n\r\n");
		} else if (strcmp(path, "/drop-next") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
			    "\r\nok");
			drop_next = 1;
		} else if (strcmp(path, "/garbage") == 0) {
			s_printf(s, "HTTP/1.1 2x0 What\r\n\r\n");
			return;
		} else if (strcmp(path, "/truncated") == 0) {
			s_printf(s, "HTTP/1.1 200 OK\r\nContent-Length: 100"
			    "\r\n\r\nshort");
			return;
		} else {
			s_printf(s, "HTTP/1.1 404 Not Found\r\nContent-Length:"
			    " 0\r\n\r\n");
		}
		memmove(buf, buf + hlen + clen, have - hlen - clen);
		have -= hlen + clen;
	}
}

static int
s_listen(uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1)
		abort();
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	*port = ntohs(sin.sin_port);
	return (fd);
}

static void
s_main(int lp, int lt)
{
	struct tls_config	*cfg;
	struct tls		*srv, *cc;
	struct sconn		 s;
	fd_set			 rs;
	char			 cert[300], key[300];
	int			 fd, m;

	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	snprintf(cert, sizeof(cert), "%s/server.pem", tdir);
	snprintf(key, sizeof(key), "%s/server.key", tdir);
	cfg = tls_config_new();
	if (tls_config_set_keypair_file(cfg, cert, key) == -1)
		_exit(2);
	srv = tls_server();
	if (tls_configure(srv, cfg) == -1)
		_exit(2);
	for (;;) {
		FD_ZERO(&rs);
		FD_SET(lp, &rs);
		FD_SET(lt, &rs);
		m = lp > lt ? lp : lt;
		if (select(m + 1, &rs, NULL, NULL, NULL) <= 0)
			continue;
		if (FD_ISSET(lp, &rs) &&
		    (fd = accept(lp, NULL, NULL)) != -1) {
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				s.fd = fd;
				s.tls = NULL;
				s_serve(&s);
				_exit(0);
			}
			close(fd);
		}
		if (FD_ISSET(lt, &rs) &&
		    (fd = accept(lt, NULL, NULL)) != -1) {
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (tls_accept_socket(srv, &cc, fd) == -1)
					_exit(1);
				s.fd = fd;
				s.tls = cc;
				s_serve(&s);
				tls_close(cc);
				_exit(0);
			}
			close(fd);
		}
	}
}

/* ---------------- client side ---------------- */

struct result {
	int		 done;
	int		 err;
	int		 sent;
	int		 status;
	char		 errstr[400];
	char		 ctype[128];
	char		 location[2048];
	uint8_t		*body;
	size_t		 len;
};

static void
res_clear(struct result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
cb(struct httpc_call *k, int err, const char *errstr, int sent,
    struct httpc_resp *resp, void *arg)
{
	struct result	*r = arg;

	(void)k;
	r->done = 1;
	r->err = err;
	r->sent = sent;
	if (errstr != NULL)
		snprintf(r->errstr, sizeof(r->errstr), "%s", errstr);
	if (resp != NULL) {
		r->status = resp->hs_status;
		snprintf(r->ctype, sizeof(r->ctype), "%s", resp->hs_ctype);
		snprintf(r->location, sizeof(r->location), "%s",
		    resp->hs_location);
		r->len = resp->hs_body.wb_len;
		r->body = malloc(r->len + 1);
		if (r->len > 0)	/* an empty body may have no buffer */
			memcpy(r->body, resp->hs_body.wb_data, r->len);
		r->body[r->len] = '\0';
	}
}

static void
run_until(struct result *r, int n)
{
	int	 i, all, guard = 0;

	for (;;) {
		all = 1;
		for (i = 0; i < n; i++)
			if (!r[i].done)
				all = 0;
		if (all)
			return;
		ev_run(loop, EVRUN_ONCE);
		assert_true(++guard < 100000);
	}
}

static void
do_req(struct httpc_pool *p, const char *method, const char *path,
    const void *body, size_t len, double timeout, int gzip, struct result *r)
{
	struct httpc_req	 req = {
		.hr_method = method, .hr_host = "test.example",
		.hr_path = path, .hr_ctype = "text/plain",
		.hr_body = body, .hr_bodylen = len, .hr_timeout = timeout,
		.hr_accept_gzip = gzip
	};

	memset(r, 0, sizeof(*r));
	assert_non_null(httpc_request(p, &req, cb, r));
	run_until(r, 1);
}

static struct httpc_pool *
plain_pool(size_t maxbody)
{
	struct httpc_target	 t;

	memset(&t, 0, sizeof(t));
	snprintf(t.ht_connect, sizeof(t.ht_connect), "127.0.0.1");
	t.ht_port = port_plain;
	return (httpc_pool_new(loop, &t, NULL, 4, maxbody));
}

static uint8_t *
pattern(size_t n, int compressible)
{
	uint8_t	*b = malloc(n);
	size_t	 i;
	uint32_t x = 12345;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		b[i] = compressible ? (uint8_t)"abcdefgh"[(x >> 16) & 7] :
		    (uint8_t)(x >> 16);
	}
	return (b);
}

static void
t_echo_keepalive(void **state)
{
	struct httpc_pool	*p = plain_pool(32 << 20);
	struct result		 r, r2;
	uint8_t			*b = pattern(100000, 0);

	(void)state;
	do_req(p, "POST", "/echo", b, 100000, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.status, 200);
	assert_true(r.sent);
	assert_string_equal(r.ctype, "text/plain; charset=utf-8");
	assert_int_equal(r.len, 100000);
	assert_memory_equal(r.body, b, 100000);
	res_clear(&r);

	/* Same connection twice (the server answers with its pid). */
	do_req(p, "GET", "/conn", NULL, 0, 5, 0, &r);
	assert_int_equal(httpc_pool_idle(p), 1);
	do_req(p, "GET", "/conn", NULL, 0, 5, 0, &r2);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r2.err, HTTPC_OK);
	assert_string_equal((char *)r.body, (char *)r2.body);
	assert_int_equal(httpc_pool_idle(p), 1);
	assert_int_equal(httpc_pool_active(p), 0);
	res_clear(&r);
	res_clear(&r2);
	httpc_pool_free(p);
	free(b);
}

static void
t_chunked_gzip(void **state)
{
	struct httpc_pool	*p = plain_pool(32 << 20);
	struct result		 r;
	size_t			 n = 1 << 20;
	uint8_t			*b = pattern(n, 1);

	(void)state;
	do_req(p, "POST", "/chunked", b, n, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.body, b, n);
	res_clear(&r);
	do_req(p, "POST", "/gzip", b, n, 5, 1, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.body, b, n);
	res_clear(&r);
	/* And the connection is still good afterwards. */
	do_req(p, "POST", "/echo", "hi", 2, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.len, 2);
	res_clear(&r);
	httpc_pool_free(p);
	free(b);
}

static void
t_caps_and_errors(void **state)
{
	struct httpc_pool	*p = plain_pool(1000), *q;
	struct httpc_target	 t;
	struct result		 r;
	uint8_t			*b = pattern(4000, 1);

	(void)state;
	do_req(p, "GET", "/big", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_TOOBIG);
	res_clear(&r);
	do_req(p, "GET", "/bigchunked", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_TOOBIG);
	res_clear(&r);
	do_req(p, "POST", "/gzip", b, 4000, 5, 1, &r);
	assert_int_equal(r.err, HTTPC_ERR_TOOBIG);
	res_clear(&r);
	do_req(p, "GET", "/garbage", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_PROTO);
	res_clear(&r);
	do_req(p, "GET", "/truncated", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_IO);
	assert_true(r.sent);
	res_clear(&r);
	do_req(p, "GET", "/close", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_string_equal((char *)r.body, "closed-body");
	res_clear(&r);
	do_req(p, "GET", "/redirect", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.location, "https://script.googleusercontent.com"
	    "/macros/echo?user_content_key=abc");
	res_clear(&r);
	do_req(p, "GET", "/slow", NULL, 0, 0.3, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_TIMEOUT);
	assert_true(r.sent);
	res_clear(&r);
	httpc_pool_free(p);

	memset(&t, 0, sizeof(t));
	snprintf(t.ht_connect, sizeof(t.ht_connect), "127.0.0.1");
	t.ht_port = port_closed;
	q = httpc_pool_new(loop, &t, NULL, 4, 1000);
	do_req(q, "POST", "/echo", "x", 1, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_CONNECT);
	assert_false(r.sent);
	assert_non_null(strstr(r.errstr, "refused"));
	res_clear(&r);
	httpc_pool_free(q);
	free(b);
}

static void
t_stale_retry(void **state)
{
	struct httpc_pool	*p = plain_pool(1 << 20);
	struct result		 r;

	(void)state;
	do_req(p, "GET", "/drop-next", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	res_clear(&r);
	do_req(p, "POST", "/echo", "again", 5, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_string_equal((char *)r.body, "again");
	res_clear(&r);
	httpc_pool_free(p);
}

static void
t_concurrent_cancel(void **state)
{
	struct httpc_pool	*p = plain_pool(1 << 20);
	struct httpc_req	 req;
	struct result		 r[10], rs;
	struct httpc_call	*k;
	char			 bodies[10][32];
	int			 i;

	(void)state;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 10; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), "body-%d", i);
		memset(&req, 0, sizeof(req));
		req.hr_method = "POST";
		req.hr_host = "h";
		req.hr_path = "/echo";
		req.hr_body = (uint8_t *)bodies[i];
		req.hr_bodylen = strlen(bodies[i]);
		req.hr_timeout = 5;
		assert_non_null(httpc_request(p, &req, cb, &r[i]));
	}
	assert_int_equal(httpc_pool_active(p), 10);
	run_until(r, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(r[i].err, HTTPC_OK);
		assert_string_equal((char *)r[i].body, bodies[i]);
		res_clear(&r[i]);
	}
	assert_int_equal(httpc_pool_idle(p), 4);	/* maxidle */

	/* A cancelled call never calls back. */
	memset(&req, 0, sizeof(req));
	req.hr_method = "GET";
	req.hr_host = "h";
	req.hr_path = "/slow";
	memset(&rs, 0, sizeof(rs));
	k = httpc_request(p, &req, cb, &rs);
	assert_non_null(k);
	ev_run(loop, EVRUN_NOWAIT);
	httpc_cancel(k);
	assert_int_equal(httpc_pool_active(p), 0);
	ev_run(loop, EVRUN_NOWAIT);
	assert_false(rs.done);

	/* Header injection is refused up front. */
	req.hr_path = "/x\r\nEvil: 1";
	assert_null(httpc_request(p, &req, cb, &rs));
	httpc_pool_free(p);
}

static struct tls_config *
tls_cfg(const char *protos)
{
	struct tls_config	*cfg = tls_config_new();
	uint32_t		 pr;

	assert_int_equal(tls_config_set_ca_mem(cfg, (uint8_t *)ca_pem,
	    ca_len), 0);
	assert_int_equal(tls_config_parse_protocols(&pr, protos), 0);
	assert_int_equal(tls_config_set_protocols(cfg, pr), 0);
	return (cfg);
}

static void
t_tls(void **state)
{
	struct tls_config	*cfg = tls_cfg("tlsv1.3");
	struct httpc_target	 t;
	struct httpc_pool	*p;
	struct result		 r, r2;
	uint8_t			*b = pattern(300000, 0);

	(void)state;
	memset(&t, 0, sizeof(t));
	t.ht_tls = 1;
	snprintf(t.ht_connect, sizeof(t.ht_connect), "127.0.0.1");
	snprintf(t.ht_sni, sizeof(t.ht_sni), "www.google.com");
	t.ht_port = port_tls;
	p = httpc_pool_new(loop, &t, cfg, 4, 32 << 20);
	do_req(p, "POST", "/echo", b, 300000, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_int_equal(r.len, 300000);
	assert_memory_equal(r.body, b, 300000);
	res_clear(&r);
	do_req(p, "GET", "/conn", NULL, 0, 5, 0, &r);
	do_req(p, "GET", "/conn", NULL, 0, 5, 0, &r2);
	assert_int_equal(r2.err, HTTPC_OK);
	assert_string_equal((char *)r.body, (char *)r2.body);
	res_clear(&r);
	res_clear(&r2);
	do_req(p, "GET", "/drop-next", NULL, 0, 5, 0, &r);
	res_clear(&r);
	do_req(p, "POST", "/echo", "tls-again", 9, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_OK);
	assert_string_equal((char *)r.body, "tls-again");
	res_clear(&r);
	httpc_pool_free(p);

	/* A name the certificate does not have: a TLS error naming it. */
	snprintf(t.ht_sni, sizeof(t.ht_sni), "wrong.example");
	p = httpc_pool_new(loop, &t, cfg, 4, 32 << 20);
	do_req(p, "GET", "/echo", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_TLS);
	assert_false(r.sent);
	assert_non_null(strstr(r.errstr, "wrong.example"));
	res_clear(&r);
	httpc_pool_free(p);
	tls_config_free(cfg);
	free(b);
}

static void
t_tls_wrong_ca(void **state)
{
	struct tls_config	*cfg = tls_config_new();
	struct httpc_target	 t;
	struct httpc_pool	*p;
	struct result		 r;
	char			 path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/other-ca.pem", tdir);
	assert_int_equal(tls_config_set_ca_file(cfg, path), 0);
	memset(&t, 0, sizeof(t));
	t.ht_tls = 1;
	snprintf(t.ht_connect, sizeof(t.ht_connect), "127.0.0.1");
	snprintf(t.ht_sni, sizeof(t.ht_sni), "mail.google.com");
	t.ht_port = port_tls;
	p = httpc_pool_new(loop, &t, cfg, 4, 1 << 20);
	do_req(p, "GET", "/echo", NULL, 0, 5, 0, &r);
	assert_int_equal(r.err, HTTPC_ERR_TLS);
	assert_non_null(strstr(r.errstr, "mail.google.com"));
	assert_non_null(strstr(r.errstr, "127.0.0.1"));
	res_clear(&r);
	httpc_pool_free(p);
	tls_config_free(cfg);
}

static void
t_rparse(void **state)
{
	struct httpc_rparse	*rp = httpc_rparse_new(100);
	const char		*es, *m;
	size_t			 used, i;
	int			 err, r;

	(void)state;
	/* Byte by byte, with a 100 Continue first. */
	m = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
	for (i = 0, r = 0; m[i] != '\0'; i++) {
		r = httpc_rparse_feed(rp, (const uint8_t *)m + i, 1, &used,
		    &err, &es);
		assert_int_not_equal(r, -1);
		if (r == 1)
			break;
	}
	assert_int_equal(r, 1);
	assert_int_equal(i, strlen(m) - 1);
	assert_int_equal(httpc_rparse_resp(rp)->hs_status, 200);
	assert_string_equal(httpc_rparse_resp(rp)->hs_ctype, "text/plain");
	assert_int_equal(httpc_rparse_resp(rp)->hs_body.wb_len, 5);
	assert_true(httpc_rparse_keepalive(rp));

	httpc_rparse_reset(rp);
	m = "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n";
	r = httpc_rparse_feed(rp, (const uint8_t *)m, strlen(m), &used, &err,
	    &es);
	assert_int_equal(r, -1);
	assert_int_equal(err, HTTPC_ERR_PROTO);

	httpc_rparse_reset(rp);
	m = "HTTP/1.0 200 OK\r\n\r\nuntil-eof";
	r = httpc_rparse_feed(rp, (const uint8_t *)m, strlen(m), &used, &err,
	    &es);
	assert_int_equal(r, 0);
	assert_int_equal(httpc_rparse_eof(rp, &err, &es), 1);
	assert_int_equal(httpc_rparse_resp(rp)->hs_body.wb_len, 9);
	assert_false(httpc_rparse_keepalive(rp));
	httpc_rparse_free(rp);
}

static int
setup(void **state)
{
	char	 cmd[4096];
	FILE	*f;
	int	 lp, lt, lc;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tdir) == NULL)
		return (-1);
	snprintf(cmd, sizeof(cmd),
	    "cd %s && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca "
	    ">/dev/null 2>&1 && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout other-ca.key -out other-ca.pem -days 2 "
	    "-subj /CN=other-ca >/dev/null 2>&1 && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout server.key -out server.csr -subj /CN=www.google.com "
	    ">/dev/null 2>&1 && "
	    "printf 'subjectAltName=DNS:www.google.com,DNS:mail.google.com\\n'"
	    " >ext && openssl x509 -req -in server.csr -CA ca.pem -CAkey "
	    "ca.key -CAcreateserial -out server.pem -days 2 -extfile ext "
	    ">/dev/null 2>&1", tdir);
	if (system(cmd) != 0)
		return (-1);
	snprintf(cmd, sizeof(cmd), "%s/ca.pem", tdir);
	if ((f = fopen(cmd, "r")) == NULL)
		return (-1);
	ca_pem = malloc(65536);
	ca_len = fread(ca_pem, 1, 65535, f);
	fclose(f);
	lp = s_listen(&port_plain);
	lt = s_listen(&port_tls);
	lc = s_listen(&port_closed);
	close(lc);	/* nothing listens there any more */
	if ((srv_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		s_main(lp, lt);
	}
	close(lp);
	close(lt);
	loop = ev_default_loop(0);
	return (0);
}

static int
teardown(void **state)
{
	char	 cmd[300];

	(void)state;
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	(void)system(cmd);
	free(ca_pem);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rparse),
		cmocka_unit_test(t_echo_keepalive),
		cmocka_unit_test(t_chunked_gzip),
		cmocka_unit_test(t_caps_and_errors),
		cmocka_unit_test(t_stale_retry),
		cmocka_unit_test(t_concurrent_cancel),
		cmocka_unit_test(t_tls),
		cmocka_unit_test(t_tls_wrong_ca),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
