#!/bin/sh
# The files of the configuration parser and of the supervisor point one
# way: no circle of calls or shared variables among them
# (scripts/depgraph.py derives the graph from the sources).  Each group
# is checked on its own; the carrier's and the exit's files still have
# circles and join the list when their transports are split (issue 14).
# Fails with the circle and the names that make each arrow of it.
. "$top_srcdir/regress/lib.sh"
gr_need_cmd python3
CONF=supervisor/conf.c,supervisor/conf_defaults.c,supervisor/conf_load.c
CONF=$CONF,supervisor/conf_keys.c,supervisor/conf_values.c
CONF=$CONF,supervisor/conf_check.c,supervisor/conf_dump.c
CONF=$CONF,supervisor/conf_show.c,supervisor/conf_demo.c
# Every supervisor file, the parser included (gooserelayctl is a program
# of its own).
SUP=supervisor/,-supervisor/gooserelayctl.c
# The check itself must see a circle: two files that call each other.
d=$(mktemp -d "${TMPDIR:-/tmp}/gr-arch.XXXXXX") || gr_fail "mktemp"
trap 'rm -rf "$d"' EXIT
mkdir "$d/x"
printf 'void\nb(void);\nvoid\na(void)\n{\n\tb();\n}\n' >"$d/x/a.c"
printf 'void\na(void);\nvoid\nb(void)\n{\n\ta();\n}\n' >"$d/x/b.c"
if top_srcdir=$d python3 "$top_srcdir/scripts/depgraph.py" --check \
    self=x/ >/dev/null; then
	gr_fail "depgraph.py missed a circle of two files"
fi
if ! out=$(python3 "$top_srcdir/scripts/depgraph.py" --check \
    "conf=$CONF" "supervisor=$SUP" 2>&1); then
	printf '%s\n' "$out" >&2
	gr_fail "circles among the files (scripts/depgraph.py)"
fi
gr_log "PASS"
