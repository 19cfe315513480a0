# Helpers for the carrier's end-to-end cases (regress/cases/carrier_*.sh).
# Source after lib.sh.  A whole tunnel runs on one host: one gooserelayd
# with a carrier: and an exit: section, the real workers from the build
# tree (GOOSERELAY_LIBEXEC), nginx as the target.

GOOSERELAY_LIBEXEC="$top_builddir"
export GOOSERELAY_LIBEXEC

# A whole tunnel needs both workers; a tree without the exit worker (it is
# built from another component) cannot run these cases.
[ -x "$top_builddir/gooserelay-exit" ] || gr_skip "gooserelay-exit not built"

# gc_ports: pick SOCKS, exit and nginx ports; make the docroot.
gc_ports() {
	SOCKS=$(gr_free_port)
	EXITP=$(gr_free_port)
	WEBP=$(gr_free_port)
	DOC="$T/www"
	mkdir -p "$DOC"
	# nginx workers run unprivileged: they must reach the docroot.
	chmod 755 "$T" "$DOC"
}

# gc_conf MODE [carrier-extra] [exit-extra]: write $T/conf.yaml.
# Extra text is YAML lines already indented by 2 spaces.
gc_conf() {
	_mode=$1; _cx=${2:-}; _ex=${3:-}
	{
		echo "tunnel_key: \"$(gr_key)\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: $_mode"
		echo "  direct_stream_urls: [\"ws://127.0.0.1:${STREAMP:-$EXITP}/stream\"]"
		echo "  relay_urls: [${GC_RELAYS:-\"http://127.0.0.1:${RELAYP:-$EXITP}/tunnel\"}]"
		echo "  stream_reconnect_backoff_ms: 200"
		[ -n "$_cx" ] && echo "$_cx"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"${GC_DNS:-127.0.0.77}\"]"
		[ -n "$_ex" ] && echo "$_ex"
	} >"$T/conf.yaml"
}

# gc_start: run gooserelayd -d on $T/conf.yaml and wait for the carrier.
gc_start() {
	gr_spawn gooserelayd "$GOOSERELAYD" -d ${GC_VERBOSE:-} -f "$T/conf.yaml"
	gr_wait_port "$SOCKS" 15 || gr_fail "SOCKS port never opened"
	gr_wait_log "$T/gooserelayd.log" "carrier ready" 15 ||
	    gr_fail "carrier did not start"
}

# gc_fetch NAME [curl args...]: fetch /NAME through the tunnel into
# $T/NAME.out and compare its sha256 with the docroot's copy.
gc_fetch() {
	_n=$1; shift
	curl -sS --max-time "${GR_CURL_TIMEOUT:-120}" \
	    --socks5-hostname "127.0.0.1:$SOCKS" "$@" \
	    -o "$T/$_n.out" "http://127.0.0.1:$WEBP/$_n" ||
	    { gr_log "curl failed for $_n"; return 1; }
	[ "$(gr_sha "$T/$_n.out")" = "$(gr_sha "$DOC/$_n")" ] ||
	    { gr_log "sha256 mismatch for $_n"; return 1; }
	rm -f "$T/$_n.out"
}

# gc_parallel N FILE: N simultaneous fetches of FILE; all must match.
gc_parallel() {
	_n=$1; _f=$2; _pids=""
	for _i in $(seq 1 "$_n"); do
		curl -sS --max-time "${GR_CURL_TIMEOUT:-120}" \
		    --socks5-hostname "127.0.0.1:$SOCKS" \
		    -o "$T/par.$_i" "http://127.0.0.1:$WEBP/$_f" \
		    2>"$T/par.$_i.err" &
		_pids="$_pids $!"
	done
	_bad=0
	for _p in $_pids; do
		wait "$_p" || _bad=$((_bad + 1))
	done
	_want=$(gr_sha "$DOC/$_f")
	for _i in $(seq 1 "$_n"); do
		if [ "$(gr_sha "$T/par.$_i")" != "$_want" ]; then
			_bad=$((_bad + 1))
			gr_log "client $_i: $(stat -c %s "$T/par.$_i" 2>/dev/null) bytes; $(cat "$T/par.$_i.err")"
		fi
		rm -f "$T/par.$_i" "$T/par.$_i.err"
	done
	[ "$_bad" = 0 ] || { gr_log "$_bad of $_n parallel fetches failed"; return 1; }
}

