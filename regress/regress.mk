# Shared regress helpers; components add their own tests in their fragments.
EXTRA_DIST += regress/lib.sh

# Wire interoperability with GooseRelayVPN's Go peers (interop-audit.md).
INTEROP_CASES = regress/cases/interop_go.sh
TESTS += $(INTEROP_CASES)
EXTRA_DIST += $(INTEROP_CASES)

# Issue 15: the carrier's storm guard with browser-sized loads.
LIMITS_CASES = regress/cases/carrier_limits.sh
TESTS += $(LIMITS_CASES)
EXTRA_DIST += $(LIMITS_CASES) regress/tools/socksload.py

# Issue 15: Apps Script quota per Google account, 200 error pages.
ACCOUNT_CASES = regress/cases/fronted_e2e_account.sh
TESTS += $(ACCOUNT_CASES)
EXTRA_DIST += $(ACCOUNT_CASES)

# Issue 15: the Debian package builds, passes lintian, installs, runs.
PKG_CASES = regress/cases/pkg_deb.sh
TESTS += $(PKG_CASES)
EXTRA_DIST += $(PKG_CASES) debian

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

# Correctness over a slow, shaped link between two namespaces (issue 12).
SHAPED_CASES = regress/cases/shaped_tunnel.sh
TESTS += $(SHAPED_CASES)
EXTRA_DIST += $(SHAPED_CASES) regress/lib-shaped.sh

# Issue 15 (second part): the pre-flight's probes each with their own
# identity; failures said once with back-off; GooseRelayVPN v1.5 servers
# detected; sd_notify.
FIRSTHOUR2_CASES = regress/cases/fronted_preflight.sh \
	regress/cases/carrier_v15.sh regress/cases/carrier_failonce.sh \
	regress/cases/daemon_notify.sh
TESTS += $(FIRSTHOUR2_CASES)
EXTRA_DIST += $(FIRSTHOUR2_CASES) regress/tools/notifysock.py
