#!/bin/bash
# /stream: pre-auth limits (hello timeout, oversized hello), a newer
# stream of the same client supersedes the older mid-download without
# losing a byte, /stream disabled -> 404, and upstream_proxy (SOCKS5 via
# microsocks, remote DNS) for a download over the stream.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd nginx microsocks curl
chmod 755 "$T"

mkdir -p "$T/www"
gr_mkfile "$T/www/f" 30
WANT=$(gr_sha "$T/www/f")
NP=$(gr_free_port)
gr_nginx "$NP" "$T/www"
printf 'GET /f HTTP/1.0\r\nHost: x\r\n\r\n' >"$T/req"
body_sha() {
	tail -c "$(stat -c %s "$2")" "$1" | sha256sum | cut -d' ' -f1
}

gr_exit_start
gr_drv -w hello-oversize || gr_fail "oversized hello"
gr_drv -w -t 20 hello-timeout || gr_fail "hello timeout"
gr_drv -w supersede "127.0.0.1:$NP" "$T/o" "$T/req" 2>"$T/drv.log" ||
    gr_fail "supersede: $(tail -3 "$T/drv.log")"
[ "$(body_sha "$T/o" "$T/www/f")" = "$WANT" ] || gr_fail "supersede: sha256"
# After a stream goes away the client may fall back to POST.
gr_drv -b fetch "127.0.0.1:$NP" "$T/o" "$T/req" 2>/dev/null ||
    gr_fail "POST after streams"
gr_exit_alive
gr_stop gooserelayd

# upstream_proxy with user/pass; the target name is resolved by the proxy.
PP=$(gr_free_port)
gr_spawn microsocks microsocks -i 127.0.0.1 -p "$PP" -u gr -P secret
gr_wait_port "$PP" 10 || gr_fail "microsocks"
gr_exit_start "upstream_proxy: \"socks5://gr:secret@127.0.0.1:$PP\""
gr_drv -w fetch "localhost:$NP" "$T/o" "$T/req" 2>"$T/drv.log" ||
    gr_fail "fetch via proxy: $(tail -3 "$T/drv.log")"
[ "$(body_sha "$T/o" "$T/www/f")" = "$WANT" ] || gr_fail "proxy: sha256"
gr_exit_alive
gr_stop gooserelayd

gr_exit_start "stream_enabled: false"
rc=0; gr_drv -w probe >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || gr_fail "stream disabled: grdrv status $rc"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    "$XURL/stream")
[ "$code" = 404 ] || gr_fail "stream disabled: $code"
gr_drv probe >/dev/null || gr_fail "POST with stream disabled"
