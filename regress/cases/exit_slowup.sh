#!/bin/bash
# A slow upstream never stalls the other sessions of its client on the
# same /stream, nor the WebSocket's ping/pong: session A sends 24 MiB to
# an upstream that accepts and never reads (more than the 8 MiB that used
# to pause the whole stream) while session B uploads 16 MiB to a sha256
# sink, checked by its digest, and every ping of the client (one per
# 50 ms) is answered.  The driver asks for no upstream ACKs, like
# GooseRelayVPN's Go client.  The same asking for upstream_ack_v1: the
# exit acknowledges all of B and holds back A's GACKs once A lags (what
# makes our carrier stop sending A at its replay caps).  Then the hard
# cap: A sends 80 MiB, more than one session may keep queued (64 MiB)
# for longer than 5 s, and is reset by the exit while B and the pings are
# served as before.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup

LOAD="$top_builddir/regress/tools/exitload"
STUCK=$(gr_free_port)
gr_spawn stuck "$LOAD" stuck "$STUCK"
gr_wait_port "$STUCK" 10 || gr_fail "stuck listener did not start"
SP=$(gr_free_port)
gr_sink sink "$SP"
gr_exit_start

gr_log "A: 24 MiB to a stuck upstream, B: 16 MiB to a sha256 sink"
"$LOAD" -u "$XURL" -k "$XKEY" slowup -s 24 -m 16 "$STUCK" "$SP" \
    >"$T/load1.log" 2>&1 || gr_fail "slowup: $(tail -3 "$T/load1.log")"
cat "$T/load1.log"

gr_log "the same asking for upstream_ack_v1: A's GACKs stop, B's do not"
"$LOAD" -u "$XURL" -k "$XKEY" slowup -U -s 24 -m 16 "$STUCK" "$SP" \
    >"$T/load3.log" 2>&1 || gr_fail "slowup -U: $(tail -3 "$T/load3.log")"
cat "$T/load3.log"

gr_log "A: 80 MiB to a stuck upstream (over the per-session cap)"
"$LOAD" -u "$XURL" -k "$XKEY" slowup -x -s 80 -m 16 "$STUCK" "$SP" \
    >"$T/load2.log" 2>&1 || gr_fail "slowup -x: $(tail -3 "$T/load2.log")"
cat "$T/load2.log"
gr_wait_log "$T/gooserelayd.log" 'upstream did not take' 10 ||
    gr_fail "no reset logged for the stuck session"
gr_exit_alive
