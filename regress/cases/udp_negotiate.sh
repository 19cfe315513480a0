#!/bin/bash
# udp_v1 is negotiated (issue 17, docs/udp.md):
#  1. an exit with udp_enabled: false does not offer it: UDP ASSOCIATE
#     gets reply X'07' (command not supported, RFC 1928) and TCP through
#     the same carrier keeps working (1 MiB from nginx, sha256); a raw
#     udp_v1 frame sent to that exit anyway is answered with an RST;
#  2. a carrier with udp_enabled: false answers X'07' too and the
#     supervisor opens no UDP relay socket for it;
#  3. both on: the raw frame comes back from a UDP echo sink as a
#     datagram, and ASSOCIATE succeeds;
#  4. only where GooseRelayVPN's Go peers are built (GR_GOOSE_V15 /
#     GR_GOOSE_V16 name directories holding their `server`, as for
#     interop_go.sh): against each Go server our carrier answers ASSOCIATE
#     with X'07' and still carries TCP, and a raw udp_v1 frame is answered
#     with an RST while the Go server dials nothing.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
. "$top_srcdir/regress/lib-udp.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
GRDRV="$top_builddir/regress/tools/grdrv"
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
EP=$(gr_free_port)
gu_sink sink "$EP"

# --- 1. exit with udp_enabled: false --------------------------------------
gc_conf direct_stream "" "  udp_enabled: false"
go_start
! gu_wait_feature || gr_fail "an exit with udp_enabled: false offered udp_v1"
out=$(gu assoc "$SOCKS")
[ "$out" = "rep 7" ] || gr_fail "exit without udp_v1: ASSOCIATE got '$out'"
gc_fetch 1m || gr_fail "TCP after a refused ASSOCIATE"
KEY=$(sed -n 's/^tunnel_key: "\(.*\)"/\1/p' "$T/conf.yaml")
out=$("$GRDRV" -u "http://127.0.0.1:$EXITP" -k "$KEY" -t 20 udpraw \
    127.0.0.1 "$EP") || gr_fail "grdrv udpraw: $out"
[ "$out" = rst ] || gr_fail "udp off: a raw udp_v1 frame got '$out'"
gr_log "exit udp_enabled false: ASSOCIATE X'07', TCP ok, raw frame RST"
gr_stop gooserelayd

# --- 2. carrier with udp_enabled: false -----------------------------------
gc_conf direct_stream "  udp_enabled: false"
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1"
out=$(gu assoc "$SOCKS")
[ "$out" = "rep 7" ] || gr_fail "carrier udp off: ASSOCIATE got '$out'"
grep -q "SOCKS5 UDP relay" "$T/gooserelayd.log" &&
    gr_fail "a UDP relay socket was opened with udp_enabled: false"
gc_fetch 1m || gr_fail "TCP with the carrier's UDP off"
gr_stop gooserelayd

# --- 3. both on -----------------------------------------------------------
gc_conf direct_stream
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1"
grep -q "SOCKS5 UDP relay" "$T/gooserelayd.log" ||
    gr_fail "no UDP relay socket"
KEY=$(sed -n 's/^tunnel_key: "\(.*\)"/\1/p' "$T/conf.yaml")
out=$("$GRDRV" -u "http://127.0.0.1:$EXITP" -k "$KEY" -t 20 udpraw \
    127.0.0.1 "$EP") || gr_fail "grdrv udpraw: $out"
[ "$out" = reply ] || gr_fail "udp on: a raw udp_v1 frame got '$out'"
out=$(gu assoc "$SOCKS")
[ "$out" = "rep 0" ] || gr_fail "udp on: ASSOCIATE got '$out'"
gr_stop gooserelayd

# --- 4. GooseRelayVPN's Go servers ----------------------------------------
LOAD="$top_srcdir/regress/tools/socksload.py"
for v in 15 16; do
	eval "dir=\${GR_GOOSE_V$v:-}"
	if [ -z "$dir" ]; then
		gr_log "GooseRelayVPN v1.${v#1}: GR_GOOSE_V$v not set, part 4" \
		    "not run for it"
		continue
	fi
	[ -x "$dir/server" ] || gr_fail "GR_GOOSE_V$v=$dir has no server"
	[ -n "${ECHOP:-}" ] || {
		ECHOP=$(gr_free_port)
		gr_spawn echo python3 "$LOAD" echo "$ECHOP"
		gr_wait_port "$ECHOP" 10 || gr_fail "echo server did not start"
	}
	KEY=$(gr_key)
	XP=$(gr_free_port)
	CP=$(gr_free_port)
	printf '{"server_host": "127.0.0.1", "server_port": %s,\n' "$XP" \
	    >"$T/server$v.json"
	printf ' "tunnel_key": "%s"}\n' "$KEY" >>"$T/server$v.json"
	gr_spawn gs$v "$dir/server" -config "$T/server$v.json"
	gr_wait_port "$XP" 15 || gr_fail "v$v: Go server did not start"
	compat=""
	[ $v = 15 ] && compat="  wire_compat: v1.5"
	{
		echo "tunnel_key: \"$KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $CP"
		echo "  transport_mode: direct_post"
		echo "  relay_urls: [\"http://127.0.0.1:$XP/tunnel\"]"
		[ -n "$compat" ] && echo "$compat"
	} >"$T/c$v.yaml"
	gr_spawn gc$v "$GOOSERELAYD" -d -f "$T/c$v.yaml" -s "$T/c$v.sock"
	gr_wait_port "$CP" 15 || gr_fail "v$v: no SOCKS port"
	if [ $v = 16 ]; then
		gu_wait_feature "$T/gc$v.log" &&
		    gr_fail "v$v: the Go server 'offered' udp_v1"
	fi
	out=$(gu assoc "$CP")
	[ "$out" = "rep 7" ] || gr_fail "v$v: ASSOCIATE got '$out'"
	python3 "$LOAD" seq "$CP" "$ECHOP" 5 65536 >"$T/l$v" 2>&1 ||
	    gr_fail "v$v: TCP: $(tr '\n' ' ' <"$T/l$v")"
	flag=""
	[ $v = 15 ] && flag=-5
	out=$("$GRDRV" $flag -u "http://127.0.0.1:$XP" -k "$KEY" -t 20 \
	    udpraw 127.0.0.1 "$EP") || gr_fail "v$v: grdrv udpraw: $out"
	[ "$out" = rst ] || gr_fail "v$v: a raw udp_v1 frame got '$out'"
	grep -q "\[exit\] dial " "$T/gs$v.log" &&
	    gr_fail "v$v: the Go server dialed: $(grep "\[exit\] dial " "$T/gs$v.log")"
	gr_stop gc$v
	gr_stop gs$v
	gr_log "GooseRelayVPN v1.${v#1} server: ASSOCIATE X'07', TCP ok," \
	    "raw udp_v1 frame RST, no dial"
done
gr_log "ok"
