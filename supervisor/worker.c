/*
 * Worker table and lifecycle (style.md 3.4).  Everything that happens to
 * a worker goes through one state x event table (worker_fsm.c), which
 * both refuses what a state does not accept and picks the handler; this
 * is its rendering, checked by regress/unit/test_fsm.c:
 *
 * BEGIN worker_fsm
 * state        HELLO  DONE  FAIL  READY  LOG  STATS  QUOTA  timer  eof   death
 * spawned      hello  -     -     -      log  -      -      kill   wait  died
 * configuring  -      done  fail  -      log  -      -      kill   wait  died
 * starting     -      -     -     ready  log  stats  quota  kill   wait  died
 * running      -      -     -     -      log  stats  quota  kill   wait  died
 * reloading    -      done  fail  -      log  stats  quota  kill   wait  died
 * draining     ign    ign   ign   ign    log  stats  quota  term   ign   died
 * exited       -      -     -     -      -    -      -      -      -     -
 * backoff      -      -     -     -      -    -      -      spawn  -     -
 * failed       -      -     -     -      -    -      -      -      -     -
 * END worker_fsm
 *
 *	-	a message: protocol violation, that worker alone is killed
 *		(SIGKILL) and restarted; other events cannot happen
 *	ign	answers to what was sent before SHUTDOWN: dropped
 *	hello	check protocol version, layout identity and build (a
 *		binary of another build is refused and not restarted) and
 *		who sent it; push the committed generation
 *	done	generation acknowledged: first one -> START; a reload ->
 *		running, reload.c counts it, or catch up to the committed
 *	fail	generation refused: the first one fails the role if it has
 *		never run, else counts as a death at start; a reload ->
 *		reload.c rolls every worker back
 *	ready	running: the stable timer starts; catch up if a reload was
 *		committed while it started
 *	log	write the worker's line with its role
 *	stats	a piece of its stats reply (statsreq.c)
 *	quota	a piece of the carrier's quota state, saved when complete
 *	kill	a step timed out (or EOF and the process lives on): SIGKILL
 *	term	grace over: SIGTERM, then SIGKILL
 *	spawn	backoff over: fork and exec a new process
 *	wait	EOF: the process is exiting; SIGKILL if it does not
 *	died	reaped: log the cause (SIGSYS: sandbox violation); a death
 *		at start counts toward failing the role, one under load
 *		only backs off (backoff.c)
 *
 * A death is detected by ev_child or by EOF on the IPC socket, whichever
 * comes first; "died" runs once, when the child is reaped.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fsm.h"
#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "supervisor.h"
#include "worker_fsm.h"

#define WORKER_HELLO_S		15.0	/* generous: sanitizer builds */
#define WORKER_CONF_S		15.0
#define WORKER_START_S		15.0
#define WORKER_KILL_S		3.0	/* after EOF or TERM: KILL */
#define WORKER_QUOTA_MAX	(1024 * 1024)
#define WORKER_ENV_MAX		8

struct worker	 workers[WORKER_NROLES];

static void	worker_spawn(struct worker *);
static void	worker_event(struct worker *, uint32_t, struct imsg *);
static void	worker_dispatch(struct ipc *, struct imsg *, void *);
static void	worker_ipc_error(struct ipc *, const char *, void *);
static void	worker_child_cb(struct ev_loop *, ev_child *, int);
static void	worker_timer_cb(struct ev_loop *, ev_timer *, int);
static void	worker_stable_cb(struct ev_loop *, ev_timer *, int);
static void	worker_catch_up(struct worker *);

/*
 * Environment variables a worker may see (style.md 3.4: it inherits
 * nothing else from the supervisor, as OpenSSH's sshd clears its
 * children's): TZ for log times, the sanitizers' options, and in a
 * regress build the test hooks.
 */
static const char *const worker_env_keep[] = {
	"TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
#ifdef GR_TEST_HOOKS
	"GOOSERELAY_TEST_REJECT",
#endif
};

const char *
worker_name(const struct worker *w)
{
	return proc_role_name(w->w_role);
}

void
worker_init(void)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].w_role = i == 0 ? PROC_CARRIER : PROC_EXIT;
		workers[i].w_state = SS_EXITED;
		ev_init(&workers[i].w_timer, worker_timer_cb);
		workers[i].w_timer.data = &workers[i];
		ev_init(&workers[i].w_stable, worker_stable_cb);
		workers[i].w_stable.data = &workers[i];
	}
}

struct worker *
worker_by_role(enum proc_role role)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++)
		if (workers[i].w_role == role)
			return &workers[i];
	return NULL;
}

