/*
 * Supervisor-internal interfaces, grouped by file.  Only gooserelayd's
 * own files include this; workers never see it.
 */
#ifndef GR_SUPERVISOR_H
#define GR_SUPERVISOR_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "conf.h"
#include "msg.h"

struct ipc;
struct listener;

/* supervisor.c */
struct sv_opts {
	int		 so_debug;		/* -d */
	int		 so_verbose;		/* -v */
	const char	*so_conffile;		/* -f, or NULL for the demo */
	const char	*so_libexec;		/* -X / GOOSERELAY_LIBEXEC */
	const char	*so_ctlsock;		/* -s */
	char		*so_diagfile;		/* -D, made absolute */
};
extern struct sv_opts	 sv_opts;
extern struct ev_loop	*sv_loop;
/*
 * The committed configuration: what every worker runs once a reload is
 * over, and what a worker (re)started at any time gets.  A reload swaps
 * it only when every running worker accepted the new one (reload.c).
 */
extern struct gr_conf	*sv_conf;
extern uint32_t		 sv_gen;
extern char		*sv_ca;		/* ca_file bytes read with sv_conf */
extern size_t		 sv_calen;
extern int		 sv_shutting_down;
void	supervisor_shutdown(void);
void	supervisor_exit_failed(const char *why);
/* A worker became ready or went to backoff: -D may write its bundle. */
void	supervisor_workers_settled(void);

/*
 * backoff.c: restart schedule and death tally (pure, unit-tested).  A
 * death at start (before READY, or soon after it while the role has not
 * yet proved it can run) backs off to BACKOFF_MAX_S and counts in the
 * tally that fails the role; a death under load (after the role served
 * for BACKOFF_PROVEN_S) only backs off, to BACKOFF_LOAD_MAX_S: what a
 * remote peer can trigger must never make the supervisor give up.
 */
#define BACKOFF_BASE_S		1.0
#define BACKOFF_MAX_S		60.0
#define BACKOFF_LOAD_MAX_S	5.0
#define BACKOFF_STABLE_S	30.0
#define BACKOFF_PROVEN_S	10.0
#define TALLY_MAX		8	/* deaths at start ... */
#define TALLY_WINDOW_S		300.0	/* ... within this window: failed */
struct tally {
	double		 t_when[TALLY_MAX];
	unsigned	 t_n;
};
/* Delay before restart number n (0-based), at most cap; jitter in [0, 1). */
double	backoff_delay(unsigned n, double jitter, double cap);
/*
 * Does a death count toward failing the role?  up: seconds since READY
 * (< 0: never ready); proven: the role once ran BACKOFF_PROVEN_S.
 */
int	backoff_at_start(double up, int proven);
/* Record a death at now; returns 1 if the role must be marked failed. */
int	tally_add(struct tally *, double now);
unsigned tally_count(const struct tally *, double now);

/* One configuration generation, as pushed to the workers. */
struct sv_generation {
	uint32_t		 g_gen;
	const struct gr_conf	*g_conf;
	const char		*g_ca;		/* NULL: no CA bundle */
	size_t			 g_calen;
	const struct listener	*g_ln;		/* [2]: SOCKS, HTTP */
};

