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

# Through the real codec (libwire): split frames, raw/zstd, text bodies.
check_PROGRAMS += regress/unit/test_session_wire
TESTS += regress/unit/test_session_wire
regress_unit_test_session_wire_SOURCES = regress/unit/test_session_wire.c
regress_unit_test_session_wire_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_session_wire_LDADD = $(SESSION_LIBS) $(WIRE_LIBS) \
	$(CMOCKA_LIBS)

# The fuzz harness without libFuzzer: pseudo-random inputs under make check.
check_PROGRAMS += regress/unit/test_fuzz_session
TESTS += regress/unit/test_fuzz_session
regress_unit_test_fuzz_session_SOURCES = regress/fuzz/fuzz_session.c
regress_unit_test_fuzz_session_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_STANDALONE
regress_unit_test_fuzz_session_LDADD = $(SESSION_LIBS)

# Micro-benchmark (numbers only, never part of TESTS).
noinst_PROGRAMS += bench/bench_session
bench_bench_session_SOURCES = bench/bench_session.c
bench_bench_session_LDADD = $(SESSION_LIBS)
