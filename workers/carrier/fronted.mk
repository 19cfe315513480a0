# Fronted HTTPS transport (issue 6): HTTP/1.1 client, Apps Script endpoint,
# endpoint health.  libfronted.a is linked by gooserelay-carrier through
# $(FRONTED_LIBS); included from Makefile.am before carrier.mk.
noinst_LIBRARIES += libfronted.a
libfronted_a_SOURCES = workers/carrier/httpc.c workers/carrier/httpc.h \
	workers/carrier/httpc_rparse.c workers/carrier/httpc_rparse.h \
	workers/carrier/health.c workers/carrier/health.h \
	workers/carrier/health_pt.c workers/carrier/health_pt.h \
	workers/carrier/health_classify.c \
	workers/carrier/fronted.c workers/carrier/fronted.h \
	workers/carrier/fronted_int.h workers/carrier/fronted_check.c \
	workers/carrier/endpoint.h workers/carrier/rtoken.c \
	workers/carrier/rtoken.h
libfronted_a_CFLAGS = $(AM_CFLAGS) $(TLS_CFLAGS) $(ZLIB_CFLAGS) \
	$(CRYPTO_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/workers/carrier
FRONTED_LIBS = libfronted.a $(WIRE_LIBS) $(TLS_LIBS) $(HTTP_PARSER_LIBS) \
	$(ZLIB_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) $(EV_LIBS) -lm

check_PROGRAMS += regress/unit/test_httpc
TESTS += regress/unit/test_httpc
regress_unit_test_httpc_SOURCES = regress/unit/test_httpc.c
regress_unit_test_httpc_CFLAGS = $(AM_CFLAGS) $(TLS_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_httpc_LDADD = $(FRONTED_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += regress/unit/test_rtoken
TESTS += regress/unit/test_rtoken
regress_unit_test_rtoken_SOURCES = regress/unit/test_rtoken.c
regress_unit_test_rtoken_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_rtoken_LDADD = $(FRONTED_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += regress/unit/test_health
TESTS += regress/unit/test_health
regress_unit_test_health_SOURCES = regress/unit/test_health.c \
	regress/unit/log_weak.c
regress_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_health_LDADD = $(FRONTED_LIBS) $(CMOCKA_LIBS)

# health.c for stats rows and reload (health_ep_stats, health_remove).
check_PROGRAMS += regress/unit/test_health_reload
TESTS += regress/unit/test_health_reload
regress_unit_test_health_reload_SOURCES = regress/unit/test_health_reload.c \
	regress/unit/log_weak.c
regress_unit_test_health_reload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/workers/carrier
regress_unit_test_health_reload_LDADD = $(FRONTED_LIBS) $(CMOCKA_LIBS)

# Per-endpoint stats rows and SIGHUP endpoint changes under a running
# download (carrier; relay_urls, direct_stream_urls, script_keys).
OPS_EP_CASES = regress/cases/ops_endpoints.sh regress/cases/ops_reload.sh \
	regress/cases/ops_reload_fronted.sh
TESTS += $(OPS_EP_CASES)
EXTRA_DIST += $(OPS_EP_CASES) regress/tools/slowsrc.py

EXTRA_DIST += regress/fuzz/fuzz_http_resp.c regress/fuzz/corpus/http_resp

# Drives the apps_script transport against the emulator (no carrier).
check_PROGRAMS += regress/unit/fronted_drive
regress_unit_fronted_drive_SOURCES = regress/unit/fronted_drive.c \
	regress/unit/log_weak.c
regress_unit_fronted_drive_CFLAGS = $(AM_CFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_fronted_drive_LDADD = $(FRONTED_LIBS)

# Google emulator, Code.gs checks (node, curl, openssl; root for :443).
TESTS += regress/cases/fronted_emu.sh
EXTRA_DIST += contrib/apps-script/Code.gs regress/lib-fronted.sh \
	regress/emu/google-emu.js regress/emu/gas.js regress/emu/fake-exit.js \
	regress/emu/test-codegs.js regress/cases/fronted_emu.sh
TESTS += regress/cases/fronted_transport.sh
EXTRA_DIST += regress/cases/fronted_transport.sh

# Whole tunnel over apps_script (carrier + exit + emulator, ~70 s).
TESTS += regress/cases/fronted_e2e.sh
EXTRA_DIST += regress/cases/fronted_e2e.sh
# Quota rotation and persistence, outage abort, setup errors (key
# mismatch, wrong CA, refused SNI): post.c runs apps_script on the health
# set of fronted_setup().
TESTS += regress/cases/fronted_e2e_quota.sh \
	regress/cases/fronted_e2e_errors.sh
EXTRA_DIST += regress/cases/fronted_e2e_quota.sh \
	regress/cases/fronted_e2e_errors.sh
