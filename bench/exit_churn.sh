#!/bin/bash
# Sessions/s one exit worker opens and closes when fed directly over one
# /stream (not through a carrier, whose storm guard allows 80/s): each
# session is a SYN with 32 bytes and a FIN in one batch, to a local echo
# sink that echoes and closes after EOF; complete when the echo and the
# exit's FIN are back.  Prints one line per run and the median.  Run
# from the build directory (needs regress/tools/exitload: make check or
# make regress/tools/exitload):
#	top_srcdir=.. top_builddir=. bash ../bench/exit_churn.sh [N] [C] [RUNS]
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
N=${1:-20000}
C=${2:-256}
RUNS=${3:-3}
ulimit -n 65536 2>/dev/null || true
LOAD="$top_builddir/regress/tools/exitload"
[ -x "$LOAD" ] || gr_fail "build first: make regress/tools/exitload"

EP=$(gr_free_port)
gr_spawn sink "$top_builddir/bench/sink" -e "$EP"
gr_wait_port "$EP" 10 || gr_fail "echo sink did not start"
gr_exit_start "max_sessions: 4096"
XPID=$(sed -n 's/.*exit: ready (pid \([0-9]*\).*/\1/p' \
    "$T/gooserelayd.log" | tail -1)

: >"$T/rates"
for r in $(seq 1 "$RUNS"); do
	c0=$(awk '{ print $14 + $15 }' "/proc/$XPID/stat")
	"$LOAD" -u "$XURL" -k "$XKEY" churn -n "$N" -c "$C" "$EP" \
	    >"$T/run$r.log" 2>&1 || gr_fail "run $r: $(tail -2 "$T/run$r.log")"
	c1=$(awk '{ print $14 + $15 }' "/proc/$XPID/stat")
	line=$(cat "$T/run$r.log")
	rate=$(echo "$line" | sed -n 's/.* \([0-9]*\) sessions\/s.*/\1/p')
	echo "$rate" >>"$T/rates"
	us=$(awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$N" \
	    'BEGIN { printf "%.0f", d * 1e6 / hz / n }')
	echo "run $r: $line; exit CPU $us us/session"
done
MED=$(sort -n "$T/rates" | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "median: $MED sessions/s ($N sessions, $C at once, 1 exit worker)"
