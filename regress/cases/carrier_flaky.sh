#!/bin/bash
# A loopback proxy between carrier and exit resets the stream connection
# every 2 s during a 100 MiB transfer: sessions survive the reconnects
# (unacknowledged frames sent again, duplicates dropped) and the file
# arrives with the right sha256.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
STREAMP=$(gr_free_port)
gr_mkfile "$DOC/100m" 100
gr_nginx "$WEBP" "$DOC"
gr_spawn flaky python3 "$top_srcdir/regress/tools/flakyproxy.py" \
    "$STREAMP" "$EXITP" 2
gr_wait_port "$STREAMP" 10 || gr_fail "proxy did not start"
gc_conf direct_stream
gc_start
gr_wait_log "$T/gooserelayd.log" "stream: connected" 10 ||
    gr_fail "stream never connected"
GR_CURL_TIMEOUT=180 gc_fetch 100m --limit-rate 20M ||
    gr_fail "100 MiB across stream resets"
n=$(grep -c '^reset' "$T/flaky.log")
gr_log "survived $n stream resets"
[ "$n" -ge 1 ] || gr_fail "the proxy never reset the stream"
gr_log "ok"
