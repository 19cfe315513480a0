# Operations building blocks (issue 8): stats registry and renderings,
# auto_tune loops.  libops.a is linked by the workers (stats, auto_tune),
# the supervisor and gooserelayctl (stats table).
noinst_LIBRARIES += libops.a
libops_a_SOURCES = common/stats.h common/stats.c \
	common/stats_collect.h common/stats_collect.c \
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

# Per-endpoint stats rows and SIGHUP endpoint changes under a running
# download (carrier; relay_urls, direct_stream_urls, script_keys).
OPS_EP_CASES = regress/cases/ops_endpoints.sh regress/cases/ops_reload.sh \
	regress/cases/ops_reload_fronted.sh
TESTS += $(OPS_EP_CASES)
EXTRA_DIST += $(OPS_EP_CASES) regress/tools/slowsrc.py

# health.c for stats rows and reload (health_ep_stats, health_remove).
check_PROGRAMS += regress/unit/test_health_reload
TESTS += regress/unit/test_health_reload
regress_unit_test_health_reload_SOURCES = regress/unit/test_health_reload.c \
	regress/unit/log_weak.c
regress_unit_test_health_reload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/workers/carrier
regress_unit_test_health_reload_LDADD = $(FRONTED_LIBS) $(CMOCKA_LIBS)
