# IPC, logging, worker skeleton, sandbox (issue 2): libipc.a
noinst_LIBRARIES += libipc.a
libipc_a_SOURCES = common/ipc.h common/msg.h common/log.h common/sandbox.h \
	common/wproc.h common/conf.h common/privdrop.h common/fsm.h \
	common/compat.h common/ipc.c common/msg.c common/log.c \
	common/wproc.c common/wproc_fsm.c common/fsm.c common/privdrop.c \
	common/compat.c \
	common/acceptgate.h common/acceptgate.c
if SANDBOX_SECCOMP
libipc_a_SOURCES += common/sandbox_seccomp.c common/sandbox_debug.c \
	common/sandbox_debug.h
endif
if SANDBOX_PLEDGE
libipc_a_SOURCES += common/sandbox_pledge.c
endif
if SANDBOX_RLIMIT
libipc_a_SOURCES += common/sandbox_rlimit.c
endif
EXTRA_DIST += common/sandbox_seccomp.c common/sandbox_pledge.c \
	common/sandbox_rlimit.c common/sandbox_debug.c common/sandbox_debug.h
libipc_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
IPC_LIBS = libipc.a $(SECCOMP_LIBS) $(EV_LIBS)

# Unit test: framing, fd passing, every table rule.
check_PROGRAMS += regress/unit/test_ipc
TESTS += regress/unit/test_ipc
regress_unit_test_ipc_SOURCES = regress/unit/test_ipc.c
regress_unit_test_ipc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_ipc_LDADD = $(IPC_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += regress/fuzz/fuzz_ipc.c

# Layout identity of the structs sent raw over IPC (msg_layout_id(), in
# HELLO): a checksum of the headers that define them, made at build time
# so binaries of two builds never take each other's structs.
BUILT_SOURCES += gr_layout.h
CLEANFILES += gr_layout.h
GR_LAYOUT_HDRS = $(srcdir)/common/conf.h $(srcdir)/common/msg.h \
	$(srcdir)/common/ipc.h
gr_layout.h: $(GR_LAYOUT_HDRS)
	$(AM_V_GEN)cat $(GR_LAYOUT_HDRS) | cksum | \
	    awk '{ printf "#define GR_LAYOUT_SRC %uU\n", $$1 }' >$@.tmp && \
	    mv $@.tmp $@
common/libipc_a-msg.$(OBJEXT): gr_layout.h
