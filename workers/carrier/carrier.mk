# gooserelay-carrier (issue 5)

# SOCKS5 parser unit test.
check_PROGRAMS += regress/unit/test_carrier_socks5
TESTS += regress/unit/test_carrier_socks5
regress_unit_test_carrier_socks5_SOURCES = \
	regress/unit/test_carrier_socks5.c workers/carrier/socks5.c \
	workers/carrier/socks5.h
regress_unit_test_carrier_socks5_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_carrier_socks5_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_carrier_socks5_LDADD = $(CMOCKA_LIBS)
EXTRA_DIST += regress/fuzz/fuzz_socks5.c regress/fuzz/corpus/socks5/ipv4 \
	regress/fuzz/corpus/socks5/auth_domain
# WebSocket frame reader (common/wsframe.c): harness and seeds.
EXTRA_DIST += regress/fuzz/fuzz_wsframe.c \
	regress/fuzz/corpus/wsframe/binary_small \
	regress/fuzz/corpus/wsframe/binary_126 \
	regress/fuzz/corpus/wsframe/binary_127 \
	regress/fuzz/corpus/wsframe/fragmented_ping \
	regress/fuzz/corpus/wsframe/close regress/fuzz/corpus/wsframe/cap \
	regress/fuzz/corpus/wsframe/masked regress/fuzz/corpus/wsframe/text \
	regress/fuzz/corpus/wsframe/empty_frames

# The worker.
libexec_PROGRAMS += gooserelay-carrier
gooserelay_carrier_SOURCES = workers/carrier/carrier.c \
	workers/carrier/carrier.h workers/carrier/local.c \
	workers/carrier/socks5.c workers/carrier/socks5.h \
	workers/carrier/tunnel.c workers/carrier/stream.c \
	workers/carrier/stream_int.h workers/carrier/stream_raw.c \
	workers/carrier/stream_conn.c \
	workers/carrier/transport.c workers/carrier/transport.h \
	workers/carrier/post.c workers/carrier/post_int.h \
	workers/carrier/post_pipe.c workers/carrier/direct.c \
	workers/carrier/direct.h workers/carrier/cstats.c \
	workers/carrier/liveness.c workers/carrier/rxwin.c \
	workers/carrier/epfail.c workers/carrier/epfail.h \
	workers/carrier/epcheck.c workers/carrier/epcheck.h \
	workers/carrier/postep.c workers/carrier/postep.h \
	workers/carrier/streamchk.c \
	common/liblog.h common/liblog.c \
	workers/carrier/udp.c workers/carrier/udp.h \
	workers/carrier/failover.c
gooserelay_carrier_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/workers/carrier
gooserelay_carrier_CFLAGS = $(AM_CFLAGS) $(LWS_CFLAGS) $(TLS_CFLAGS) \
	$(CRYPTO_CFLAGS) $(JANSSON_CFLAGS)
gooserelay_carrier_LDADD = $(OPS_LIBS) $(FRONTED_LIBS) $(SESSION_LIBS) \
	$(TUNIO_LIBS) $(WIRE_LIBS) \
	$(IPC_LIBS) $(LWS_LIBS) $(TLS_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) \
	$(EV_LIBS)

# End-to-end cases through the real supervisor and exit.
TESTS += regress/cases/carrier_socks.sh regress/cases/carrier_stream.sh \
	regress/cases/carrier_post.sh regress/cases/carrier_fallback.sh \
	regress/cases/carrier_exitkill.sh regress/cases/carrier_flaky.sh \
	regress/cases/carrier_demo.sh regress/cases/carrier_reload.sh \
	regress/cases/carrier_postpipe.sh regress/cases/carrier_switch.sh \
	regress/cases/carrier_streamoff.sh \
	regress/cases/carrier_deadrelay.sh \
	regress/cases/carrier_stream_auth.sh regress/cases/carrier_stream_wss.sh
EXTRA_DIST += regress/cases/carrier_socks.sh regress/cases/carrier_stream.sh \
	regress/cases/carrier_post.sh regress/cases/carrier_fallback.sh \
	regress/cases/carrier_exitkill.sh regress/cases/carrier_flaky.sh \
	regress/cases/carrier_demo.sh regress/cases/carrier_reload.sh \
	regress/cases/carrier_postpipe.sh regress/cases/carrier_switch.sh \
	regress/cases/carrier_streamoff.sh \
	regress/cases/carrier_deadrelay.sh \
	regress/lib-carrier.sh \
	regress/cases/carrier_stream_auth.sh regress/tools/authproxy.py \
	regress/cases/carrier_stream_wss.sh \
	regress/tools/flakyproxy.py regress/tools/socksraw.py

# Faults that left the stream down or sessions hung (issue 18).
TESTS += regress/cases/carrier_streamback.sh regress/cases/carrier_exitlost.sh \
	regress/cases/carrier_slowreader.sh
EXTRA_DIST += regress/cases/carrier_streamback.sh \
	regress/cases/carrier_exitlost.sh regress/cases/carrier_slowreader.sh

# Exit fleet (issue 16): exits in network namespaces, HAProxy in front of
# them, failover without a balancer (root, ip netns, haproxy).
TESTS += regress/cases/fleet_blackhole.sh regress/cases/fleet_haproxy.sh
EXTRA_DIST += regress/cases/fleet_blackhole.sh \
	regress/cases/fleet_haproxy.sh regress/lib-fleet.sh \
	regress/tools/fleetload.py etc/haproxy.cfg.sample

# epfail.c: failures said once, reminders, back-off (issue 15).
check_PROGRAMS += regress/unit/test_epfail
TESTS += regress/unit/test_epfail
regress_unit_test_epfail_SOURCES = regress/unit/test_epfail.c \
	workers/carrier/epfail.c workers/carrier/epfail.h
regress_unit_test_epfail_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/workers/carrier
regress_unit_test_epfail_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_epfail_LDADD = $(CMOCKA_LIBS)
