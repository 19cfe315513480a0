# gooserelay-exit (issue 4): the server side, /tunnel /stream /healthz.
libexec_PROGRAMS += gooserelay-exit
gooserelay_exit_SOURCES = workers/exit/exit.h workers/exit/exit.c \
	workers/exit/http.c workers/exit/client.c workers/exit/drain.c \
	workers/exit/route.c workers/exit/upstream.c workers/exit/backoff.c \
	workers/exit/resolve.c workers/exit/socks.c workers/exit/estats.c \
	workers/exit/rxflow.c workers/exit/reqcheck.c workers/exit/admit.c \
	workers/exit/wsraw.c \
	common/liblog.h common/liblog.c \
	workers/exit/udp.c workers/exit/udp.h
gooserelay_exit_CFLAGS = $(AM_CFLAGS) $(LWS_CFLAGS) $(CARES_CFLAGS) \
	$(CRYPTO_CFLAGS) $(JANSSON_CFLAGS)
gooserelay_exit_LDADD = $(OPS_LIBS) $(SESSION_LIBS) $(TUNIO_LIBS) \
	$(WIRE_LIBS) $(IPC_LIBS) \
	$(LWS_LIBS) $(CARES_LIBS) $(CRYPTO_LIBS)

# Unit tests of the exit's pure logic.
check_PROGRAMS += regress/unit/test_exit_backoff
TESTS += regress/unit/test_exit_backoff
regress_unit_test_exit_backoff_SOURCES = regress/unit/test_exit_backoff.c \
	workers/exit/backoff.c workers/exit/socks.c workers/exit/resolve.c \
	workers/exit/reqcheck.c
regress_unit_test_exit_backoff_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(CARES_CFLAGS) -I$(top_srcdir)/workers/exit
regress_unit_test_exit_backoff_LDADD = $(CMOCKA_LIBS) $(CARES_LIBS) $(EV_LIBS)

# Protocol driver for the end-to-end cases (a client in C).
check_PROGRAMS += regress/tools/grdrv
regress_tools_grdrv_SOURCES = regress/tools/grdrv.c
regress_tools_grdrv_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
regress_tools_grdrv_LDADD = $(WIRE_LIBS) $(CRYPTO_LIBS)

# Many sessions at once over one /stream: slow upstreams, churn.
check_PROGRAMS += regress/tools/exitload
regress_tools_exitload_SOURCES = regress/tools/exitload.c
regress_tools_exitload_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
regress_tools_exitload_LDADD = $(WIRE_LIBS) $(CRYPTO_LIBS)

# End-to-end cases under the real supervisor.
EXIT_CASES = regress/cases/exit_http.sh regress/cases/exit_bulk.sh \
	regress/cases/exit_sessions.sh regress/cases/exit_stream.sh \
	regress/cases/exit_replay.sh regress/cases/exit_longpoll.sh \
	regress/cases/exit_slowup.sh regress/cases/exit_tune.sh \
	regress/cases/exit_reap.sh
TESTS += $(EXIT_CASES)
EXTRA_DIST += $(EXIT_CASES) regress/lib-exit.sh bench/exit_idle.sh \
	bench/exit_churn.sh bench/exit_hol.sh regress/fuzz/fuzz_exit_req.c

check_PROGRAMS += regress/unit/test_exit_drain
TESTS += regress/unit/test_exit_drain
regress_unit_test_exit_drain_SOURCES = regress/unit/test_exit_drain.c \
	workers/exit/drain.c workers/exit/client.c
regress_unit_test_exit_drain_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/exit
regress_unit_test_exit_drain_LDADD = $(SESSION_LIBS) $(WIRE_LIBS) \
	$(CMOCKA_LIBS) $(EV_LIBS)

# A lost POST response: resent at once (GACK without progress, timer).
check_PROGRAMS += regress/unit/test_exit_replay
TESTS += regress/unit/test_exit_replay
regress_unit_test_exit_replay_SOURCES = regress/unit/test_exit_replay.c \
	regress/unit/log_weak.c workers/exit/drain.c workers/exit/client.c \
	workers/exit/route.c
regress_unit_test_exit_replay_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/exit
regress_unit_test_exit_replay_LDADD = $(SESSION_LIBS) $(WIRE_LIBS) \
	$(CMOCKA_LIBS) $(EV_LIBS)

# Timers, dialing and /stream rules end to end (issue 4's test list).
EXIT_CASES_BEHAVIOUR = regress/cases/exit_netns.sh regress/cases/exit_gc.sh \
	regress/cases/exit_grace.sh regress/cases/exit_preauth.sh \
	regress/cases/exit_wsrules.sh regress/cases/exit_dialwait.sh
TESTS += $(EXIT_CASES_BEHAVIOUR)
EXTRA_DIST += $(EXIT_CASES_BEHAVIOUR)

# Pre-auth admission (issue 18): caps, reserve, body rate, known sources.
check_PROGRAMS += regress/unit/test_exit_admit
TESTS += regress/unit/test_exit_admit
regress_unit_test_exit_admit_SOURCES = regress/unit/test_exit_admit.c \
	workers/exit/admit.c
regress_unit_test_exit_admit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/exit
regress_unit_test_exit_admit_LDADD = $(IPC_LIBS) $(CMOCKA_LIBS)
