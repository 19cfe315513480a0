/*
 * The two state x event tables (supervisor/worker_fsm.c, the supervisor's
 * view of a worker; common/wproc_fsm.c, a worker's own states): the
 * comments at the top of supervisor/worker.c and common/wproc.h must be
 * their renderings (on a mismatch the expected text is printed, ready
 * to paste), every message has a column on the side that receives it,
 * and the rules issue 13 asked for hold: answers that cross a SHUTDOWN
 * are ignored, not violations; nothing arrives without a process;
 * carrier-only messages are refused for an exit, and once-only ones
 * twice.
 */
#include "gr_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsm.h"
#include "msg.h"
#include "worker_fsm.h"
#include "wproc.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR	"."
#endif

/*
 * The lines between " * BEGIN name" and " * END name" in path, without
 * their " * " (or " *\t") comment prefix.
 */
static char *
test_fsm_comment(const char *rel, const char *name)
{
	char	 path[4096], line[1024], begin[64], end[64], *out;
	size_t	 len = 0, cap = 65536;
	FILE	*fp;
	int	 in = 0;

	snprintf(path, sizeof(path), "%s/%s", getenv("top_srcdir") != NULL ?
	    getenv("top_srcdir") : TOP_SRCDIR, rel);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	snprintf(begin, sizeof(begin), " * BEGIN %s\n", name);
	snprintf(end, sizeof(end), " * END %s\n", name);
	out = calloc(1, cap);
	assert_non_null(out);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, begin) == 0) {
			in = 1;
			continue;
		}
		if (!in)
			continue;
		if (strcmp(line, end) == 0)
			break;
		if (strncmp(line, " * ", 3) == 0 ||
		    strncmp(line, " *\t", 3) == 0)
			snprintf(out + len, cap - len, "%s", line + 3);
		else if (strcmp(line, " *\n") == 0)
			snprintf(out + len, cap - len, "\n");
		else
			fail_msg("%s: not a comment line in the table: %s",
			    rel, line);
		len = strlen(out);
	}
	fclose(fp);
	assert_true(in);
	return out;
}

static void
test_fsm_matches(const struct fsm *f, const char *rel, const char *name)
{
	char	 buf[8192], *text, *p, *nl;
	int	 n;

	n = fsm_render(f, buf, sizeof(buf));
	assert_true(n > 0);
	/* 80 columns, with the " * " prefix. */
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		assert_true(nl - p + 3 <= 80);
	text = test_fsm_comment(rel, name);
	if (strcmp(text, buf) != 0) {
		fprintf(stderr, "%s: the comment between BEGIN %s and END %s "
		    "is not the table; it should read:\n", rel, name, name);
		for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			fprintf(stderr, " * %.*s\n", (int)(nl - p), p);
		free(text);
		fail();
	}
	free(text);
}

static void
test_fsm_comments(void **state)
{
	test_fsm_matches(&worker_fsm, "supervisor/worker.c", "worker_fsm");
	test_fsm_matches(&wproc_fsm, "common/wproc.h", "wproc_fsm");
}

/* Every message has a column on its receiving side, and only there. */
static void
test_fsm_complete(void **state)
{
	const struct msg_desc	*md;
	uint32_t		 t;
	unsigned		 i;

	for (t = 0; t < 1000; t++) {
		if ((md = msg_lookup(t)) == NULL)
			continue;
		if (md->md_dir == MSG_DIR_W2S) {
			assert_true(fsm_column(&worker_fsm, t) >= 0);
			assert_true(fsm_column(&wproc_fsm, t) == -1);
		} else {
			assert_true(fsm_column(&wproc_fsm, t) >= 0);
			assert_true(fsm_column(&worker_fsm, t) == -1);
		}
	}
	/* No column for something that is not a message or an event. */
	for (i = 0; i < worker_fsm.f_nevents; i++)
		assert_true(msg_lookup(worker_fsm.f_events[i]) != NULL ||
		    worker_fsm.f_events[i] >= FSM_EV_TIMER);
	for (i = 0; i < wproc_fsm.f_nevents; i++)
		assert_non_null(msg_lookup(wproc_fsm.f_events[i]));
	/* Unknown states and events are refused. */
	assert_int_equal(fsm_action(&worker_fsm, SS_NSTATES, IMSG_LOG),
	    FSM_REJECT);
	assert_int_equal(fsm_action(&worker_fsm, SS_RUNNING, 4242),
	    FSM_REJECT);
}

