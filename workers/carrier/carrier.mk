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
