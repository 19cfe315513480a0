#!/bin/bash
# What a user sees when the apps_script setup is wrong (protocol.md 2.7):
# a tunnel_key that differs from the exit's -> pre-flight says key
# mismatch; a CA that did not sign the Google edge -> a TLS error naming
# the SNI host and address; an SNI the edge refuses is dropped at start.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gf_setup
ID=$(gr_deployment_id errors)
gr_nginx "$WEBP" "$DOC"
gf_emu_start "$ID"

# Key mismatch: exit and carrier in two daemons with different keys.
gf_conf "[\"$ID\"]"
gf_split "$(gr_key)"
GF_NOWAIT=1 gf_start exitd "$T/exit.yaml"
gr_wait_port "$EXITP" 20 || gr_fail "exit did not start"
gf_start carrierd "$T/carrier.yaml"
# Said as a fact (204 to both batch layouts), not as a guess.
gr_wait_log "$T/carrierd.log" 'tunnel_key mismatch: the exit cannot decrypt' 30 ||
    gr_fail "no key mismatch message"
gr_stop carrierd
gr_stop exitd

# Wrong CA, and a refused SNI (accounts.google.com) among good ones.
GF_CA="$T/ca/other-ca.pem" gf_conf "[\"$ID\"]"
gf_start wrongca
gr_wait_log "$T/wrongca.log" "TLS handshake with (www|mail).google.com \($EMU_A:443\): .*certificate" 30 ||
    gr_fail "no clear TLS error"
gr_stop wrongca
gf_conf "[\"$ID\"]" '  sni: ["www.google.com", "accounts.google.com", "mail.google.com"]'
sed -i '/^  sni: \["www.google.com", "mail.google.com"\]$/d' "$T/conf.yaml"
gf_start snis
gr_wait_log "$T/snis.log" 'SNI probe: kept 2 of 3; dropped: accounts.google.com\(failed\)' 30 ||
    gr_fail "refused SNI not dropped"
gr_log "ok"
