#!/bin/bash
# The exit's HTTP surface: /healthz, the version probe and its features
# (text POST, binary POST, stream), 204 for a wrong key, 405/413/400/404/
# 426, and a probe with upstream_ack.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd curl python3

gr_exit_start "max_request_body_bytes: 262144"

curl -sS --max-time 5 "$XURL/healthz" >"$T/healthz" || gr_fail "healthz"
grep -q '^{"ok":true,"version":"[^"]*","protocol":1}$' "$T/healthz" ||
    gr_fail "healthz body: $(cat "$T/healthz")"

for mode in "" "-b" "-w"; do
	gr_drv $mode probe >"$T/probe" || gr_fail "probe $mode"
	for f in zstd raw_base64 binary_batch_v1 client_run_reset_v1; do
		grep -q "\"$f\"" "$T/probe" || gr_fail "probe $mode: no $f"
	done
	grep -q downstream_replay_v1 "$T/probe" &&
	    gr_fail "replay advertised while disabled"
	grep -q upstream_ack_v1 "$T/probe" &&
	    gr_fail "upstream_ack_v1 advertised without being asked"
done
gr_drv -b probe -U >"$T/probe" || gr_fail "probe -U"
grep -q '"upstream_ack_v1"' "$T/probe" || gr_fail "no upstream_ack_v1"

# A wrong key: 204, the client's "key mismatch" signal.
rc=0
"$GRDRV" -u "$XURL" -k "$(gr_key)" probe >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || gr_fail "wrong key: grdrv status $rc, want 3 (204)"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$XURL/tunnel")
[ "$code" = 405 ] || gr_fail "GET /tunnel: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$XURL/nope")
[ "$code" = 404 ] || gr_fail "GET /nope: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$XURL/stream")
[ "$code" = 426 ] || gr_fail "GET /stream without upgrade: $code"

# Over the cap by Content-Length: 413 without reading the body.
code=$(printf 'POST /tunnel HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n' |
    gr_http_raw "$XPORT")
[ "$code" = 413 ] || gr_fail "big Content-Length: $code"
# Truncated body: the client gives up half way.
code=$(printf 'POST /tunnel HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort' |
    gr_http_raw "$XPORT" halfclose)
[ "$code" = 400 ] || [ "$code" = none ] || gr_fail "truncated body: $code"
# Garbage of the right length: 204.
code=$(printf 'POST /tunnel HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' |
    gr_http_raw "$XPORT")
[ "$code" = 204 ] || gr_fail "garbage body: $code"

# An empty body: 204 at once (and no pre-auth slot leaks).
for i in 1 2 3; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    -X POST -H 'Content-Length: 0' "$XURL/tunnel")
	[ "$code" = 204 ] || gr_fail "empty body: $code"
done

# 32 requests still reading their bodies hold every pre-auth slot: the
# 33rd is refused with 503; once they go away the slots are free again.
# The 33rd is sent once the exit has read the 32 headers (its requests
# counter), not after a guessed delay.
code=$(python3 -c '
import json, socket, subprocess, sys, time
port, ctl, sock = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def requests():
    out = subprocess.run([ctl, "-s", sock, "stats", "--json"],
        capture_output=True).stdout
    for w in json.loads(out or b"[]"):
        if w.get("role") == "exit":
            return (w.get("counters") or w).get("requests", 0)
    return 0
req = b"POST /tunnel HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
r0 = requests()
held = []
for i in range(32):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req + b"partial")
    held.append(s)
for i in range(100):
    if requests() >= r0 + 32:
        break
    time.sleep(0.1)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(req)
r = s.recv(100)
print(r.split(b" ")[1].decode() if r.startswith(b"HTTP/") else "none")
' "$XPORT" "$GOOSERELAYCTL" "$T/ctl.sock")
[ "$code" = 503 ] || gr_fail "33rd unauthenticated request: $code"
# Their slots come back once the exit saw them go.
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
    -H 'Content-Length: 0' "$XURL/tunnel")" = 204 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || gr_fail "pre-auth slots not released"
	sleep 0.1
done

# Still healthy after all that.
gr_drv probe >/dev/null || gr_fail "probe after errors"
gr_exit_alive
