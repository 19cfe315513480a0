/*
 * Supervisor <-> worker IPC messages.  Numbered in ranges (100 lifecycle,
 * 200 configuration, 300 control/stats, 400 carrier, 500 exit); never
 * renumber, retire with a comment.  Bump MSG_PROTO_VERSION on any change
 * to a type or payload.  Every type has exactly one row in the table in
 * msg.c (direction, payload bounds, fd rule, roles, once-only), which the
 * receive path checks before any handler runs; which states accept it is
 * each side's state x event table (supervisor/worker_fsm.c,
 * common/wproc_fsm.c).
 *
 * HELLO also carries a layout identity (msg_layout_id(): a checksum of
 * this header, conf.h and ipc.h made at build time, mixed with the sizes
 * and offsets the compiler chose for every struct sent raw), so a worker
 * binary from another build is refused at HELLO even when the protocol
 * version was not bumped.
 */
#ifndef GR_MSG_H
#define GR_MSG_H

#include <stdint.h>

#define MSG_PROTO_VERSION	2	/* 2: HELLO with layout and build */

enum proc_role {
	PROC_SUPERVISOR = 0,
	PROC_CARRIER = 1,
	PROC_EXIT = 2
};
const char	*proc_role_name(enum proc_role);

/*
 * Worker-side states; what each accepts is common/wproc_fsm.c.
 * INIT -> HELLO_SENT -> CONFIGURING -> CONFIGURED -> RUNNING -> DRAINING;
 * a reload goes RUNNING -> RECONFIGURING -> RUNNING (the old config
 * serves on until CONF_END swaps it in).
 */
enum wstate {
	WS_INIT = 0,
	WS_HELLO_SENT,
	WS_CONFIGURING,
	WS_CONFIGURED,
	WS_RUNNING,
	WS_RECONFIGURING,
	WS_DRAINING,
	WS_NSTATES
};

/*
 * Supervisor's view of a worker; what each accepts is
 * supervisor/worker_fsm.c.
 */
enum sstate {
	SS_SPAWNED = 0,		/* forked, waiting for HELLO */
	SS_CONFIGURING,		/* config pushed, waiting for CONF_DONE */
	SS_STARTING,		/* START sent, waiting for READY */
	SS_RUNNING,
	SS_RELOADING,		/* new generation pushed */
	SS_DRAINING,		/* SHUTDOWN sent */
	SS_EXITED,
	SS_BACKOFF,
	SS_FAILED,
	SS_NSTATES
};

/* Roles a message belongs to (msg_desc md_roles). */
#define RL(r)		(1U << (r))
#define RL_WORKERS	(RL(PROC_CARRIER) | RL(PROC_EXIT))

enum imsg_type {
	/* 100: lifecycle */
	IMSG_HELLO = 100,	/* w->s struct msg_hello */
	IMSG_START = 101,	/* s->w none */
	IMSG_READY = 102,	/* w->s none */
	IMSG_SHUTDOWN = 103,	/* s->w struct msg_shutdown */
	IMSG_LOG = 104,		/* w->s struct msg_log + text */
	IMSG_TEST = 105,	/* s->w struct msg_test (regress only) */

	/* 200: configuration; peerid = generation */
	IMSG_CONF_START = 200,	/* s->w struct msg_gen */
	IMSG_CONF_LISTENER = 201, /* s->w struct msg_listener + fd */
	IMSG_CONF_CARRIER = 202, /* s->w struct carrier_conf */
	IMSG_CONF_EXIT = 203,	/* s->w struct exit_conf */
	IMSG_CONF_KEY = 204,	/* s->w 32 key bytes */
	IMSG_CONF_CA = 205,	/* s->w a piece of the PEM CA bundle */
	IMSG_CONF_END = 209,	/* s->w struct msg_gen */
	IMSG_CONF_DONE = 210,	/* w->s struct msg_gen */
	IMSG_CONF_FAIL = 211,	/* w->s struct msg_conf_fail */

	/* 300: control and stats; peerid = request id */
	IMSG_CTL_VERBOSE = 300,	/* s->w struct msg_verbose */
	IMSG_STATS_REQ = 301,	/* s->w none */
	IMSG_STATS = 302,	/* w->s JSON text piece; flags MSGF_MORE */

	/* 400: carrier */
	IMSG_QUOTA_LOAD = 400,	/* s->w quota state JSON */
	IMSG_QUOTA_SAVE = 401,	/* w->s quota state JSON to persist */

