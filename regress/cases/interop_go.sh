#!/bin/bash
# Interoperability with GooseRelayVPN's Go peers (interop-audit.md):
#  1. a target named "localhost" reaches the loopback, as through the Go
#     exit (its resolver reads /etc/hosts): text POST, binary POST, stream;
#  2. the carrier's stream hello stays under the exit's 64 KiB pre-auth
#     read limit (Go: streamPreAuthReadLimit) even when more than that is
#     queued while the stream is down: 300 KiB written through SOCKS before
#     the exit exists arrive intact (sha256 from the sink);
#  3. with wire_compat v1.5 (GooseRelayVPN v1.5.0 peers) the carrier's
#     requests and the exit's answers are padded base64 (Go v1.5 decodes
#     with StdEncoding), checked by a proxy between them; and no downstream
#     frame carries SYN (grdrv dies on one);
#  4. only where a developer built GooseRelayVPN's own Go client (not in
#     CI: GR_GOOSE_V15 / GR_GOOSE_V16 name directories holding its
#     `client` binary, built from v1.5.0 / v1.6): a v1.5-style direct
#     client_config.json (socks_host, socks_port, relay_urls, tunnel_key,
#     no transport_mode) drives that client against our exit, and the very
#     same file drives gooserelayd's carrier; both echo 20 x 64 KiB
#     byte-exact;
#  5. also only there (their `server` binary): our carrier with default
#     settings against GooseRelayVPN's own server.  v1.5.0: the endpoint
#     is switched to the v1.5 layout by itself (issue 15), said once;
#     v1.6: nothing to switch.  20 x 64 KiB echoed byte-exact each; then
#     another tunnel_key: one "tunnel_key mismatch" line, no v1.5 line.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
[ -x "$top_builddir/gooserelay-exit" ] || gr_skip "gooserelay-exit not built"
[ -x "$top_builddir/gooserelay-carrier" ] ||
    gr_skip "gooserelay-carrier not built"
gr_setup
gr_need_cmd python3

SP=$(gr_free_port)
gr_sink sink "$SP"
head -c 307200 /dev/urandom >"$T/in"
WANT=$(gr_sha "$T/in")
# SOCKS5 CONNECT to 127.0.0.1:PORT, send a file, half-close, save the
# reply (the sink's sha256); bounded by the socket timeout.
cat >"$T/socks_upload.py" <<'EOF'
import socket, sys
cp, sp, path, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", cp), timeout=40)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + sp.to_bytes(2, "big"))
r = b""
while len(r) < 10:
    d = s.recv(10 - len(r))
    if not d:
        sys.exit("no SOCKS reply")
    r += d
assert r[1] == 0, r
s.sendall(open(path, "rb").read())
print("sent", flush=True)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
open(out, "wb").write(got)
print("done", len(got), flush=True)
EOF

# --- 1. "localhost" targets -------------------------------------------
gr_exit_start
for mode in "" "-b" "-w"; do
	rc=0
	gr_drv $mode upload "localhost:$SP" "$T/in" "$T/up" \
	    2>"$T/drv.log" || rc=$?
	[ "$rc" = 0 ] || gr_fail "localhost target ($mode): grdrv status" \
	    "$rc (2 = RST): $(tail -2 "$T/drv.log")"
	[ "$(head -c 64 "$T/up")" = "$WANT" ] ||
	    gr_fail "localhost target ($mode): sha256"
done
gr_exit_alive
gr_stop gooserelayd

# --- 2. the stream hello with data queued ------------------------------
KEY=$(gr_key)
CP=$(gr_free_port)
XP=$(gr_free_port)
cat >"$T/car.yaml" <<EOF
tunnel_key: "$KEY"
carrier:
  socks_host: 127.0.0.1
  socks_port: $CP
  transport_mode: direct_stream
  direct_stream_urls: ["ws://127.0.0.1:$XP/stream"]
  stream_reconnect_backoff_ms: 200
EOF
cat >"$T/ex.yaml" <<EOF
tunnel_key: "$KEY"
exit:
  server_host: 127.0.0.1
  server_port: $XP
EOF
gr_spawn carrier "$GOOSERELAYD" -d -v -f "$T/car.yaml" -s "$T/car.sock" \
    -X "$GR_LIBEXEC"
gr_wait_port "$CP" 15 || gr_fail "SOCKS port never opened"

# A SOCKS client uploads 300 KiB while no exit listens, half-closes and
# waits for the sink's sha256 (bounded by its own timeout).
gr_spawn client python3 "$T/socks_upload.py" "$CP" "$SP" "$T/in" "$T/reply"
gr_wait_log "$T/client.log" '^sent' 20 || gr_fail "SOCKS client stuck"
# The data sits in the carrier now; let the exit appear.
gr_spawn exit "$GOOSERELAYD" -d -v -f "$T/ex.yaml" -s "$T/ex.sock" \
    -X "$GR_LIBEXEC"
