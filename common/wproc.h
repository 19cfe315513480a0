/*
 * Generic worker side of the supervisor protocol, shared by the carrier
 * and the exit: fd 3 checks, IPC setup, log forwarding, the HELLO ->
 * CONF_* -> CONF_END -> START handshake, reload generations, shutdown,
 * verbosity and stats requests.  Each worker supplies a wproc_ops table.
 *
 * Worker command line (built by supervisor/worker.c; not for humans):
 *
 *	gooserelay-<role> [-d] [-v...] [-u user] [-c dir] -I instance
 *
 *	-d	the supervisor runs in the foreground (-d): stderr is the
 *		terminal; logs still travel over IPC
 *	-v	more verbose (repeatable), like the supervisor's -v
 *	-u user	the unprivileged user to run as (gooserelayd.yaml "user:";
 *		default GR_USER)
 *	-c dir	the empty directory to chroot to ("chroot:"; default
 *		GR_EMPTY_DIR)
 *	-I n	instance number of this worker within its role (0..)
 *
 * The IPC socket is fd 3; nothing else is open but /dev/null (or the
 * terminal under -d) on 0-2.  The environment holds only what the
 * supervisor passes on (TZ, sanitizer options).  Worker main, in this
 * order:
 *
 *	wproc_args(argc, argv);
 *	loop = ev_default_loop(GR_EV_FLAGS);
 *	wproc_init(loop, PROC_EXIT, &ops);
 *	<pre-sandbox init: lws context, c-ares, tzset, RAND>
 *	wproc_sandbox_params(&params); sandbox_enter(&params);
 *	wproc_hello();
 *	ev_run(loop, 0);
 *
 * wproc exits the worker at once on EOF from the supervisor (and the
 * kernel kills it with SIGKILL if the supervisor dies: PR_SET_PDEATHSIG)
 * and on any message the message table (msg.c) or the state table below
 * rejects.  What each state accepts (common/wproc_fsm.c; this rendering
 * is checked by regress/unit/test_fsm.c):
 *
 * BEGIN wproc_fsm
 * event          init  hello  conf   confd  run    reconf  drain
 * START          -     -      -      start  -      -       -
 * SHUTDOWN       stop  stop   stop   stop   stop   stop    ign
 * TEST           -     -      -      test   test   -       -
 * CONF_START     -     open   -      -      open   -       -
 * CONF_LISTENER  -     -      piece  -      -      piece   -
 * CONF_CARRIER   -     -      piece  -      -      piece   -
 * CONF_EXIT      -     -      piece  -      -      piece   -
 * CONF_KEY       -     -      piece  -      -      piece   -
 * CONF_CA        -     -      piece  -      -      piece   -
 * CONF_END       -     -      end    -      -      end     -
 * CTL_VERBOSE    verb  verb   verb   verb   verb   verb    verb
 * STATS_REQ      -     -      -      stats  stats  stats   stats
 * QUOTA_LOAD     -     -      quota  quota  quota  quota   -
 * END wproc_fsm
 *
 * (init, hello, conf, confd, run, reconf, drain: WS_INIT, WS_HELLO_SENT,
 * WS_CONFIGURING, WS_CONFIGURED, WS_RUNNING, WS_RECONFIGURING and
 * WS_DRAINING in msg.h.)
 *
 *	-	protocol violation: log it and exit 1
 *	ign	ignored (a second SHUTDOWN while draining)
 *	open	open a pending generation aside (the running one serves on)
 *	piece	add a listener, config struct, key or CA piece to it (each
 *		config struct and the key at most once per generation)
 *	end	wo_configure(): validate and prepare aside, then swap; answer
 *		CONF_DONE or CONF_FAIL (the previous generation intact)
 *	start	wo_start(), answer READY (once per process)
 *	stop	wo_shutdown(): stop accepting, send RSTs, drain, exit
 *	test	IMSG_TEST, regress builds only (GR_TEST_HOOKS; otherwise a
 *		violation): MSG_TEST_OPEN_FILE opens /etc/passwd (must die
 *		of SIGSYS under seccomp), MSG_TEST_CRASH aborts
 *	verb	set the log verbosity
 *	stats	wo_stats()
 *	quota	pieces of the carrier's quota state, then wo_quota_load()
 */
