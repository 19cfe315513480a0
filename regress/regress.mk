# Shared regress helpers; components add their own tests in their fragments.
EXTRA_DIST += regress/lib.sh

# Wire interoperability with GooseRelayVPN's Go peers (interop-audit.md).
INTEROP_CASES = regress/cases/interop_go.sh
TESTS += $(INTEROP_CASES)
EXTRA_DIST += $(INTEROP_CASES)

# Correctness over a slow, shaped link between two namespaces (issue 12).
SHAPED_CASES = regress/cases/shaped_tunnel.sh
TESTS += $(SHAPED_CASES)
EXTRA_DIST += $(SHAPED_CASES) regress/lib-shaped.sh