gr_wait_log "$T/exit.log" 'exit: ready' 15 || gr_fail "exit did not start"
gr_wait_log "$T/client.log" '^done' 45 || gr_fail "no answer from the sink"
grep -q 'over 65536 bytes' "$T/exit.log" &&
    gr_fail "the hello exceeded the exit's pre-auth limit"
[ "$(head -c 64 "$T/reply")" = "$WANT" ] ||
    gr_fail "upload queued before the stream came up: sha256 mismatch"
# --- 3. wire_compat v1.5: padded base64 both ways ----------------------
# GooseRelayVPN v1.5.0 decodes with Go's StdEncoding (padding required).
# Our carrier in v15 mode and our exit answering it in the v1.5 layout
# must both send padded text; a recording proxy between them checks every
# body.
KEY=$(gr_key)
CP=$(gr_free_port)
XP=$(gr_free_port)
PP=$(gr_free_port)
cat >"$T/c15.yaml" <<EOF
tunnel_key: "$KEY"
carrier:
  socks_host: 127.0.0.1
  socks_port: $CP
  transport_mode: direct_post
  wire_compat: v1.5
  relay_urls: ["http://127.0.0.1:$PP/tunnel"]
exit:
  server_host: 127.0.0.1
  server_port: $XP
EOF
gr_spawn bodyproxy python3 -c '
import socket, sys, threading
lp, xp = int(sys.argv[1]), int(sys.argv[2])
def rd(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, None, b""
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = 0
    for l in head.split(b"\r\n")[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            return None, None, b""
        rest += d
    return head, rest[:n], rest[n:]
def check(what, head, body):
    if head.startswith(b"HTTP/") and b" 200 " not in head.split(b"\r\n")[0] + b" ":
        return
    t = body.strip()
    print("%s %d %s" % (what, len(t), "ok" if len(t) % 4 == 0 else "UNPADDED"),
        flush=True)
def serve(c):
    buf = b""
    while True:
        head, body, buf = rd(c, buf)
        if head is None:
            return
        check("request", head, body)
        u = socket.create_connection(("127.0.0.1", xp))
        u.sendall(head + b"\r\n\r\n" + body)
        rh, rb, _ = rd(u, b"")
        u.close()
        if rh is None:
            return
        check("response", rh, rb)
        c.sendall(rh + b"\r\n\r\n" + rb)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lp))
ls.listen(16)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$PP" "$XP"
gr_wait_port "$PP" 10 || gr_fail "body proxy did not start"
gr_spawn c15 "$GOOSERELAYD" -d -v -f "$T/c15.yaml" -s "$T/c15.sock" \
    -X "$GR_LIBEXEC"
gr_wait_port "$CP" 15 || gr_fail "SOCKS port never opened (v15)"
rm -f "$T/reply"
gr_spawn client15 python3 "$T/socks_upload.py" "$CP" "$SP" "$T/in" \
    "$T/reply"
gr_wait_log "$T/client15.log" '^done' 45 || gr_fail "v15: no answer"
[ "$(head -c 64 "$T/reply")" = "$WANT" ] || gr_fail "v15 upload: sha256"
grep -q '^request .* ok' "$T/bodyproxy.log" || gr_fail "v15: no request seen"
grep -q '^response .* ok' "$T/bodyproxy.log" ||
    gr_fail "v15: no response seen"
grep -q UNPADDED "$T/bodyproxy.log" &&
    gr_fail "v15: unpadded body: $(grep -m3 UNPADDED "$T/bodyproxy.log")"

# --- 4. GooseRelayVPN's own client and its client_config.json ----------
LOAD="$top_srcdir/regress/tools/socksload.py"
EP=$(gr_free_port)
if [ -n "${GR_GOOSE_V15:-}${GR_GOOSE_V16:-}" ]; then
	gr_spawn echo python3 "$LOAD" echo "$EP"
	gr_wait_port "$EP" 10 || gr_fail "echo server did not start"
