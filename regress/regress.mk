# Shared regress helpers; components add their own tests in their fragments.
EXTRA_DIST += regress/lib.sh
