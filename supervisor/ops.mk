# Operations, supervisor side (issue 8): gooserelayctl stats (collect
# every worker's JSON, render the table) and the diagnostics bundle.

# Unit tests: histogram percentiles, JSON vs lines vs table, id
# shortening, collecting pieces.
check_PROGRAMS += regress/unit/test_stats
TESTS += regress/unit/test_stats
regress_unit_test_stats_SOURCES = regress/unit/test_stats.c \
	supervisor/statstab.c supervisor/statstab.h \
	supervisor/stats_collect.c supervisor/stats_collect.h
regress_unit_test_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/supervisor
regress_unit_test_stats_LDADD = $(OPS_LIBS) $(CMOCKA_LIBS)

# Diagnostics bundle (supervisor only; libarchive).  The supervisor links
# DIAG_LIBS before CONF_LIBS and IPC_LIBS.
noinst_LIBRARIES += libdiag.a
libdiag_a_SOURCES = supervisor/diag.h supervisor/diag.c
libdiag_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/supervisor
libdiag_a_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS) $(YAML_CFLAGS) $(ZLIB_CFLAGS)
DIAG_LIBS = libdiag.a $(ARCHIVE_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS) \
	$(ZLIB_LIBS)

# Unit test: a config full of secrets; none may be in the bundle.
check_PROGRAMS += regress/unit/test_diag
TESTS += regress/unit/test_diag
regress_unit_test_diag_SOURCES = regress/unit/test_diag.c
regress_unit_test_diag_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/supervisor
regress_unit_test_diag_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(ARCHIVE_CFLAGS)
regress_unit_test_diag_LDADD = $(DIAG_LIBS) $(CONF_LIBS) $(IPC_LIBS) \
	$(YAML_LIBS) $(EV_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += docs/ops.md regress/fuzz/fuzz_stats.c regress/fuzz/corpus/stats
