#!/bin/bash
# Pipelined direct_post (post_pipeline): a session's data goes in several
# POSTs at once.  The exit keeps downstream frames until acknowledged
# (downstream_replay_enabled).  A loopback proxy in front of /tunnel
# resets every connection (POSTs in flight included) every 0.3 s during a
# 32 MiB upload and a 32 MiB download: the frames of the lost POSTs are
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
gr_mkfile "$DOC/32m" 32
gr_mkfile "$T/up32m" 32
gr_nginx "$WEBP" "$DOC"
gc_sink "$SINKP"
gr_spawn flaky python3 "$top_srcdir/regress/tools/flakyproxy.py" \
    "$RELAYP" "$EXITP" 0.3
gr_wait_port "$RELAYP" 10 || gr_fail "proxy did not start"
gc_conf direct_post "" "  downstream_replay_enabled: true"
GC_VERBOSE=-vv gc_start
gr_wait_log "$T/gooserelayd.log" "features.*downstream_replay_v1" 10 ||
    gr_fail "the POST probe did not negotiate downstream_replay_v1"
gc_fetch 1m || gr_fail "1 MiB over pipelined POST"
gc_upload "$T/up32m" "$SINKP" 12000000 &
up=$!
GR_CURL_TIMEOUT=180 gc_fetch 32m --limit-rate 12M ||
    gr_fail "32 MiB download across POST resets"
wait "$up" || gr_fail "32 MiB upload across POST resets"
n=$(grep -c '^reset' "$T/flaky.log")
gr_log "survived $n resets of the POST connections"
[ "$n" -ge 1 ] || gr_fail "the proxy never reset a POST connection"
grep -q "request failed after sending" "$T/gooserelayd.log" &&
    gr_fail "a session was aborted instead of resent"
gr_log "ok"
