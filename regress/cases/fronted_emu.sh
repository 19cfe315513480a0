#!/bin/sh
# The Google emulator and the project's Code.gs, without the carrier:
# Code.gs unit checks in node's vm, then real HTTPS through the emulator
# with curl (POST -> 302 -> GET echo), quota/429/404/html/private modes,
# junk bodies, a relay loop and a refused SNI; an exit that is down gives
# a page that does not name it (the detail goes to the execution log),
# with status 500 or 200 as chosen; two deployments of one account share
# its daily UrlFetch quota, which comes back after its window.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gr_need_root
gr_need_cmd node curl openssl

node "$GR_EMU_DIR/test-codegs.js" "$GR_CODEGS" >"$T/codegs.log" 2>&1 ||
    { cat "$T/codegs.log" >&2; gr_fail "Code.gs unit checks"; }

gr_test_ca "$T/ca"
A=$(gr_emu_addr)
XP=$(gr_free_port)
gr_fake_exit exit "$XP"
ID1=$(gr_deployment_id one)
ID2=$(gr_deployment_id loop)
ID3=$(gr_deployment_id down)
ID4=$(gr_deployment_id acct-x-1)
ID5=$(gr_deployment_id acct-x-2)
DEAD=$(gr_free_port)
cat >"$T/emu.json" <<EOF
{ "address": "$A", "port": 443, "cert": "$T/ca/google.pem",
  "key": "$T/ca/google.key", "code": "$GR_CODEGS", "state_dir": "$T",
  "refuse_sni": ["accounts.google.com"],
  "deployments": {
    "$ID1": { "relay_urls": ["http://127.0.0.1:1/tunnel",
	"http://127.0.0.1:$XP/tunnel"] },
    "$ID2": { "relay_urls": ["https://script.google.com/macros/s/x/exec"] },
    "$ID3": { "relay_urls": ["http://127.0.0.1:$DEAD/tunnel"] },
    "$ID4": { "relay_urls": ["http://127.0.0.1:$XP/tunnel"],
	"account": "acct-x" },
    "$ID5": { "relay_urls": ["http://127.0.0.1:$XP/tunnel"],
	"account": "acct-x" }
  },
  "accounts": { "acct-x": { "daily_limit": 3 } } }
EOF
gr_emu emu "$A" "$T/emu.json"
CA=$T/ca/ca.pem
BODY=$(head -c 3000 /dev/urandom | base64 -w0 | tr -d =)

# POST gives a 302 to the echo host; the GET there returns the exit reply.
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" \
    -H 'Content-Type: text/plain' --data-binary "$BODY" \
    -D "$T/h1" -o "$T/b1" || gr_fail "POST"
