#!/bin/bash
# direct_post end to end: 1 MiB and 100 MiB through the tunnel to nginx
# (sha256), then 10 simultaneous clients.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/100m" "${GR_BULK_MIB:-100}"	# smaller under ASan
gr_nginx "$WEBP" "$DOC"
gc_conf direct_post
gc_start
gc_fetch 1m || gr_fail "1 MiB over POST"
gc_fetch 100m || gr_fail "100 MiB over POST"
gc_parallel 10 1m || gr_fail "10 simultaneous clients"
gr_log "ok"
