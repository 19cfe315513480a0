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

# Issue 15 (second part): the pre-flight's probes each with their own
# identity; failures said once with back-off; GooseRelayVPN v1.5 servers
# detected; sd_notify.
FIRSTHOUR2_CASES = regress/cases/fronted_preflight.sh \
	regress/cases/carrier_v15.sh regress/cases/carrier_failonce.sh \
	regress/cases/daemon_notify.sh
TESTS += $(FIRSTHOUR2_CASES)
EXTRA_DIST += $(FIRSTHOUR2_CASES) regress/tools/notifysock.py
