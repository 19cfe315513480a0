#!/bin/bash
# gooserelayctl stats and stats --json on a whole tunnel (real workers):
# after moving a known number of bytes through it with curl, the bytes
# counters of the carrier and the exit agree with what was moved, within
# the HTTP headers and framing; the table shows both workers.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
SIZE=$((3 * 1024 * 1024 + 12345))
head -c "$SIZE" /dev/urandom >"$DOC/blob"
gr_nginx "$WEBP" "$DOC"
gc_conf direct_post
go_start

# Nothing moved yet: the counters exist and are small.
go_ctl stats --json >"$T/s0.json" || gr_fail "stats --json before traffic"
python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 2, a' "$T/s0.json" ||
    gr_fail "stats --json is not an array of two workers: $(cat "$T/s0.json")"

gc_fetch blob || gr_fail "fetch through the tunnel"
# Two fetches of the same file: counters add up.
gc_fetch blob || gr_fail "second fetch through the tunnel"
MOVED=$((2 * SIZE))
# Slack: two sets of HTTP request/response headers and rounding; the
# counters count payload bytes, so framing adds nothing to them, but a
# worker may count a frame it has not delivered yet: allow 64 KiB.
SLACK=65536

go_ctl stats --json >"$T/s1.json" || gr_fail "stats --json"
gr_log "stats --json: $(head -c 600 "$T/s1.json")"
# The exit's "in" is toward the application (bytes_down when flat).
read -r cin cout ein eout <<EOF
$(go_stat "$T/s1.json" carrier:bytes_in carrier:bytes_out \
    exit:bytes_in,bytes_down exit:bytes_out,bytes_up)
EOF
gr_log "moved $MOVED: carrier in=$cin out=$cout, exit in=$ein out=$eout"
for v in "$cin" "$ein"; do
	[ "$v" != - ] || gr_fail "bytes counter missing"
	[ "$v" -ge "$MOVED" ] && [ "$v" -le $((MOVED + SLACK)) ] ||
	    gr_fail "bytes in $v not within [$MOVED, $((MOVED + SLACK))]"
done
# Upstream: two small GET requests.
for v in "$cout" "$eout"; do
	[ "$v" != - ] && [ "$v" -gt 0 ] && [ "$v" -le 4096 ] ||
	    gr_fail "bytes out '$v' not the size of two requests"
done

# Frames each way, counted by both workers (the exit used to say 0/0).
# The exit counts a downlink frame when its response is written and the
# carrier when it decodes it, so the exit's count is never below the
# carrier's; 6 MiB down needs at least a dozen frames of 512 KiB.
read -r cfo cfi efo efi <<EOF
$(go_stat "$T/s1.json" carrier:frames_out carrier:frames_in \
    exit:frames_out exit:frames_in)
EOF
gr_log "frames: carrier out=$cfo in=$cfi, exit out(up)=$efo in(down)=$efi"
for v in "$cfo" "$cfi" "$efo" "$efi"; do
	[ "$v" != - ] && [ "$v" -gt 0 ] || gr_fail "a frames counter is '$v'"
done
[ "$efi" -ge 12 ] || gr_fail "exit sent only $efi frames for 6 MiB"
[ "$efi" -ge "$cfi" ] ||
    gr_fail "carrier received $cfi frames, the exit sent $efi"

# The carrier's latency histograms all have samples now (TTFB per
# session, endpoint RTT per POST that carried data, queue wait per drain,
# encode / decode per batch), and its relay URL has a row with the polls.
python3 - "$T/s1.json" <<'PY' || gr_fail "carrier latency / endpoint rows"
import json, sys
car = [w for w in json.load(open(sys.argv[1])) if w["role"] == "carrier"][0]
for h in ("ttfb", "endpoint_rtt", "queue_wait", "encode", "decode"):
    assert car["latency"][h]["count"] > 0, (h, car["latency"][h])
eps = car["endpoints"]
assert len(eps) == 1 and eps[0]["kind"] == "relay", eps
c = car["counters"]
assert eps[0]["ok"] == c["polls_ok"] and eps[0]["fail"] == c["polls_fail"], \
    (eps, c)
assert eps[0]["rtt_ms"] > 0, eps
PY

# The table: one row per worker, the carrier's bytes in it.
go_ctl stats >"$T/table.txt" || gr_fail "stats (table)"
cat "$T/table.txt" >&2
grep -q "carrier" "$T/table.txt" || gr_fail "no carrier row"
grep -q "exit" "$T/table.txt" || gr_fail "no exit row"
grep -q "$cin" "$T/table.txt" ||
    gr_fail "carrier bytes in ($cin) not in the table"

# A worker that does not answer is reported as such, and stats still
# answers in time; its late reply is dropped without harm.
EPID=$(gc_worker_pid exit)
kill -STOP "$EPID"
go_ctl stats --json >"$T/s2.json"; r1=$?
go_ctl stats >"$T/table2.txt"; r2=$?
kill -CONT "$EPID"
[ $r1 = 0 ] && [ $r2 = 0 ] || gr_fail "stats with a stopped exit"
grep -q '"error": *"timeout"' "$T/s2.json" ||
    gr_fail "a stopped worker is not reported: $(cat "$T/s2.json")"
cat "$T/table2.txt" >&2
grep -q "timeout" "$T/table2.txt" || gr_fail "table: no timeout shown"
# Still working afterwards, with the same exit process.
gc_fetch blob || gr_fail "fetch after the stopped exit"
go_ctl stats --json >"$T/s3.json" || gr_fail "stats after"
[ "$(gc_worker_pid exit)" = "$EPID" ] || gr_fail "exit was restarted"
grep -q '"error"' "$T/s3.json" && gr_fail "error after: $(cat "$T/s3.json")"
# An application that resets its connection mid-download makes the
# carrier send an RST; the exit counts it as received.
python3 - "$SOCKS" "$WEBP" <<'PY' || gr_fail "reset client"
import socket, struct, sys
sp, wp = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", sp), timeout=20)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", wp))
r = b""
while len(r) < 10:
    d = s.recv(10 - len(r))
    assert d, "no SOCKS reply"
    r += d
assert r[1] == 0, r
s.sendall(b"GET /blob HTTP/1.1\r\nHost: x\r\n\r\n")
assert s.recv(1000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
i=0
while :; do
	go_ctl stats --json >"$T/s_rst.json" || gr_fail "stats --json (rst)"
	read -r crs ers <<EOF
$(go_stat "$T/s_rst.json" carrier:rst_sent exit:rst_recv)
EOF
	[ "$ers" != - ] && [ "$ers" -ge 1 ] && break
	i=$((i + 1))
	[ $i -lt 100 ] || gr_fail "exit rst_recv=$ers after the carrier " \
	    "sent $crs RSTs"
	sleep 0.1
done
gr_log "rst: carrier sent $crs, exit received $ers"
[ "$crs" -ge "$ers" ] || gr_fail "exit received $ers RSTs, carrier sent $crs"
gr_log "ok"
