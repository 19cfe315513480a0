#!/bin/bash
# direct_post with two relay_urls, the first dead (nothing listens): the
# carrier leaves it alone and retries it with a growing back-off
# (postep.c, epfail.c) instead of sending to it again and again, says so
# once, and transfers through the live one arrive intact (sha256).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
DEADP=$(gr_free_port)
SINKP=$(gr_free_port)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/32m" 32
gr_mkfile "$T/up16m" 16
gr_nginx "$WEBP" "$DOC"
gc_sink "$SINKP"
GC_RELAYS="\"http://127.0.0.1:$DEADP/tunnel\", \"http://127.0.0.1:$EXITP/tunnel\""
gc_conf direct_post
gc_start
gc_fetch 32m || gr_fail "32 MiB with one relay dead"
gc_upload "$T/up16m" "$SINKP" || gr_fail "16 MiB upload with one relay dead"
gc_parallel 10 1m || gr_fail "10 simultaneous clients with one relay dead"
grep -q "127.0.0.1:$DEADP: transport error: .*; retrying in" \
    "$T/gooserelayd.log" || gr_fail "the dead relay was never backed off"
grep -q "127.0.0.1:$EXITP: .*retrying in" "$T/gooserelayd.log" &&
    gr_fail "the live relay was backed off"
n=$(grep -c "127.0.0.1:$DEADP: " "$T/gooserelayd.log")
[ "$n" -le 3 ] || gr_fail "$n lines about the dead relay (said once)"
gr_log "$n lines about the dead relay"
gr_log "ok"
