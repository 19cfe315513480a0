/*
 * A worker's own states x what the supervisor may send it (wproc.h has
 * the rendering and the meaning of each action).  Anything "-" makes the
 * worker exit: a supervisor that breaks the protocol cannot be trusted
 * to configure it.
 */
#include "gr_config.h"

#include "fsm.h"
#include "msg.h"
#include "wproc.h"

static const char *const wproc_fsm_states[WS_NSTATES] = {
	[WS_INIT] = "init",
	[WS_HELLO_SENT] = "hello",
	[WS_CONFIGURING] = "conf",
	[WS_CONFIGURED] = "confd",
	[WS_RUNNING] = "run",
	[WS_RECONFIGURING] = "reconf",
	[WS_DRAINING] = "drain",
};

enum {
	EV_START, EV_SHUTDOWN, EV_TEST, EV_CSTART, EV_CLISTENER, EV_CCARRIER,
	EV_CEXIT, EV_CKEY, EV_CCA, EV_CEND, EV_VERBOSE, EV_STATSREQ,
	EV_QUOTA, EV_N
};

static const uint32_t wproc_fsm_events[EV_N] = {
	IMSG_START, IMSG_SHUTDOWN, IMSG_TEST, IMSG_CONF_START,
	IMSG_CONF_LISTENER, IMSG_CONF_CARRIER, IMSG_CONF_EXIT, IMSG_CONF_KEY,
	IMSG_CONF_CA, IMSG_CONF_END, IMSG_CTL_VERBOSE, IMSG_STATS_REQ,
	IMSG_QUOTA_LOAD,
};

static const char *const wproc_fsm_evnames[EV_N] = {
	"START", "SHUTDOWN", "TEST", "CONF_START", "CONF_LISTENER",
	"CONF_CARRIER", "CONF_EXIT", "CONF_KEY", "CONF_CA", "CONF_END",
	"CTL_VERBOSE", "STATS_REQ", "QUOTA_LOAD",
};

static const char *const wproc_fsm_actnames[WP_NACTS] = {
	[FSM_REJECT] = "-",
	[FSM_IGNORE] = "ign",
	[WP_START] = "start",
	[WP_STOP] = "stop",
	[WP_TEST] = "test",
	[WP_OPEN] = "open",
	[WP_PIECE] = "piece",
	[WP_END] = "end",
	[WP_VERBOSE] = "verb",
	[WP_STATS] = "stats",
	[WP_QUOTA] = "quota",
};

#define R	FSM_REJECT
#define IGN	FSM_IGNORE
#define PC	WP_PIECE
/* A configuration piece: only while a generation is open. */
#define PIECE(s)	((s) == WS_CONFIGURING || (s) == WS_RECONFIGURING ? \
			    PC : R)

/* [state][event]; events in the order of wproc_fsm_events. */
static const uint8_t wproc_fsm_act[WS_NSTATES][EV_N] = {
#define ROW(s, start, stop, test, open, end, stats, quota)		\
	[s] = { start, stop, test, open, PIECE(s), PIECE(s), PIECE(s),	\
	    PIECE(s), PIECE(s), end, WP_VERBOSE, stats, quota }
	/*   state            START     SHUTDOWN TEST     CONF_START
	 *                    CONF_END  STATS_REQ         QUOTA_LOAD */
	ROW(WS_INIT,          R,        WP_STOP, R,       R,
	    R,                R,                          R),
	ROW(WS_HELLO_SENT,    R,        WP_STOP, R,       WP_OPEN,
	    R,                R,                          R),
	ROW(WS_CONFIGURING,   R,        WP_STOP, R,       R,
	    WP_END,           R,                          WP_QUOTA),
	ROW(WS_CONFIGURED,    WP_START, WP_STOP, WP_TEST, R,
	    R,                WP_STATS,                   WP_QUOTA),
	ROW(WS_RUNNING,       R,        WP_STOP, WP_TEST, WP_OPEN,
	    R,                WP_STATS,                   WP_QUOTA),
	ROW(WS_RECONFIGURING, R,        WP_STOP, R,       R,
	    WP_END,           WP_STATS,                   WP_QUOTA),
	ROW(WS_DRAINING,      R,        IGN,     R,       R,
	    R,                WP_STATS,                   R),
#undef ROW
};

const struct fsm wproc_fsm = {
	.f_name = "worker",
	.f_nstates = WS_NSTATES,
	.f_states = wproc_fsm_states,
	.f_nevents = EV_N,
	.f_events = wproc_fsm_events,
	.f_evnames = wproc_fsm_evnames,
	.f_act = &wproc_fsm_act[0][0],
	.f_nacts = WP_NACTS,
	.f_actnames = wproc_fsm_actnames,
	.f_transpose = 1,
};
