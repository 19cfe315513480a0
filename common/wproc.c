/*
 * Worker side of the supervisor protocol (see wproc.h for the contract).
 * The message table (msg.c) checks each message's shape and role, the
 * worker's state table (wproc_fsm.c) decides what it does in the current
 * state; anything rejected makes the worker exit, because a supervisor
 * that breaks the protocol cannot be trusted to configure it.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <ev.h>

#include "fsm.h"
#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "privdrop.h"
#include "sandbox.h"
#include "wproc.h"

#define WPROC_FD		3
#define WPROC_CA_MAX		(4 * 1024 * 1024)
#define WPROC_QUOTA_MAX		(1024 * 1024)
#define WPROC_NOFILE		65536

static struct ev_loop		*wproc_loop;
static enum proc_role		 wproc_role;
static const struct wproc_ops	*wproc_ops;
static struct ipc		*wproc_chan;
static int			 wproc_inst;
static int			 wproc_debug;
static int			 wproc_verbose;
static const char		*wproc_user = GR_USER;
static const char		*wproc_chroot = GR_EMPTY_DIR;
static enum wstate		 wproc_state = WS_INIT;
static int			 wproc_configured;	/* a generation applied */
static struct wproc_conf	*wproc_pending;
static char			*wproc_quota;
static size_t			 wproc_quotalen;
static rlim_t			 wproc_nofile;

static void	wproc_dispatch(struct ipc *, struct imsg *, void *);
static void	wproc_error(struct ipc *, const char *, void *);

void
wproc_args(int argc, char *argv[])
{
	const char	*errstr = NULL;
	char		*ep;
	long		 l;
	int		 ch;

	while ((ch = getopt(argc, argv, "c:dvI:u:")) != -1) {
		switch (ch) {
		case 'c':
			if (optarg[0] != '/')
				errstr = "chroot directory must be absolute";
			wproc_chroot = optarg;
			break;
		case 'd':
			wproc_debug = 1;
			break;
		case 'u':
			if (optarg[0] == '\0')
				errstr = "empty user name";
			wproc_user = optarg;
			break;
		case 'v':
			wproc_verbose++;
			break;
		case 'I':
			errno = 0;
			l = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || l < 0 ||
			    l > 1024 || errno != 0)
				errstr = "bad instance number";
			else
				wproc_inst = (int)l;
			break;
		default:
			errstr = "bad option";
			break;
		}
	}
	if (errstr != NULL || optind != argc) {
		fprintf(stderr, "%s: %s\nusage: %s [-dv] [-c dir] [-u user] "
		    "-I instance\n"
		    "(started by gooserelayd, not by hand)\n", argv[0],
		    errstr != NULL ? errstr : "extra arguments", argv[0]);
		exit(1);
	}
}

int
wproc_instance(void)
{
	return wproc_inst;
}

unsigned long
wproc_nofile_limit(void)
{
	return wproc_nofile;
}

void
wproc_sandbox_params(struct sandbox_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->sp_role = wproc_role;
	sp->sp_user = wproc_user;
	sp->sp_chroot = wproc_chroot;
	sp->sp_nofile = wproc_nofile != 0 ? wproc_nofile : WPROC_NOFILE;
}

struct ipc *
wproc_ipc(void)
{
	return wproc_chan;
}

static void
wproc_log_forward(int prio, const char *line)
{
	struct msg_log	 ml;
	struct iovec	 iov[2];
	size_t		 len;

	len = strnlen(line, MSG_LOG_MAX);
	ml.ml_prio = prio;
	iov[0].iov_base = &ml;
	iov[0].iov_len = sizeof(ml);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = len;
	if (wproc_chan == NULL ||
	    ipc_sendv(wproc_chan, IMSG_LOG, 0, 0, -1, iov, 2) == -1) {
		/* No channel (yet, or any more): stderr is all we have. */
		if (wproc_debug)
			fprintf(stderr, "%s: %s\n", proc_role_name(wproc_role),
			    line);
	}
}