void
worker_configure_roles(const struct gr_conf *conf)
{
	workers[0].w_enabled = conf->gc_has_carrier;
	workers[1].w_enabled = conf->gc_has_exit;
}

void
worker_committed(struct sv_generation *g)
{
	g->g_gen = sv_gen;
	g->g_conf = sv_conf;
	g->g_ca = sv_ca;
	g->g_calen = sv_calen;
	g->g_ln = listeners;
}

static void
worker_timer(struct worker *w, double secs)
{
	ev_timer_stop(sv_loop, &w->w_timer);
	ev_timer_set(&w->w_timer, secs, 0.);
	ev_timer_start(sv_loop, &w->w_timer);
}

/* Describe a wait status for the log; SIGSYS is the sandbox's kill. */
char *
worker_describe_status(int status, char *buf, size_t len)
{
	const char	*abbrev;
	int		 sig;

	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		abbrev = compat_sigabbrev(sig);
		snprintf(buf, len, "killed by signal %d (SIG%s)%s%s", sig,
		    abbrev != NULL ? abbrev : "?",
		    sig == SIGSYS ? ": sandbox violation" : "",
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else
		snprintf(buf, len, "stopped with status 0x%x", status);
	return buf;
}

void
worker_kill(struct worker *w, const char *why)
{
	if (w->w_pid <= 0)
		return;
	log_warnx("%s: %s; killing pid %d", worker_name(w), why, w->w_pid);
	w->w_killed = 1;
	kill(w->w_pid, SIGKILL);
}

static const char *
worker_libexec(void)
{
	return sv_opts.so_libexec != NULL ? sv_opts.so_libexec : LIBEXECDIR;
}

/* The worker's environment: only worker_env_keep, copied before fork. */
static void
worker_env(char *env[], size_t n)
{
	static char	 buf[WORKER_ENV_MAX][512];
	const char	*v;
	size_t		 i, k = 0;

	for (i = 0; i < sizeof(worker_env_keep) / sizeof(worker_env_keep[0]) &&
	    k + 1 < n && k < WORKER_ENV_MAX; i++) {
		if ((v = getenv(worker_env_keep[i])) == NULL)
			continue;
		if (snprintf(buf[k], sizeof(buf[k]), "%s=%s",
		    worker_env_keep[i], v) >= (int)sizeof(buf[k]))
			continue;	/* too long to be meant */
		env[k] = buf[k];
		k++;
	}
	env[k] = NULL;
}

/*
 * fork + exec the worker with its end of the socketpair at fd 3 and
 * nothing else open; a close-on-exec pipe tells the parent whether the
 * exec itself failed (s6 trystart).  It runs as the committed
 * configuration's user, chrooted to its directory (-u, -c).
 */
static void
worker_spawn(struct worker *w)
{
	char		 path[PATH_MAX], inst[16], *argv[20];
	char		*env[WORKER_ENV_MAX + 1];
	int		 sp[2], ep[2], argc = 0, i, err = 0, fd;
	ssize_t		 n;
	sigset_t	 set;
	pid_t		 pid;

	snprintf(path, sizeof(path), "%s/gooserelay-%s", worker_libexec(),
	    worker_name(w));
	snprintf(inst, sizeof(inst), "%d", w->w_instance);
	argv[argc++] = path;
	if (sv_opts.so_debug)
		argv[argc++] = "-d";
	for (i = 0; i < log_getverbose() && i < 4; i++)
		argv[argc++] = "-v";
	argv[argc++] = "-u";
	argv[argc++] = sv_conf->gc_user;
	argv[argc++] = "-c";
	argv[argc++] = sv_conf->gc_chroot;
	argv[argc++] = "-I";
	argv[argc++] = inst;
	argv[argc] = NULL;
	worker_env(env, sizeof(env) / sizeof(env[0]));

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if (pipe2(ep, O_CLOEXEC) == -1)
		fatal("pipe2");
	w->w_spawned = ev_now(sv_loop);
	w->w_ready = 0;
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		/* Child: only async-signal-safe calls until exec. */
		setsid();
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		for (i = 1; i < NSIG; i++)
			if (i != SIGKILL && i != SIGSTOP)
				signal(i, SIG_DFL);
		/* Park both fds high, then place them exactly. */
		if ((ep[1] = fcntl(ep[1], F_DUPFD_CLOEXEC, 10)) == -1 ||
		    (sp[1] = fcntl(sp[1], F_DUPFD, 10)) == -1 ||
		    dup2(sp[1], 3) == -1 || dup2(ep[1], 4) == -1 ||
		    fcntl(4, F_SETFD, FD_CLOEXEC) == -1)
			goto childfail;
		if (!sv_opts.so_debug) {
			if ((fd = open("/dev/null", O_RDWR)) == -1 ||
			    dup2(fd, 0) == -1 || dup2(fd, 1) == -1 ||
			    dup2(fd, 2) == -1)
				goto childfail;
		}
		closefrom(5);
		execve(path, argv, env);
 childfail:
		err = errno;
		(void)!write(4, &err, sizeof(err));
		_exit(127);
	}
	close(sp[1]);
	close(ep[1]);
	do {
		n = read(ep[0], &err, sizeof(err));
	} while (n == -1 && errno == EINTR);
	close(ep[0]);
	w->w_pid = pid;
	w->w_killed = 0;
	w->w_txn = 0;
	ev_child_init(&w->w_child, worker_child_cb, pid, 0);
	w->w_child.data = w;
	ev_child_start(sv_loop, &w->w_child);
	w->w_state = SS_SPAWNED;
	if (n == sizeof(err)) {
		/* The child exits 127; "died" schedules a retry. */
		errno = err;
		log_warn("%s: cannot execute %s", worker_name(w), path);
		close(sp[0]);
		return;
	}
	if ((w->w_ipc = ipc_new(sv_loop, sp[0], MSG_DIR_W2S, w->w_role,
	    worker_dispatch, worker_ipc_error, w)) == NULL)
		fatal("ipc_new");
	worker_timer(w, WORKER_HELLO_S);
	log_info("%s: started pid %d (%s)", worker_name(w), pid, path);
}

