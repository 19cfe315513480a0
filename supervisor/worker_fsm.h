/*
 * worker_fsm.c: the supervisor's state x event table for one worker.
 * Actions are described at the top of worker.c.
 */
#ifndef GR_WORKER_FSM_H
#define GR_WORKER_FSM_H

#include "fsm.h"
#include "msg.h"

enum worker_act {
	WA_HELLO = FSM_FIRST,
	WA_DONE,
	WA_FAIL,
	WA_READY,
	WA_LOG,
	WA_STATS,
	WA_QUOTA,
	WA_KILL,
	WA_TERM,
	WA_SPAWN,
	WA_WAIT,
	WA_DIED,
	WA_NACTS
};

extern const struct fsm	 worker_fsm;
const char	*worker_state_name(enum sstate);

#endif /* GR_WORKER_FSM_H */
