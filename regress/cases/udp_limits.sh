#!/bin/bash
# udp_v1 limits (issue 17, docs/udp.md).  Two carriers (two client_ids)
# share one exit that allows 3 associations and 300 datagrams per second
# per client:
#  1. client A holds 3 associations; its 4th and 5th are reset by the
#     exit (the carrier closes their control connections, nothing is
#     echoed) while client B's association echoes 300 datagrams, none
#     lost; once A lets go, A gets 3 again;
#  2. A floods datagrams for 3 s: at most ~300/s come back (the exit's
#     udp_drop_rate counts the rest) while B echoes 600 datagrams at
#     150/s (under its own cap) at the same time, none lost;
#  3. the carrier's own cap (udp_max_associations 8): of 10 ASSOCIATEs
#     at once 8 succeed, 2 get X'01'.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
. "$top_srcdir/regress/lib-udp.sh"
gr_need_cmd python3
gr_setup
gc_ports
EP=$(gr_free_port)
gu_sink sink "$EP"
gc_conf direct_stream "  udp_max_associations: 8" \
    "  udp_max_associations_per_client: 3
  udp_max_datagrams_per_s_per_client: 300"
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1"

# Client B: a carrier-only daemon with the same key and exit.
SOCKSB=$(gr_free_port)
{
	sed -n '1p' "$T/conf.yaml"
	echo "carrier:"
	echo "  socks_host: 127.0.0.1"
	echo "  socks_port: $SOCKSB"
	echo "  transport_mode: direct_stream"
	echo "  direct_stream_urls: [\"ws://127.0.0.1:$EXITP/stream\"]"
} >"$T/b.yaml"
gr_spawn gb "$GOOSERELAYD" -d -f "$T/b.yaml" -s "$T/b.sock"
gr_wait_port "$SOCKSB" 15 || gr_fail "carrier B did not start"
gu_wait_feature "$T/gb.log" || gr_fail "carrier B got no udp_v1"

# --- 1. association flood -------------------------------------------------
HOLDS=""
for i in 1 2 3; do
	gu hold "$SOCKS" 127.0.0.1 "$EP" "$T/release" >"$T/hold$i.out" 2>&1 &
	HOLDS="$HOLDS $!"
done
GR_PIDS="$GR_PIDS $HOLDS"
for i in 1 2 3; do
	gr_wait_log "$T/hold$i.out" "^associated" 20 ||
	    gr_fail "hold $i: $(cat "$T/hold$i.out")"
done
out=$(gu -t 3 many "$SOCKS" 127.0.0.1 "$EP" 2)
gr_log "A, 2 more associations: $out"
[ "$out" = "rep0 2 rep1 0 rep7 0 echoed 0 closed 2" ] ||
    gr_fail "A's 4th and 5th associations: $out"
out=$(gu echo "$SOCKSB" 127.0.0.1 "$EP" 300 8) ||
    gr_fail "B while A is at its cap: $out"
gr_log "B while A is at its cap: $out"
touch "$T/release"
for p in $HOLDS; do
	wait "$p" || true
done
n=-
for _i in $(seq 1 50); do
	n=$(gu_stat exit:udp_associations)
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] || gr_fail "the exit kept $n association(s)"
out=$(gu many "$SOCKS" 127.0.0.1 "$EP" 3)
[ "$out" = "rep0 3 rep1 0 rep7 0 echoed 3 closed 0" ] ||
    gr_fail "A after letting go: $out"
[ "$(gu_stat exit:udp_refused)" -ge 2 ] || gr_fail "refusals not counted"

# --- 2. datagram flood ----------------------------------------------------
gu flood "$SOCKS" 127.0.0.1 "$EP" 3 >"$T/flood.out" 2>&1 &
FLOOD=$!
GR_PIDS="$GR_PIDS $FLOOD"
out=$(gu -r 150 echo "$SOCKSB" 127.0.0.1 "$EP" 600 4) ||
    gr_fail "B during A's flood: $out"
gr_log "B during A's flood: $out"
wait "$FLOOD" || gr_fail "flood: $(cat "$T/flood.out")"
read -r _ sent _ got <"$T/flood.out"
gr_log "A's flood: sent $sent, $got came back"
[ "$sent" -gt 3000 ] || gr_fail "the flood sent only $sent datagrams"
# 3 s at 300/s plus one second of burst, with room for the flood's ramp.
[ "$got" -le 1400 ] || gr_fail "the rate cap let $got of $sent through"
[ "$(gu_stat exit:udp_drop_rate)" -gt 0 ] || gr_fail "udp_drop_rate is 0"

# --- 3. the carrier's cap -------------------------------------------------
out=$(gu many "$SOCKS" 127.0.0.1 "$EP" 10 nosend)
[ "$out" = "rep0 8 rep1 2 rep7 0 echoed 0 closed 0" ] ||
    gr_fail "10 ASSOCIATEs against udp_max_associations 8: $out"
gr_log "ok"