/* worker.c */
#define WORKER_HISTORY	8	/* last exit causes kept for diag */
struct worker {
	enum proc_role	 w_role;
	int		 w_instance;
	int		 w_enabled;	/* role present in the config */
	pid_t		 w_pid;
	enum sstate	 w_state;
	struct ipc	*w_ipc;
	ev_child	 w_child;
	ev_timer	 w_timer;	/* handshake timeouts, backoff */
	ev_timer	 w_stable;	/* RUNNING long enough: reset backoff */
	ev_tstamp	 w_spawned;
	ev_tstamp	 w_ready;	/* 0 until this process is READY */
	unsigned	 w_restarts;
	unsigned	 w_backoff_n;
	struct tally	 w_tally;	/* deaths at start */
	int		 w_proven;	/* the role once ran long enough */
	int		 w_everready;	/* ... or at least became READY */
	int		 w_refused;	/* binary refused at HELLO */
	uint32_t	 w_gen;		/* generation applied */
	uint32_t	 w_pushed;	/* generation last pushed */
	int		 w_txn;		/* in the reload under way (reload.c) */
	int		 w_killed;	/* we sent a kill: not a crash */
	struct worker_death {
		time_t	 wd_when;
		char	 wd_cause[96];
	}		 w_deaths[WORKER_HISTORY];	/* ring */
	unsigned	 w_ndeaths;
	char		*w_quota;	/* QUOTA_SAVE pieces */
	size_t		 w_quotalen;
};
#define WORKER_NROLES	2
extern struct worker	 workers[WORKER_NROLES];
void		 worker_init(void);
void		 worker_configure_roles(const struct gr_conf *);
void		 worker_start_all(void);
void		 worker_shutdown_all(unsigned grace_ms);
int		 worker_all_gone(void);
struct worker	*worker_by_role(enum proc_role);
const char	*worker_name(const struct worker *);
const char	*worker_state_name(enum sstate);
/* The committed generation, for a push. */
void		 worker_committed(struct sv_generation *);
/* Push g to a running worker; it goes RELOADING until it answers. */
void		 worker_reload_push(struct worker *,
		    const struct sv_generation *);
/* After a commit: drain removed roles, start new ones, catch up. */
void		 worker_sync(void);
void		 worker_set_verbose(int);
int		 worker_test(enum proc_role, uint32_t what);
void		 worker_kill(struct worker *, const char *why);
/* For status: text appended to buf. */
void		 worker_status(char *buf, size_t len);
char		*worker_describe_status(int status, char *buf, size_t len);
/* For diag: status plus restart history and last exit causes. */
void		 worker_history(char *buf, size_t len);
/* Every enabled worker is running or has given up for now. */
int		 worker_all_settled(void);

/*
 * resolve.c: host names of the carrier's endpoints, resolved at load
 * because the sandboxed carrier cannot (relayd-style).
 */
int	resolve_conf(struct gr_conf *, int retry);
void	resolve_inherit(struct gr_conf *, const struct gr_conf *old);
void	resolve_carrier_copy(struct carrier_conf *);
void	resolve_schedule(void);

/* statsreq.c: gather every worker's stats (bounded: 2 s) */
struct statsreq;
struct imsg;
/* json: the array (NULL on ENOMEM); it is freed after the call. */
typedef void	(*statsreq_cb)(char *json, void *arg);
struct statsreq	*statsreq_start(statsreq_cb, void *arg);
void		 statsreq_cancel(struct statsreq *);
void		 statsreq_piece(struct worker *, struct imsg *);
void		 statsreq_worker_gone(struct worker *, const char *why);

/* opsdiag.c: diagnostics bundle of the running daemon */
#define OPSDIAG_PATH_MAX	256
struct opsdiag;
typedef void	(*opsdiag_cb)(int rc, const char *msg, void *arg);
struct opsdiag	*opsdiag_start(const char *path, opsdiag_cb, void *arg);
void		 opsdiag_cancel(struct opsdiag *);

/* listen.c: the supervisor owns every listening socket. */
struct listener {
	int		 ln_fd;
	int		 ln_ufd;	/* SOCKS: UDP twin or -1 */
	uint32_t	 ln_kind;	/* LISTENER_* */
	char		 ln_host[CONF_HOST_LEN];
	uint16_t	 ln_port;
	char		 ln_addr[128];	/* for logs and the worker */
};
extern struct listener	 listeners[2];	/* [0] SOCKS, [1] HTTP */
int		 listen_open(const char *host, uint16_t port,
		    struct listener *, char *err, size_t errlen);
