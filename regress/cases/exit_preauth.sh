#!/bin/bash
# At most 16 unauthenticated streams (docs/protocol.md 2.4; GooseRelayVPN
# answers 503 before the upgrade when its 16 handshake slots are taken):
# with an authenticated stream up, 16 upgrades that never send a hello
# hold every slot and the 17th is refused with 503, while the stream and
# a POST client still fetch (sha256); the hello deadline (10 s) closes
# the 16, and a new stream is then accepted and answers a probe.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup

gr_mkfile "$T/f" 1
WANT=$(gr_sha "$T/f")
SP=$(gr_free_port)
gr_sink serve "$SP" -s "$T/f"
gr_exit_start
printf 'GET /f HTTP/1.0\r\n\r\n' >"$T/req"

out=$(gr_drv -w -t 60 preauth 16 "127.0.0.1:$SP" "$T/req" "$T/o" \
    2>"$T/drv.log") || gr_fail "preauth: $(tail -3 "$T/drv.log")"
gr_log "$(echo "$out" | tail -1)"
for m in ws post; do
	[ "$(gr_sha "$T/o.$m")" = "$WANT" ] || gr_fail "fetch over $m: sha256"
done
n=$(gr_exit_stat http_503)
[ "$n" = 1 ] || gr_fail "http_503: $n, want 1"
gr_exit_alive
