# Wire protocol codec (issue 3): libwire.a
noinst_LIBRARIES += libwire.a
libwire_a_SOURCES = common/wire.h common/wbuf.c common/wire_frame.c \
	common/wire_aead.c common/wire_batch.c common/wire_b64.c \
	common/wire_body.c common/wire_probe.c \
	common/wire_udp.c
libwire_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(ZSTD_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
WIRE_LIBS = libwire.a $(CRYPTO_LIBS) $(ZSTD_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS)

# Unit tests: known-answer vectors, round trips, allocation count.
check_PROGRAMS += regress/unit/test_wire
TESTS += regress/unit/test_wire
regress_unit_test_wire_SOURCES = regress/unit/test_wire.c
regress_unit_test_wire_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/regress \
	$(CRYPTO_CFLAGS) $(ZSTD_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS) \
	-DTEST_WIRE_TOP_SRCDIR='"$(abs_top_srcdir)"'
regress_unit_test_wire_LDADD = $(WIRE_LIBS) $(CMOCKA_LIBS)

# Fuzz harnesses (all regress/fuzz/fuzz_*.c, built by clang in run.sh).
TESTS += regress/fuzz/run.sh
EXTRA_DIST += regress/fuzz/run.sh regress/fuzz/fuzz_frame.c \
	regress/fuzz/fuzz_batch.c regress/fuzz/fuzz_probe.c \
	regress/fuzz/fuzz_gack.c regress/fuzz/corpus

# Codec throughput against raw AES-256-GCM (docs/performance.md, Codec).
noinst_PROGRAMS += bench/bench_wire
bench_bench_wire_SOURCES = bench/bench_wire.c
bench_bench_wire_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) -I$(top_srcdir)/regress
bench_bench_wire_LDADD = $(WIRE_LIBS)
EXTRA_DIST += docs/performance.md

# Release tarballs carry the known-answer vectors: ../shared/vectors when
# it is there (the newest), else the tree's copy in regress/data/vectors.
dist-hook: wire-dist-vectors
wire-dist-vectors:
	$(MKDIR_P) $(distdir)/regress/data/vectors
	if test -f $(top_srcdir)/../shared/vectors/batches.json; then \
	    src=$(top_srcdir)/../shared/vectors; \
	else \
	    src=$(top_srcdir)/regress/data/vectors; \
	fi; \
	cp $$src/batches.json $$src/README.md $(distdir)/regress/data/vectors/
.PHONY: wire-dist-vectors
EXTRA_DIST += regress/alloc_count.h