/* One configuration generation: CONF_START, objects, fds, CONF_END. */
static void
worker_push(struct worker *w, const struct sv_generation *g)
{
	struct carrier_conf	*cc;
	struct exit_conf	*ec;
	struct msg_gen		 mg;
	struct msg_listener	 ml;
	const struct listener	*ln;
	uint32_t		 gen = g->g_gen;
	int			 fd;

	mg.mg_gen = gen;
	(void)ipc_send(w->w_ipc, IMSG_CONF_START, gen, -1, &mg, sizeof(mg));
	if (w->w_role == PROC_CARRIER) {
		if ((cc = malloc(sizeof(*cc))) == NULL)
			fatal("malloc");
		*cc = g->g_conf->gc_carrier;
		resolve_carrier_copy(cc);	/* only hosts with addresses */
		cc->cc_has_ca = g->g_ca != NULL;
		(void)ipc_send(w->w_ipc, IMSG_CONF_CARRIER, gen, -1, cc,
		    sizeof(*cc));
		if (g->g_ca != NULL)
			(void)ipc_send_big(w->w_ipc, IMSG_CONF_CA, gen, g->g_ca,
			    g->g_calen);
		explicit_bzero(cc, sizeof(*cc));
		free(cc);
	} else {
		if ((ec = malloc(sizeof(*ec))) == NULL)
			fatal("malloc");
		*ec = g->g_conf->gc_exit;
		files_resolv_conf(ec, g->g_conf->gc_resolv_conf);
		(void)ipc_send(w->w_ipc, IMSG_CONF_EXIT, gen, -1, ec,
		    sizeof(*ec));
		explicit_bzero(ec, sizeof(*ec));
		free(ec);
	}
	(void)ipc_send(w->w_ipc, IMSG_CONF_KEY, gen, -1, g->g_conf->gc_key,
	    sizeof(g->g_conf->gc_key));
	ln = &g->g_ln[w->w_role == PROC_CARRIER ? 0 : 1];
	if (ln->ln_fd != -1) {
		/* A dup per generation; the supervisor keeps its own. */
		if ((fd = fcntl(ln->ln_fd, F_DUPFD_CLOEXEC, 0)) == -1)
			fatal("dup listener");
		memset(&ml, 0, sizeof(ml));
		ml.ml_kind = ln->ln_kind;
		snprintf(ml.ml_addr, sizeof(ml.ml_addr), "%s", ln->ln_addr);
		(void)ipc_send(w->w_ipc, IMSG_CONF_LISTENER, gen, fd, &ml,
		    sizeof(ml));
		listen_udp_push(w->w_ipc, gen, ln);
	}
	(void)ipc_send(w->w_ipc, IMSG_CONF_END, gen, -1, &mg, sizeof(mg));
	w->w_pushed = gen;
	log_debug("%s: pushed configuration generation %u", worker_name(w),
	    gen);
}

void
worker_reload_push(struct worker *w, const struct sv_generation *g)
{
	worker_push(w, g);
	w->w_state = SS_RELOADING;
	worker_timer(w, WORKER_CONF_S);
}

/*
 * A running worker that is not on the committed generation (it started
 * while a reload was being committed) gets it, unless a reload is under
 * way: its commit brings everyone up to date.
 */