grep -q '^HTTP/1.1 302' "$T/h1" || gr_fail "no 302"
LOC=$(sed -n 's/^Location: //p' "$T/h1" | tr -d '\r')
case $LOC in
https://script.googleusercontent.com/macros/echo\?user_content_key=*) ;;
*) gr_fail "bad Location $LOC" ;;
esac
P=${LOC#https://script.googleusercontent.com}
gr_emu_curl "$A" "$CA" script.googleusercontent.com "$P" --compressed \
    -o "$T/b2" || gr_fail "echo GET"
[ "$(cat "$T/b2")" = "$BODY" ] || gr_fail "echo body differs"
# The key is single use.
gr_emu_curl "$A" "$CA" script.googleusercontent.com "$P" -o /dev/null \
    -w '%{http_code}' >"$T/code"
[ "$(cat "$T/code")" = 404 ] || gr_fail "echo key reused"
# Fronting: SNI www.google.com, Host script.google.com (curl -H Host).
curl -sS --max-time 20 --cacert "$CA" --resolve "www.google.com:443:$A" \
    -H 'Host: script.google.com' -o /dev/null -w '%{http_code}' \
    "https://www.google.com/macros/s/$ID1/exec" >"$T/code" || gr_fail fronted
[ "$(cat "$T/code")" = 302 ] || gr_fail "fronted GET: $(cat "$T/code")"

# doGet through the same flow.
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" -L \
    -o "$T/get" || gr_fail doGet
grep -q '"protocol":1' "$T/get" || gr_fail "doGet JSON: $(cat "$T/get")"
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec?legacy=1" -L \
    -o "$T/get" || gr_fail doGet
[ "$(cat "$T/get")" = "GooseRelay forwarder OK" ] || gr_fail legacy

# Junk: bad_payload JSON, and the exit never saw it.
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" -L \
    --data-binary '<html>junk</html>' -o "$T/junk" || gr_fail junk
grep -q '"e":"bad_payload"' "$T/junk" || gr_fail "junk: $(cat "$T/junk")"

# Relay loop: an Apps Script error page.
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID2/exec" \
    --data-binary "$BODY" -o "$T/loop" -w '%{http_code}' >"$T/code"
[ "$(cat "$T/code")" = 500 ] || gr_fail "loop status $(cat "$T/code")"
grep -q 'relay_loop_detected' "$T/loop" || gr_fail "loop page"

# The exit is down: Google's error page says so without naming it; the
# address is only in the execution log.  500 by default, 200 on request
# (as real web apps have been seen to answer).
for st in 500 200; do
	gr_emu_ctl emu "/mode?id=$ID3&mode=ok&error_status=$st" >/dev/null
	gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID3/exec" \
	    --data-binary "$BODY" -o "$T/down" -w '%{http_code}' >"$T/code"
	[ "$(cat "$T/code")" = $st ] || gr_fail "down: status $(cat "$T/code")"
	grep -qi '<html' "$T/down" || gr_fail "down: no HTML page"
	grep -q 'upstream fetch error: exit unreachable' "$T/down" ||
	    gr_fail "down page: $(cat "$T/down")"
	grep -q "$DEAD" "$T/down" && gr_fail "the error page names the exit"
done
gr_wait_log "$T/emu.log" \
    "console.error: RELAY_URLS\[0\]: fetch failed: .*127\.0\.0\.1:$DEAD" 5 ||
    gr_fail "no detail in the execution log"

# One account, two deployments, 3 UrlFetch calls a day: the 4th POST,
# whichever deployment takes it, gets Google's quota page.
for id in "$ID4" "$ID5" "$ID4"; do
	gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$id/exec" \
	    --data-binary "$BODY" -o /dev/null -w '%{http_code}' >"$T/code"
	[ "$(cat "$T/code")" = 302 ] || gr_fail "account: status $(cat "$T/code")"
done
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID5/exec" \
    --data-binary "$BODY" -o "$T/q" -w '%{http_code}' >"$T/code"
[ "$(cat "$T/code")" = 500 ] || gr_fail "account quota status"
grep -q 'Service invoked too many times for one day: urlfetch' "$T/q" ||
    gr_fail "account quota page: $(cat "$T/q")"
gr_emu_ctl emu /stats >"$T/astats"
grep -q '"acct-x":{"used":3,"daily_limit":3,"refused":1' "$T/astats" ||
    gr_fail "account stats: $(cat "$T/astats")"
# The quota comes back window_s after the account's first call.
gr_emu_ctl emu "/account?name=acct-x&window_s=1" >/dev/null
i=0
while :; do
	gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID4/exec" \
	    --data-binary "$BODY" -o /dev/null -w '%{http_code}' >"$T/code"
	[ "$(cat "$T/code")" = 302 ] && break
	i=$((i + 1))
	[ $i -lt 40 ] || gr_fail "account quota never reset"
	sleep 0.1
done

# Modes.
gr_emu_ctl emu "/mode?id=$ID1&mode=quota" >/dev/null
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" \
    --data-binary "$BODY" -o "$T/q" -w '%{http_code}' >"$T/code"
[ "$(cat "$T/code")" = 500 ] || gr_fail "quota status"
grep -q 'Service invoked too many times for one day: urlfetch' "$T/q" ||
    gr_fail "quota page: $(cat "$T/q")"
for m in 429 404 html; do
	gr_emu_ctl emu "/mode?id=$ID1&mode=$m" >/dev/null
	gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" \
	    --data-binary "$BODY" -o "$T/m" -w '%{http_code}' >"$T/code"
	grep -qi '<html' "$T/m" || gr_fail "mode $m: no HTML"
	case $m in
	html) [ "$(cat "$T/code")" = 500 ] ;;
	*) [ "$(cat "$T/code")" = "$m" ] ;;
	esac || gr_fail "mode $m: status $(cat "$T/code")"
done
gr_emu_ctl emu "/mode?id=$ID1&mode=private" >/dev/null
gr_emu_curl "$A" "$CA" script.google.com "/macros/s/$ID1/exec" -o /dev/null \
    -D "$T/h" || gr_fail private
grep -q 'Location: https://accounts.google.com/' "$T/h" || gr_fail private

# Refused SNI: the handshake fails.
if gr_emu_curl "$A" "$CA" accounts.google.com / -o /dev/null 2>"$T/sni"; then
	gr_fail "refused SNI accepted"
fi
gr_emu_ctl emu /stats >"$T/stats"
grep -q '"refused_handshakes":1' "$T/stats" || gr_fail "stats: $(cat "$T/stats")"
gr_log "ok"
