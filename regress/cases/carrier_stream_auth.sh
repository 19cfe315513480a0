#!/bin/bash
# direct_stream_urls with userinfo (ws://user:pass@host/...): the carrier
# sends it as Basic auth on the upgrade, as GooseRelayVPN's Go client does
# (net/http), and dials the bare host.  A proxy in front of the exit
# accepts only the right Authorization header; the first URL, a wss://
# one with userinfo to a closed port, must fail to connect without
# killing the carrier (it used to die of SIGSYS: lws took the userinfo
# for a host name and called NSS).  Bad userinfo is refused by -n, and
# the password never reaches the log.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3 base64
gr_setup
gc_ports
STREAMP=$(gr_free_port)
DEADP=$(gr_free_port)
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"

# Password "s3cr@t:x/y", percent-encoded in the URL.
WANT="Basic $(printf '%s' 'goose:s3cr@t:x/y' | base64)"
gr_spawn authproxy python3 "$top_srcdir/regress/tools/authproxy.py" \
    "$STREAMP" "$EXITP" "$WANT"
gr_wait_port "$STREAMP" 10 || gr_fail "proxy did not start"

conf() {
	cat <<EOF
tunnel_key: "$(gr_key)"
carrier:
  socks_host: 127.0.0.1
  socks_port: $SOCKS
  transport_mode: direct_stream
  direct_stream_urls:
    - "wss://goose:s3cr%40t%3Ax%2Fy@127.0.0.1:$DEADP/stream"
    - "$1"
  stream_reconnect_backoff_ms: 200
exit:
  server_host: 127.0.0.1
  server_port: $EXITP
  dns_servers: ["127.0.0.77"]
EOF
}

# Bad escapes and characters net/url refuses: -n names file, line, key.
conf "ws://goose:s3cr%zz@127.0.0.1:$STREAMP/stream" >"$T/bad.yaml"
if "$GOOSERELAYD" -n -f "$T/bad.yaml" >"$T/bad.out" 2>&1; then
	gr_fail "-n accepted a URL with a bad escape in its userinfo"
fi
grep -Eq "bad.yaml:[0-9]+:.*direct_stream_urls: .*invalid userinfo" \
    "$T/bad.out" || gr_fail "no file:line: key: reason ($(cat "$T/bad.out"))"
conf "ws://goo se:pw@127.0.0.1:$STREAMP/stream" >"$T/bad2.yaml"
"$GOOSERELAYD" -n -f "$T/bad2.yaml" >"$T/bad2.out" 2>&1 &&
    gr_fail "-n accepted a space in the userinfo"
if grep -q "s3cr" "$T/bad.out" "$T/bad2.out"; then
	gr_fail "the password was echoed by -n"
fi

conf "ws://goose:s3cr%40t%3Ax%2Fy@127.0.0.1:$STREAMP/stream" >"$T/conf.yaml"
"$GOOSERELAYD" -n -f "$T/conf.yaml" >"$T/check.out" 2>&1 ||
    gr_fail "-n refused userinfo ($(cat "$T/check.out"))"
gc_start
gr_wait_log "$T/gooserelayd.log" "stream: wss://127.0.0.1:$DEADP/stream: " \
    10 || gr_fail "the wss:// URL was never tried"
gr_wait_log "$T/gooserelayd.log" \
    "stream: connected to ws://127.0.0.1:$STREAMP/stream" 10 ||
    gr_fail "stream never connected through the auth proxy"
gc_fetch 1m || gr_fail "1 MiB through the authenticated stream"
grep -q "^auth ok" "$T/authproxy.log" || gr_fail "proxy saw no good auth"
if grep -q "^auth \(missing\|wrong\)" "$T/authproxy.log"; then
	gr_fail "an upgrade came without the right Authorization"
fi
if grep -Eq "signal|SIGSYS" "$T/gooserelayd.log"; then
	gr_fail "a worker died: $(grep -E 'signal|SIGSYS' "$T/gooserelayd.log" | head -n 3)"
fi
if grep -q "s3cr" "$T/gooserelayd.log"; then
	gr_fail "the password reached the log"
fi
gr_log "ok"