static void
worker_catch_up(struct worker *w)
{
	struct sv_generation	 g;

	if (w->w_state != SS_RUNNING || w->w_gen == sv_gen || reload_busy() ||
	    sv_shutting_down)
		return;
	worker_committed(&g);
	worker_reload_push(w, &g);
}

static double
worker_stable_secs(void)
{
#ifdef GR_TEST_HOOKS
	const char	*s;
	double		 d;

	/* Regress only: a short stable period keeps the test fast. */
	if ((s = getenv("GOOSERELAY_TEST_STABLE")) != NULL &&
	    (d = strtod(s, NULL)) > 0 && d <= BACKOFF_STABLE_S)
		return d;
#endif
	return BACKOFF_STABLE_S;
}

/*
 * A binary of another build: it cannot be trusted to read our structs,
 * and restarting it cannot help.  Stop respawning it; the other role
 * runs on.
 */
static void
worker_refuse(struct worker *w, const char *fmt, ...)
    __attribute__((__format__ (printf, 2, 3)));

static void
worker_refuse(struct worker *w, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[384];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: refusing %s/gooserelay-%s: %s; this is not the "
	    "binary this gooserelayd was built with (upgraded while "
	    "running?): not restarting it, restart gooserelayd",
	    worker_name(w), worker_libexec(), worker_name(w), why);
	w->w_refused = 1;
	worker_kill(w, "refused at HELLO");
}

static void
worker_act_hello(struct worker *w, struct imsg *imsg)
{
	struct msg_hello	 mh;
	struct sv_generation	 g;
	uint32_t		 version;

	/* The version is first in every release's HELLO. */
	memcpy(&version, imsg->data, sizeof(version));
	if (version != MSG_PROTO_VERSION) {
		worker_refuse(w, "it speaks IPC protocol %u, this supervisor "
		    "(gooserelayd %s) protocol %u", version, PACKAGE_VERSION,
		    MSG_PROTO_VERSION);
		return;
	}
	if (imsg->datalen != sizeof(mh)) {
		worker_refuse(w, "its HELLO has %zu bytes, this supervisor "
		    "(gooserelayd %s) expects %zu", imsg->datalen,
		    PACKAGE_VERSION, sizeof(mh));
		return;
	}
	memcpy(&mh, imsg->data, sizeof(mh));
	mh.mh_build[sizeof(mh.mh_build) - 1] = '\0';
	if (mh.mh_layout != msg_layout_id()) {
		worker_refuse(w, "it is gooserelayd %.31s with IPC layout "
		    "%08x, this supervisor gooserelayd %s with layout %08x",
		    mh.mh_build, mh.mh_layout, PACKAGE_VERSION,
		    msg_layout_id());
		return;
	}
	if (mh.mh_role != w->w_role || mh.mh_instance != (uint32_t)
	    w->w_instance || mh.mh_pid != (uint32_t)w->w_pid ||
	    imsg->hdr.pid != (uint32_t)w->w_pid) {
		worker_kill(w, "HELLO from the wrong process");
		return;
	}
	log_debug("%s: hello from pid %d, sandboxed", worker_name(w),
	    w->w_pid);
	w->w_state = SS_CONFIGURING;
	worker_committed(&g);
	worker_push(w, &g);
	worker_timer(w, WORKER_CONF_S);
}

static void
worker_send_quota(struct worker *w)
{
	char	*buf;
	size_t	 len;

	if (sv_conf->gc_quota_state_path[0] == '\0')
		return;
	if (files_read(sv_conf->gc_quota_state_path, WORKER_QUOTA_MAX, &buf,
	    &len) == -1) {
		if (errno != ENOENT)
			log_warn("quota state %s",
			    sv_conf->gc_quota_state_path);
		return;
	}
	(void)ipc_send_big(w->w_ipc, IMSG_QUOTA_LOAD, 0, buf, len);
	free(buf);
}

static void
worker_act_done(struct worker *w, struct imsg *imsg)
{
	struct msg_gen	 mg;

	memcpy(&mg, imsg->data, sizeof(mg));
	if (mg.mg_gen != w->w_pushed || imsg->hdr.peerid != mg.mg_gen) {
		worker_kill(w, "acknowledged a generation never sent");
		return;
	}
	w->w_gen = mg.mg_gen;
	if (w->w_state == SS_CONFIGURING) {
		if (w->w_role == PROC_CARRIER)
			worker_send_quota(w);
		w->w_state = SS_STARTING;
		(void)ipc_send(w->w_ipc, IMSG_START, 0, -1, NULL, 0);
		worker_timer(w, WORKER_START_S);
		return;
	}
	ev_timer_stop(sv_loop, &w->w_timer);
	w->w_state = SS_RUNNING;
	log_info("%s: configuration generation %u applied", worker_name(w),
	    mg.mg_gen);
	if (w->w_txn)
		reload_ack(w, mg.mg_gen);
	else
		worker_catch_up(w);
}