/* Open what conf needs into ln[] (reusing cur[] sockets); 0 or -1. */
int		 listen_prepare(const struct gr_conf *, struct listener *ln,
		    const struct listener *cur, char *err, size_t errlen);
void		 listen_commit(struct listener *);
void		 listen_discard(struct listener *ln);
struct listener	*listen_for_role(enum proc_role);
void		 listen_close_all(void);

/* listen_udp.c: the SOCKS listener's UDP twin (UDP ASSOCIATE) */
struct ipc;
int		 listen_udp_open(struct listener *, char *err, size_t errlen);
void		 listen_udp_prepare(const struct gr_conf *, struct listener *);
void		 listen_udp_discard(struct listener *,
		    const struct listener *cur);
void		 listen_udp_commit(const struct listener *,
		    struct listener *old);
void		 listen_udp_close(struct listener *);
void		 listen_udp_push(struct ipc *, uint32_t gen,
		    const struct listener *);

/*
 * reload.c: a reload is a transaction (relayd, OpenSMTPD): the new
 * configuration is parsed and checked aside, pushed to every running
 * worker as a new generation, and committed only when all of them
 * accepted it; a refusal, a timeout or a death rolls every worker back
 * to the committed generation.  One at a time: a request made meanwhile
 * is queued (several queued requests are one: they read the same file).
 */
typedef void	(*reload_cb)(int ok, const char *msg, void *arg);
struct reload_waiter {
	struct reload_waiter	*rw_next;
	int			 rw_linked;
	reload_cb		 rw_cb;
	void			*rw_arg;
};
/*
 * Reload the file.  0: started or queued, rw (if not NULL) is called
 * with the outcome; -1: refused at once (err says why; rw not called).
 */
int		 reload_request(struct reload_waiter *, char *err,
		    size_t errlen);
/* The waiter's owner goes away: never call it. */
void		 reload_cancel(struct reload_waiter *);
/* A configuration built from the committed one (resolve.c); takes nc. */
int		 reload_push_conf(struct gr_conf *nc, const char *why);
int		 reload_busy(void);
/* Shutdown: drop what is pending and queued, tell the waiters. */
void		 reload_abort(const char *why);
/* From worker.c, for a worker in the transaction (w_txn). */
void		 reload_ack(struct worker *, uint32_t gen);
void		 reload_nak(struct worker *, uint32_t gen, const char *reason);
void		 reload_lost(struct worker *, const char *why);
/* Read the CA bundle of conf into *buf (NULL if none): 0 or -1. */
int		 reload_read_ca(const struct gr_conf *, char **buf,
		    size_t *len, char *err, size_t errlen);

/*
 * notify.c: sd_notify(3) for Type=notify (nothing when built without
 * libsystemd).  notify_update after every worker event: READY=1 the
 * first time every role is ready, STATUS= when the line changes.
 * notify_reloading / notify_reloaded around a reload of the file,
 * notify_stop at shutdown (why: NULL, or why it gives up).
 */
void		 notify_update(void);
void		 notify_reloading(void);
void		 notify_reloaded(void);
void		 notify_stop(const char *why);

/* files.c: the supervisor alone reads and writes files. */
int		 files_read(const char *path, size_t max, char **buf,
		    size_t *len);
int		 files_write_atomic(const char *path, const void *, size_t);
void		 files_resolv_conf(struct exit_conf *, const char *path);

/*
 * syscheck.c: what a configuration names must exist on this host
 * (ca_file readable, user, chroot directory safe).  Messages go to cb
 * as "file:line: key: reason"; returns the number of errors.
 */
typedef void	(*syscheck_cb)(int is_error, const char *msg, void *arg);
int		 syscheck_conf(const struct gr_conf *, syscheck_cb, void *);

/* control.c */
/* Refuse a path that exists and is not a socket: 0, or -1 with err. */
int		 control_check(const char *path, char *err, size_t errlen);
int		 control_init(const char *path);
void		 control_cleanup(void);

#endif /* GR_SUPERVISOR_H */
