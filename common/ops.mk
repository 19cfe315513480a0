# Operations building blocks (issue 8): stats registry and renderings,
# auto_tune loops.  libops.a is linked by the workers (stats, auto_tune),
# the supervisor and gooserelayctl (stats table).
noinst_LIBRARIES += libops.a
libops_a_SOURCES = common/stats.h common/stats.c \
	common/autotune.h common/autotune.c
libops_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
OPS_LIBS = libops.a $(JANSSON_LIBS)

# Unit tests: histogram percentiles, JSON vs lines vs table, id
# shortening; every auto_tune step's direction and bounds.
check_PROGRAMS += regress/unit/test_stats regress/unit/test_autotune
TESTS += regress/unit/test_stats regress/unit/test_autotune
regress_unit_test_stats_SOURCES = regress/unit/test_stats.c
regress_unit_test_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS)
regress_unit_test_stats_LDADD = $(OPS_LIBS) $(CMOCKA_LIBS)
regress_unit_test_autotune_SOURCES = regress/unit/test_autotune.c
regress_unit_test_autotune_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS)
regress_unit_test_autotune_LDADD = $(OPS_LIBS) $(CMOCKA_LIBS)
