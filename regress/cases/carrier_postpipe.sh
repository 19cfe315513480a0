#!/bin/bash
# Pipelined direct_post (post_pipeline, upstream_ack_v1): a session's data
# goes in several POSTs at once.  A loopback proxy in front of /tunnel
# resets every connection (POSTs in flight included) every 1.5 s during a
# 48 MiB upload and a 48 MiB download: the frames of the lost POSTs are
# sent again under the same seq numbers and both files arrive with the
# right sha256 (without pipelining such a loss aborts the session).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
RELAYP=$(gr_free_port)
SINKP=$(gr_free_port)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/48m" 48
gr_mkfile "$T/up48m" 48
gr_nginx "$WEBP" "$DOC"
gc_sink "$SINKP"
gr_spawn flaky python3 "$top_srcdir/regress/tools/flakyproxy.py" \
    "$RELAYP" "$EXITP" 1.5
gr_wait_port "$RELAYP" 10 || gr_fail "proxy did not start"
gc_conf direct_post
GC_VERBOSE=-vv gc_start
gr_wait_log "$T/gooserelayd.log" "upstream_ack_v1" 10 ||
    gr_fail "the POST probe did not negotiate upstream_ack_v1"
gc_fetch 1m || gr_fail "1 MiB over pipelined POST"
gc_upload "$T/up48m" "$SINKP" 12000000 &
up=$!
GR_CURL_TIMEOUT=180 gc_fetch 48m --limit-rate 12M ||
    gr_fail "48 MiB download across POST resets"
wait "$up" || gr_fail "48 MiB upload across POST resets"
n=$(grep -c '^reset' "$T/flaky.log")
gr_log "survived $n resets of the POST connections"
[ "$n" -ge 1 ] || gr_fail "the proxy never reset a POST connection"
grep -q "request failed after sending" "$T/gooserelayd.log" &&
    gr_fail "a session was aborted instead of resent"
gr_log "ok"
