#!/bin/sh
# Shutdown meets the rest of the lifecycle; each time gooserelayd exits
# with status 0, no worker is killed by the supervisor (SIGKILL) and a
# live session is reset, not left hanging:
#  1. SIGTERM 50 ms after kill -9 of the exit, a download running;
#  2. SIGTERM while a reload is being applied: the carrier (stopped) only
#     answers the new generation after SHUTDOWN was sent; before, that
#     answer made the supervisor kill it as a protocol violator;
#  3. gooserelayctl reload after SIGTERM is refused; before, it started
#     the workers again and the daemon never exited.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/big" 24
go_slowsrc "$WEBP" "$DOC"
gc_conf direct_stream

# term_check N: gooserelayd (round N) exited 0, killed nobody.
term_check() {
	_d=$(gr_pid gooserelayd)
	_j=0
	while kill -0 "$_d" 2>/dev/null; do
		_j=$((_j + 1))
		[ $_j -le 300 ] || gr_fail "round $1: gooserelayd did not exit"
		sleep 0.1
	done
	wait "$_d"; _rc=$?
	[ "$_rc" = 0 ] || gr_fail "round $1: exit status $_rc"
	grep -Eq 'killing pid|grace period over' "$T/gooserelayd.log" &&
	    gr_fail "round $1: a worker was killed: $(grep -E 'killing pid|grace period' "$T/gooserelayd.log")"
	grep -q 'carrier: pid [0-9]* exited with status 0' "$T/gooserelayd.log" ||
	    gr_fail "round $1: the carrier did not drain and exit 0"
	# The live session was reset: curl ended, it did not hang.
	_j=0
	while kill -0 "$GO_BG" 2>/dev/null; do
		_j=$((_j + 1))
		[ $_j -le 100 ] || gr_fail "round $1: the live download still hangs"
		sleep 0.1
	done
	wait "$GO_BG" && gr_fail "round $1: the download completed (too small?)"
	mv "$T/gooserelayd.log" "$T/round$1.log"
}

# 1. SIGTERM 50 ms after kill -9 of the exit.
go_start
go_bg_fetch big 1m
epid=$(go_ctl status | awk '$1 == "exit" { sub("pid=", "", $2); print $2 }')
kill -9 "$epid"
sleep 0.05	# the case itself: SIGTERM 50 ms after the kill
kill -TERM "$(gr_pid gooserelayd)"
term_check 1

# 2. SIGTERM while a reload is applied.
go_start
go_bg_fetch big 1m
cpid=$(go_ctl status | awk '$1 == "carrier" { sub("pid=", "", $2); print $2 }')
kill -STOP "$cpid"
go_ctl reload >"$T/reload.out" 2>&1 &
rpid=$!
gr_wait_log "$T/gooserelayd.log" 'configuration generation 2 (pushed to|loaded)' 10 ||
    gr_fail "round 2: no reload under way"
kill -TERM "$(gr_pid gooserelayd)"
gr_wait_log "$T/gooserelayd.log" 'received SIGTERM' 10 || gr_fail "round 2: no SIGTERM"
kill -CONT "$cpid"
wait "$rpid" && gr_fail "round 2: the reload was reported done: $(cat "$T/reload.out")"
grep -q 'reload failed: reload aborted: gooserelayd is shutting down' "$T/reload.out" ||
    gr_fail "round 2: reload answer: $(cat "$T/reload.out")"
# Whichever side drains first resets the live session toward the other.
gr_wait_log "$T/gooserelayd.log" 'carrier: shutdown: sending RST for [1-9]|exit: exit: shutting down \([1-9]' 10 ||
    gr_fail "round 2: the live session got no RST"
term_check 2

# 3. gooserelayctl reload after SIGTERM.
go_start
go_bg_fetch big 1m
cpid=$(go_ctl status | awk '$1 == "carrier" { sub("pid=", "", $2); print $2 }')
kill -STOP "$cpid"		# keeps the daemon draining meanwhile
kill -TERM "$(gr_pid gooserelayd)"
gr_wait_log "$T/gooserelayd.log" 'received SIGTERM' 10 || gr_fail "round 3: no SIGTERM"
if out=$(go_ctl reload 2>&1); then
	kill -CONT "$cpid"
	gr_fail "round 3: reload accepted after SIGTERM: $out"
fi
kill -CONT "$cpid"
echo "$out" | grep -q 'shutting down' || gr_fail "round 3: reload answer: $out"
term_check 3
grep -q 'started pid' "$T/round3.log" &&
    [ "$(grep -c 'started pid' "$T/round3.log")" -gt 2 ] &&
    gr_fail "round 3: workers started again after SIGTERM"
gr_log "PASS"
