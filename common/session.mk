# Session engine (issue 3): libsession.a
noinst_LIBRARIES += libsession.a
libsession_a_SOURCES = common/session.h common/chunk.c common/session.c \
	common/sess_table.c
SESSION_LIBS = libsession.a

check_PROGRAMS += regress/unit/test_session
TESTS += regress/unit/test_session
regress_unit_test_session_SOURCES = regress/unit/test_session.c
regress_unit_test_session_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_session_LDFLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc \
	-Wl,--wrap=realloc
regress_unit_test_session_LDADD = $(SESSION_LIBS) $(CMOCKA_LIBS)