#ifndef GR_WPROC_H
#define GR_WPROC_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

struct ev_loop;
struct ipc;

#define WPROC_MAX_LISTENERS	8

/* One configuration generation as received from the supervisor. */
struct wproc_conf {
	uint32_t		 wc_gen;
	int			 wc_has_carrier;
	int			 wc_has_exit;
	struct carrier_conf	 wc_carrier;
	struct exit_conf	 wc_exit;
	int			 wc_has_key;
	uint8_t			 wc_key[32];
	int			 wc_nlisteners;
	struct {
		uint32_t	 kind;		/* LISTENER_* */
		int		 fd;		/* -1 once taken */
		char		 addr[128];
	}			 wc_listeners[WPROC_MAX_LISTENERS];
	uint8_t			*wc_ca;		/* PEM bundle, NUL-ended */
	size_t			 wc_calen;
};

struct wproc_ops {
	/*
	 * A complete generation arrived (CONF_END).  Validate and apply it
	 * (first one: set up; later: swap, keeping live sessions).  Take
	 * ownership of listener fds by setting them to -1.  Return 0, or -1
	 * with a reason in err (the supervisor keeps the old generation).
	 * wproc wipes the key and frees the rest afterwards.
	 */
	int	(*wo_configure)(struct wproc_conf *, char *err, size_t errlen);
	/* IMSG_START: begin accepting. */
	void	(*wo_start)(void);
	/* IMSG_SHUTDOWN: stop accepting, drain, then call wproc_exit(). */
	void	(*wo_shutdown)(uint32_t grace_ms);
	/* IMSG_STATS_REQ: reply with wproc_send_stats(reqid, json). */
	void	(*wo_stats)(uint32_t reqid);
	/* IMSG_QUOTA_LOAD (carrier). May be NULL. */
	void	(*wo_quota_load)(const char *json, size_t len);
};

/*
 * Before the sandbox: check that fd 3 is a socket, set up logging to the
 * supervisor and the parent-death signal.  Exits if fd 3 is wrong.
 */
void	wproc_init(struct ev_loop *, enum proc_role, const struct wproc_ops *);
/*
 * Regress builds (GR_TEST_HOOKS): non-NULL if the supervisor passed
 * GOOSERELAY_TEST_REJECT=<port>: a generation whose listener is on that
 * port must be refused by wo_configure with this reason, after it
 * prepared everything aside, to prove a refusal leaves no trace.
 */
const char *wproc_test_reject(const struct wproc_conf *);
/* Index of the generation's listener of kind that has its fd, or -1. */
int	wproc_listener(const struct wproc_conf *, uint32_t kind);
/* Parse the worker command line (above); exits 1 on a bad one. */
void	wproc_args(int argc, char *argv[]);
int	wproc_instance(void);
/* RLIMIT_NOFILE as raised in wproc_init (getrlimit is not allowed later). */
unsigned long wproc_nofile_limit(void);
/* Fill role, GR_USER, GR_EMPTY_DIR and a default RLIMIT_NOFILE. */
struct sandbox_params;
void	wproc_sandbox_params(struct sandbox_params *);
/* After the sandbox: send HELLO and start reading fd 3. */
void	wproc_hello(void);
void	wproc_send_stats(uint32_t reqid, const char *json);
void	wproc_send_quota(const char *json, size_t len);
struct ipc *wproc_ipc(void);
/* Flush the IPC queue and exit with this status. */
__attribute__((noreturn)) void wproc_exit(int status);

/* wproc_fsm.c: the worker's state x event table (actions above). */
enum wproc_act {
	WP_START = 2,	/* FSM_FIRST */
	WP_STOP,
	WP_TEST,
	WP_OPEN,
	WP_PIECE,
	WP_END,
	WP_VERBOSE,
	WP_STATS,
	WP_QUOTA,
	WP_NACTS
};
struct fsm;
extern const struct fsm	 wproc_fsm;

#endif /* GR_WPROC_H */
