# Tunnel socket I/O shared by the carrier and the exit (issue 12):
# WebSocket framing after the handshake.
noinst_LIBRARIES += libtunio.a
libtunio_a_SOURCES = common/wsframe.c common/wsframe.h
TUNIO_LIBS = libtunio.a
