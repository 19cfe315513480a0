/*
 * gooserelayd: the privileged supervisor.  It reads the configuration,
 * opens every listening socket, holds the tunnel key and starts the two
 * sandboxed workers (worker.c), which get all of it over IPC.  It never
 * touches tunnel traffic itself.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <ev.h>

#include "confparse.h"
#include "log.h"
#include "sandbox.h"
#include "supervisor.h"

#define SUPERVISOR_GRACE_MS	5000
/* -D: write the bundle anyway if the workers never settle. */
#define SUPERVISOR_DIAG_WAIT_S	45.0

struct sv_opts	 sv_opts;
struct ev_loop	*sv_loop;
struct gr_conf	*sv_conf;
uint32_t	 sv_gen = 1;
char		*sv_ca;
size_t		 sv_calen;
int		 sv_shutting_down;
static int	 sv_exit_status;
static int	 sv_diag_done;
static ev_timer	 sv_diag_timer;

static __attribute__((noreturn)) void
supervisor_usage(void)
{
	fprintf(stderr, "usage: gooserelayd [-dnVv] [-D file] [-f file] "
	    "[-s socket] [-X libexecdir]\n");
	exit(1);
}

/* -n and startup: every diagnostic as "file:line: key: reason". */
static void
supervisor_confmsg(int is_error, const char *msg, void *arg)
{
	int	*nerr = arg;

	/* Still in the foreground: the operator sees stderr. */
	if (is_error)
		(*nerr)++;
	fprintf(stderr, "%s%s\n", is_error ? "" : "warning: ", msg);
}

void
supervisor_shutdown(void)
{
	control_cleanup();
	listen_close_all();
	if (sv_conf != NULL) {
		explicit_bzero(sv_conf, sizeof(*sv_conf));
		free(sv_conf);
	}
	free(sv_ca);
	log_info("exiting%s", sv_exit_status ? " (failed)" : "");
	exit(sv_exit_status);
}

static void
supervisor_begin_shutdown(void)
{
	if (sv_shutting_down)
		return;
	sv_shutting_down = 1;
	notify_stop(NULL);
	/* A reload under way or queued is dropped; its askers are told. */
	reload_abort("gooserelayd is shutting down");
	worker_shutdown_all(SUPERVISOR_GRACE_MS);
	if (worker_all_gone())
		supervisor_shutdown();
}

/*
 * A role failed for good: fail closed.  Stop everything and exit
 * non-zero so the service manager decides what happens next.
 */
void
supervisor_exit_failed(const char *why)
{
	log_warnx("giving up: %s", why);
	sv_exit_status = 1;
	notify_stop(why);
	supervisor_begin_shutdown();
}

/* -D: once, when every worker is up (or has failed to come up). */
static void
supervisor_diag(void)
{
	if (sv_opts.so_diagfile == NULL || sv_diag_done || sv_shutting_down)
		return;
	sv_diag_done = 1;
	ev_timer_stop(sv_loop, &sv_diag_timer);
	if (opsdiag_start(sv_opts.so_diagfile, NULL, NULL) == NULL)
		log_warnx("diagnostics bundle %s: cannot start",
		    sv_opts.so_diagfile);
}

void
supervisor_workers_settled(void)
{
	if (worker_all_settled())
		supervisor_diag();
}

static void
supervisor_diag_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	log_warnx("workers not settled after %.0f s: writing the "
	    "diagnostics bundle now", SUPERVISOR_DIAG_WAIT_S);
	supervisor_diag();
}

/* -D file relative to the cwd of the invocation (daemon() goes to /). */
static char *
supervisor_abspath(const char *path)
{
	char	 cwd[PATH_MAX], *p;

	if (path[0] == '/')
		p = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	else if (asprintf(&p, "%s/%s", cwd, path) == -1)
		p = NULL;
	if (p == NULL)
		fatal("-D");
	if (strlen(p) >= OPSDIAG_PATH_MAX)
		fatalx("-D %s: path too long", path);
	return p;
}

static void
supervisor_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	char	 err[256];

	switch (w->signum) {
	case SIGHUP:
		/* The outcome is logged; nobody waits for an answer. */
		(void)reload_request(NULL, err, sizeof(err));
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received %s, shutting down",
		    w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
		supervisor_begin_shutdown();
		break;
	}
}

