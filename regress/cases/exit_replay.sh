#!/bin/bash
# Replay: a response the client drops is sent again (3 s resend) and the
# download completes byte-exact - with downstream_replay_enabled (Go's
# downstream_replay_v1, POST), and with our upstream_ack_v1 extension
# on an exit without replay, over POST and over /stream.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd nginx
chmod 755 "$T"

mkdir -p "$T/www"
gr_mkfile "$T/www/f" 8
WANT=$(gr_sha "$T/www/f")
NP=$(gr_free_port)
gr_nginx "$NP" "$T/www"
printf 'GET /f HTTP/1.0\r\nHost: x\r\n\r\n' >"$T/req"
body_sha() {
	tail -c "$(stat -c %s "$2")" "$1" | sha256sum | cut -d' ' -f1
}

gr_exit_start "downstream_replay_enabled: true" \
    "max_response_bytes_pre_encode: 4194304"
gr_drv probe | grep -q '"downstream_replay_v1"' ||
    gr_fail "replay not advertised"
for mode in "" "-b"; do
	gr_drv -A $mode -t 60 dropreplay "127.0.0.1:$NP" "$T/o" "$T/req" \
	    >/dev/null 2>"$T/drv.log" ||
	    gr_fail "replay $mode: $(tail -3 "$T/drv.log")"
	grep -q 'dropping a response' "$T/drv.log" ||
	    gr_fail "replay $mode: nothing dropped"
	[ "$(body_sha "$T/o" "$T/www/f")" = "$WANT" ] ||
	    gr_fail "replay $mode: sha256"
done
gr_exit_alive
gr_stop gooserelayd

gr_exit_start
for mode in "-b" "-w"; do
	gr_drv -A -U $mode -t 60 dropreplay "127.0.0.1:$NP" "$T/o" "$T/req" \
	    >"$T/probe" 2>"$T/drv.log" ||
	    gr_fail "upstream_ack $mode: $(tail -3 "$T/drv.log")"
	grep -q '"upstream_ack_v1"' "$T/probe" ||
	    gr_fail "upstream_ack_v1 not advertised"
	grep -q 'dropping a response' "$T/drv.log" ||
	    gr_fail "upstream_ack $mode: nothing dropped"
	[ "$(body_sha "$T/o" "$T/www/f")" = "$WANT" ] ||
	    gr_fail "upstream_ack $mode: sha256"
done
gr_exit_alive
