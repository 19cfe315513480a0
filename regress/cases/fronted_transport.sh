#!/bin/sh
# The apps_script transport (httpc + fronted + health) through the Google
# emulator running the real Code.gs, with a fake exit that echoes:
# fronted POST -> 302 -> GET with SNI != Host, gzip, keep-alive, concurrent
# exchanges, pre-flight (doGet + probe POST, key mismatch), the text
# classes (quota, 429, 404, html, not public, relay loop), the SNI probe
# dropping a refused SNI, and a wrong CA naming the host.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gr_need_root
gr_need_cmd node curl openssl

DRIVE=$top_builddir/regress/unit/fronted_drive
gr_test_ca "$T/ca"
A=$(gr_emu_addr)
XP=$(gr_free_port)
gr_fake_exit exit "$XP"
OK=$(gr_deployment_id ok)
OK2=$(gr_deployment_id ok2)
BAD=$(gr_deployment_id badkey)
LOOP=$(gr_deployment_id loop)
M=$(gr_deployment_id modes)
cat >"$T/emu.json" <<EOF
{ "address": "$A", "port": 443, "cert": "$T/ca/google.pem",
  "key": "$T/ca/google.key", "code": "$GR_CODEGS", "state_dir": "$T",
  "refuse_sni": ["accounts.google.com"],
  "deployments": {
    "$OK": { "relay_urls": ["http://127.0.0.1:$XP/tunnel"] },
    "$OK2": { "relay_urls": ["http://127.0.0.1:$XP/tunnel"] },
    "$BAD": { "relay_urls": ["http://127.0.0.1:$XP/status/204"] },
    "$LOOP": { "relay_urls": ["https://script.google.com/macros/s/x/exec"] },
    "$M": { "relay_urls": ["http://127.0.0.1:$XP/tunnel"] }
  } }
EOF
gr_emu emu "$A" "$T/emu.json"
D="$DRIVE -g $A -c $T/ca/ca.pem"

# 40 exchanges of 200 KB, 8 at a time over two deployments (one given as
# a full /exec URL), two SNIs: every reply is the request, echoed.
$D -s www.google.com -s mail.google.com -k "$OK" \
    -k "https://script.google.com/macros/s/$OK2/exec@acct" \
    exchange 40 200000 8 >"$T/x.out" 2>"$T/x.err" || gr_fail "drive exchange"
grep -qx 'ok 40' "$T/x.out" || gr_fail "exchange: $(cat "$T/x.out" "$T/x.err")"
grep -qx 'mismatch 0' "$T/x.out" || gr_fail "echo mismatch"
gr_emu_ctl emu /stats >"$T/stats"
grep -q '"www.google.com":' "$T/stats" || gr_fail "SNI www not used"
grep -q '"mail.google.com":' "$T/stats" || gr_fail "SNI mail not used"
grep -q '"bad_host":0' "$T/stats" || gr_fail "wrong Host sent: $(cat "$T/stats")"
grep -q '"echo_gets":40' "$T/stats" || gr_fail "redirects: $(cat "$T/stats")"

# Pre-flight: healthy, key mismatch, relay loop.
$D -s www.google.com -k "$OK" preflight >"$T/p.out" 2>"$T/p.err" ||
    gr_fail "preflight run"
grep -qx 'result 1' "$T/p.out" || gr_fail "preflight ok: $(cat "$T/p.err")"
grep -q 'forwarder\|doGet and probe POST answered' "$T/p.err" ||
    gr_fail "preflight message: $(cat "$T/p.err")"
$D -s www.google.com -k "$BAD" preflight >"$T/p.out" 2>"$T/p.err"
grep -qx 'result 0' "$T/p.out" || gr_fail "preflight bad key passed"
# The exit's 204 as such (the carrier's postep.c then checks both batch
# layouts before it says "tunnel_key mismatch"; this driver has no carrier).
grep -q 'HTTP 204 (it could not decrypt the request)' "$T/p.err" ||
    gr_fail "key mismatch message: $(cat "$T/p.err")"
$D -s www.google.com -k "$LOOP" once >"$T/o.out" 2>&1
grep -q '^hard failure: HTTP 500: relay loop' "$T/o.out" ||
    gr_fail "relay loop: $(cat "$T/o.out")"

# Classes of the emulator's modes.
check_mode() {
	gr_emu_ctl emu "/mode?id=$M&mode=$1" >/dev/null
	$D -s www.google.com -k "$M" once >"$T/o.out" 2>&1
	grep -q "^$2" "$T/o.out" || gr_fail "mode $1: $(cat "$T/o.out")"
}
check_mode quota 'quota exhausted: HTTP 500: daily Apps Script quota'
check_mode 429 'rate limited: HTTP 429'
check_mode 404 'hard failure: HTTP 404: deployment not found'
check_mode html 'transient failure: HTTP 500'
check_mode private 'hard failure: HTTP 200: deployment not public'
gr_emu_ctl emu "/mode?id=$M&mode=404" >/dev/null
$D -s www.google.com -k "$M" preflight >"$T/p.out" 2>"$T/p.err"
grep -q 'not found (HTTP 404): wrong Deployment ID' "$T/p.err" ||
    gr_fail "preflight 404: $(cat "$T/p.err")"
gr_emu_ctl emu "/mode?id=$M&mode=private" >/dev/null
$D -s www.google.com -k "$M" preflight >"$T/p.out" 2>"$T/p.err"
grep -q 'not public' "$T/p.err" || gr_fail "preflight private: $(cat "$T/p.err")"
gr_emu_ctl emu "/mode?id=$M&mode=ok" >/dev/null

# SNI probe: the refused SNI is dropped, the others kept.
$D -s www.google.com -s accounts.google.com -s mail.google.com -k "$OK" \
    sniprobe >"$T/s.out" 2>"$T/s.err" || gr_fail "sniprobe run"
grep -qx 'result 2' "$T/s.out" || gr_fail "sniprobe: $(cat "$T/s.out" "$T/s.err")"
grep -q 'dropped: accounts.google.com(failed)' "$T/s.err" ||
    gr_fail "sniprobe log: $(cat "$T/s.err")"

# A CA that did not sign the edge certificate: a TLS error naming it.
$DRIVE -g "$A" -c "$T/ca/other-ca.pem" -s www.google.com -k "$OK" once \
    >"$T/o.out" 2>&1
grep -q "^transport error: TLS handshake with www.google.com ($A:443)" \
    "$T/o.out" || gr_fail "wrong CA: $(cat "$T/o.out")"

# A deployment id that is not one.
if $D -s www.google.com -k "https://script.google.com/home/projects/x/edit" \
    once >"$T/o.out" 2>&1; then
	gr_fail "editor URL accepted"
fi
grep -q 'editor URL' "$T/o.out" || gr_fail "editor URL message"
gr_log "ok"
