# SOCKS5 UDP ASSOCIATE over udp_v1 (issue 17, docs/udp.md).
UDP_CASES = regress/cases/udp_dns.sh regress/cases/udp_echo.sh \
	regress/cases/udp_negotiate.sh regress/cases/udp_limits.sh \
	regress/cases/udp_fronted.sh
TESTS += $(UDP_CASES)
EXTRA_DIST += $(UDP_CASES) regress/lib-udp.sh regress/tools/socksudp.py

# Codec: known-answer vectors, rejections (regress/unit/test_wire_udp.c).
check_PROGRAMS += regress/unit/test_wire_udp
TESTS += regress/unit/test_wire_udp
regress_unit_test_wire_udp_SOURCES = regress/unit/test_wire_udp.c
regress_unit_test_wire_udp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(CRYPTO_CFLAGS)
regress_unit_test_wire_udp_LDADD = $(WIRE_LIBS) $(CMOCKA_LIBS)

# Fuzz harness of both datagram parsers (run by regress/fuzz/run.sh).
EXTRA_DIST += regress/fuzz/fuzz_udp.c regress/fuzz/corpus/udp
