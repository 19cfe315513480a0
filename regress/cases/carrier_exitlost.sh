#!/bin/bash
# Issue 18: sessions the exit lost end at once instead of hanging.
#  1. kill -9 of the exit during a large download over the stream, then
#  2. over direct_post: the supervisor restarts the exit within about a
#     second, empty; the carrier checks its sessions with the new exit
#     (a GACK each, session_check_v1), the exit answers RST for the lost
#     one, and the SOCKS client sees its connection reset within 30 s (on
#     7aa14fb curl hung until its own timeout); a new fetch matches.
#  3. session_stall_timeout_s: an upload through direct_post whose exit
#     stops answering (SIGSTOP, POSTs held until poll_timeout_ms) is reset
#     once it made no progress for 4 s, logged, counted in stats.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3 pgrep bc
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/100m" 100
gr_nginx "$WEBP" "$DOC"
# The big download comes from a source sending 5 MB/s, so it is surely
# in flight at the kill, whatever the reader does.
SLOWP=$(gr_free_port)
go_slowsrc "$SLOWP" "$DOC"
LOG="$T/gooserelayd.log"

# lost_download MODE: kill -9 the exit during a download over MODE.
lost_download() {
	_mode=$1
	gc_conf "$_mode"
	go_start
	if [ "$_mode" = direct_stream ]; then
		gr_wait_log "$LOG" "stream: connected" 10 ||
		    gr_fail "$_mode: stream never connected"
	fi
	gc_fetch 1m || gr_fail "$_mode: first fetch"
	rm -f "$T/big.out"
	curl -sS --max-time 100 --socks5-hostname "127.0.0.1:$SOCKS" \
	    -o "$T/big.out" "http://127.0.0.1:$SLOWP/100m?rate=5m" \
	    2>"$T/big.err" &
	_cpid=$!
	gc_wait_size "$T/big.out" 3000000 30 ||
	    gr_fail "$_mode: download did not start"
	_epid=$(gc_worker_pid exit)
	[ -n "$_epid" ] || gr_fail "$_mode: no exit worker"
	_t0=$(gc_now)
	kill -KILL "$_epid"
	_i=0
	while kill -0 "$_cpid" 2>/dev/null && [ $_i -lt 600 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	if kill -0 "$_cpid" 2>/dev/null; then
		kill "$_cpid"
		wait "$_cpid"
		gr_fail "$_mode: the interrupted download still hangs 30 s after the kill ($(stat -c %s "$T/big.out") bytes)"
	fi
	_el=$(echo "$(gc_now) - $_t0" | bc)
	if wait "$_cpid"; then
		[ "$(gr_sha "$T/big.out")" = "$(gr_sha "$DOC/100m")" ] ||
		    gr_fail "$_mode: curl reported success with wrong bytes"
		gr_fail "$_mode: the download survived an exit restart?"
	fi
	gr_log "$_mode: interrupted download ended ${_el}s after the kill: $(cat "$T/big.err")"
	gc_fetch 1m || gr_fail "$_mode: fetch after the restart"
	gr_stop gooserelayd
}

lost_download direct_stream
lost_download direct_post

# --- 3. the stall timeout ---------------------------------------------
SINKP=$(gr_free_port)
gc_sink "$SINKP"
gc_conf direct_post "  session_stall_timeout_s: 4
  poll_timeout_ms: 120000"
go_start
gc_fetch 1m || gr_fail "stall: first fetch"
# An upload at 2 MB/s; prints "reset AFTER" seconds after it is told
# (SIGUSR1) until its connection fails, or "alive" after 60 s.
cat >"$T/upload.py" <<'EOF'
import signal, socket, struct, sys, time
sp, dp = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", sp), timeout=5)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
    struct.pack(">H", dp))
r = b""
while len(r) < 10:
    r += s.recv(10 - len(r))
assert r[1] == 0, r
t0 = [None]
def mark(*a):
    t0[0] = time.monotonic()
signal.signal(signal.SIGUSR1, mark)
print("open", flush=True)
s.setblocking(False)
chunk = b"x" * 65536
end = time.monotonic() + 90
while time.monotonic() < end:
    try:
        s.send(chunk)
    except BlockingIOError:
        pass
    except OSError as e:
        print("reset %.1f %s" % (time.monotonic() - (t0[0] or 0), e),
            flush=True)
        sys.exit(0)
    try:
        if s.recv(1, socket.MSG_PEEK) == b"":
            print("reset %.1f eof" % (time.monotonic() - (t0[0] or 0)),
                flush=True)
            sys.exit(0)
    except BlockingIOError:
        pass
    except OSError as e:
        print("reset %.1f %s" % (time.monotonic() - (t0[0] or 0), e),
            flush=True)
        sys.exit(0)
    time.sleep(0.03)
print("alive", flush=True)
EOF
gr_spawn upload python3 "$T/upload.py" "$SOCKS" "$SINKP"
gr_wait_log "$T/upload.log" "^open" 10 || gr_fail "stall: upload did not start"
sleep 1
epid=$(gc_worker_pid exit)
kill -STOP "$epid"
kill -USR1 "$(gr_pid upload)"
if ! gr_wait_log "$T/upload.log" "^(reset|alive)" 40; then
	kill -CONT "$epid"
	gr_fail "stall: the upload neither ended nor timed out"
fi
kill -CONT "$epid"
grep -q "^reset" "$T/upload.log" ||
    gr_fail "stall: the stalled upload was not reset: $(cat "$T/upload.log")"
el=$(awk '/^reset/ { print $2 }' "$T/upload.log")
[ "$(echo "$el < 20" | bc)" = 1 ] ||
    gr_fail "stall: reset only after ${el}s (timeout 4 s)"
grep -q "session reset: no progress for" "$LOG" ||
    gr_fail "stall: no log line for the reset"
go_ctl stats --json >"$T/stats.json" || gr_fail "stall: stats"
n=$(python3 -c '
import json, sys
for w in json.load(open(sys.argv[1])):
    if w.get("role") == "carrier":
        print((w.get("gauges") or {}).get("stalled_resets", 0))' \
    "$T/stats.json")
[ "$n" -ge 1 ] || gr_fail "stall: stalled_resets is $n"
gr_log "stall: upload reset ${el}s after the exit stopped; stalled_resets=$n"
gc_fetch 1m || gr_fail "stall: fetch after the exit came back"
gr_log "ok"
