# Tunnel socket I/O shared by the carrier and the exit (issue 12):
# WebSocket framing after the handshake and time-sized writes.
noinst_LIBRARIES += libtunio.a
libtunio_a_SOURCES = common/wsframe.c common/wsframe.h common/txpace.c \
	common/txpace.h
TUNIO_LIBS = libtunio.a

check_PROGRAMS += regress/unit/test_txpace
TESTS += regress/unit/test_txpace
regress_unit_test_txpace_SOURCES = regress/unit/test_txpace.c
regress_unit_test_txpace_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
regress_unit_test_txpace_LDADD = $(TUNIO_LIBS) $(CMOCKA_LIBS)
