/*
 * State x event tables (s6-supervise's "every pair decided"; OpenSSH's
 * monitor table): one for each side of the supervisor protocol,
 * supervisor/worker_fsm.c (the supervisor's view of a worker) and
 * common/wproc_fsm.c (a worker's own states).  A cell says what happens
 * when the event arrives in that state: reject it (a protocol violation:
 * the supervisor kills that worker, a worker exits), ignore it, or run
 * one of the owner's handlers.  The receive check and the dispatch both
 * read the table, and the comment at the top of the owner's file is its
 * rendering (fsm_render), compared by regress/unit/test_fsm.c, so the
 * code, the check and the comment cannot disagree.
 */
#ifndef GR_FSM_H
#define GR_FSM_H

#include <stddef.h>
#include <stdint.h>

#define FSM_REJECT	0	/* "-" */
#define FSM_IGNORE	1	/* "ign" */
#define FSM_FIRST	2	/* the owner's actions start here */

/* Events that are not messages (IMSG_* types are below 1000). */
#define FSM_EV_TIMER	0x10001	/* the state's timer fired */
#define FSM_EV_EOF	0x10002	/* the IPC socket closed */
#define FSM_EV_DEATH	0x10003	/* the process was reaped */

struct fsm {
	const char		*f_name;
	unsigned		 f_nstates;
	const char *const	*f_states;	/* column or row titles */
	unsigned		 f_nevents;
	const uint32_t		*f_events;	/* IMSG_* or FSM_EV_* */
	const char *const	*f_evnames;
	const uint8_t		*f_act;		/* [state * nevents + event] */
	unsigned		 f_nacts;
	const char *const	*f_actnames;	/* [FSM_REJECT] = "-", ... */
	int			 f_transpose;	/* render events as rows */
};

/* Column of an event, -1 if the table has none (then: reject). */
int		 fsm_column(const struct fsm *, uint32_t event);
/* What to do; FSM_REJECT for an unknown state or event. */
unsigned	 fsm_action(const struct fsm *, unsigned state, uint32_t event);
/*
 * The table as text, one '\n'-ended line per row, columns padded with
 * spaces, no trailing blanks.  Returns the length, or -1 if len is too
 * small.
 */
int		 fsm_render(const struct fsm *, char *buf, size_t len);

#endif /* GR_FSM_H */
