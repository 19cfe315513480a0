/*
 * Control socket for gooserelayctl(8): a UNIX socket, mode 0600, and the
 * peer must be root (or the user the daemon runs as).  Requests are
 * framed and bounded (ctlproto.h); anything malformed gets an error
 * reply and a closed connection, never a crash.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "ctlproto.h"
#include "stats.h"
#include "statstab.h"
#include "log.h"
#include "supervisor.h"

#define CONTROL_MAXCONN	8

struct control_conn {
	int		 cc_fd;
	ev_io		 cc_io;
	ev_timer	 cc_timer;
	uint8_t		 cc_in[sizeof(struct ctl_req) + CTL_REQ_MAX];
	size_t		 cc_inlen;
	char		*cc_out;
	size_t		 cc_outlen;
	size_t		 cc_outoff;
	/* An asynchronous reply is pending (stats, diag, reload). */
	struct statsreq	*cc_sr;
	struct opsdiag	*cc_od;
	struct reload_waiter cc_rw;
	int		 cc_json;
};

static int		 control_fd = -1;
static char		 control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static ev_io		 control_io;
static int		 control_nconn;

static void	control_accept_cb(struct ev_loop *, ev_io *, int);

/* The run directory of a fresh /usr/local install may not exist yet. */
static int
control_mkdir(const char *path)
{
	char	 dir[sizeof(control_path)], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return -1;
	*p = '\0';
	if (mkdir(dir, 0755) == -1)
		return errno == EEXIST ? 0 : -1;
	/* mkdir ran under the socket's umask. */
	return chmod(dir, 0755);
}

/*
 * The control socket's path is unlinked before bind: never let that
 * remove anything but a socket (a mistyped -s naming a file).
 */
int
control_check(const char *path, char *err, size_t errlen)
{
	struct stat	 st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a "
		    "socket (%s); refusing to replace it", path,
		    S_ISREG(st.st_mode) ? "a regular file" :
		    S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "not a socket");
		return -1;
	}
	return 0;
}

