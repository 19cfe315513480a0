#!/bin/bash
# A whole tunnel over apps_script: SOCKS -> carrier -> domain-fronted
# HTTPS to the Google emulator -> the real Code.gs -> exit -> nginx.
# 1 MiB and 100 MiB downloads and 10 simultaneous clients (sha256).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gf_setup
ID1=$(gr_deployment_id e2e-one)
ID2=$(gr_deployment_id e2e-two)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/100m" 100
gr_nginx "$WEBP" "$DOC"
gf_emu_start "$ID1" "$ID2"
gf_conf "[\"$ID1\", {\"id\": \"https://script.google.com/macros/s/$ID2/exec\", \"account\": \"b\"}]"
gf_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight .*: ok' 30 ||
    gr_fail "pre-flight did not pass"
gf_fetch 1m || gr_fail "1 MiB over apps_script"
gf_fetch 100m || gr_fail "100 MiB over apps_script"
gf_parallel 10 1m || gr_fail "10 simultaneous clients"
gr_emu_ctl emu /stats >"$T/stats"
grep -q '"bad_host":0' "$T/stats" || gr_fail "emulator saw a wrong Host"
gr_log "ok"
