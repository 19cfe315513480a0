/*
 * The supervisor's view of a worker (enum sstate) x what can happen to
 * it: a message from it, its timer, EOF on its socket, its death.  The
 * rendering and the meaning of each action are at the top of worker.c,
 * which dispatches through this table alone.  Data only, so
 * regress/unit/test_fsm.c links it without the rest of the supervisor.
 */
#include "gr_config.h"

#include "fsm.h"
#include "msg.h"
#include "worker_fsm.h"

static const char *const worker_fsm_states[SS_NSTATES] = {
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

enum {
	EV_HELLO, EV_DONE, EV_FAIL, EV_READY, EV_LOG, EV_STATS, EV_QUOTA,
	EV_TIMER, EV_EOF, EV_DEATH, EV_N
};

static const uint32_t worker_fsm_events[EV_N] = {
	IMSG_HELLO, IMSG_CONF_DONE, IMSG_CONF_FAIL, IMSG_READY, IMSG_LOG,
	IMSG_STATS, IMSG_QUOTA_SAVE, FSM_EV_TIMER, FSM_EV_EOF, FSM_EV_DEATH,
};

static const char *const worker_fsm_evnames[EV_N] = {
	"HELLO", "DONE", "FAIL", "READY", "LOG", "STATS", "QUOTA", "timer",
	"eof", "death",
};

static const char *const worker_fsm_actnames[WA_NACTS] = {
	[FSM_REJECT] = "-",
	[FSM_IGNORE] = "ign",
	[WA_HELLO] = "hello",
	[WA_DONE] = "done",
	[WA_FAIL] = "fail",
	[WA_READY] = "ready",
	[WA_LOG] = "log",
	[WA_STATS] = "stats",
	[WA_QUOTA] = "quota",
	[WA_KILL] = "kill",
	[WA_TERM] = "term",
	[WA_SPAWN] = "spawn",
	[WA_WAIT] = "wait",
	[WA_DIED] = "died",
};

#define R	FSM_REJECT
#define IGN	FSM_IGNORE

/* [state][event]; events in the order of worker_fsm_events. */
static const uint8_t worker_fsm_act[SS_NSTATES][EV_N] = {
	/*		   HELLO     DONE     FAIL     READY     LOG
	 *		   STATS     QUOTA    timer    eof       death */
	[SS_SPAWNED] = {   WA_HELLO, R,       R,       R,        WA_LOG,
			   R,        R,       WA_KILL, WA_WAIT,  WA_DIED },
	[SS_CONFIGURING] = { R,      WA_DONE, WA_FAIL, R,        WA_LOG,
			   R,        R,       WA_KILL, WA_WAIT,  WA_DIED },
	[SS_STARTING] = {  R,        R,       R,       WA_READY, WA_LOG,
			   WA_STATS, WA_QUOTA, WA_KILL, WA_WAIT, WA_DIED },
	[SS_RUNNING] = {   R,        R,       R,       R,        WA_LOG,
			   WA_STATS, WA_QUOTA, WA_KILL, WA_WAIT, WA_DIED },
	[SS_RELOADING] = { R,        WA_DONE, WA_FAIL, R,        WA_LOG,
			   WA_STATS, WA_QUOTA, WA_KILL, WA_WAIT, WA_DIED },
	/* Answers to what was sent before SHUTDOWN are not violations. */
	[SS_DRAINING] = {  IGN,      IGN,     IGN,     IGN,      WA_LOG,
			   WA_STATS, WA_QUOTA, WA_TERM, IGN,     WA_DIED },
	/* No process: nothing can arrive. */
	[SS_EXITED] = {    R,        R,       R,       R,        R,
			   R,        R,       R,       R,        R },
	[SS_BACKOFF] = {   R,        R,       R,       R,        R,
			   R,        R,       WA_SPAWN, R,       R },
	[SS_FAILED] = {    R,        R,       R,       R,        R,
			   R,        R,       R,       R,        R },
};

const struct fsm worker_fsm = {
	.f_name = "supervisor",
	.f_nstates = SS_NSTATES,
	.f_states = worker_fsm_states,
	.f_nevents = EV_N,
	.f_events = worker_fsm_events,
	.f_evnames = worker_fsm_evnames,
	.f_act = &worker_fsm_act[0][0],
	.f_nacts = WA_NACTS,
	.f_actnames = worker_fsm_actnames,
	.f_transpose = 0,
};

const char *
worker_state_name(enum sstate s)
{
	if ((unsigned)s >= SS_NSTATES)
		return "?";
	return worker_fsm_states[s];
}
