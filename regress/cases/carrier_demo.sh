#!/bin/bash
# The embedded demo: gooserelayd -d with no config, run from the build
# tree, serves curl end to end.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
cd "$T"
gr_spawn gooserelayd "$GOOSERELAYD" -d
gr_wait_log "$T/gooserelayd.log" "carrier ready" 15 ||
    gr_fail "demo carrier did not start"
SOCKS=$(sed -n 's/.*SOCKS5[^0-9]*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
    "$T/gooserelayd.log" | head -n1)
[ -n "$SOCKS" ] || SOCKS=1080
gr_wait_port "$SOCKS" 10 || gr_fail "demo SOCKS port $SOCKS not open"
gc_fetch 1m || gr_fail "demo tunnel"
gr_log "ok"