static void
worker_act_fail(struct worker *w, struct imsg *imsg)
{
	struct msg_conf_fail	 mf;

	memcpy(&mf, imsg->data, sizeof(mf));
	mf.mf_reason[sizeof(mf.mf_reason) - 1] = '\0';
	if (mf.mf_gen != w->w_pushed || imsg->hdr.peerid != mf.mf_gen) {
		worker_kill(w, "refused a generation never sent");
		return;
	}
	if (w->w_state == SS_CONFIGURING) {
		log_warnx("%s: rejected configuration generation %u: %s",
		    worker_name(w), mf.mf_gen, mf.mf_reason);
		worker_kill(w, "configuration rejected");
		if (!w->w_everready) {
			/* It never ran with it: retrying cannot help. */
			w->w_state = SS_FAILED;
			supervisor_exit_failed("a worker rejected the "
			    "configuration");
		}
		return;
	}
	ev_timer_stop(sv_loop, &w->w_timer);
	w->w_state = SS_RUNNING;
	if (w->w_txn) {
		reload_nak(w, mf.mf_gen, mf.mf_reason);
		return;
	}
	/* The committed generation, which it may not refuse. */
	log_warnx("%s: rejected the committed configuration generation %u "
	    "(%s)", worker_name(w), mf.mf_gen, mf.mf_reason);
	worker_kill(w, "not on the committed configuration");
}

static void
worker_act_ready(struct worker *w, struct imsg *imsg)
{
	const struct listener	*ln = listen_for_role(w->w_role);

	ev_timer_stop(sv_loop, &w->w_timer);
	w->w_state = SS_RUNNING;
	w->w_ready = ev_now(sv_loop);
	w->w_everready = 1;
	ev_timer_stop(sv_loop, &w->w_stable);
	ev_timer_set(&w->w_stable, worker_stable_secs(), 0.);
	ev_timer_start(sv_loop, &w->w_stable);
	log_info("%s: ready (pid %d, generation %u%s%s)", worker_name(w),
	    w->w_pid, w->w_gen, ln != NULL ? ", " : "",
	    ln != NULL ? ln->ln_addr : "");
	worker_catch_up(w);
	supervisor_workers_settled();
}

static void
worker_act_log(struct worker *w, struct imsg *imsg)
{
	struct msg_log	 ml;
	char		 line[MSG_LOG_MAX + 1];
	size_t		 n;

	memcpy(&ml, imsg->data, sizeof(ml));
	n = imsg->datalen - sizeof(ml);
	memcpy(line, (char *)imsg->data + sizeof(ml), n);
	line[n] = '\0';
	log_emit(ml.ml_prio, worker_name(w), line);
}

static void
worker_act_stats(struct worker *w, struct imsg *imsg)
{
	statsreq_piece(w, imsg);
}

static void
worker_act_quota(struct worker *w, struct imsg *imsg)
{
	char	*p;

	if (w->w_quotalen + imsg->datalen > WORKER_QUOTA_MAX) {
		worker_kill(w, "quota state too large");
		return;
	}
	if ((p = realloc(w->w_quota, w->w_quotalen + imsg->datalen + 1)) ==
	    NULL)
		fatal("realloc");
	memcpy(p + w->w_quotalen, imsg->data, imsg->datalen);
	w->w_quota = p;
	w->w_quotalen += imsg->datalen;
	if (imsg->hdr.flags & IMSGF_MORE)
		return;
	if (sv_conf->gc_quota_state_path[0] != '\0' &&
	    files_write_atomic(sv_conf->gc_quota_state_path, w->w_quota,
	    w->w_quotalen) == -1)
		log_warn("quota state %s", sv_conf->gc_quota_state_path);
	free(w->w_quota);
	w->w_quota = NULL;
	w->w_quotalen = 0;
}

static void
worker_act_kill(struct worker *w, struct imsg *imsg)
{
	switch (w->w_state) {
	case SS_SPAWNED:
		worker_kill(w, "no HELLO in time");
		break;
	case SS_CONFIGURING:
	case SS_RELOADING:
		worker_kill(w, "configuration not acknowledged in time");
		break;
	case SS_STARTING:
		worker_kill(w, "not ready in time");
		break;
	default:
		/* After an EOF: the process did not go away. */
		worker_kill(w, "IPC closed but the process lives on");
		break;
	}
}

