#!/bin/bash
# Head-of-line delay inside one exit worker, without a carrier: over one
# /stream, one session downloads without end from bench/sink's source
# port while fresh sessions open one at a time (every 20 ms) to its quick
# port; prints the time from SYN sent to first byte back (p50, p90, max)
# per run.  EXITLOAD_RCVBUF=N sets the driver's socket receive buffer
# (how much bulk can queue in the kernel ahead of a fresh session).  Run
# from the build directory (needs make regress/tools/exitload):
#	top_srcdir=.. top_builddir=. bash ../bench/exit_hol.sh [N] [RUNS]
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
N=${1:-100}
RUNS=${2:-3}
LOAD="$top_builddir/regress/tools/exitload"
[ -x "$LOAD" ] || gr_fail "build first: make regress/tools/exitload"
SRC=$(gr_free_port)
Q=$(gr_free_port)
gr_spawn sink "$top_builddir/bench/sink" -s "$SRC" -q "$Q"
gr_wait_port "$SRC" 10 || gr_fail "sink did not start"
gr_wait_port "$Q" 10 || gr_fail "sink did not start"
gr_exit_start
for r in $(seq 1 "$RUNS"); do
	"$LOAD" -u "$XURL" -k "$XKEY" hol -n "$N" "$SRC" "$Q" ||
	    gr_fail "run $r"
done
