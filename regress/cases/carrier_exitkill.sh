#!/bin/bash
# kill -9 of the exit worker during a 100 MiB download over the stream:
# the supervisor restarts it, the carrier reconnects within 10 s (log
# timestamps), new requests succeed, and the interrupted transfer fails
# cleanly (curl error or short file), never a wrong file reported as done.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3 pgrep
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/100m" 100
gr_nginx "$WEBP" "$DOC"
gc_conf direct_stream
gc_start
gr_wait_log "$T/gooserelayd.log" "stream: connected" 10 ||
    gr_fail "stream never connected"

# Slow the reader down so the transfer is surely in flight at the kill.
curl -sS --max-time 30 --limit-rate 5M --socks5-hostname "127.0.0.1:$SOCKS" \
    -o "$T/big.out" "http://127.0.0.1:$WEBP/100m" 2>"$T/big.err" &
cpid=$!
i=0
while [ "$(stat -c %s "$T/big.out" 2>/dev/null || echo 0)" -lt 2000000 ] &&
    [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
epid=$(gc_worker_pid exit)
[ -n "$epid" ] || gr_fail "no exit worker found"
nconn=$(grep -c "stream: connected" "$T/gooserelayd.log")
t0=$(gc_now)
kill -KILL "$epid"
# reconnect: one more "stream: connected" line
i=0
while [ "$(grep -c "stream: connected" "$T/gooserelayd.log")" -le "$nconn" ] &&
    [ $i -lt 300 ]; do
	sleep 0.05; i=$((i + 1))
done
t1=$(gc_now)
[ "$(grep -c "stream: connected" "$T/gooserelayd.log")" -gt "$nconn" ] ||
    gr_fail "carrier did not reconnect within 15 s"
el=$(echo "$t1 - $t0" | bc)
gr_log "reconnected after ${el}s"
[ "$(echo "$el < 10" | bc)" = 1 ] || gr_fail "reconnect took ${el}s"

if wait "$cpid"; then
	# curl says success: the bytes must then be exactly right
	[ "$(gr_sha "$T/big.out")" = "$(gr_sha "$DOC/100m")" ] ||
	    gr_fail "interrupted transfer reported success with wrong bytes"
	gr_log "interrupted transfer completed intact"
else
	gr_log "interrupted transfer failed cleanly: $(cat "$T/big.err")"
fi
gc_fetch 1m || gr_fail "new request after the restart"
gr_log "ok"