fi
for v in 15 16; do
	eval "dir=\${GR_GOOSE_V$v:-}"
	if [ -z "$dir" ]; then
		gr_log "GooseRelayVPN v1.${v#1} client: GR_GOOSE_V$v not set," \
		    "part 4 not run for it"
		continue
	fi
	[ -x "$dir/client" ] || gr_fail "GR_GOOSE_V$v=$dir has no client"
	KEY=$(gr_key)
	CP=$(gr_free_port)
	XP=$(gr_free_port)
	printf '{"server_host": "127.0.0.1", "server_port": %s,\n' "$XP" \
	    >"$T/server_config.json"
	printf ' "tunnel_key": "%s"}\n' "$KEY" >>"$T/server_config.json"
	printf '{\n  "socks_host": "127.0.0.1",\n  "socks_port": %s,\n' \
	    "$CP" >"$T/client_config.json"
	printf '  "relay_urls": ["http://127.0.0.1:%s/tunnel"],\n' "$XP" \
	    >>"$T/client_config.json"
	printf '  "tunnel_key": "%s",\n  "debug_timing": false\n}\n' "$KEY" \
	    >>"$T/client_config.json"
	gr_spawn gx$v "$GOOSERELAYD" -d -f "$T/server_config.json" \
	    -s "$T/gx$v.sock" -X "$GR_LIBEXEC"
	gr_wait_port "$XP" 15 || gr_fail "v$v: exit did not start"
	for who in go ours; do
		if [ $who = go ]; then
			gr_spawn gc$v "$dir/client" -config \
			    "$T/client_config.json"
		else
			gr_spawn gc$v "$GOOSERELAYD" -d -f \
			    "$T/client_config.json" -s "$T/gc$v.sock" \
			    -X "$GR_LIBEXEC"
		fi
		gr_wait_port "$CP" 15 || gr_fail "v$v $who: no SOCKS port"
		# Echoed, not uploaded with a half-close: GooseRelayVPN's
		# client does not pass one on (its own server neither).
		python3 "$LOAD" seq "$CP" "$EP" 20 65536 >"$T/l$v$who" \
		    2>&1 || gr_fail "v$v $who: $(tr '\n' ' ' <"$T/l$v$who")"
		gr_stop gc$v
		gr_log "v1.${v#1} client_config.json, $who client: ok"
	done
	gr_stop gx$v
done

# --- 5. our carrier, default settings, against their servers ------------
for v in 15 16; do
	eval "dir=\${GR_GOOSE_V$v:-}"
	if [ -z "$dir" ] || [ ! -x "$dir/server" ]; then
		gr_log "GooseRelayVPN v1.${v#1} server: not given, part 5 not" \
		    "run for it"
		continue
	fi
	KEY=$(gr_key)
	CP=$(gr_free_port)
	XP=$(gr_free_port)
	printf '{"server_host": "127.0.0.1", "server_port": %s,\n' "$XP" \
	    >"$T/server_config.json"
	printf ' "tunnel_key": "%s"}\n' "$KEY" >>"$T/server_config.json"
	gr_spawn gs$v "$dir/server" -config "$T/server_config.json"
	gr_wait_port "$XP" 15 || gr_fail "v$v: Go server did not start"
	for k in same other; do
		K=$KEY
		[ $k = other ] && K=$(gr_key)
		printf '{"socks_host": "127.0.0.1", "socks_port": %s,\n' \
		    "$CP" >"$T/c5.json"
		printf ' "relay_urls": ["http://127.0.0.1:%s/tunnel"],\n' \
		    "$XP" >>"$T/c5.json"
		printf ' "tunnel_key": "%s"}\n' "$K" >>"$T/c5.json"
		gr_spawn c5$v$k "$GOOSERELAYD" -d -f "$T/c5.json" \
		    -s "$T/c5.sock" -X "$GR_LIBEXEC"
		L="$T/c5$v$k.log"
		gr_wait_port "$CP" 15 || gr_fail "v$v $k: no SOCKS port"
		if [ $k = same ]; then
			if [ $v = 15 ]; then
				gr_wait_log "$L" "server speaks the GooseRelayVPN v1.5 layout: switched this endpoint to it" 20 ||
				    gr_fail "v1.5: not switched"
			else
				gr_wait_log "$L" "pre-flight .*: ok" 20 ||
				    gr_fail "v1.6: pre-flight"
			fi
			python3 "$LOAD" seq "$CP" "$EP" 20 65536 >"$T/l5$v" \
			    2>&1 || gr_fail "v$v: $(tr '\n' ' ' <"$T/l5$v")"
			[ "$(grep -c 'carrier: .*GooseRelayVPN v1.5' "$L")" = \
			    "$([ $v = 15 ] && echo 1 || echo 0)" ] ||
			    gr_fail "v$v: the layout said wrong"
		else
			gr_wait_log "$L" "tunnel_key mismatch: the exit cannot decrypt" 20 ||
			    gr_fail "v$v: the wrong key not said"
			grep -q 'carrier: .*GooseRelayVPN v1' "$L" &&
			    gr_fail "v$v: a wrong key taken for a layout"
		fi
		gr_stop c5$v$k
		gr_log "v1.${v#1} server, our carrier, $k key: ok"
	done
	gr_stop gs$v
done
gr_log "ok"
