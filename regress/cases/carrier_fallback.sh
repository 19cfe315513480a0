#!/bin/bash
# WebSocket disabled on the exit: transport_mode auto falls back to the
# POST loop and the transfers still pass.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/20m" 20
gr_nginx "$WEBP" "$DOC"
gc_conf auto "" "  stream_enabled: false"
gc_start
gc_fetch 1m || gr_fail "1 MiB with the stream disabled"
gc_fetch 20m || gr_fail "20 MiB with the stream disabled"
gc_parallel 10 1m || gr_fail "10 simultaneous clients"
grep -q "stream: connected" "$T/gooserelayd.log" &&
    gr_fail "stream connected although the exit disabled it"
gr_log "ok"