static void
test_fsm_supervisor_rules(void **state)
{
	const uint32_t	 answers[] = { IMSG_HELLO, IMSG_CONF_DONE,
	    IMSG_CONF_FAIL, IMSG_READY };
	unsigned	 i, s;

	/* A worker answering what crossed SHUTDOWN is not a violator. */
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		assert_int_equal(fsm_action(&worker_fsm, SS_DRAINING,
		    answers[i]), FSM_IGNORE);
	assert_int_equal(fsm_action(&worker_fsm, SS_DRAINING, IMSG_LOG),
	    WA_LOG);
	assert_int_equal(fsm_action(&worker_fsm, SS_DRAINING,
	    FSM_EV_DEATH), WA_DIED);
	/* The handshake, in order, once. */
	assert_int_equal(fsm_action(&worker_fsm, SS_SPAWNED, IMSG_HELLO),
	    WA_HELLO);
	assert_int_equal(fsm_action(&worker_fsm, SS_RUNNING, IMSG_HELLO),
	    FSM_REJECT);
	assert_int_equal(fsm_action(&worker_fsm, SS_CONFIGURING,
	    IMSG_READY), FSM_REJECT);
	assert_int_equal(fsm_action(&worker_fsm, SS_RUNNING,
	    IMSG_CONF_DONE), FSM_REJECT);
	assert_int_equal(fsm_action(&worker_fsm, SS_RELOADING,
	    IMSG_CONF_FAIL), WA_FAIL);
	/* Every state with a process sees its death; others see nothing. */
	for (s = 0; s < SS_NSTATES; s++) {
		if (s == SS_EXITED || s == SS_BACKOFF || s == SS_FAILED) {
			assert_int_equal(fsm_action(&worker_fsm, s, IMSG_LOG),
			    FSM_REJECT);
			assert_int_equal(fsm_action(&worker_fsm, s,
			    FSM_EV_DEATH), FSM_REJECT);
		} else
			assert_int_equal(fsm_action(&worker_fsm, s,
			    FSM_EV_DEATH), WA_DIED);
	}
	assert_int_equal(fsm_action(&worker_fsm, SS_BACKOFF, FSM_EV_TIMER),
	    WA_SPAWN);
}

static void
test_fsm_worker_rules(void **state)
{
	const uint32_t	 pieces[] = { IMSG_CONF_LISTENER, IMSG_CONF_CARRIER,
	    IMSG_CONF_EXIT, IMSG_CONF_KEY, IMSG_CONF_CA };
	unsigned	 i, s;

	for (s = 0; s < WS_NSTATES; s++) {
		/* SHUTDOWN is always understood (a second is ignored). */
		assert_int_equal(fsm_action(&wproc_fsm, s, IMSG_SHUTDOWN),
		    s == WS_DRAINING ? FSM_IGNORE : WP_STOP);
		/* Pieces only while a generation is open. */
		for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
			assert_int_equal(fsm_action(&wproc_fsm, s, pieces[i]),
			    s == WS_CONFIGURING || s == WS_RECONFIGURING ?
			    WP_PIECE : FSM_REJECT);
		assert_int_equal(fsm_action(&wproc_fsm, s, IMSG_START),
		    s == WS_CONFIGURED ? WP_START : FSM_REJECT);
	}
	assert_int_equal(fsm_action(&wproc_fsm, WS_RUNNING,
	    IMSG_CONF_START), WP_OPEN);
	assert_int_equal(fsm_action(&wproc_fsm, WS_RECONFIGURING,
	    IMSG_CONF_START), FSM_REJECT);
	assert_int_equal(fsm_action(&wproc_fsm, WS_DRAINING,
	    IMSG_CONF_START), FSM_REJECT);
}

/* Per-role gating and once-only flags in the message table. */
static void
test_fsm_roles(void **state)
{
	const uint32_t	 carrier_only[] = { IMSG_CONF_CARRIER, IMSG_CONF_CA,
	    IMSG_QUOTA_LOAD, IMSG_QUOTA_SAVE };
	const struct msg_desc	*md;
	unsigned		 i;

	for (i = 0; i < sizeof(carrier_only) / sizeof(carrier_only[0]);
	    i++) {
		md = msg_lookup(carrier_only[i]);
		assert_non_null(md);
		assert_non_null(msg_check(md->md_type, md->md_dir, PROC_EXIT,
		    md->md_minlen, 0));
		assert_null(msg_check(md->md_type, md->md_dir, PROC_CARRIER,
		    md->md_minlen, 0));
	}
	md = msg_lookup(IMSG_CONF_EXIT);
	assert_non_null(msg_check(md->md_type, md->md_dir, PROC_CARRIER,
	    md->md_minlen, 0));
	assert_null(msg_check(md->md_type, md->md_dir, PROC_EXIT,
	    md->md_minlen, 0));
	assert_true(msg_lookup(IMSG_HELLO)->md_flags & MSG_F_ONCE);
	assert_true(msg_lookup(IMSG_READY)->md_flags & MSG_F_ONCE);
	assert_true(msg_lookup(IMSG_START)->md_flags & MSG_F_ONCE);
	assert_false(msg_lookup(IMSG_CONF_START)->md_flags & MSG_F_ONCE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsm_comments),
		cmocka_unit_test(test_fsm_complete),
		cmocka_unit_test(test_fsm_supervisor_rules),
		cmocka_unit_test(test_fsm_worker_rules),
		cmocka_unit_test(test_fsm_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
