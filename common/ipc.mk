# IPC, logging, worker skeleton, sandbox (issue 2): libipc.a
noinst_LIBRARIES += libipc.a
libipc_a_SOURCES = common/ipc.h common/msg.h common/log.h common/sandbox.h \
	common/wproc.h common/conf.h
libipc_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
IPC_LIBS = libipc.a $(SECCOMP_LIBS) $(EV_LIBS)
