#!/bin/bash
# transport_mode auto, transitions in the middle of transfers: a relay in
# front of /stream goes down (every stream connection reset, new ones
# refused) while a 64 MiB download and a 32 MiB upload run; the same
# sessions continue over POST; the relay comes back and the carrier
# returns to the stream for the rest of the download.  Both files arrive with the right sha256.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
STREAMP=$(gr_free_port)
SINKP=$(gr_free_port)
MIB=1048576
gr_mkfile "$DOC/64m" 64
gr_mkfile "$T/up32m" 32
gr_nginx "$WEBP" "$DOC"
gc_sink "$SINKP"
gc_gate sgate "$STREAMP" "$EXITP"
gc_conf auto
GC_VERBOSE=-vv gc_start
gr_wait_log "$T/gooserelayd.log" "stream: connected" 10 ||
    gr_fail "stream never connected"

curl -sS --max-time 120 --socks5-hostname "127.0.0.1:$SOCKS" \
    --limit-rate 3M -o "$T/64m.out" "http://127.0.0.1:$WEBP/64m" \
    2>"$T/curl.err" &
down=$!
gc_upload "$T/up32m" "$SINKP" 1500000 &
up=$!

# Stream -> POST in the middle of both transfers.
gc_wait_size "$T/64m.out" $((8 * MIB)) 60 || gr_fail "no progress on the stream"
gc_gate_down sgate 1
gr_wait_log "$T/gooserelayd.log" "stream: lost" 10 ||
    gr_fail "the carrier did not notice the stream loss"
at=$(stat -c %s "$T/64m.out")
gc_wait_size "$T/64m.out" $((at + 6 * MIB)) 60 ||
    gr_fail "the download did not continue over POST"
# POST -> stream.
gc_gate_up sgate 2
gc_wait_count "$T/gooserelayd.log" "stream: connected" 2 40 ||
    gr_fail "the carrier did not return to the stream"
# The rest of the download (8 MiB at least) comes over the stream.
at=$(stat -c %s "$T/64m.out")
[ "$at" -le $((56 * MIB)) ] ||
    gr_fail "the download was nearly over before the stream came back"

wait "$down" || gr_fail "download failed: $(cat "$T/curl.err")"
[ "$(gr_sha "$T/64m.out")" = "$(gr_sha "$DOC/64m")" ] ||
    gr_fail "sha256 mismatch for the download"
wait "$up" || gr_fail "upload failed"
grep -q "session aborted" "$T/gooserelayd.log" &&
    gr_fail "a session was aborted"
gr_log "ok"
