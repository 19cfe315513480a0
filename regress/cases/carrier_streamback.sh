#!/bin/bash
# Issue 18: the carrier's stream comes back after every kind of exit
# outage.  The supervisor keeps the exit's listening socket open across
# worker restarts, so while the exit is away the carrier's connects sit
# in the listen backlog and time out (stream_connect_timeout_ms) instead
# of being refused; on 7aa14fb the first such "connect timeout" left the
# stream down for good (lws reported the killed attempt only as
# WSI_DESTROY).
#  1. kill -9 of the exit five times in a row, across the supervisor's
#     restart backoff (about 1, 2, 4, 8, 16 s): after each return of the
#     exit the stream is back within the carrier's last scheduled retry
#     delay plus 10 s, and a fetch through SOCKS matches (sha256);
#  2. the exit stopped (SIGSTOP) so that pings go unanswered and every
#     connect waits in the backlog: gooserelayctl stats shows the stream
#     down with failed attempts (stream_state, stream_failures,
#     stream_retry_in_ms); after SIGCONT the stream is back within
#     one attempt plus 10 s and a fetch matches;
#  3. an exit that refuses the upgrade (stream_enabled: false) and one
#     that closes the stream after a hello it cannot open (another
#     tunnel_key): the carrier keeps trying with a growing delay (on
#     7aa14fb an accepted-then-closed stream was retried every 0.2 s).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3 pgrep bc
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
gc_conf direct_stream "  stream_ping_interval_ms: 1000"
GC_VERBOSE=-vv go_start
LOG="$T/gooserelayd.log"
gr_wait_log "$LOG" "stream: connected" 10 || gr_fail "stream never connected"
gc_fetch 1m || gr_fail "first fetch"

# The carrier's stream gauges: "state failures retry_in_ms".
stream_gauges() {
	go_ctl stats --json >"$T/stats.json" 2>"$T/stats.err" || return 1
	python3 - "$T/stats.json" <<'PY'
import json, sys
for w in json.load(open(sys.argv[1])):
    if w.get("role") == "carrier":
        g = w.get("gauges") or {}
        print(g.get("stream_state", "-"), g.get("stream_failures", "-"),
              g.get("stream_retry_in_ms", "-"))
PY
}

# wait_back WHAT: called the moment the exit is back.  The stream must
# reconnect within the carrier's last scheduled delay ("reconnecting in
# X s", logged at debug level for repeated failures) plus 10 s; then a
# fetch must match.
wait_back() {
	_t0=$(gc_now)
	_x=$(grep -o "stream: reconnecting in [0-9.]* s" "$LOG" | tail -n 1 |
	    awk '{ print $4 }')
	_bound=$(echo "${_x:-0} + 10.999" | bc | cut -d. -f1)
	gc_wait_count "$LOG" "stream: connected" $((nconn + 1)) "$_bound" ||
	    gr_fail "$1: stream not back within ${_bound}s of the exit's return"
	_el=$(echo "$(gc_now) - $_t0" | bc)
	gr_log "$1: back ${_el}s after the exit (last delay ${_x:-none} s, bound ${_bound}s)"
	gc_fetch 1m || gr_fail "$1: fetch after the return"
}

# --- 1. kill -9 five times in a row ------------------------------------
for k in 1 2 3 4 5; do
	epid=$(gc_worker_pid exit)
	[ -n "$epid" ] || gr_fail "kill $k: no exit worker"
	nready=$(grep -c "exit: ready (pid" "$LOG")
	nconn=$(grep -c "stream: connected" "$LOG")
	kill -KILL "$epid"
	# The supervisor's delay after the fifth death is 16 s +-25%.
	gc_wait_count "$LOG" "exit: ready \(pid" $((nready + 1)) 40 ||
	    gr_fail "kill $k: the supervisor did not restart the exit"
	wait_back "kill $k"
done
grep -q "stream: cannot connect to .*connect timeout" "$LOG" ||
    gr_fail "no connect timed out: the outages were too short to test it"

# --- 2. the exit stopped: connects wait in the backlog -----------------
epid=$(gc_worker_pid exit)
nconn=$(grep -c "stream: connected" "$LOG")
nto=$(grep -c "stream: cannot connect to .*connect timeout" "$LOG")
kill -STOP "$epid"
# The pong deadline (5 s) drops the stream, then an attempt times out.
if ! gc_wait_count "$LOG" "stream: cannot connect to .*connect timeout" \
    $((nto + 1)) 30; then
	kill -CONT "$epid"
	gr_fail "no connect timeout while the exit was stopped"
fi
g=$(stream_gauges) || { kill -CONT "$epid"; gr_fail "stats while stopped"; }
gr_log "exit stopped: stream state, failures, next attempt ms: $g"
set -- $g
if [ "$1" = 2 ] || [ "$2" = "-" ] || [ "$2" -lt 1 ]; then
	kill -CONT "$epid"
	gr_fail "stats do not show the stream down: $g"
fi
kill -CONT "$epid"
wait_back "SIGSTOP"
gr_stop gooserelayd

# --- 3. refused: the attempts go on, further and further apart --------
# refused WHAT: after go_start (or the like), 5 failures in a row within
# 15 s, each delay longer than the one before (+-20% jitter on a
# doubling).
refused() {
	gc_wait_count "$LOG" "stream: reconnecting in" 5 15 ||
	    gr_fail "$1: fewer than 5 attempts in 15 s"
	_d=$(grep -o "stream: reconnecting in [0-9.]* s" "$LOG" |
	    awk '{ print $4 }' | head -n 5 | tr '\n' ' ')
	echo "$_d" | awk '{ for (i = 2; i <= 5; i++) if ($i <= $(i - 1))
	    exit 1 }' || gr_fail "$1: delays do not grow: $_d"
	_g=$(stream_gauges) || gr_fail "$1: stats"
	set -- "$1" $_g
	[ "$2" != 2 ] && [ "$3" -ge 4 ] ||
	    gr_fail "$1: stats: state $2, failures $3"
	gr_log "$1: delays $_d; stats: state $2, failures $3, next in $4 ms"
}
gc_conf direct_stream "" "  stream_enabled: false"
GC_VERBOSE=-vv go_start
refused "upgrade refused"
gr_stop gooserelayd

# Another key: the exit closes the stream after the hello.  One file
# cannot give the two sections different keys: two daemons.
gc_conf direct_stream
sed -e '/^exit:/,$d' "$T/conf.yaml" >"$T/carrier.yaml"
{
	echo "tunnel_key: \"$(gr_key)\""
	sed -n '/^exit:/,$p' "$T/conf.yaml"
} >"$T/exit.yaml"
gr_spawn exitd "$GOOSERELAYD" -d -s "$T/exit.sock" -f "$T/exit.yaml"
gr_wait_log "$T/exitd.log" "exit: ready" 20 || gr_fail "exit did not start"
cp "$T/carrier.yaml" "$T/conf.yaml"
gr_spawn gooserelayd "$GOOSERELAYD" -d -vv -s "$CTL" \
    -f "$T/conf.yaml"
gr_wait_log "$LOG" "carrier: ready" 20 || gr_fail "carrier did not start"
refused "hello rejected"
grep -q "undecryptable stream message" "$T/exitd.log" ||
    gr_fail "hello rejected: the exit did not reject the hello"
gr_log "ok"