/*
 * libev's own reactions to a failed epoll_wait (or other system error)
 * and to an allocation failure are perror()/fprintf() and abort():
 * log through the supervisor instead and exit with a status, so the
 * cause is in the log and the restart logic sees an exit, not a crash.
 */
static void
wproc_ev_syserr(const char *msg)
{
	log_warn("%s", msg != NULL ? msg : "libev: system error");
	wproc_exit(1);
}

static void *
wproc_ev_realloc(void *ptr, long size)
{
	void	*p;

	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if ((p = realloc(ptr, size)) == NULL) {
		log_warnx("libev: cannot allocate %ld bytes", size);
		wproc_exit(1);
	}
	return p;
}

/* exit() and fatal() go through here: deliver queued log lines first. */
static void
wproc_atexit(void)
{
	if (wproc_chan != NULL)
		(void)ipc_flush(wproc_chan);
}

void
wproc_exit(int status)
{
	if (wproc_chan != NULL)
		(void)ipc_flush(wproc_chan);
	/*
	 * _exit: atexit handlers (and LeakSanitizer, which needs /proc) have
	 * no business running inside the sandbox.
	 */
	_exit(status);
}

void
wproc_init(struct ev_loop *loop, enum proc_role role,
    const struct wproc_ops *ops)
{
	struct stat	 st;
	pid_t		 ppid;

	wproc_loop = loop;
	wproc_role = role;
	wproc_ops = ops;
	ppid = getppid();
#ifdef __linux__
	/* A backstop for the EOF on fd 3: die with the supervisor. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1) {
		perror("prctl PR_SET_PDEATHSIG");
		exit(1);
	}
#endif
	if (ppid == 1 || getppid() != ppid)
		exit(1);		/* the supervisor is already gone */
	if (fstat(WPROC_FD, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "%s: fd %d is not the supervisor socket; "
		    "workers are started by gooserelayd\n",
		    proc_role_name(role), WPROC_FD);
		exit(1);
	}
	(void)fcntl(WPROC_FD, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	log_init(1, LOG_DAEMON, proc_role_name(role));
	log_setverbose(wproc_verbose);
	if ((wproc_chan = ipc_new(loop, WPROC_FD, MSG_DIR_S2W, role,
	    wproc_dispatch, wproc_error, NULL)) == NULL) {
		perror("ipc_new");
		exit(1);
	}
	wproc_state = WS_INIT;
	log_set_forward(wproc_log_forward);
	atexit(wproc_atexit);
	/* The loop exists already; our allocator is realloc() as libev's. */
	ev_set_syserr_cb(wproc_ev_syserr);
	ev_set_allocator(wproc_ev_realloc);
	/*
	 * The descriptor limit is raised now, not at sandbox_enter: the
	 * pre-sandbox init that follows (libwebsockets' context) sizes its
	 * fd table from the soft limit, often 1024 under a service manager.
	 */
	wproc_nofile = privdrop_nofile(WPROC_NOFILE);
}

void
wproc_hello(void)
{
	struct msg_hello	 mh;

	memset(&mh, 0, sizeof(mh));
	mh.mh_version = MSG_PROTO_VERSION;
	mh.mh_role = wproc_role;
	mh.mh_instance = wproc_inst;
	mh.mh_pid = getpid();
	mh.mh_layout = msg_layout_id();
	snprintf(mh.mh_build, sizeof(mh.mh_build), "%s", PACKAGE_VERSION);
	if (ipc_send(wproc_chan, IMSG_HELLO, 0, -1, &mh, sizeof(mh)) == -1)
		fatal("send HELLO");
	wproc_state = WS_HELLO_SENT;
}

void
wproc_send_stats(uint32_t reqid, const char *json)
{
	if (ipc_send_big(wproc_chan, IMSG_STATS, reqid, json,
	    strlen(json)) == -1)
		log_warn("send STATS");
}

void
wproc_send_quota(const char *json, size_t len)
{
	if (ipc_send_big(wproc_chan, IMSG_QUOTA_SAVE, 0, json, len) == -1)
		log_warn("send QUOTA_SAVE");
}

static void
wproc_error(struct ipc *ipc, const char *why, void *arg)
{
	if (strcmp(why, "EOF") == 0)
		_exit(0);	/* supervisor gone: nothing to flush to */
	log_warnx("supervisor protocol violation: %s; exiting", why);
	wproc_exit(1);
}

static __attribute__((noreturn)) void
wproc_violation(struct imsg *imsg, const char *why)
{
	log_warnx("%s from supervisor: %s; exiting", msg_name(imsg->hdr.type),
	    why);
	if (imsg->fd != -1)
		close(imsg->fd);
	wproc_exit(1);
}

static void
wproc_conf_free(struct wproc_conf *wc)
{
	int	 i;

	if (wc == NULL)
		return;
	explicit_bzero(wc->wc_key, sizeof(wc->wc_key));
	for (i = 0; i < wc->wc_nlisteners; i++)
		if (wc->wc_listeners[i].fd != -1)
			close(wc->wc_listeners[i].fd);
	free(wc->wc_ca);
	explicit_bzero(wc, sizeof(*wc));
	free(wc);
}

/* Append one piece of a multi-message payload, bounded. */
static int
wproc_append(char **buf, size_t *len, size_t max, const void *data,
    size_t n)
{
	char	*p;

	if (*len + n > max)
		return -1;
	if ((p = realloc(*buf, *len + n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p + *len, data, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
	return 0;
}

int
wproc_listener(const struct wproc_conf *wc, uint32_t kind)
{
	int	 i;

	for (i = 0; i < wc->wc_nlisteners; i++)
		if (wc->wc_listeners[i].kind == kind &&
		    wc->wc_listeners[i].fd != -1)
			return (i);
	return (-1);
}

#ifdef GR_TEST_HOOKS
const char *
wproc_test_reject(const struct wproc_conf *wc)
{
	static char	 reason[96];
	const char	*port, *colon;
	int		 i;

	if ((port = getenv("GOOSERELAY_TEST_REJECT")) == NULL || *port == '\0')
		return NULL;
	for (i = 0; i < wc->wc_nlisteners; i++) {
		if ((colon = strrchr(wc->wc_listeners[i].addr, ':')) == NULL ||
		    strcmp(colon + 1, port) != 0)
			continue;
		snprintf(reason, sizeof(reason), "test hook: port %s refused "
		    "(GOOSERELAY_TEST_REJECT)", port);
		return reason;
	}
	return NULL;
}
#else
const char *
wproc_test_reject(const struct wproc_conf *wc)
{
	return NULL;
}
#endif

/*
 * CONF_END: the worker validates and prepares the generation aside, then
 * swaps it in (wo_configure); on failure the previous one runs on
 * untouched and the supervisor is told why.
 */
static void
wproc_conf_end(struct imsg *imsg)
{
	struct msg_gen		 mg;
	struct msg_conf_fail	 mf;
	struct wproc_conf	*wc = wproc_pending;
	char			 err[MSG_REASON_MAX];
	int			 rv;

	memcpy(&mg, imsg->data, sizeof(mg));
	if (wc == NULL || mg.mg_gen != wc->wc_gen || imsg->hdr.peerid !=
	    wc->wc_gen)
		wproc_violation(imsg, "generation mismatch");
	err[0] = '\0';
	rv = wproc_ops->wo_configure(wc, err, sizeof(err));
	wproc_pending = NULL;
	wproc_conf_free(wc);
	if (rv == 0) {
		log_debug("applied configuration generation %u", mg.mg_gen);
		(void)ipc_send(wproc_chan, IMSG_CONF_DONE, mg.mg_gen, -1, &mg,
		    sizeof(mg));
		wproc_state = wproc_configured ? WS_RUNNING : WS_CONFIGURED;
		wproc_configured = 1;
	} else {
		memset(&mf, 0, sizeof(mf));
		mf.mf_gen = mg.mg_gen;
		snprintf(mf.mf_reason, sizeof(mf.mf_reason), "%s",
		    err[0] != '\0' ? err : "rejected");
		log_warnx("configuration generation %u rejected: %s",
		    mg.mg_gen, mf.mf_reason);
		(void)ipc_send(wproc_chan, IMSG_CONF_FAIL, mg.mg_gen, -1, &mf,
		    sizeof(mf));
		wproc_state = wproc_configured ? WS_RUNNING : WS_HELLO_SENT;
	}
}

#ifdef GR_TEST_HOOKS
static int	*wproc_test_fds;
static size_t	 wproc_test_nfds;

/* Sockets until the descriptor limit: accept(2) then fails (EMFILE). */
static void
wproc_test_fill(void)
{
	size_t	 cap = wproc_test_nfds;
	int	*p, fd;

	for (;;) {
		if (wproc_test_nfds == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((p = reallocarray(wproc_test_fds, cap,
			    sizeof(*p))) == NULL)
				break;
			wproc_test_fds = p;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			break;
		wproc_test_fds[wproc_test_nfds++] = fd;
	}
	log_info("test: holding %zu more descriptors (%s)", wproc_test_nfds,
	    strerror(errno));
}

static void
wproc_test_release(void)
{
	while (wproc_test_nfds > 0)
		close(wproc_test_fds[--wproc_test_nfds]);
	free(wproc_test_fds);
	wproc_test_fds = NULL;
	log_info("test: descriptors released");
}
#endif

static void
wproc_test(struct imsg *imsg)
{
#ifdef GR_TEST_HOOKS
	struct msg_test	 mt;
	int		 fd;

	memcpy(&mt, imsg->data, sizeof(mt));
	switch (mt.mt_what) {
	case MSG_TEST_OPEN_FILE:
		log_info("test: opening /etc/passwd (the sandbox must kill "
		    "this worker)");
		ipc_flush(wproc_chan);
		fd = open("/etc/passwd", O_RDONLY);
		/* Only reached without a kill-mode system call filter. */
		log_warnx("test: open /etc/passwd returned %d (%s)", fd,
		    fd == -1 ? strerror(errno) : "sandbox did not stop it");
		if (fd != -1)
			close(fd);
		break;
	case MSG_TEST_CRASH:
		log_info("test: crashing on request");
		ipc_flush(wproc_chan);
		abort();
	case MSG_TEST_FILL_FDS:
		wproc_test_fill();
		break;
	case MSG_TEST_RELEASE_FDS:
		wproc_test_release();
		break;
	default:
		wproc_violation(imsg, "unknown test");
	}
#else
	wproc_violation(imsg, "test hooks are not built in");
#endif
}

/* CONF_START: open a generation aside; the running one serves on. */
static void
wproc_conf_open(struct imsg *imsg)
{
	struct wproc_conf	*wc;
	struct msg_gen		 mg;

	memcpy(&mg, imsg->data, sizeof(mg));
	if (wproc_pending != NULL)
		wproc_violation(imsg, "generation already open");
	if (imsg->hdr.peerid != mg.mg_gen)
		wproc_violation(imsg, "generation mismatch");
	if ((wc = calloc(1, sizeof(*wc))) == NULL)
		fatal("calloc");
	wc->wc_gen = mg.mg_gen;
	wproc_pending = wc;
	wproc_state = wproc_state == WS_RUNNING ? WS_RECONFIGURING :
	    WS_CONFIGURING;
}

/* One piece of the open generation; each struct and the key once. */
static void
wproc_conf_piece(struct imsg *imsg)
{
	struct wproc_conf	*wc = wproc_pending;
	struct msg_listener	 ml;

	if (wc == NULL || imsg->hdr.peerid != wc->wc_gen)
		wproc_violation(imsg, "not part of the open generation");
	switch (imsg->hdr.type) {
	case IMSG_CONF_LISTENER:
		if (wc->wc_nlisteners >= WPROC_MAX_LISTENERS)
			wproc_violation(imsg, "too many listeners");
		memcpy(&ml, imsg->data, sizeof(ml));
		ml.ml_addr[sizeof(ml.ml_addr) - 1] = '\0';
		wc->wc_listeners[wc->wc_nlisteners].kind = ml.ml_kind;
		wc->wc_listeners[wc->wc_nlisteners].fd = imsg->fd;
		memcpy(wc->wc_listeners[wc->wc_nlisteners].addr, ml.ml_addr,
		    sizeof(ml.ml_addr));
		wc->wc_nlisteners++;
		break;
	case IMSG_CONF_CARRIER:
		if (wc->wc_has_carrier)
			wproc_violation(imsg, "sent twice in one generation");
		memcpy(&wc->wc_carrier, imsg->data, sizeof(wc->wc_carrier));
		wc->wc_has_carrier = 1;
		break;
	case IMSG_CONF_EXIT:
		if (wc->wc_has_exit)
			wproc_violation(imsg, "sent twice in one generation");
		memcpy(&wc->wc_exit, imsg->data, sizeof(wc->wc_exit));
		wc->wc_has_exit = 1;
		break;
	case IMSG_CONF_KEY:
		if (wc->wc_has_key)
			wproc_violation(imsg, "sent twice in one generation");
		memcpy(wc->wc_key, imsg->data, sizeof(wc->wc_key));
		explicit_bzero(imsg->data, imsg->datalen);
		wc->wc_has_key = 1;
		break;
	case IMSG_CONF_CA:
		if (wproc_append((char **)&wc->wc_ca, &wc->wc_calen,
		    WPROC_CA_MAX, imsg->data, imsg->datalen) == -1)
			wproc_violation(imsg, "CA bundle too large");
		break;
	default:
		wproc_violation(imsg, "not a configuration piece");
	}
}

static void
wproc_quota_piece(struct imsg *imsg)
{
	if (wproc_append(&wproc_quota, &wproc_quotalen, WPROC_QUOTA_MAX,
	    imsg->data, imsg->datalen) == -1)
		wproc_violation(imsg, "quota state too large");
	if (imsg->hdr.flags & IMSGF_MORE)
		return;
	if (wproc_ops->wo_quota_load != NULL)
		wproc_ops->wo_quota_load(wproc_quota, wproc_quotalen);
	free(wproc_quota);
	wproc_quota = NULL;
	wproc_quotalen = 0;
}

/* Every message: the state table says what happens (wproc_fsm.c). */
static void
wproc_dispatch(struct ipc *ipc, struct imsg *imsg, void *arg)
{
	struct msg_shutdown	 ms;
	struct msg_verbose	 mv;

	switch (fsm_action(&wproc_fsm, wproc_state, imsg->hdr.type)) {
	case FSM_IGNORE:
		if (imsg->fd != -1)
			close(imsg->fd);
		break;
	case WP_OPEN:
		wproc_conf_open(imsg);
		break;
	case WP_PIECE:
		wproc_conf_piece(imsg);
		break;
	case WP_END:
		wproc_conf_end(imsg);
		break;
	case WP_START:
		if (wproc_ops->wo_start != NULL)
			wproc_ops->wo_start();
		wproc_state = WS_RUNNING;
		(void)ipc_send(ipc, IMSG_READY, 0, -1, NULL, 0);
		break;
	case WP_STOP:
		memcpy(&ms, imsg->data, sizeof(ms));
		wproc_state = WS_DRAINING;
		if (wproc_ops->wo_shutdown != NULL)
			wproc_ops->wo_shutdown(ms.ms_grace_ms);
		else
			wproc_exit(0);
		break;
	case WP_VERBOSE:
		memcpy(&mv, imsg->data, sizeof(mv));
		log_setverbose(mv.mv_level);
		break;
	case WP_STATS:
		if (wproc_ops->wo_stats != NULL)
			wproc_ops->wo_stats(imsg->hdr.peerid);
		else
			wproc_send_stats(imsg->hdr.peerid, "{}");
		break;
	case WP_QUOTA:
		wproc_quota_piece(imsg);
		break;
	case WP_TEST:
		wproc_test(imsg);
		break;
	default:
		wproc_violation(imsg, "not accepted in this state");
	}
}
