/*
 * The one message table: every IPC message type, who may send it, its
 * payload bounds, its fd rule, the worker roles it concerns and whether
 * it may come only once.  ipc.c checks each received message against its
 * row before any handler runs, so handlers can trust lengths and never
 * see a stray fd or another role's message.  The states that accept a
 * message are each side's state x event table (fsm.h).
 */
#include "gr_config.h"

#include <stddef.h>

#include "conf.h"
#include "gr_layout.h"
#include "ipc.h"
#include "msg.h"

#define S2W	MSG_DIR_S2W
#define W2S	MSG_DIR_W2S
#define NOFD	MSG_FD_NONE
#define FD	MSG_FD_REQUIRED
#define BOTH	RL_WORKERS
#define CARRIER	RL(PROC_CARRIER)
#define EXIT	RL(PROC_EXIT)
#define ONCE	MSG_F_ONCE
#define MORE	MSG_F_MORE

#ifndef GR_LAYOUT_SALT
#define GR_LAYOUT_SALT	0	/* regress: a skewed build sets another */
#endif

static const struct msg_desc msg_table[] = {
	/* type, name, dir, minlen, maxlen, fd, roles, flags */
	{ IMSG_HELLO, "HELLO", W2S, MSG_HELLO_MIN, MSG_HELLO_MAX, NOFD,
	    BOTH, ONCE },
	{ IMSG_START, "START", S2W, 0, 0, NOFD, BOTH, ONCE },
	{ IMSG_READY, "READY", W2S, 0, 0, NOFD, BOTH, ONCE },
	{ IMSG_SHUTDOWN, "SHUTDOWN", S2W,
	    sizeof(struct msg_shutdown), sizeof(struct msg_shutdown), NOFD,
	    BOTH, 0 },
	{ IMSG_LOG, "LOG", W2S,
	    sizeof(struct msg_log), sizeof(struct msg_log) + MSG_LOG_MAX, NOFD,
	    BOTH, 0 },
	{ IMSG_TEST, "TEST", S2W,
	    sizeof(struct msg_test), sizeof(struct msg_test), NOFD, BOTH, 0 },

	{ IMSG_CONF_START, "CONF_START", S2W,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD, BOTH, 0 },
	{ IMSG_CONF_LISTENER, "CONF_LISTENER", S2W,
	    sizeof(struct msg_listener), sizeof(struct msg_listener), FD,
	    BOTH, 0 },
	{ IMSG_CONF_CARRIER, "CONF_CARRIER", S2W,
	    sizeof(struct carrier_conf), sizeof(struct carrier_conf), NOFD,
	    CARRIER, 0 },
	{ IMSG_CONF_EXIT, "CONF_EXIT", S2W,
	    sizeof(struct exit_conf), sizeof(struct exit_conf), NOFD,
	    EXIT, 0 },
	{ IMSG_CONF_KEY, "CONF_KEY", S2W, 32, 32, NOFD, BOTH, 0 },
	{ IMSG_CONF_CA, "CONF_CA", S2W, 0, MSG_MAX_PAYLOAD, NOFD,
	    CARRIER, MORE },
	{ IMSG_CONF_END, "CONF_END", S2W,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD, BOTH, 0 },
	{ IMSG_CONF_DONE, "CONF_DONE", W2S,
	    sizeof(struct msg_gen), sizeof(struct msg_gen), NOFD, BOTH, 0 },
	{ IMSG_CONF_FAIL, "CONF_FAIL", W2S,
	    sizeof(struct msg_conf_fail), sizeof(struct msg_conf_fail), NOFD,
	    BOTH, 0 },

	{ IMSG_CTL_VERBOSE, "CTL_VERBOSE", S2W,
	    sizeof(struct msg_verbose), sizeof(struct msg_verbose), NOFD,
	    BOTH, 0 },
	{ IMSG_STATS_REQ, "STATS_REQ", S2W, 0, 0, NOFD, BOTH, 0 },
	{ IMSG_STATS, "STATS", W2S, 0, MSG_MAX_PAYLOAD, NOFD, BOTH, MORE },

	{ IMSG_QUOTA_LOAD, "QUOTA_LOAD", S2W, 0, MSG_MAX_PAYLOAD, NOFD,
	    CARRIER, MORE },
	{ IMSG_QUOTA_SAVE, "QUOTA_SAVE", W2S, 0, MSG_MAX_PAYLOAD, NOFD,
	    CARRIER, MORE },
};
#define MSG_NTYPES	(sizeof(msg_table) / sizeof(msg_table[0]))

