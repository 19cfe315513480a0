#!/bin/bash
# SOCKS5 UDP ASSOCIATE, datagram echo (issue 17, docs/udp.md): 10,000
# datagrams of 1..1400 random bytes through direct_stream to a UDP echo
# sink, at most 32 unanswered, every reply byte-identical and none lost
# on loopback; 500 to [::1]; 500 to "localhost" (a name the exit resolves)
# after an ASSOCIATE of 0.0.0.0:0; a datagram with FRAG=1 is dropped and
# counted while the next one goes through; the association dies with its
# TCP connection (no echo afterwards, the exit forgets it); the relay
# socket stays bound while the carrier is killed and restarted, and the
# new carrier relays through it; then 2,000 datagrams over direct_post.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
. "$top_srcdir/regress/lib-udp.sh"
gr_need_cmd python3
gr_setup
gc_ports
EP=$(gr_free_port)
EP6=$(gr_free_port)
gu_sink sink "$EP"
gu_sink sink6 "$EP6" ::1

gc_conf direct_stream
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1"
out=$(gu echo "$SOCKS" 127.0.0.1 "$EP" 10000 32) ||
    gr_fail "stream, 10000 datagrams: $out"
gr_log "stream, 10000 datagrams of 1..1400 bytes: $out"
out=$(gu echo "$SOCKS" ::1 "$EP6" 500) || gr_fail "stream, IPv6: $out"
gr_log "stream, to [::1]: $out"
out=$(gu -z echo "$SOCKS" localhost "$EP" 500) ||
    gr_fail "stream, domain destination: $out"
gr_log "stream, to localhost after ASSOCIATE 0.0.0.0:0: $out"
out=$(gu frag "$SOCKS" 127.0.0.1 "$EP") || gr_fail "FRAG: $out"
[ "$(gu_stat carrier:udp_drop_frag)" -ge 1 ] ||
    gr_fail "FRAG=1 datagram not counted"

# The association ends with its control connection.
gu hold "$SOCKS" 127.0.0.1 "$EP" "$T/release" >"$T/hold.out" 2>&1 &
HOLD=$!
GR_PIDS="$GR_PIDS $HOLD"
gr_wait_log "$T/hold.out" "^associated" 20 ||
    gr_fail "hold: $(cat "$T/hold.out")"
[ "$(gu_stat exit:udp_associations)" -ge 1 ] ||
    gr_fail "the exit has no association while one is in use"
touch "$T/release"
wait "$HOLD" || gr_fail "hold: $(cat "$T/hold.out")"
grep -q "^dead" "$T/hold.out" ||
    gr_fail "the association outlived its TCP connection: $(cat "$T/hold.out")"
n=-
for _i in $(seq 1 50); do
	n=$(gu_stat exit:udp_associations)
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] || gr_fail "the exit kept $n association(s) after the RST"

# The relay socket is the supervisor's: it stays bound while the carrier
# restarts, and serves the new carrier.
cpid=$(gc_worker_pid carrier)
kill -KILL "$cpid"
gr_wait_log "$T/gooserelayd.log" "carrier: pid $cpid killed" 10 ||
    gr_fail "the carrier's death was not noticed"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit("the UDP relay port was free while the carrier was down")
' "$SOCKS" || gr_fail "relay socket not kept"
# Back (after its backoff) once it has the exit's features again.
n=0
for _i in $(seq 1 200); do
	n=$(grep -c "carrier: .*features.* udp_v1" "$T/gooserelayd.log")
	[ "$n" -ge 2 ] && break
	sleep 0.1
done
[ "$n" -ge 2 ] || gr_fail "the carrier did not come back with udp_v1"
out=$(gu echo "$SOCKS" 127.0.0.1 "$EP" 200) ||
    gr_fail "after the carrier's restart: $out"
gr_log "after the carrier's restart: $out"
gr_stop gooserelayd

gc_conf direct_post
go_start
gu_wait_feature || gr_fail "the exit did not offer udp_v1 over POST"
out=$(gu echo "$SOCKS" 127.0.0.1 "$EP" 2000 16) ||
    gr_fail "post, 2000 datagrams: $out"
gr_log "post, 2000 datagrams: $out"
gr_log "ok"
