#!/bin/bash
# A reload that turns stream_enabled off ends the streams already up (the
# flag used to be checked at upgrade time only, so a live stream kept
# running): a download that started over the stream finishes over POST
# with the right sha256, the carrier never gets the stream back, and new
# fetches go by POST.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/64m" 64
gr_nginx "$WEBP" "$DOC"
gc_conf auto
gc_start
gr_wait_log "$T/gooserelayd.log" "stream: connected" 15 ||
    gr_fail "stream never connected"

# curl reads at 8 MB/s: the download is still running at the reload.
curl -sS --max-time 120 --limit-rate 8M --socks5-hostname \
    "127.0.0.1:$SOCKS" -o "$T/64m.out" "http://127.0.0.1:$WEBP/64m" \
    2>"$T/curl.err" &
CURL=$!
GR_PIDS="$GR_PIDS $CURL"
for _i in $(seq 1 100); do
	[ -s "$T/64m.out" ] && break
	sleep 0.1
done
[ -s "$T/64m.out" ] || gr_fail "download did not start"

gc_conf auto "" "  stream_enabled: false"
kill -HUP "$(gr_pid gooserelayd)"
gr_wait_log "$T/gooserelayd.log" "closing 1 stream" 15 ||
    gr_fail "the reload did not end the live stream"
wait "$CURL" || gr_fail "download failed: $(cat "$T/curl.err")"
[ "$(gr_sha "$T/64m.out")" = "$(gr_sha "$DOC/64m")" ] ||
    gr_fail "64 MiB download corrupted across the switch to POST"
gc_fetch 1m || gr_fail "1 MiB after the reload"
[ "$(grep -c "stream: connected" "$T/gooserelayd.log")" = 1 ] ||
    gr_fail "stream connected again although the exit disabled it"
gr_log "ok"