_Static_assert(sizeof(struct carrier_conf) <= MSG_MAX_PAYLOAD,
    "struct carrier_conf must fit one IPC message");
_Static_assert(sizeof(struct exit_conf) <= MSG_MAX_PAYLOAD,
    "struct exit_conf must fit one IPC message");
_Static_assert(sizeof(struct msg_hello) <= MSG_HELLO_MAX,
    "struct msg_hello must fit its row");
_Static_assert(MSG_NTYPES <= 64, "ipc.c keeps once-only types in 64 bits");

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
	int	 i;

	return (i = msg_index(type)) == -1 ? NULL : &msg_table[i];
}

int
msg_index(uint32_t type)
{
	size_t	 i;

	for (i = 0; i < MSG_NTYPES; i++)
		if (msg_table[i].md_type == type)
			return (int)i;
	return -1;
}

size_t
msg_count(void)
{
	return MSG_NTYPES;
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
msg_check(uint32_t type, int recv_dir, enum proc_role role, size_t len,
    int hasfd)
{
	const struct msg_desc	*md;

	if ((md = msg_lookup(type)) == NULL)
		return "unknown message type";
	if (md->md_dir != recv_dir)
		return "message sent in the wrong direction";
	if ((unsigned)role >= 32 || (md->md_roles & RL(role)) == 0)
		return "message of another worker role";
	if (len < md->md_minlen)
		return "payload too short";
	if (len > md->md_maxlen)
		return "payload too long";
	if (md->md_fd == MSG_FD_REQUIRED && !hasfd)
		return "file descriptor missing";
	if (md->md_fd == MSG_FD_NONE && hasfd)
		return "unexpected file descriptor";
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
	if ((flags & IMSGF_MORE) && !(md->md_flags & MSG_F_MORE))
		return "continuation flag on a single-piece message";
	return NULL;
}

#define MSG_SO(t, m)	(uint32_t)offsetof(struct t, m), \
			(uint32_t)sizeof(((struct t *)0)->m)

/*
 * FNV-1a over the build-time checksum of the headers that define the raw
 * structs (gr_layout.h) and what the compiler made of them: a field added,
 * moved or resized, or another ABI, gives another identity.
 */
uint32_t
msg_layout_id(void)
{
	static const uint32_t	 parts[] = {
		GR_LAYOUT_SRC, GR_LAYOUT_SALT, MSG_PROTO_VERSION,
		MSG_HDR_SIZE, MSG_MAX_SIZE, (uint32_t)sizeof(struct imsg_hdr),
		MSG_SO(imsg_hdr, len), MSG_SO(imsg_hdr, peerid),
		(uint32_t)sizeof(struct msg_hello),
		MSG_SO(msg_hello, mh_layout),
		MSG_SO(msg_hello, mh_build),
		(uint32_t)sizeof(struct msg_shutdown),
		(uint32_t)sizeof(struct msg_log),
		(uint32_t)sizeof(struct msg_test),
		(uint32_t)sizeof(struct msg_gen),
		(uint32_t)sizeof(struct msg_listener),
		MSG_SO(msg_listener, ml_addr),
		(uint32_t)sizeof(struct msg_conf_fail),
		MSG_SO(msg_conf_fail, mf_reason),
		(uint32_t)sizeof(struct msg_verbose),
		(uint32_t)sizeof(struct carrier_conf),
		MSG_SO(carrier_conf, cc_socks_port),
		MSG_SO(carrier_conf, cc_transport),
		MSG_SO(carrier_conf, cc_scripts),
		MSG_SO(carrier_conf, cc_relay_urls),
		MSG_SO(carrier_conf, cc_stream_urls),
		MSG_SO(carrier_conf, cc_has_ca),
		MSG_SO(carrier_conf, cc_tx_buffer_budget),
		MSG_SO(carrier_conf, cc_relay_addr),
		MSG_SO(carrier_conf, cc_ghost_addr),
		(uint32_t)sizeof(struct exit_conf),
		MSG_SO(exit_conf, ec_server_port),
		MSG_SO(exit_conf, ec_proxy_pass),
		MSG_SO(exit_conf, ec_dns),
		MSG_SO(exit_conf, ec_max_sessions),
		MSG_SO(exit_conf, ec_stream_enabled),
		MSG_SO(exit_conf, ec_stream_grace_s),
	};
	uint32_t	 h = 2166136261U;
	size_t		 i, j;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (j = 0; j < 4; j++) {
			h ^= (parts[i] >> (8 * j)) & 0xff;
			h *= 16777619U;
		}
	return h;
}
