#!/bin/sh
# The manual pages are mandoc -T lint clean at level WARNING (STYLE
# messages are allowed).
. "$top_srcdir/regress/lib.sh"
gr_need_cmd mandoc
rc=0
for m in gooserelayd.8 gooserelayctl.8 gooserelayd.yaml.5; do
	f=$top_srcdir/man/$m
	[ -f "$f" ] || gr_fail "missing $f"
	if ! out=$(mandoc -T lint -W warning "$f" 2>&1) || [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		rc=1
	fi
done
[ $rc = 0 ] || gr_fail "mandoc lint"
gr_log "PASS"