static void
worker_act_term(struct worker *w, struct imsg *imsg)
{
	if (w->w_pid <= 0)
		return;
	if (!w->w_killed) {
		log_info("%s: grace period over, terminating pid %d",
		    worker_name(w), w->w_pid);
		kill(w->w_pid, SIGTERM);
		w->w_killed = 1;
		worker_timer(w, WORKER_KILL_S);
	} else
		worker_kill(w, "did not exit after SIGTERM");
}

static void
worker_act_spawn(struct worker *w, struct imsg *imsg)
{
	w->w_restarts++;
	worker_spawn(w);
}

/* EOF: it should be dying; make sure it does. */
static void
worker_act_wait(struct worker *w, struct imsg *imsg)
{
	log_debug("%s: IPC closed", worker_name(w));
	worker_timer(w, WORKER_KILL_S);
}

static void
worker_record_death(struct worker *w, const char *cause)
{
	struct worker_death	*wd;

	wd = &w->w_deaths[w->w_ndeaths++ % WORKER_HISTORY];
	wd->wd_when = time(NULL);
	/* A cause longer than the history slot is cut: it is a summary. */
	if (snprintf(wd->wd_cause, sizeof(wd->wd_cause), "pid %d %s%s",
	    (int)w->w_pid, cause, w->w_killed ? " (killed by the "
	    "supervisor)" : "") >= (int)sizeof(wd->wd_cause))
		log_debug("%s: death cause truncated", worker_name(w));
}

/* Every enabled role has failed: nothing is left to serve. */
static int
worker_all_failed(void)
{
	int	 i, n = 0;

	for (i = 0; i < WORKER_NROLES; i++) {
		if (!workers[i].w_enabled)
			continue;
		if (workers[i].w_state != SS_FAILED)
			return 0;
		n++;
	}
	return n > 0;
}

static void
worker_act_died(struct worker *w, struct imsg *imsg)
{
	char	 cause[128];
	double	 delay, up, now = ev_now(sv_loop);
	int	 start;

	ev_child_stop(sv_loop, &w->w_child);
	ev_timer_stop(sv_loop, &w->w_timer);
	ev_timer_stop(sv_loop, &w->w_stable);
	if (w->w_ipc != NULL) {
		ipc_free(w->w_ipc);
		w->w_ipc = NULL;
	}
	free(w->w_quota);
	w->w_quota = NULL;
	w->w_quotalen = 0;
	worker_describe_status(w->w_child.rstatus, cause, sizeof(cause));
	statsreq_worker_gone(w, "exited");
	worker_record_death(w, cause);
	up = w->w_ready > 0 ? now - w->w_ready : -1;
	if (up >= BACKOFF_PROVEN_S)
		w->w_proven = 1;
	if (w->w_txn) {
		w->w_txn = 0;
		reload_lost(w, cause);
	}
	if (sv_shutting_down || w->w_state == SS_DRAINING) {
		log_info("%s: pid %d %s", worker_name(w), w->w_pid, cause);
		w->w_pid = 0;
		w->w_state = SS_EXITED;
		if (sv_shutting_down && worker_all_gone())
			supervisor_shutdown();
		else if (!sv_shutting_down && w->w_enabled) {
			/* Drained for a role change but wanted again. */
			worker_spawn(w);
		}
		return;
	}
	log_warnx("%s: pid %d %s", worker_name(w), w->w_pid, cause);
	w->w_pid = 0;
	if (w->w_refused || w->w_state == SS_FAILED) {
		w->w_state = SS_FAILED;
		if (worker_all_failed())
			supervisor_exit_failed("no worker can run");
		return;
	}
	if (!w->w_enabled) {
		w->w_state = SS_EXITED;
		return;
	}
	start = backoff_at_start(up, w->w_proven);
	if (start && tally_add(&w->w_tally, now)) {
		w->w_state = SS_FAILED;
		log_warnx("%s: %u deaths at start within %.0f s: giving up on "
		    "this role", worker_name(w), TALLY_MAX, TALLY_WINDOW_S);
		supervisor_exit_failed("a worker keeps dying at start");
		return;
	}
	if (start)
		log_warnx("%s: died at start (%u of %u allowed within "
		    "%.0f s)", worker_name(w), tally_count(&w->w_tally, now),
		    TALLY_MAX - 1, TALLY_WINDOW_S);
	delay = backoff_delay(w->w_backoff_n++, arc4random_uniform(1000) /
	    1000.0, start ? BACKOFF_MAX_S : BACKOFF_LOAD_MAX_S);
	/* Never respawn sooner than 1 s after the last spawn (s6). */
	if (w->w_spawned + BACKOFF_BASE_S - now > delay)
		delay = w->w_spawned + BACKOFF_BASE_S - now;
	w->w_state = SS_BACKOFF;
	log_warnx("%s: restarting in %.1f s (backoff step %u)",
	    worker_name(w), delay, w->w_backoff_n);
	worker_timer(w, delay);
	supervisor_workers_settled();
}

