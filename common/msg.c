/*
 * The one message table: every IPC message type, who may send it, its
 * payload bounds, its fd rule and the receiver states that accept it.
 * ipc.c checks each received message against its row before any handler
 * runs, so handlers can trust lengths and never see a stray fd.
 */
#include "gr_config.h"

#include <stddef.h>

#include "conf.h"
#include "msg.h"

#define S2W	MSG_DIR_S2W
#define W2S	MSG_DIR_W2S
#define NOFD	MSG_FD_NONE
#define FD	MSG_FD_REQUIRED

/* Worker states in which configuration pieces are accepted. */
#define WS_CONF		(ST(WS_CONFIGURING) | ST(WS_RECONFIGURING))
/* Supervisor states in which a worker may talk about its work. */
#define SS_LIVE		(ST(SS_STARTING) | ST(SS_RUNNING) | \
			    ST(SS_RELOADING) | ST(SS_DRAINING))

#ifdef GR_TEST_HOOKS
#define WS_TEST		(ST(WS_CONFIGURED) | ST(WS_RUNNING))
#else
#define WS_TEST		0	/* never accepted: hooks compiled out */
#endif

static const struct msg_desc msg_table[] = {
	/* type, name, dir, minlen, maxlen, fd, states, more */
	{ IMSG_HELLO, "HELLO", W2S,
	    sizeof(struct msg_hello), sizeof(struct msg_hello), NOFD,
	    ST(SS_SPAWNED), 0 },
	{ IMSG_START, "START", S2W, 0, 0, NOFD,
	    ST(WS_CONFIGURED), 0 },
	{ IMSG_READY, "READY", W2S, 0, 0, NOFD,
	    ST(SS_STARTING), 0 },
	{ IMSG_SHUTDOWN, "SHUTDOWN", S2W,
	    sizeof(struct msg_shutdown), sizeof(struct msg_shutdown), NOFD,
	    ST_ANY, 0 },
	{ IMSG_LOG, "LOG", W2S,
	    sizeof(struct msg_log), sizeof(struct msg_log) + MSG_LOG_MAX, NOFD,
	    ST_ANY, 0 },
	{ IMSG_TEST, "TEST", S2W,
	    sizeof(struct msg_test), sizeof(struct msg_test), NOFD,
	    WS_TEST, 0 },

	{ IMSG_CONF_START, "CONF_START", S2W,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD,
	    ST(WS_HELLO_SENT) | ST(WS_RUNNING), 0 },
	{ IMSG_CONF_LISTENER, "CONF_LISTENER", S2W,
	    sizeof(struct msg_listener), sizeof(struct msg_listener), FD,
	    WS_CONF, 0 },
	{ IMSG_CONF_CARRIER, "CONF_CARRIER", S2W,
	    sizeof(struct carrier_conf), sizeof(struct carrier_conf), NOFD,
	    WS_CONF, 0 },
	{ IMSG_CONF_EXIT, "CONF_EXIT", S2W,
	    sizeof(struct exit_conf), sizeof(struct exit_conf), NOFD,
	    WS_CONF, 0 },
	{ IMSG_CONF_KEY, "CONF_KEY", S2W, 32, 32, NOFD,
	    WS_CONF, 0 },
	{ IMSG_CONF_CA, "CONF_CA", S2W, 0, MSG_MAX_PAYLOAD, NOFD,
	    WS_CONF, 1 },
	{ IMSG_CONF_END, "CONF_END", S2W,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD,
	    WS_CONF, 0 },
	{ IMSG_CONF_DONE, "CONF_DONE", W2S,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD,
	    ST(SS_CONFIGURING) | ST(SS_RELOADING), 0 },
	{ IMSG_CONF_FAIL, "CONF_FAIL", W2S,
	    sizeof(struct msg_conf_fail), sizeof(struct msg_conf_fail), NOFD,
	    ST(SS_CONFIGURING) | ST(SS_RELOADING), 0 },

	{ IMSG_CTL_VERBOSE, "CTL_VERBOSE", S2W,
	    sizeof(struct msg_verbose), sizeof(struct msg_verbose), NOFD,
	    ST_ANY, 0 },
	{ IMSG_STATS_REQ, "STATS_REQ", S2W, 0, 0, NOFD,
	    ST(WS_CONFIGURED) | ST(WS_RUNNING) | ST(WS_RECONFIGURING) |
	    ST(WS_DRAINING), 0 },
	{ IMSG_STATS, "STATS", W2S, 0, MSG_MAX_PAYLOAD, NOFD,
	    SS_LIVE, 1 },

	{ IMSG_QUOTA_LOAD, "QUOTA_LOAD", S2W, 0, MSG_MAX_PAYLOAD, NOFD,
	    WS_CONF | ST(WS_CONFIGURED) | ST(WS_RUNNING), 1 },
	{ IMSG_QUOTA_SAVE, "QUOTA_SAVE", W2S, 0, MSG_MAX_PAYLOAD, NOFD,
	    SS_LIVE, 1 },
};

_Static_assert(sizeof(struct carrier_conf) <= MSG_MAX_PAYLOAD,
    "struct carrier_conf must fit one IPC message");
_Static_assert(sizeof(struct exit_conf) <= MSG_MAX_PAYLOAD,
    "struct exit_conf must fit one IPC message");

const char *
proc_role_name(enum proc_role role)
{
	switch (role) {
	case PROC_SUPERVISOR:
		return "supervisor";
	case PROC_CARRIER:
		return "carrier";
	case PROC_EXIT:
		return "exit";
	}
	return "unknown";
}

const struct msg_desc *
msg_lookup(uint32_t type)
{
	size_t	 i;

	for (i = 0; i < sizeof(msg_table) / sizeof(msg_table[0]); i++)
		if (msg_table[i].md_type == type)
			return &msg_table[i];
	return NULL;
}

const char *
msg_name(uint32_t type)
{
	const struct msg_desc	*md;

	if ((md = msg_lookup(type)) == NULL)
		return "UNKNOWN";
	return md->md_name;
}

const char *
msg_check(uint32_t type, int recv_dir, uint32_t state, size_t len,
    int hasfd)
{
	const struct msg_desc	*md;

	if ((md = msg_lookup(type)) == NULL)
		return "unknown message type";
	if (md->md_dir != recv_dir)
		return "message sent in the wrong direction";
	if (len < md->md_minlen)
		return "payload too short";
	if (len > md->md_maxlen)
		return "payload too long";
	if (md->md_fd == MSG_FD_REQUIRED && !hasfd)
		return "file descriptor missing";
	if (md->md_fd == MSG_FD_NONE && hasfd)
		return "unexpected file descriptor";
	if (state >= 32 || (md->md_states & ST(state)) == 0)
		return "message not accepted in this state";
	return NULL;
}

/* Same as msg_check, plus the header flags (IMSGF_MORE only where allowed). */
const char *
msg_check_flags(uint32_t type, uint16_t flags)
{
	const struct msg_desc	*md;

	if (flags & ~(IMSGF_HASFD | IMSGF_MORE))
		return "unknown header flags";
	if ((md = msg_lookup(type)) == NULL)
		return "unknown message type";
	if ((flags & IMSGF_MORE) && !md->md_more)
		return "continuation flag on a single-piece message";
	return NULL;
}
