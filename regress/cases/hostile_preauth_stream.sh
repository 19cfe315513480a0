#!/bin/bash
# A known client gets a new stream while strangers hold upgrades open
# (issue 18).  16 upgrades that never send a hello, renewed every 10 s,
# kept new streams out of GooseRelayVPN's 16 slots (the tunnel was down
# 14 s after a carrier restart).  Here a direct_stream carrier fetches
# once, then 32 hello-less upgrades and 64 slowloris POSTs from 40 other
# addresses run, the carrier worker is killed, and the new carrier (same
# address: known) gets its stream and fetches 8 MiB (sha256).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_need_root
gr_need_cmd nginx curl
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/8m" 8
gr_nginx "$WEBP" "$DOC"
gc_conf direct_stream
gc_start
gc_fetch 1m || gr_fail "1 MiB before the attack"

gh_loris "$EXITP"
pid=$(gc_worker_pid carrier)
kill -KILL "$pid"
gr_wait_log "$T/gooserelayd.log" "carrier: pid $pid killed" 10 ||
    gr_fail "the carrier did not die"
# The new carrier's stream (not a fallback to POST) within 30 s.
_i=0
while [ "$(grep -c 'carrier: stream: connected' "$T/gooserelayd.log")" \
    -lt 2 ]; do
	[ $_i -lt 300 ] || gr_fail "the new carrier got no stream in 30 s"
	sleep 0.1; _i=$((_i + 1))
done
GR_CURL_TIMEOUT=60 gc_fetch 8m || gr_fail "8 MiB after the carrier restart"
gr_log "$(tail -1 "$T/loris.log")"
grep -q 'exit: pre-auth' "$T/gooserelayd.log" ||
    gr_fail "the strangers' upgrades were never refused"
gh_alive exit
