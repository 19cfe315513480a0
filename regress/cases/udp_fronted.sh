#!/bin/bash
# SOCKS5 UDP ASSOCIATE over apps_script (issue 17): datagrams ride the
# domain-fronted POSTs through the Google emulator and the real Code.gs
# to the exit, slowly but intact: 20 DNS queries to a dnsmasq on
# loopback, every answer right, and 200 datagrams of 1..1400 bytes echoed
# byte-identical.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
. "$top_srcdir/regress/lib-udp.sh"
gr_need_cmd dnsmasq python3
gr_setup
gf_setup
ID=$(gr_deployment_id udp-fronted)
EP=$(gr_free_port)
DNSP=$(gr_free_port)
gu_sink sink "$EP"
gu_dnsmasq "$DNSP"
gf_emu_start "$ID"
gf_conf "[\"$ID\"]"
sed -i "s/127.0.0.77/127.0.0.1:$DNSP/" "$T/conf.yaml"
gf_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight .*: ok' 30 ||
    gr_fail "pre-flight did not pass"
gu_wait_feature || gr_fail "the exit's udp_v1 did not come through Code.gs"
out=$(gu -t 20 dns "$SOCKS" 127.0.0.1 "$DNSP" udp.example 10.11.12.13 20) ||
    gr_fail "DNS over apps_script: $out"
gr_log "apps_script, 20 queries: $out"
out=$(gu -t 20 echo "$SOCKS" 127.0.0.1 "$EP" 200 8) ||
    gr_fail "echo over apps_script: $out"
gr_log "apps_script, 200 datagrams: $out"
gr_log "ok"