/*
 * The file holds tunnel_key: say so if others may read or change it, as
 * OpenSSH does for a private key (once, at load).
 */
static void
supervisor_check_mode(const char *path, int to_stderr)
{
	struct stat	 st;

	if (path == NULL || stat(path, &st) == -1 ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return;
	if (to_stderr)
		fprintf(stderr, "warning: %s holds tunnel_key but its mode "
		    "is %04o (readable or writable by others): chmod 600 "
		    "%s\n", path, (unsigned)(st.st_mode & 07777), path);
	else
		log_warnx("%s holds tunnel_key but its mode is %04o "
		    "(readable or writable by others): chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
}

static const char *
supervisor_default_conf(void)
{
	return SYSCONFDIR "/gooserelayd.yaml";
}

/* The embedded loopback demo: kernel-chosen ports, printed clearly. */
static void
supervisor_demo(struct gr_conf *conf)
{
	struct listener	 ln[2];
	char		 err[256];

	memset(ln, 0, sizeof(ln));
	if (listen_open("127.0.0.1", 0, &ln[0], err, sizeof(err)) == -1 ||
	    listen_open("127.0.0.1", 0, &ln[1], err, sizeof(err)) == -1)
		fatalx("demo: %s", err);
	ln[0].ln_kind = LISTENER_SOCKS;
	ln[1].ln_kind = LISTENER_HTTP;
	confparse_demo(conf, ln[0].ln_port, ln[1].ln_port);
	listen_udp_prepare(conf, &ln[0]);
	conf->gc_demo = 1;
	(void)resolve_conf(conf, 0);
	listen_commit(ln);
	fprintf(stderr, "gooserelayd: no configuration file, running the "
	    "loopback demo\n"
	    "gooserelayd: SOCKS5 proxy on 127.0.0.1:%u (exit on "
	    "127.0.0.1:%u)\n"
	    "gooserelayd: try: curl --socks5-hostname 127.0.0.1:%u "
	    "https://example.com/\n", ln[0].ln_port, ln[1].ln_port,
	    ln[0].ln_port);
}

int
main(int argc, char *argv[])
{
	struct listener	 ln[2];
	static ev_signal sig_hup, sig_term, sig_int;
	const char	*ctlsock;
	char		 err[256];
	int		 ch, checkonly = 0, nerr = 0;

	while ((ch = getopt(argc, argv, "dD:f:ns:vVX:")) != -1) {
		switch (ch) {
		case 'd':
			sv_opts.so_debug = 1;
			break;
		case 'D':
			sv_opts.so_diagfile = supervisor_abspath(optarg);
			break;
		case 'f':
			sv_opts.so_conffile = optarg;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 's':
			sv_opts.so_ctlsock = optarg;
			break;
		case 'v':
			sv_opts.so_verbose++;
			break;
		case 'V':
			printf("gooserelayd %s (sandbox: %s%s)\n",
			    PACKAGE_VERSION, sandbox_name(),
#ifdef GR_TEST_HOOKS
			    ", test hooks"
#else
			    ""
#endif
			    );
			return 0;
		case 'X':
			sv_opts.so_libexec = optarg;
			break;
		default:
			supervisor_usage();
		}
	}
	if (optind != argc)
		supervisor_usage();
	if (sv_opts.so_libexec == NULL)
		sv_opts.so_libexec = getenv("GOOSERELAY_LIBEXEC");
	if (sv_opts.so_conffile == NULL &&
	    access(supervisor_default_conf(), F_OK) == 0)
		sv_opts.so_conffile = supervisor_default_conf();

	/* stderr until daemon(): startup errors must reach the operator. */
	log_init(1, LOG_DAEMON, "gooserelayd");
	log_setverbose(sv_opts.so_verbose);

	if ((sv_conf = calloc(1, sizeof(*sv_conf))) == NULL)
		fatal("calloc");
	if (checkonly) {
		if (sv_opts.so_conffile == NULL) {
			printf("no configuration file (%s missing): the "
			    "loopback demo would run\n",
			    supervisor_default_conf());
			return 0;
		}
		nerr = confparse_file(sv_opts.so_conffile, sv_conf,
		    supervisor_confmsg, &nerr) ? 1 : nerr;
		if (nerr == 0 && !sv_conf->gc_has_carrier &&
		    !sv_conf->gc_has_exit) {
			fprintf(stderr, "%s: neither carrier nor exit "
			    "configured\n", sv_opts.so_conffile);
			nerr = 1;
		}
		if (nerr == 0 && syscheck_conf(sv_conf, supervisor_confmsg,
		    &nerr) != 0)
			nerr = 1;
		if (nerr != 0)
			return 1;
		supervisor_check_mode(sv_opts.so_conffile, 1);
		/* Not fatal: at boot DNS may not work yet (resolve.c). */
		(void)resolve_conf(sv_conf, 0);
		if (sv_opts.so_verbose)
			confparse_dump(sv_conf, stdout);
		printf("configuration OK\n");
		return 0;
	}

	if (sv_opts.so_conffile != NULL) {
		if (confparse_file(sv_opts.so_conffile, sv_conf,
		    supervisor_confmsg, &nerr) != 0 || nerr != 0)
			fatalx("%s: configuration has errors",
			    sv_opts.so_conffile);
		if (!sv_conf->gc_has_carrier && !sv_conf->gc_has_exit)
			fatalx("%s: neither carrier nor exit configured",
			    sv_opts.so_conffile);
		if (syscheck_conf(sv_conf, supervisor_confmsg, &nerr) != 0)
			fatalx("%s: configuration does not fit this host",
			    sv_opts.so_conffile);
		supervisor_check_mode(sv_opts.so_conffile, 0);
		(void)resolve_conf(sv_conf, 0);
		memset(ln, 0, sizeof(ln));
		if (listen_prepare(sv_conf, ln, listeners, err,
		    sizeof(err)) == -1)
			fatalx("%s", err);
		listen_commit(ln);
	} else
		supervisor_demo(sv_conf);
	/* The committed configuration's CA bundle: every push sends it. */
	if (reload_read_ca(sv_conf, &sv_ca, &sv_calen, err, sizeof(err)) == -1)
		fatalx("%s", err);

	if (geteuid() != 0)
		log_warnx("not running as root: workers keep this user and "
		    "are not chrooted (rlimits, no_new_privs and %s still "
		    "apply)", sandbox_name());

	ctlsock = sv_opts.so_ctlsock;
	if (ctlsock == NULL && sv_conf->gc_control_socket[0] != '\0')
		ctlsock = sv_conf->gc_control_socket;
	if (ctlsock == NULL)
		ctlsock = RUNSTATEDIR "/gooserelayd.sock";
	/* Before daemon(): the operator sees a mistyped -s at once. */
	if (control_check(ctlsock, err, sizeof(err)) == -1)
		fatalx("%s", err);

	if (!sv_opts.so_debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, LOG_DAEMON, "gooserelayd");
	}

	signal(SIGPIPE, SIG_IGN);
	if ((sv_loop = ev_default_loop(GR_EV_FLAGS)) == NULL)
		fatalx("cannot initialise the event loop");
	ev_signal_init(&sig_hup, supervisor_signal_cb, SIGHUP);
	ev_signal_init(&sig_term, supervisor_signal_cb, SIGTERM);
	ev_signal_init(&sig_int, supervisor_signal_cb, SIGINT);
	ev_signal_start(sv_loop, &sig_hup);
	ev_signal_start(sv_loop, &sig_term);
	ev_signal_start(sv_loop, &sig_int);

	if (control_init(ctlsock) == -1)
		log_warnx("running without a control socket");

	log_info("gooserelayd %s starting (sandbox %s, config %s)",
	    PACKAGE_VERSION, sandbox_name(), sv_conf->gc_demo ? "demo" :
	    sv_opts.so_conffile);
	worker_init();
	worker_configure_roles(sv_conf);
	worker_start_all();
	resolve_schedule();
	if (sv_opts.so_diagfile != NULL) {
		ev_timer_init(&sv_diag_timer, supervisor_diag_timer_cb,
		    SUPERVISOR_DIAG_WAIT_S, 0.);
		ev_timer_start(sv_loop, &sv_diag_timer);
	}
	ev_run(sv_loop, 0);
	return sv_exit_status;
}
