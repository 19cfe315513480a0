#!/bin/bash
# Strangers cannot lock a known client out of the exit's pre-auth POST
# slots (issue 18).  GooseRelayVPN's 32 slots, first come first served,
# went to 33 POSTs trickling their body a byte a second: every carrier
# POST got 503 and SOCKS fetches were reset.  Here a direct_post carrier
# fetches once (its address is known from then on), then 64 slowloris
# POSTs and 32 hello-less upgrades from 40 other addresses (renewed as
# soon as they are closed) run while it fetches 8 MiB (sha256).  The
# exit refuses or cuts the strangers (per-address caps, a slot reserve,
# a minimum body rate) and never dies.
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
gc_conf direct_post
gc_start
gc_fetch 1m || gr_fail "1 MiB before the attack"

gh_loris "$EXITP"
GR_CURL_TIMEOUT=60 gc_fetch 8m || gr_fail "8 MiB during the attack"
GR_CURL_TIMEOUT=60 gc_fetch 1m || gr_fail "1 MiB during the attack"
gr_log "$(tail -1 "$T/loris.log")"
grep -q 'exit: pre-auth' "$T/gooserelayd.log" ||
    gr_fail "the strangers were never refused or cut"
gr_log "$(grep -c 'exit: pre-auth' "$T/gooserelayd.log") pre-auth lines"
gh_alive exit
gh_alive carrier
