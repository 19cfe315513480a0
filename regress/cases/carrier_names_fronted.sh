#!/bin/bash
# google_host given as a host name (supervisor/resolve.c): the supervisor
# resolves it and the carrier dials the address, with the SNI and Host of
# domain fronting unchanged.  A whole apps_script tunnel through the
# Google emulator; the name comes from a private /etc/hosts in a mount
# namespace (lib-resolve.sh), never from DNS.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
. "$top_srcdir/regress/lib-resolve.sh"
gr_need_cmd unshare mount
gr_setup
gf_setup
ID1=$(gr_deployment_id names-one)
gr_mkfile "$DOC/2m" 2
gr_nginx "$WEBP" "$DOC"
gf_emu_start "$ID1"
gf_conf "[\"$ID1\"]"
sed -i "s/google_host: .*/google_host: \"edge.example\"/" "$T/conf.yaml"
grep -q 'google_host: "edge.example"' "$T/conf.yaml" || gr_fail "conf"
gn_hosts "$EMU_A edge.example" "127.0.0.1 localhost"
gn_start ns
gr_wait_log "$T/gooserelayd.log" "google_host: host edge.example is $EMU_A" \
    5 || gr_fail "edge.example not resolved"
gr_wait_log "$T/gooserelayd.log" 'pre-flight .*: ok' 30 ||
    gr_fail "pre-flight did not pass"
gf_fetch 2m || gr_fail "2 MiB over apps_script via edge.example"
gr_emu_ctl emu /stats >"$T/stats"
grep -q '"bad_host":0' "$T/stats" || gr_fail "emulator saw a wrong Host"
gn_stop
gr_log "ok"
