#!/bin/bash
# SOCKS5 UDP ASSOCIATE with DNS (issue 17, docs/udp.md): a dnsmasq on
# loopback answers udp.example; queries go from a SOCKS5 UDP client
# through the carrier's relay socket, the tunnel and the exit's socket for
# the association, and every answer must carry the right address.
# Over direct_stream: 1,000 queries in a row to the resolver's IP, 100 to
# its name ns.example (a domain destination, resolved by the exit's
# c-ares through the same dnsmasq), 100 after an ASSOCIATE that names
# 0.0.0.0:0; both workers' counters show the datagrams.  Over
# direct_post: 200 queries.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
. "$top_srcdir/regress/lib-udp.sh"
gr_need_cmd dnsmasq python3
gr_setup
gc_ports
DNSP=$(gr_free_port)
gu_dnsmasq "$DNSP"
GC_DNS="127.0.0.1:$DNSP"

gc_conf direct_stream
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1"
out=$(gu dns "$SOCKS" 127.0.0.1 "$DNSP" udp.example 10.11.12.13 1000) ||
    gr_fail "stream, resolver by IP: $out"
gr_log "stream, 1000 queries to 127.0.0.1:$DNSP: $out"
out=$(gu dns "$SOCKS" ns.example "$DNSP" udp.example 10.11.12.13 100) ||
    gr_fail "stream, resolver by name: $out"
gr_log "stream, 100 queries to ns.example:$DNSP: $out"
out=$(gu -z dns "$SOCKS" 127.0.0.1 "$DNSP" udp.example 10.11.12.13 100) ||
    gr_fail "stream, ASSOCIATE 0.0.0.0:0: $out"
gr_log "stream, ASSOCIATE 0.0.0.0:0: $out"
read -r co ci eo ei <<EOS
$(gu_stat carrier:udp_dgrams_out carrier:udp_dgrams_in exit:udp_dgrams_out \
    exit:udp_dgrams_in)
EOS
gr_log "datagrams: carrier out $co in $ci, exit out $eo in $ei"
for v in "$co" "$ci" "$eo" "$ei"; do
	[ "$v" != "-" ] && [ "$v" -ge 1200 ] ||
	    gr_fail "a udp_dgrams counter is below 1200: $co $ci $eo $ei"
done
gr_stop gooserelayd

gc_conf direct_post
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1 over POST"
out=$(gu dns "$SOCKS" 127.0.0.1 "$DNSP" udp.example 10.11.12.13 200) ||
    gr_fail "post: $out"
gr_log "post, 200 queries: $out"
gr_log "ok"
