/*
 * Worker table and lifecycle (style.md 3.4).  Per worker, supervisor
 * view (enum sstate) x event:
 *
 *	state        HELLO      CONF_DONE   CONF_FAIL   READY     timeout  death/EOF
 *	SPAWNED      push conf  -           -           -         kill     backoff
 *	CONFIGURING  -          send START  fail role   -         kill     backoff
 *	STARTING     -          -           -           RUNNING   kill     backoff
 *	RUNNING      -          -           -           -         -        backoff
 *	RELOADING    -          RUNNING     RUNNING     -         kill     backoff
 *	DRAINING     -          ignore      ignore      -         TERM/KILL EXITED
 *	BACKOFF      (no process; the timer spawns)
 *
 * "-" is rejected by the message table before it gets here (a worker
 * that sends it is killed alone).  A death is detected by ev_child or by
 * EOF on the IPC socket, whichever comes first; both lead to
 * worker_died() once, when the child is reaped.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "supervisor.h"

#define WORKER_HELLO_S		15.0	/* generous: sanitizer builds */
#define WORKER_CONF_S		15.0
#define WORKER_START_S		15.0
#define WORKER_KILL_S		3.0	/* after EOF or TERM: KILL */
#define WORKER_CA_MAX		(4 * 1024 * 1024)
#define WORKER_QUOTA_MAX	(1024 * 1024)

struct worker	 workers[WORKER_NROLES];

static void	worker_spawn(struct worker *);
static void	worker_dispatch(struct ipc *, struct imsg *, void *);
static void	worker_ipc_error(struct ipc *, const char *, void *);
static void	worker_child_cb(struct ev_loop *, ev_child *, int);
static void	worker_timer_cb(struct ev_loop *, ev_timer *, int);
static void	worker_stable_cb(struct ev_loop *, ev_timer *, int);

static const char *const worker_state_names[] = {
	[SS_SPAWNED] = "spawned",
	[SS_CONFIGURING] = "configuring",
	[SS_STARTING] = "starting",
	[SS_RUNNING] = "running",
	[SS_RELOADING] = "reloading",
	[SS_DRAINING] = "draining",
	[SS_EXITED] = "exited",
	[SS_BACKOFF] = "backoff",
	[SS_FAILED] = "failed",
};

const char *
worker_state_name(enum sstate s)
{
	if ((unsigned)s >= sizeof(worker_state_names) /
	    sizeof(worker_state_names[0]) || worker_state_names[s] == NULL)
		return "?";
	return worker_state_names[s];
}

static const char *
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

