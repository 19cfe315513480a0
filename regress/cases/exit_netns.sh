#!/bin/bash
# A dial that hangs does not hold up other sessions: in a network
# namespace of the case's own, where 192.0.2.0/24 is routed to a device
# that drops everything (connect() to it hangs), one batch carries a SYN
# to 192.0.2.1:80 first and SYNs to a live server right after.  Every
# live session completes (sha256) before the dead dial's RST, which
# comes only after upstream_dial_timeout_ms; over binary POST and over
# /stream.  A dial timeout is a structural failure: after two, the next
# SYN to the same target is refused at once (suppressed) without a dial.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd ip
gr_exit_netns

gr_mkfile "$T/f" 2
WANT=$(gr_sha "$T/f")
SP=$(gr_free_port)
gr_sink serve "$SP" -s "$T/f"
DIAL_MS=4000
gr_exit_start "upstream_dial_timeout_ms: $DIAL_MS"
printf 'GET /f HTTP/1.0\r\n\r\n' >"$T/req"

# dead_dial MODE DEAD: 4 live fetches beside a dial to DEAD.
dead_dial() {
	out=$(gr_drv $1 -t 60 deaddial "$2" "127.0.0.1:$SP" 4 "$T/req" \
	    "$T/o" 2>"$T/drv.log") ||
	    gr_fail "deaddial $1: $(tail -3 "$T/drv.log")"
	gr_log "$1: $out"
	for i in 1 2 3 4; do
		[ "$(gr_sha "$T/o.$i")" = "$WANT" ] ||
		    gr_fail "deaddial $1: live session $i: sha256"
	done
	# A lower bound set by the exit's own timer, so not a race: the RST
	# is the dial timeout, not some earlier failure.
	secs=${out#dead RST after }
	secs=${secs%% *}
	awk -v s="$secs" -v ms="$DIAL_MS" \
	    'BEGIN { exit !(s * 1000 >= ms - 100) }' ||
	    gr_fail "deaddial $1: RST after $secs s, before the dial timeout"
}

dead_dial -b 192.0.2.1:80
# The same over /stream; one failure does not suppress a target yet.
dead_dial -w 192.0.2.1:80

# Backoff: after two timeouts the target is refused at once, without a
# dial, for 4 s (docs/protocol.md 3).
d0=$(gr_exit_stat dials_fail)
rc=0; gr_drv -b -t 10 fetch 192.0.2.1:80 "$T/x" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || gr_fail "suppressed target: status $rc, want 2 (RST)"
n=$(gr_exit_stat dials_suppressed)
[ "$n" = 1 ] || gr_fail "dials_suppressed: $n, want 1"
n=$(gr_exit_stat dials_fail)
[ "$n" = "$d0" ] || gr_fail "dials_fail went from $d0 to $n: it dialed"
gr_exit_alive