	/* 500: exit (none yet) */
};

#define MSG_MAX_SIZE		65535	/* header + payload */
#define MSG_HDR_SIZE		16
#define MSG_MAX_PAYLOAD		(MSG_MAX_SIZE - MSG_HDR_SIZE)
#define MSG_LOG_MAX		2048
#define MSG_REASON_MAX		512

/* imsg header flags */
#define IMSGF_HASFD		0x0001
#define IMSGF_MORE		0x0002	/* more pieces of this payload follow */

/*
 * mh_version comes first and stays first in every version: a supervisor
 * reads it from a HELLO of any length, so a worker from another release
 * is refused by name, not as a malformed message.
 */
#define MSG_BUILD_LEN		32
struct msg_hello {
	uint32_t	 mh_version;	/* MSG_PROTO_VERSION */
	uint32_t	 mh_role;	/* enum proc_role */
	uint32_t	 mh_instance;
	uint32_t	 mh_pid;
	uint32_t	 mh_layout;	/* msg_layout_id() */
	/* PACKAGE_VERSION, for the log line that refuses a mixed build */
	char		 mh_build[MSG_BUILD_LEN];
};
#define MSG_HELLO_MIN		sizeof(uint32_t)	/* the version */
#define MSG_HELLO_MAX		1024

struct msg_shutdown {
	uint32_t	 ms_grace_ms;
};

struct msg_log {
	int32_t		 ml_prio;	/* syslog priority */
	/* followed by the text, not NUL-terminated, <= MSG_LOG_MAX */
};

#define MSG_TEST_OPEN_FILE	1	/* open a file: must die of SIGSYS */
#define MSG_TEST_CRASH		2	/* abort() */
#define MSG_TEST_FILL_FDS	3	/* use up every descriptor */
#define MSG_TEST_RELEASE_FDS	4	/* give them back */
struct msg_test {
	uint32_t	 mt_what;
};

struct msg_gen {
	uint32_t	 mg_gen;
};

#define LISTENER_SOCKS		1	/* carrier SOCKS5 */
#define LISTENER_HTTP		2	/* exit HTTP/WebSocket */
#define LISTENER_SOCKS_UDP	3	/* carrier: SOCKS5 UDP relay socket */
struct msg_listener {
	uint32_t	 ml_kind;
	char		 ml_addr[128];	/* for logs: "127.0.0.1:1080" */
};

struct msg_conf_fail {
	uint32_t	 mf_gen;
	char		 mf_reason[MSG_REASON_MAX];
};

struct msg_verbose {
	int32_t		 mv_level;
};

/* Message descriptor table (msg.c). */
#define MSG_DIR_S2W		1
#define MSG_DIR_W2S		2
#define MSG_FD_NONE		0
#define MSG_FD_REQUIRED		1
#define MSG_FD_OPTIONAL		2
#define MSG_F_ONCE		0x01	/* at most once per connection */
#define MSG_F_MORE		0x02	/* IMSGF_MORE pieces allowed */

struct msg_desc {
	uint32_t	 md_type;
	const char	*md_name;
	int		 md_dir;
	uint32_t	 md_minlen;
	uint32_t	 md_maxlen;
	int		 md_fd;
	uint32_t	 md_roles;	/* RL(): worker roles it may concern */
	uint32_t	 md_flags;	/* MSG_F_ONCE, MSG_F_MORE */
};

const struct msg_desc	*msg_lookup(uint32_t);
/* Row number of a type (0..msg_count()-1), -1 if unknown. */
int			 msg_index(uint32_t);
size_t			 msg_count(void);
const char		*msg_name(uint32_t);
/*
 * Check a received message against its row.  recv_dir is the direction
 * the receiver expects (a worker receives MSG_DIR_S2W), role the worker
 * role at either end.  Returns NULL if fine, else a reason.  Which states
 * accept it is not checked here (fsm.h).
 */
const char	*msg_check(uint32_t type, int recv_dir, enum proc_role role,
		    size_t len, int hasfd);
/* Header flag rules: no unknown bits, IMSGF_MORE only where allowed. */
const char	*msg_check_flags(uint32_t type, uint16_t flags);
/* This build's layout identity (see the top of this file). */
uint32_t	 msg_layout_id(void);

#endif /* GR_MSG_H */
