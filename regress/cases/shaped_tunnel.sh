#!/bin/bash
# Correctness over a slow, shaped link (issue 12): carrier and exit in two
# network namespaces joined by a veth pair shaped with tbf (50 Mbit/s
# each way, regress/lib-shaped.sh), so messages are sized by time and the
# scheduler interleaves sessions.  Over direct_stream and direct_post: a
# 16 MiB download and a 16 MiB upload, each with 50 small fetches started
# while it runs; every byte checked by sha256.  No timing is asserted
# (bench/shaped.sh measures); needs root and ip netns, else skipped.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-shaped.sh"
gr_need_cmd nginx curl python3
gr_setup
gr_shaped_setup
gr_shaped_rate "${GR_SHAPED_MBIT:-50}"
NEAR=$SH_WRAP_NEAR
FAR=$SH_WRAP_FAR
BIG_MIB=${GR_SHAPED_BIG_MIB:-16}
NSMALL=50

DOC=$T/www
mkdir -p "$DOC" "$T/out"
gr_mkfile "$DOC/big" "$BIG_MIB"
head -c 20000 /dev/urandom >"$DOC/small"
BIG_SHA=$(gr_sha "$DOC/big")
SMALL_SHA=$(gr_sha "$DOC/small")

# Far side: nginx, a sha256 sink for uploads, the exit.
cat >"$T/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $T/nb;
	proxy_temp_path $T/np;
	fastcgi_temp_path $T/nf;
	uwsgi_temp_path $T/nu;
	scgi_temp_path $T/ns;
	server { listen 127.0.0.1:8080; root $DOC; }
}
EOF
gr_spawn nginx $FAR nginx -c "$T/nginx.conf" -e "$T/nginx.err"
gr_spawn sink $FAR python3 -c '
import hashlib, socket, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 9000))
ls.listen(16)
n = 0
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
    n += 1
    print("sink: connection", n, flush=True)
    threading.Thread(target=one, args=(c,), daemon=True).start()
'
KEY=$(gr_key)
cat >"$T/exit.yaml" <<EOF
exit:
  server_host: 0.0.0.0
  server_port: 8443
  tunnel_key: "$KEY"
EOF
gr_spawn exit $FAR "$GOOSERELAYD" -d -f "$T/exit.yaml" -X "$GR_LIBEXEC"
for p in 8080 9000 8443; do
	gr_shaped_wait_port "$FAR" 127.0.0.1 $p 15 ||
	    gr_fail "far side: port $p"
done

# Near side: one carrier per transport.
carrier() {
	_n=$1 _mode=$2 _port=$3
	{
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $_port"
		echo "  tunnel_key: \"$KEY\""
		echo "  transport_mode: $_mode"
		if [ "$_mode" = direct_stream ]; then
			echo "  direct_stream_urls:" \
			    "[\"ws://$SH_FAR_ADDR:8443/stream\"]"
		else
			echo "  relay_urls:" \
			    "[\"http://$SH_FAR_ADDR:8443/tunnel\"]"
		fi
	} >"$T/$_n.yaml"
	gr_spawn "$_n" $NEAR "$GOOSERELAYD" -d -f "$T/$_n.yaml" -X "$GR_LIBEXEC"
	gr_shaped_wait_port "$NEAR" 127.0.0.1 "$_port" 15 ||
	    gr_fail "$_n: SOCKS port"
}
carrier stream direct_stream 1083
carrier post direct_post 1084
gr_wait_log "$T/stream.log" "stream: connected" 15 ||
    gr_fail "the stream never connected"

fetch() {
	$NEAR curl -sS --max-time 120 --socks5-hostname "127.0.0.1:$1" \
	    -o "$3" "http://127.0.0.1:8080/$2"
}

# upload PORT FILE: FILE to the sink through SOCKS; prints its sha256.
upload() {
	$NEAR python3 -c '
import socket, struct, sys
sp, f = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", sp), timeout=120)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
    struct.pack(">H", 9000))
r = b""
while len(r) < 10:
    d = s.recv(10 - len(r))
    if not d:
        sys.exit("socks: closed")
    r += d
if r[1] != 0:
    sys.exit("socks: reply %d" % r[1])
with open(f, "rb") as fp:
    while True:
        d = fp.read(65536)
        if not d:
            break
        s.sendall(d)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    out += d
print(out.decode().strip())
' "$1" "$2"
}

# small_fetches PORT TAG: NSMALL fetches one after another, each checked.
small_fetches() {
	_i=1
	while [ $_i -le $NSMALL ]; do
		fetch "$1" small "$T/out/$2.$_i" ||
		    gr_fail "$2: small fetch $_i failed"
		[ "$(gr_sha "$T/out/$2.$_i")" = "$SMALL_SHA" ] ||
		    gr_fail "$2: small fetch $_i: sha256"
		rm -f "$T/out/$2.$_i"
		_i=$((_i + 1))
	done
}

# Bounded: the first bytes of the bulk transfer have gone through.
wait_started() {
	_w=0
	while [ $_w -lt 200 ]; do
		[ -s "$1" ] && return 0
		sleep 0.05
		_w=$((_w + 1))
	done
	return 0
}

nup=0
for t in "stream 1083" "post 1084"; do
	set -- $t
	name=$1 port=$2
	gr_log "$name: $BIG_MIB MiB down with $NSMALL small fetches"
	fetch "$port" big "$T/out/big.$name" &
	bigpid=$!
	wait_started "$T/out/big.$name"
	small_fetches "$port" "down.$name"
	wait "$bigpid" || gr_fail "$name: the download failed"
	[ "$(gr_sha "$T/out/big.$name")" = "$BIG_SHA" ] ||
	    gr_fail "$name: download sha256"
	rm -f "$T/out/big.$name"

	gr_log "$name: $BIG_MIB MiB up with $NSMALL small fetches"
	upload "$port" "$DOC/big" >"$T/out/up.$name" 2>"$T/out/up.$name.err" &
	uppid=$!
	nup=$((nup + 1))
	gr_wait_log "$T/sink.log" "^sink: connection $nup\$" 30 ||
	    gr_fail "$name: the upload did not reach the sink"
	small_fetches "$port" "up.$name"
	wait "$uppid" ||
	    gr_fail "$name: the upload failed: $(cat "$T/out/up.$name.err")"
	[ "$(cat "$T/out/up.$name")" = "$BIG_SHA" ] ||
	    gr_fail "$name: upload sha256 ($(cat "$T/out/up.$name"))"
done
for n in stream post exit; do
	grep -Eq '(carrier|exit): pid [0-9]+ (killed|exited)' "$T/$n.log" &&
	    gr_fail "$n: a worker died: $(grep -E 'pid [0-9]+ (killed|exited)' "$T/$n.log" | head -2)"
done
gr_log "ok"
