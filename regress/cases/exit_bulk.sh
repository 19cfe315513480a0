#!/bin/bash
# 100 MiB down (nginx) and up (sha256 sink) through the exit over text
# POST, binary POST and /stream, checked by sha256; the first and second
# responses of a session respect the 512 KiB / 1 MiB ramp.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd nginx python3
chmod 755 "$T"	# nginx workers run as nobody

MIB=${GR_EXIT_BULK_MIB:-100}
mkdir -p "$T/www"
gr_mkfile "$T/www/big" "$MIB"
WANT=$(gr_sha "$T/www/big")
NP=$(gr_free_port)
gr_nginx "$NP" "$T/www"
SP=$(gr_free_port)
gr_sink sink "$SP"
gr_exit_start
printf 'GET /big HTTP/1.0\r\nHost: x\r\n\r\n' >"$T/req"

# Strip the HTTP header nginx puts in front of the file.
# sha256 of the file nginx sent, without its header (python is slow to
# start under pyenv shims, so plain tools).
body_sha() {
	tail -c "$(stat -c %s "$2")" "$1" | sha256sum | cut -d' ' -f1
}

for mode in "-v" "-b -v" "-w -v"; do
	gr_log "download $MIB MiB ($mode)"
	gr_drv $mode fetch "127.0.0.1:$NP" "$T/down" "$T/req" \
	    2>"$T/drv.log" || gr_fail "fetch $mode: $(tail -3 "$T/drv.log")"
	[ "$(body_sha "$T/down" "$T/www/big")" = "$WANT" ] || gr_fail "download $mode: sha256"
	# Ramp: first response <= 512 KiB, second <= 1 MiB of payload.
	b1=$(sed -n 's/^grdrv: response bytes=//p' "$T/drv.log" | sed -n 1p)
	b2=$(sed -n 's/^grdrv: response bytes=//p' "$T/drv.log" | sed -n 2p)
	[ "$b1" -le 524288 ] || gr_fail "first response $b1 bytes"
	[ "$b2" -le 1048576 ] || gr_fail "second response $b2 bytes"
done

for mode in "-b" "-w"; do
	gr_log "upload $MIB MiB ($mode)"
	gr_drv $mode upload "127.0.0.1:$SP" "$T/www/big" "$T/up" \
	    2>"$T/drv.log" || gr_fail "upload $mode: $(tail -3 "$T/drv.log")"
	[ "$(head -c 64 "$T/up")" = "$WANT" ] || gr_fail "upload $mode: sha256"
done
gr_exit_alive
