# Operations building blocks linked by the workers (issue 8): the stats
# registry, its JSON and [stats] lines, and the auto_tune loops.  The
# supervisor's side (collecting, the table, the diagnostics bundle) is
# in supervisor/ops.mk.
noinst_LIBRARIES += libops.a
libops_a_SOURCES = common/stats.h common/stats.c \
	common/autotune.h common/autotune.c
libops_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
OPS_LIBS = libops.a $(JANSSON_LIBS)

# Unit test: every auto_tune step's direction and bounds.
check_PROGRAMS += regress/unit/test_autotune
TESTS += regress/unit/test_autotune
regress_unit_test_autotune_SOURCES = regress/unit/test_autotune.c
regress_unit_test_autotune_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS)
regress_unit_test_autotune_LDADD = $(OPS_LIBS) $(CMOCKA_LIBS)