static void
worker_set_state(struct worker *w, enum sstate s)
{
	w->w_state = s;
	if (w->w_ipc != NULL)
		ipc_set_state(w->w_ipc, s);
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
		abbrev = sigabbrev_np(sig);
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

/*
 * fork + exec the worker with its end of the socketpair at fd 3 and
 * nothing else open; a close-on-exec pipe tells the parent whether the
 * exec itself failed (s6 trystart).
 */
static void
worker_spawn(struct worker *w)
{
	char		 path[PATH_MAX], inst[16], *argv[16];
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
	argv[argc++] = "-I";
	argv[argc++] = inst;
	argv[argc] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if (pipe2(ep, O_CLOEXEC) == -1)
		fatal("pipe2");
	w->w_spawned = ev_now(sv_loop);
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
		execv(path, argv);
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
	ev_child_init(&w->w_child, worker_child_cb, pid, 0);
	w->w_child.data = w;
	ev_child_start(sv_loop, &w->w_child);
	if (n == sizeof(err)) {
		/* The child exits 127; worker_died() schedules a retry. */
		errno = err;
		log_warn("%s: cannot execute %s", worker_name(w), path);
		close(sp[0]);
		w->w_state = SS_SPAWNED;
		return;
	}
	if ((w->w_ipc = ipc_new(sv_loop, sp[0], MSG_DIR_W2S, worker_dispatch,
	    worker_ipc_error, w)) == NULL)
		fatal("ipc_new");
	worker_set_state(w, SS_SPAWNED);
	worker_timer(w, WORKER_HELLO_S);
	log_info("%s: started pid %d (%s)", worker_name(w), pid, path);
}

static void
worker_send_ca(struct worker *w, uint32_t gen, struct carrier_conf *cc)
{
	char	*buf;
	size_t	 len;

	cc->cc_has_ca = 0;
	if (sv_conf->gc_ca_file[0] == '\0')
		return;
	if (files_read(sv_conf->gc_ca_file, WORKER_CA_MAX, &buf, &len) ==
	    -1) {
		log_warn("%s: CA bundle %s", worker_name(w),
		    sv_conf->gc_ca_file);
		return;
	}
	cc->cc_has_ca = 1;
	(void)ipc_send(w->w_ipc, IMSG_CONF_CARRIER, gen, -1, cc, sizeof(*cc));
	(void)ipc_send_big(w->w_ipc, IMSG_CONF_CA, gen, buf, len);
	free(buf);
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

/* One configuration generation: CONF_START, objects, fds, CONF_END. */
static void
worker_push(struct worker *w)
{
	struct carrier_conf	*cc;
	struct exit_conf	*ec;
	struct msg_gen		 mg;
	struct msg_listener	 ml;
	struct listener		*ln;
	uint32_t		 gen = sv_gen;
	int			 fd;

	mg.mg_gen = gen;
	(void)ipc_send(w->w_ipc, IMSG_CONF_START, gen, -1, &mg, sizeof(mg));
	if (w->w_role == PROC_CARRIER) {
		if ((cc = malloc(sizeof(*cc))) == NULL)
			fatal("malloc");
		*cc = sv_conf->gc_carrier;
		resolve_carrier_copy(cc);	/* only hosts with addresses */
		worker_send_ca(w, gen, cc);
		if (!cc->cc_has_ca)
			(void)ipc_send(w->w_ipc, IMSG_CONF_CARRIER, gen, -1,
			    cc, sizeof(*cc));
		explicit_bzero(cc, sizeof(*cc));
		free(cc);
	} else {
		if ((ec = malloc(sizeof(*ec))) == NULL)
			fatal("malloc");
		*ec = sv_conf->gc_exit;
		files_resolv_conf(ec, sv_conf->gc_resolv_conf);
		(void)ipc_send(w->w_ipc, IMSG_CONF_EXIT, gen, -1, ec,
		    sizeof(*ec));
		explicit_bzero(ec, sizeof(*ec));
		free(ec);
	}
	(void)ipc_send(w->w_ipc, IMSG_CONF_KEY, gen, -1, sv_conf->gc_key,
	    sizeof(sv_conf->gc_key));
	if ((ln = listen_for_role(w->w_role)) != NULL) {
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

static void
worker_hello(struct worker *w, struct imsg *imsg)
{
	struct msg_hello	 mh;

	memcpy(&mh, imsg->data, sizeof(mh));
	if (mh.mh_version != MSG_PROTO_VERSION) {
		log_warnx("%s: protocol version %u, supervisor speaks %u "
		    "(mixed installation?)", worker_name(w), mh.mh_version,
		    MSG_PROTO_VERSION);
		worker_kill(w, "version mismatch");
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
	worker_set_state(w, SS_CONFIGURING);
	worker_push(w);
	worker_timer(w, WORKER_CONF_S);
}

static void
worker_conf_done(struct worker *w, struct imsg *imsg)
{
	struct msg_gen	 mg;

	memcpy(&mg, imsg->data, sizeof(mg));
	if (mg.mg_gen != w->w_pushed) {
		worker_kill(w, "acknowledged a generation never sent");
		return;
	}
	w->w_gen = mg.mg_gen;
	if (w->w_state == SS_CONFIGURING) {
		if (w->w_role == PROC_CARRIER)
			worker_send_quota(w);
		worker_set_state(w, SS_STARTING);
		(void)ipc_send(w->w_ipc, IMSG_START, 0, -1, NULL, 0);
		worker_timer(w, WORKER_START_S);
	} else {
		ev_timer_stop(sv_loop, &w->w_timer);
		worker_set_state(w, SS_RUNNING);
		log_info("%s: configuration generation %u applied",
		    worker_name(w), mg.mg_gen);
	}
}

static void
worker_conf_fail(struct worker *w, struct imsg *imsg)
{
	struct msg_conf_fail	 mf;

	memcpy(&mf, imsg->data, sizeof(mf));
	mf.mf_reason[sizeof(mf.mf_reason) - 1] = '\0';
	if (w->w_state == SS_RELOADING) {
		/* The worker keeps serving its previous generation. */
		ev_timer_stop(sv_loop, &w->w_timer);
		worker_set_state(w, SS_RUNNING);
		log_warnx("%s: rejected configuration generation %u (%s); "
		    "still on generation %u", worker_name(w), mf.mf_gen,
		    mf.mf_reason, w->w_gen);
		return;
	}
	/* A first configuration rejected: retrying it cannot help. */
	log_warnx("%s: rejected its configuration: %s", worker_name(w),
	    mf.mf_reason);
	worker_kill(w, "configuration rejected");
	w->w_state = SS_FAILED;
	supervisor_exit_failed("a worker rejected the configuration");
}

static void
worker_ready(struct worker *w)
{
	ev_timer_stop(sv_loop, &w->w_timer);
	worker_set_state(w, SS_RUNNING);
	w->w_ready = ev_now(sv_loop);
	ev_timer_stop(sv_loop, &w->w_stable);
	ev_timer_set(&w->w_stable, worker_stable_secs(), 0.);
	ev_timer_start(sv_loop, &w->w_stable);
	log_info("%s: ready (pid %d, generation %u%s%s)", worker_name(w),
	    w->w_pid, w->w_gen,
	    listen_for_role(w->w_role) != NULL ? ", " : "",
	    listen_for_role(w->w_role) != NULL ?
	    listen_for_role(w->w_role)->ln_addr : "");
	/* A reload happened while it was starting: catch up. */
	if (w->w_gen != sv_gen) {
		worker_set_state(w, SS_RELOADING);
		worker_push(w);
		worker_timer(w, WORKER_CONF_S);
	}
	supervisor_workers_settled();
}

static void
worker_log(struct worker *w, struct imsg *imsg)
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
worker_quota_save(struct worker *w, struct imsg *imsg)
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
worker_dispatch(struct ipc *ipc, struct imsg *imsg, void *arg)
{
	struct worker	*w = arg;

	switch (imsg->hdr.type) {
	case IMSG_HELLO:
		worker_hello(w, imsg);
		break;
	case IMSG_CONF_DONE:
		worker_conf_done(w, imsg);
		break;
	case IMSG_CONF_FAIL:
		worker_conf_fail(w, imsg);
		break;
	case IMSG_READY:
		worker_ready(w);
		break;
	case IMSG_LOG:
		worker_log(w, imsg);
		break;
	case IMSG_STATS:
		statsreq_piece(w, imsg);
		break;
	case IMSG_QUOTA_SAVE:
		worker_quota_save(w, imsg);
		break;
	default:
		worker_kill(w, "message not handled by the supervisor");
		break;
	}
}

static void
worker_ipc_error(struct ipc *ipc, const char *why, void *arg)
{
	struct worker	*w = arg;

	if (strcmp(why, "EOF") != 0) {
		/* Kill only this worker; never fatalx because of one. */
		worker_kill(w, why);
	} else if (w->w_pid > 0 && w->w_state != SS_DRAINING) {
		log_debug("%s: IPC closed", worker_name(w));
		/* It should be dying; make sure it does. */
		worker_timer(w, WORKER_KILL_S);
	}
	statsreq_worker_gone(w, "IPC closed");
	ipc_free(w->w_ipc);
	w->w_ipc = NULL;
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

static void
worker_died(struct worker *w, int status)
{
	char	 cause[128];
	double	 delay, now = ev_now(sv_loop);

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
	worker_describe_status(status, cause, sizeof(cause));
	statsreq_worker_gone(w, "exited");
	worker_record_death(w, cause);
	if (sv_shutting_down || w->w_state == SS_DRAINING ||
	    w->w_state == SS_FAILED) {
		log_info("%s: pid %d %s", worker_name(w), w->w_pid, cause);
		w->w_pid = 0;
		if (w->w_state != SS_FAILED)
			w->w_state = SS_EXITED;
		if (sv_shutting_down && worker_all_gone())
			supervisor_shutdown();
		else if (!sv_shutting_down && w->w_enabled &&
		    w->w_state == SS_EXITED) {
			/* Drained for a role change but wanted again. */
			worker_spawn(w);
		}
		return;
	}
	log_warnx("%s: pid %d %s", worker_name(w), w->w_pid, cause);
	w->w_pid = 0;
	if (!w->w_enabled) {
		w->w_state = SS_EXITED;
		return;
	}
	if (tally_add(&w->w_tally, now)) {
		w->w_state = SS_FAILED;
		log_warnx("%s: %u deaths within %.0f s: giving up on this "
		    "role", worker_name(w), TALLY_MAX, TALLY_WINDOW_S);
		supervisor_exit_failed("a worker keeps dying");
		return;
	}
	delay = backoff_delay(w->w_backoff_n++, arc4random_uniform(1000) /
	    1000.0);
	/* Never respawn sooner than 1 s after the last spawn (s6). */
	if (w->w_spawned + BACKOFF_BASE_S - now > delay)
		delay = w->w_spawned + BACKOFF_BASE_S - now;
	w->w_state = SS_BACKOFF;
	log_warnx("%s: restarting in %.1f s (backoff step %u)",
	    worker_name(w), delay, w->w_backoff_n);
	worker_timer(w, delay);
	supervisor_workers_settled();
}

static void
worker_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker	*w = c->data;

	worker_died(w, c->rstatus);
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	switch (w->w_state) {
	case SS_BACKOFF:
		w->w_restarts++;
		worker_spawn(w);
		break;
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
	case SS_DRAINING:
		if (w->w_pid > 0 && !w->w_killed) {
			log_info("%s: grace period over, terminating pid %d",
			    worker_name(w), w->w_pid);
			kill(w->w_pid, SIGTERM);
			w->w_killed = 1;
			worker_timer(w, WORKER_KILL_S);
		} else if (w->w_pid > 0)
			kill(w->w_pid, SIGKILL);
		break;
	default:
		/* RUNNING after an EOF: the process did not go away. */
		worker_kill(w, "IPC closed but the process lives on");
		break;
	}
}

static void
worker_stable_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	if (w->w_state != SS_RUNNING && w->w_state != SS_RELOADING)
		return;
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
	worker_set_state(w, SS_DRAINING);
	w->w_killed = 0;
	/* Their grace, plus a little to exit on their own. */
	worker_timer(w, grace_ms / 1000.0 + 1.0);
}

/* A new generation is current: bring every worker to it. */
void
worker_reload(void)
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
			worker_set_state(w, SS_RELOADING);
			worker_push(w);
			worker_timer(w, WORKER_CONF_S);
			break;
		case SS_EXITED:
		case SS_FAILED:
			w->w_backoff_n = 0;
			memset(&w->w_tally, 0, sizeof(w->w_tally));
			if (w->w_pid <= 0)
				worker_spawn(w);
			break;
		default:
			/*
			 * Starting: caught up on READY.  Backoff: the next
			 * spawn gets the new generation.  Reloading:
			 * caught up below when it acks.
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