/* Something that is not acceptable in this state. */
static void
worker_act_reject(struct worker *w, struct imsg *imsg)
{
	char	 why[96];

	if (imsg == NULL) {
		log_warnx("%s: unexpected event while %s", worker_name(w),
		    worker_state_name(w->w_state));
		return;
	}
	if (imsg->fd != -1)
		close(imsg->fd);
	snprintf(why, sizeof(why), "%s not accepted while %s",
	    msg_name(imsg->hdr.type), worker_state_name(w->w_state));
	worker_kill(w, why);
}

static void
worker_act_ignore(struct worker *w, struct imsg *imsg)
{
	if (imsg == NULL)
		return;
	if (imsg->fd != -1)
		close(imsg->fd);
	log_debug("%s: %s ignored while %s", worker_name(w),
	    msg_name(imsg->hdr.type), worker_state_name(w->w_state));
}

/* Indexed by the actions of worker_fsm.c. */
static void (*const worker_acts[WA_NACTS])(struct worker *, struct imsg *) = {
	[FSM_REJECT] = worker_act_reject,
	[FSM_IGNORE] = worker_act_ignore,
	[WA_HELLO] = worker_act_hello,
	[WA_DONE] = worker_act_done,
	[WA_FAIL] = worker_act_fail,
	[WA_READY] = worker_act_ready,
	[WA_LOG] = worker_act_log,
	[WA_STATS] = worker_act_stats,
	[WA_QUOTA] = worker_act_quota,
	[WA_KILL] = worker_act_kill,
	[WA_TERM] = worker_act_term,
	[WA_SPAWN] = worker_act_spawn,
	[WA_WAIT] = worker_act_wait,
	[WA_DIED] = worker_act_died,
};

static void
worker_event(struct worker *w, uint32_t ev, struct imsg *imsg)
{
	worker_acts[fsm_action(&worker_fsm, w->w_state, ev)](w, imsg);
	notify_update();
}

static void
worker_dispatch(struct ipc *ipc, struct imsg *imsg, void *arg)
{
	worker_event(arg, imsg->hdr.type, imsg);
}

static void
worker_ipc_error(struct ipc *ipc, const char *why, void *arg)
{
	struct worker	*w = arg;

	if (strcmp(why, "EOF") != 0) {
		/* Kill only this worker; never fatalx because of one. */
		worker_kill(w, why);
	} else if (w->w_pid > 0)
		worker_event(w, FSM_EV_EOF, NULL);
	statsreq_worker_gone(w, "IPC closed");
	ipc_free(w->w_ipc);
	w->w_ipc = NULL;
}

static void
worker_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	worker_event(c->data, FSM_EV_DEATH, NULL);
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	worker_event(t->data, FSM_EV_TIMER, NULL);
}

static void
worker_stable_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	if (w->w_state != SS_RUNNING && w->w_state != SS_RELOADING)
		return;
	w->w_proven = 1;
	if (w->w_backoff_n > 0)
		log_info("%s: stable for %.0f s, backoff reset (restarts so "
		    "far: %u)", worker_name(w), worker_stable_secs(),
		    w->w_restarts);
	w->w_backoff_n = 0;
}

void
worker_start_all(void)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++)
		if (workers[i].w_enabled && workers[i].w_pid <= 0 &&
		    workers[i].w_state != SS_BACKOFF)
			worker_spawn(&workers[i]);
}

static void
worker_drain(struct worker *w, unsigned grace_ms)
{
	struct msg_shutdown	 ms;

	ev_timer_stop(sv_loop, &w->w_stable);
	if (w->w_pid <= 0) {
		ev_timer_stop(sv_loop, &w->w_timer);
		if (w->w_state != SS_FAILED)
			w->w_state = SS_EXITED;
		return;
	}
	ms.ms_grace_ms = grace_ms;
	if (w->w_ipc != NULL)
		(void)ipc_send(w->w_ipc, IMSG_SHUTDOWN, 0, -1, &ms,
		    sizeof(ms));
	w->w_state = SS_DRAINING;
	w->w_txn = 0;
	w->w_killed = 0;
	/* Their grace, plus a little to exit on their own. */
	worker_timer(w, grace_ms / 1000.0 + 1.0);
}

