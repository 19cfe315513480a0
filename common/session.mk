# Session engine (issue 3): libsession.a
noinst_LIBRARIES += libsession.a
libsession_a_SOURCES = common/session.h
SESSION_LIBS = libsession.a