# gc_worker_pid ROLE: pid of the supervisor's child running that worker.
gc_worker_pid() {
	pgrep -P "$(gr_pid gooserelayd)" -f "gooserelay-$1" | head -n1
}

# gc_socks_raw HEX...: send each chunk of raw bytes to the SOCKS port and
# print what the carrier answered (hex) and whether it then closed.
gc_socks_raw() {
	python3 "$top_srcdir/regress/tools/socksraw.py" "$SOCKS" "$@"
}

# gc_epoch LINE: seconds since the epoch of a "HH:MM:SS.mmm" log stamp is
# not available in every log format; use the wall clock of grep instead.
gc_now() {
	date +%s.%N
}

# gc_sink PORT: a loopback server that reads each connection to EOF and
# answers with the sha256 (hex) of what it got, for upload checks.
gc_sink() {
	gr_spawn sink python3 -c '
import hashlib, socket, sys, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(64)
def one(c):
    h = hashlib.sha256()
    c.settimeout(300)
    try:
        while True:
            d = c.recv(262144)
            if not d:
                break
            h.update(d)
        c.sendall((h.hexdigest() + "\n").encode())
    except OSError:
        pass
    c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
' "$1"
	gr_wait_port "$1" 10 || gr_fail "sink did not start"
}

# gc_upload FILE PORT [RATE]: send FILE through the SOCKS port to the
# sink on PORT (at most RATE bytes/s if given); true if the sink's sha256
# matches the file's.
gc_upload() {
	_got=$(python3 -c '
import socket, struct, sys, time
f, sp, dp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0
s = socket.create_connection(("127.0.0.1", sp), timeout=120)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
    struct.pack(">H", dp))
r = b""
while len(r) < 10:
    d = s.recv(10 - len(r))
    if not d:
        sys.exit("socks: closed")
    r += d
if r[1] != 0:
    sys.exit("socks: reply %d" % r[1])
t0 = time.monotonic()
sent = 0
with open(f, "rb") as fp:
    while True:
        d = fp.read(65536)
        if not d:
            break
        s.sendall(d)
        sent += len(d)
        if rate > 0:
            ahead = sent / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    out += d
print(out.decode().strip())
' "$1" "$SOCKS" "$2" ${3:-}) || { gr_log "upload of $1 failed"; return 1; }
	[ "$_got" = "$(gr_sha "$1")" ] ||
	    { gr_log "upload sha256 mismatch for $1 ($_got)"; return 1; }
}

# gc_gate NAME LISTEN TARGET: a loopback TCP relay that can be switched
# off and on: gc_gate_down NAME resets every connection it carries and
# refuses new ones (accepted, then reset), gc_gate_up NAME relays again.
# Each switch is logged with its number (1, 2, ...) in $T/NAME.log.
gc_gate() {
	gr_spawn "$1" python3 "$top_srcdir/regress/tools/flakyproxy.py" \
	    "$2" "$3" gate
	gr_wait_port "$2" 10 || gr_fail "relay $1 did not start"
}

# gc_gate_down NAME N / gc_gate_up NAME N: the Nth switch of the relay.
gc_gate_down() {
	kill -USR1 "$(gr_pid "$1")"
	gr_wait_log "$T/$1.log" "^down $2 " 5 || gr_fail "relay $1 did not go down"
}

gc_gate_up() {
	kill -USR2 "$(gr_pid "$1")"
	gr_wait_log "$T/$1.log" "^up $2\$" 5 || gr_fail "relay $1 did not come up"
}

# gc_wait_size FILE BYTES [SECONDS]: wait until FILE holds BYTES or more.
gc_wait_size() {
	_i=0; _max=$((${3:-30} * 20))
	while [ $_i -lt $_max ]; do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] &&
		    return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout waiting for $1 to reach $2 bytes"
	return 1
}

# gc_wait_count FILE REGEX N [SECONDS]: wait for N lines matching REGEX.
gc_wait_count() {
	_i=0; _max=$((${4:-10} * 20))
	while [ $_i -lt $_max ]; do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout waiting for $3 lines /$2/ in $1"
	return 1
}
