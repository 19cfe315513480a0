# gooserelayd and gooserelayctl (issue 2)
sbin_PROGRAMS += gooserelayd gooserelayctl
gooserelayd_SOURCES = supervisor/supervisor.c supervisor/supervisor.h \
	supervisor/worker.c supervisor/backoff.c supervisor/listen.c \
	supervisor/listen_udp.c \
	supervisor/reload.c supervisor/control.c supervisor/files.c \
	supervisor/ctlproto.h supervisor/confparse.h \
	supervisor/statsreq.c supervisor/opsdiag.c supervisor/resolve.c \
	supervisor/worker_fsm.c supervisor/worker_fsm.h supervisor/syscheck.c \
	supervisor/notify.c
gooserelayd_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/supervisor \
	$(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
gooserelayd_LDADD = $(OPS_LIBS) $(DIAG_LIBS) $(CONF_LIBS) $(IPC_LIBS) \
	$(SYSTEMD_LIBS)
gooserelayctl_SOURCES = supervisor/gooserelayctl.c supervisor/ctlproto.h
gooserelayctl_CFLAGS = $(AM_CFLAGS)

# Unit test: restart schedule and death tally.
check_PROGRAMS += regress/unit/test_backoff
TESTS += regress/unit/test_backoff
regress_unit_test_backoff_SOURCES = regress/unit/test_backoff.c \
	supervisor/backoff.c
regress_unit_test_backoff_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/supervisor
regress_unit_test_backoff_LDADD = $(CMOCKA_LIBS) $(EV_LIBS)

# Unit test: both state x event tables, checked against the comments
# that render them (worker.c, wproc.h), and the rules they must keep.
check_PROGRAMS += regress/unit/test_fsm
TESTS += regress/unit/test_fsm
regress_unit_test_fsm_SOURCES = regress/unit/test_fsm.c \
	supervisor/worker_fsm.c
regress_unit_test_fsm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/supervisor -DTOP_SRCDIR='"$(abs_top_srcdir)"'
regress_unit_test_fsm_LDADD = $(IPC_LIBS) $(CMOCKA_LIBS)

# A stand-in worker (real wproc + sandbox, fixed HTTP answer) so the
# supervisor's end-to-end cases do not depend on the real workers.
check_PROGRAMS += regress/fakeworker
regress_fakeworker_SOURCES = regress/fakeworker.c
regress_fakeworker_LDADD = $(IPC_LIBS)
# The same built with another layout identity (msg_layout_id()), as a
# worker binary from a different build would be: refused at HELLO.
check_PROGRAMS += regress/fakeworker_skew
regress_fakeworker_skew_SOURCES = regress/fakeworker.c common/msg.c
regress_fakeworker_skew_CPPFLAGS = $(AM_CPPFLAGS) -DGR_LAYOUT_SALT=1
regress_fakeworker_skew_LDADD = $(IPC_LIBS)
common/regress_fakeworker_skew-msg.$(OBJEXT): gr_layout.h

# End-to-end cases (root: service user, chroot, seccomp).  CI runs the
# whole suite twice: a plain build and --enable-sanitizers.
FOUNDATION_CASES = regress/cases/daemon_sandbox.sh \
	regress/cases/daemon_violation.sh regress/cases/daemon_restart.sh \
	regress/cases/daemon_reload.sh regress/cases/daemon_lifecycle.sh \
	regress/cases/daemon_files.sh regress/cases/daemon_nonroot.sh \
	regress/cases/man_lint.sh
TESTS += $(FOUNDATION_CASES)
EXTRA_DIST += $(FOUNDATION_CASES) regress/lib-foundation.sh
# The same with the real workers.
TESTS += regress/cases/daemon_real.sh
EXTRA_DIST += regress/cases/daemon_real.sh

# Lifecycle as transactions (issue 13) and deaths under load (issue 18),
# with the real workers and a transfer across each sequence.
LIFECYCLE_CASES = regress/cases/daemon_reject.sh \
	regress/cases/daemon_reloadstorm.sh regress/cases/daemon_term.sh \
	regress/cases/daemon_layout.sh regress/cases/daemon_killstorm.sh \
	regress/cases/daemon_userchroot.sh regress/cases/daemon_hygiene.sh

# Operations (issue 8): gooserelayctl stats [--json] and diag, gooserelayd
# -D, on a whole tunnel with the real workers.
OPS_CASES = regress/cases/ops_stats.sh regress/cases/ops_diag.sh \
	regress/cases/ops_statslog.sh
TESTS += $(OPS_CASES)
EXTRA_DIST += $(OPS_CASES) regress/lib-ops.sh

# Host names in relay_urls / direct_stream_urls, resolved by the
# supervisor for the sandboxed carrier (supervisor/resolve.c).
TESTS += regress/cases/carrier_names.sh
EXTRA_DIST += regress/cases/carrier_names.sh regress/lib-resolve.sh
TESTS += regress/cases/carrier_names_fronted.sh
EXTRA_DIST += regress/cases/carrier_names_fronted.sh
check_PROGRAMS += regress/unit/test_resolve
TESTS += regress/unit/test_resolve
regress_unit_test_resolve_SOURCES = regress/unit/test_resolve.c \
	supervisor/resolve.c
regress_unit_test_resolve_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(TLS_CFLAGS) -I$(top_srcdir)/supervisor \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_resolve_LDADD = $(CONF_LIBS) $(FRONTED_LIBS) \
	$(IPC_LIBS) $(CMOCKA_LIBS)
TESTS += $(LIFECYCLE_CASES)
EXTRA_DIST += $(LIFECYCLE_CASES)
