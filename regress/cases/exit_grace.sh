#!/bin/bash
# Stream disconnect grace (stream_disconnect_grace_s: 4; GooseRelayVPN's
# fixed 30 s): a client's sessions outlive its /stream by the grace.  A
# session to an echo target is mid-transfer when the stream drops, and
# data the target sends meanwhile waits at the exit:
#	ws	the client reconnects within the grace and carries on;
#	post	the client polls by POST within the grace and the session
#		is still alive after the grace has passed;
#	expire	the client stays away: after the grace the session is
#		reset (RST on its next poll) and its upstream closed.
# Bytes checked by sha256 of everything echoed.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup

GRACE=4
head -c 300000 /dev/urandom >"$T/in"
EP=$(gr_free_port)
gr_sink echo "$EP" -e -d 1000
gr_exit_start "stream_disconnect_grace_s: $GRACE" "long_poll_window_ms: 1000"

for mode in ws post; do
	out=$(gr_drv -w -t 60 grace $mode "127.0.0.1:$EP" "$T/in" "$T/o.$mode" \
	    "$GRACE" 2>"$T/drv.log") ||
	    gr_fail "grace $mode: $(tail -3 "$T/drv.log")"
	gr_log "$mode: $out"
	want=$({ printf 'tag:%s\n' $mode; cat "$T/in"; } | sha256sum |
	    cut -d' ' -f1)
	[ "$(gr_sha "$T/o.$mode")" = "$want" ] || gr_fail "grace $mode: sha256"
done

out=$(gr_drv -w -t 60 grace expire "127.0.0.1:$EP" "$T/in" "$T/o.expire" \
    "$GRACE" 2>"$T/drv.log") || gr_fail "grace expire: $(tail -3 "$T/drv.log")"
gr_log "expire: $out"
gr_wait_log "$T/echo.log" 'closed tag=tag:expire ' 5 ||
    gr_fail "expire: the session's upstream is still open"
grep -q 'stream grace expired: aborting 1 session' "$T/gooserelayd.log" ||
    gr_fail "no grace expiry logged"
gr_exit_alive
