#!/bin/bash
# /stream rules beyond the pre-auth limits (docs/protocol.md 2.4): no
# permessage-deflate, cross-origin browser dials refused (403) and
# same-origin ones accepted, pings answered with their payload, and the
# stream closed on a text message, an undecryptable hello or a message
# of another client_id - the owner's sessions then live on (grace) and
# carry on by POST.  On SIGTERM a stream client gets the RST of its live
# session over the stream.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup

EP=$(gr_free_port)
gr_sink echo "$EP" -e
gr_exit_start "long_poll_window_ms: 1000"
d0=$(gr_exit_stat decode_fail)
gr_drv -w -t 60 wsrules "127.0.0.1:$EP" >"$T/out" 2>"$T/drv.log" ||
    gr_fail "wsrules: $(tail -3 "$T/drv.log")"
while read -r l; do gr_log "$l"; done <"$T/out"
[ "$(wc -l <"$T/out")" = 7 ] || gr_fail "wsrules: $(cat "$T/out")"
n=$(gr_exit_stat decode_fail)
[ "$n" = $((d0 + 1)) ] || gr_fail "decode_fail $d0 -> $n, want +1"
grep -q 'stream message from another client_id: closing' \
    "$T/gooserelayd.log" || gr_fail "no log of the other client_id"
gr_exit_alive

# Graceful shutdown reaches stream clients too: a session whose target
# never answers gets its RST over the stream when the daemon stops.
a0=$(gr_exit_stat active)
gr_spawn held "$GRDRV" -u "$XURL" -k "$XKEY" -w -t 30 fetch \
    "127.0.0.1:$EP" "$T/held"
i=0
while [ "$(gr_exit_stat active)" = "$a0" ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
[ "$(gr_exit_stat active)" = $((a0 + 1)) ] || gr_fail "held session not open"
kill -TERM "$(gr_pid gooserelayd)"
rc=0; wait "$(gr_pid held)" || rc=$?
[ "$rc" = 2 ] || gr_fail "held stream session on shutdown: status $rc, want 2"
gr_wait_log "$T/gooserelayd.log" 'exit: pid [0-9]+ exited with status 0' 10 ||
    gr_fail "exit did not shut down cleanly"
