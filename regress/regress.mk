# Shared regress helpers; components add their own tests in their fragments.
EXTRA_DIST += regress/lib.sh

# Wire interoperability with GooseRelayVPN's Go peers (interop-audit.md).
INTEROP_CASES = regress/cases/interop_go.sh
TESTS += $(INTEROP_CASES)
EXTRA_DIST += $(INTEROP_CASES)

# Hostile clients for the sandboxed workers (issue 18): oversized and
# malformed HTTP, WebSocket and SOCKS5, slowloris, held connections.
check_PROGRAMS += regress/tools/sockfuzz
regress_tools_sockfuzz_SOURCES = regress/tools/sockfuzz.c
regress_tools_sockfuzz_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
regress_tools_sockfuzz_LDADD = $(WIRE_LIBS) $(CRYPTO_LIBS)

# Hostile input against the sandboxed workers (issue 18).
HOSTILE_CASES = regress/cases/hostile_bigreq.sh \
	regress/cases/hostile_fdtable.sh regress/cases/hostile_emfile.sh \
	regress/cases/hostile_preauth_post.sh \
	regress/cases/hostile_preauth_stream.sh regress/cases/hostile_fuzz.sh \
	regress/cases/hostile_pipeline.sh
TESTS += $(HOSTILE_CASES)
EXTRA_DIST += $(HOSTILE_CASES) regress/lib-hostile.sh