/*
 * A reload was committed: drain the roles it removed, start the ones it
 * added (or that had failed: the new configuration may fix them), and
 * bring every running worker to the committed generation.
 */
void
worker_sync(void)
{
	struct worker	*w;
	int		 i;

	for (i = 0; i < WORKER_NROLES; i++) {
		w = &workers[i];
		if (!w->w_enabled) {
			if (w->w_pid > 0 && w->w_state != SS_DRAINING) {
				log_info("%s: role removed from the "
				    "configuration", worker_name(w));
				worker_drain(w, 5000);
			} else if (w->w_pid <= 0)
				worker_drain(w, 0);
			continue;
		}
		switch (w->w_state) {
		case SS_RUNNING:
			worker_catch_up(w);
			break;
		case SS_EXITED:
		case SS_FAILED:
			w->w_backoff_n = 0;
			w->w_refused = 0;
			memset(&w->w_tally, 0, sizeof(w->w_tally));
			if (w->w_pid <= 0)
				worker_spawn(w);
			break;
		default:
			/*
			 * Starting: caught up on READY.  Backoff: the next
			 * spawn gets the committed generation.  Draining: a
			 * role removed and added back, respawned on exit.
			 */
			break;
		}
	}
}

void
worker_shutdown_all(unsigned grace_ms)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++)
		worker_drain(&workers[i], grace_ms);
}

int
worker_all_gone(void)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++)
		if (workers[i].w_pid > 0)
			return 0;
	return 1;
}

void
worker_set_verbose(int level)
{
	struct msg_verbose	 mv;
	int			 i;

	mv.mv_level = level;
	for (i = 0; i < WORKER_NROLES; i++)
		if (workers[i].w_ipc != NULL)
			(void)ipc_send(workers[i].w_ipc, IMSG_CTL_VERBOSE, 0,
			    -1, &mv, sizeof(mv));
}

int
worker_test(enum proc_role role, uint32_t what)
{
	struct worker	*w;
	struct msg_test	 mt;

	if ((w = worker_by_role(role)) == NULL || w->w_ipc == NULL ||
	    w->w_state != SS_RUNNING)
		return -1;
	mt.mt_what = what;
	return ipc_send(w->w_ipc, IMSG_TEST, 0, -1, &mt, sizeof(mt));
}

void
worker_status(char *buf, size_t len)
{
	struct worker	*w;
	size_t		 off = 0;
	double		 up;
	int		 i;

	buf[0] = '\0';
	for (i = 0; i < WORKER_NROLES && off < len; i++) {
		w = &workers[i];
		if (!w->w_enabled && w->w_pid <= 0)
			continue;
		up = w->w_pid > 0 && w->w_state == SS_RUNNING ?
		    ev_now(sv_loop) - w->w_ready : 0;
		off += snprintf(buf + off, len - off,
		    "%s pid=%d state=%s uptime=%.0fs restarts=%u "
		    "generation=%u\n", worker_name(w), (int)w->w_pid,
		    worker_state_name(w->w_state), up, w->w_restarts,
		    w->w_gen);
	}
}

void
worker_history(char *buf, size_t len)
{
	const struct worker_death	*wd;
	struct worker			*w;
	struct tm			 tm;
	char				 ts[32];
	size_t				 off;
	unsigned			 j, first;
	int				 i;

	worker_status(buf, len);
	off = strlen(buf);
	for (i = 0; i < WORKER_NROLES && off < len; i++) {
		w = &workers[i];
		off += snprintf(buf + off, len - off, "\n%s: enabled=%d "
		    "state=%s restarts=%u backoff_step=%u deaths_in_window=%u "
		    "exits_recorded=%u\n", worker_name(w), w->w_enabled,
		    worker_state_name(w->w_state), w->w_restarts,
		    w->w_backoff_n, tally_count(&w->w_tally,
		    ev_now(sv_loop)), w->w_ndeaths);
		first = w->w_ndeaths > WORKER_HISTORY ?
		    w->w_ndeaths - WORKER_HISTORY : 0;
		for (j = first; j < w->w_ndeaths && off < len; j++) {
			wd = &w->w_deaths[j % WORKER_HISTORY];
			gmtime_r(&wd->wd_when, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			off += snprintf(buf + off, len - off,
			    "  exit %u at %s: %s\n", j + 1, ts,
			    wd->wd_cause);
		}
	}
}

int
worker_all_settled(void)
{
	int	 i;

	for (i = 0; i < WORKER_NROLES; i++) {
		if (!workers[i].w_enabled)
			continue;
		switch (workers[i].w_state) {
		case SS_RUNNING:
		case SS_BACKOFF:
		case SS_FAILED:
			break;
		default:
			return 0;
		}
	}
	return 1;
}