int
control_init(const char *path)
{
	char			 err[CONF_PATH_LEN + 128];

	struct sockaddr_un	 sun;
	mode_t			 old;

	if (control_check(path, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	if ((control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	/* A stale socket from a crashed daemon: only if nobody answers. */
	if (connect(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control socket %s in use: another gooserelayd?",
		    path);
		close(control_fd);
		control_fd = -1;
		return -1;
	}
	close(control_fd);
	if ((control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	/* Checked again just before: only a stale socket goes. */
	if (control_check(path, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		close(control_fd);
		control_fd = -1;
		return -1;
	}
	(void)unlink(path);
	old = umask(0177);
	if (bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    (errno != ENOENT || control_mkdir(path) == -1 ||
	    bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)) {
		umask(old);
		log_warn("bind %s", path);
		close(control_fd);
		control_fd = -1;
		return -1;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(control_fd, 16) == -1) {
		log_warn("control socket %s", path);
		close(control_fd);
		control_fd = -1;
		return -1;
	}
	snprintf(control_path, sizeof(control_path), "%s", path);
	ev_io_init(&control_io, control_accept_cb, control_fd, EV_READ);
	ev_io_start(sv_loop, &control_io);
	log_debug("control socket %s", path);
	return 0;
}

void
control_cleanup(void)
{
	if (control_fd == -1)
		return;
	ev_io_stop(sv_loop, &control_io);
	close(control_fd);
	control_fd = -1;
	(void)unlink(control_path);
}

static void
control_close(struct control_conn *cc)
{
	statsreq_cancel(cc->cc_sr);
	opsdiag_cancel(cc->cc_od);
	reload_cancel(&cc->cc_rw);
	ev_io_stop(sv_loop, &cc->cc_io);
	ev_timer_stop(sv_loop, &cc->cc_timer);
	close(cc->cc_fd);
	free(cc->cc_out);
	free(cc);
	control_nconn--;
}

static void
control_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_conn	*cc = w->data;
	ssize_t			 n;

	while (cc->cc_outoff < cc->cc_outlen) {
		n = send(cc->cc_fd, cc->cc_out + cc->cc_outoff,
		    cc->cc_outlen - cc->cc_outoff, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		cc->cc_outoff += n;
	}
	control_close(cc);
}

/* Queue the reply and switch the connection to writing. */
static void
control_reply(struct control_conn *cc, uint32_t status, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
control_reply(struct control_conn *cc, uint32_t status, const char *fmt, ...)
{
	struct ctl_rep	 rep;
	va_list		 ap;
	char		*text;
	int		 n;

	cc->cc_sr = NULL;
	cc->cc_od = NULL;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vasprintf");
	if (n > CTL_REP_MAX)
		n = CTL_REP_MAX;
	rep.cp_magic = CTL_MAGIC;
	rep.cp_status = status;
	rep.cp_len = n;
	if ((cc->cc_out = malloc(sizeof(rep) + n)) == NULL)
		fatal("malloc");
	memcpy(cc->cc_out, &rep, sizeof(rep));
	memcpy(cc->cc_out + sizeof(rep), text, n);
	free(text);
	cc->cc_outlen = sizeof(rep) + n;
	cc->cc_outoff = 0;
	ev_io_stop(sv_loop, &cc->cc_io);
	ev_io_set(&cc->cc_io, cc->cc_fd, EV_WRITE);
	cc->cc_io.cb = control_write_cb;
	ev_io_start(sv_loop, &cc->cc_io);
}

/*
 * The reply comes later from the event loop: stop reading (a second
 * request on this connection is not allowed); the connection timeout
 * still bounds the wait.
 */
static void
control_async(struct control_conn *cc)
{
	ev_io_stop(sv_loop, &cc->cc_io);
}

static void
control_stats_cb(char *json, void *arg)
{
	struct control_conn	*cc = arg;
	char			*table, err[256];

	if (json == NULL) {
		control_reply(cc, CTL_ERROR, "stats: out of memory\n");
		return;
	}
	if (cc->cc_json) {
		if (strlen(json) + 1 > CTL_REP_MAX)
			control_reply(cc, CTL_ERROR, "stats: reply too large "
			    "(%zu bytes)\n", strlen(json));
		else
			control_reply(cc, CTL_OK, "%s\n", json);
		return;
	}
	if ((table = statstab_text(json, strlen(json), err,
	    sizeof(err))) == NULL) {
		control_reply(cc, CTL_ERROR, "stats: %s\n", err);
		return;
	}
	control_reply(cc, CTL_OK, "%s", table);
	free(table);
}

static void
control_stats(struct control_conn *cc, int json)
{
	cc->cc_json = json;
	if ((cc->cc_sr = statsreq_start(control_stats_cb, cc)) == NULL) {
		control_reply(cc, CTL_ERROR, "stats: out of memory\n");
		return;
	}
	control_async(cc);
}

static void
control_diag_cb(int rc, const char *msg, void *arg)
{
	struct control_conn	*cc = arg;

	if (rc == 0)
		control_reply(cc, CTL_OK, "%s\n", msg);
	else
		control_reply(cc, CTL_ERROR, "diag: %s\n", msg);
}

/* "diag PATH": the rest of the request is the path (spaces allowed). */
static void
control_diag(struct control_conn *cc, const char *path)
{
	if (path[0] != '/') {
		control_reply(cc, CTL_ERROR, "diag: the path must be "
		    "absolute\n");
		return;
	}
	if ((cc->cc_od = opsdiag_start(path, control_diag_cb, cc)) == NULL) {
		control_reply(cc, CTL_ERROR, "diag: cannot start\n");
		return;
	}
	control_async(cc);
}

static void
control_reload_cb(int ok, const char *msg, void *arg)
{
	struct control_conn	*cc = arg;

	if (ok)
		control_reply(cc, CTL_OK, "%s\n", msg);
	else
		control_reply(cc, CTL_ERROR, "reload failed: %s\n", msg);
}

/*
 * Answered when the outcome is known: committed, or refused with the
 * worker and its reason (reload.c); bounded by the workers' timeouts.
 */
static void
control_reload(struct control_conn *cc)
{
	char	 err[256];

	control_async(cc);
	ev_timer_stop(sv_loop, &cc->cc_timer);
	ev_timer_set(&cc->cc_timer, CTL_RELOAD_TIMEOUT_S, 0.);
	ev_timer_start(sv_loop, &cc->cc_timer);
	cc->cc_rw.rw_cb = control_reload_cb;
	cc->cc_rw.rw_arg = cc;
	if (reload_request(&cc->cc_rw, err, sizeof(err)) == -1)
		control_reply(cc, CTL_ERROR, "reload failed: %s\n", err);
}

#ifdef GR_TEST_HOOKS
static int
control_role(const char *s, enum proc_role *role)
{
	if (strcmp(s, "carrier") == 0)
		*role = PROC_CARRIER;
	else if (strcmp(s, "exit") == 0)
		*role = PROC_EXIT;
	else
		return -1;
	return 0;
}
#endif

#ifdef GR_TEST_HOOKS
/* gooserelayctl test WHAT ROLE: the regress-only triggers; 0 unknown. */
static uint32_t
control_test(const char *what)
{
	if (strcmp(what, "open-file") == 0)
		return MSG_TEST_OPEN_FILE;
	if (strcmp(what, "crash") == 0)
		return MSG_TEST_CRASH;
	if (strcmp(what, "fill-fds") == 0)
		return MSG_TEST_FILL_FDS;
	if (strcmp(what, "release-fds") == 0)
		return MSG_TEST_RELEASE_FDS;
	return 0;
}
#endif

static void
control_command(struct control_conn *cc, char *cmd)
{
	char		*av[4], *p, *save = NULL, buf[2048];
	int		 ac = 0;
#ifdef GR_TEST_HOOKS
	enum proc_role	 role;
	uint32_t	 what;
#endif

	if (strncmp(cmd, "diag ", 5) == 0) {
		control_diag(cc, cmd + 5);
		return;
	}
	for (p = strtok_r(cmd, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		if (ac == 4) {
			control_reply(cc, CTL_ERROR, "too many words\n");
			return;
		}
		av[ac++] = p;
	}
	if (ac == 0) {
		control_reply(cc, CTL_ERROR, "empty request\n");
		return;
	}
	if (strcmp(av[0], "status") == 0 && ac == 1) {
		worker_status(buf, sizeof(buf));
		control_reply(cc, CTL_OK, "gooserelayd pid=%d generation=%u "
		    "config=%s\n%s", (int)getpid(), sv_gen,
		    sv_conf->gc_demo ? "demo" : sv_opts.so_conffile, buf);
	} else if (strcmp(av[0], "stats") == 0 && (ac == 1 || (ac == 2 &&
	    strcmp(av[1], "--json") == 0))) {
		control_stats(cc, ac == 2);
	} else if (strcmp(av[0], "reload") == 0 && ac == 1) {
		control_reload(cc);
	} else if (strcmp(av[0], "log") == 0 && ac == 2 &&
	    (strcmp(av[1], "verbose") == 0 || strcmp(av[1], "brief") == 0)) {
		log_setverbose(av[1][0] == 'v' ? 1 : 0);
		worker_set_verbose(log_getverbose());
		log_info("logging %s", av[1]);
		control_reply(cc, CTL_OK, "logging %s\n", av[1]);
#ifdef GR_TEST_HOOKS
	} else if (strcmp(av[0], "test") == 0 && ac == 3 &&
	    control_role(av[2], &role) == 0 &&
	    (what = control_test(av[1])) != 0) {
		if (worker_test(role, what) == 0)
			control_reply(cc, CTL_OK, "sent test %s to %s\n",
			    av[1], av[2]);
		else
			control_reply(cc, CTL_ERROR, "%s is not running\n",
			    av[2]);
#endif
	} else
		control_reply(cc, CTL_ERROR, "unknown command\n");
}

static void
control_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_conn	*cc = w->data;
	struct ctl_req		 req;
	char			 cmd[CTL_REQ_MAX + 1];
	ssize_t			 n;
	size_t			 i;

	n = recv(cc->cc_fd, cc->cc_in + cc->cc_inlen,
	    sizeof(cc->cc_in) - cc->cc_inlen, 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		control_close(cc);
		return;
	}
	cc->cc_inlen += n;
	if (cc->cc_inlen < sizeof(req))
		return;
	memcpy(&req, cc->cc_in, sizeof(req));
	if (req.cr_magic != CTL_MAGIC || req.cr_len > CTL_REQ_MAX) {
		log_warnx("control: malformed request");
		control_reply(cc, CTL_ERROR, "malformed request\n");
		return;
	}
	if (cc->cc_inlen < sizeof(req) + req.cr_len)
		return;
	if (cc->cc_inlen > sizeof(req) + req.cr_len) {
		control_reply(cc, CTL_ERROR, "trailing bytes after request\n");
		return;
	}
	memcpy(cmd, cc->cc_in + sizeof(req), req.cr_len);
	cmd[req.cr_len] = '\0';
	for (i = 0; i < req.cr_len; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e) {
			control_reply(cc, CTL_ERROR,
			    "request is not printable text\n");
			return;
		}
	log_debug("control: %s", cmd);
	control_command(cc, cmd);
}

static void
control_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	control_close(t->data);
}

static void
control_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_conn	*cc;
	uid_t			 uid = (uid_t)-1;
	int			 fd;

	if ((fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) == -1)
		return;
	if (compat_peeruid(fd, &uid) == -1 ||
	    (uid != 0 && uid != geteuid())) {
		log_warnx("control: refused connection from uid %d",
		    (int)uid);
		close(fd);
		return;
	}
	if (control_nconn >= CONTROL_MAXCONN ||
	    (cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	control_nconn++;
	cc->cc_fd = fd;
	ev_io_init(&cc->cc_io, control_read_cb, fd, EV_READ);
	cc->cc_io.data = cc;
	ev_io_start(sv_loop, &cc->cc_io);
	ev_timer_init(&cc->cc_timer, control_timeout_cb, CTL_TIMEOUT_S, 0.);
	cc->cc_timer.data = cc;
	ev_timer_start(sv_loop, &cc->cc_timer);
}
