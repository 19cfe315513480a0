# Wire protocol codec (issue 3): libwire.a
noinst_LIBRARIES += libwire.a
libwire_a_SOURCES = common/wire.h
libwire_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(ZSTD_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
WIRE_LIBS = libwire.a $(CRYPTO_LIBS) $(ZSTD_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS)
