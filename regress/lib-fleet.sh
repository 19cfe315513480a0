# Helpers for the exit fleet cases (regress/cases/fleet_*.sh, issue 16).
# Source after lib.sh.  Each exit runs in a network namespace of its own
# behind a veth pair; the carriers, HAProxy and the targets (nginx, the
# tagged echo server of tools/fleetload.py) stay on the host side.
#
# Addresses: 198.18.0.0/15 only (RFC 2544, benchmarking; nothing outside
# this machine): exit i is 198.18.(FL_BASE+i).2, the host's side of its
# link .1; the targets listen on 198.18.FL_BASE.1, on a device of the
# case's own, which every exit reaches through its link.  FL_BASE is per
# case, so two fleet cases can run at once.  Namespaces and links are
# named fl<pid>..., and deleted on exit.

GOOSERELAY_LIBEXEC="$top_builddir"
export GOOSERELAY_LIBEXEC
FLOAD="$top_srcdir/regress/tools/fleetload.py"
FL_EXITS=""

# fl_setup BASE: check what the case needs, make the targets' device and
# pick ports.  Sets FL_T (targets' address), XPORT, WEBP, ECHOP, FL_KEY.
fl_setup() {
	gr_need_root
	gr_need_cmd haproxy nginx curl python3 ip
	ip netns list >/dev/null 2>&1 || gr_skip "ip netns unavailable"
	[ -x "$top_builddir/gooserelay-exit" ] ||
	    gr_skip "gooserelay-exit not built"
	FL_BASE=$1
	FL_ID=$(($$ % 100000))
	FL_T="198.18.$FL_BASE.1"
	FL_KEY=$(gr_key)
	XPORT=$(gr_free_port)
	WEBP=$(gr_free_port)
	ECHOP=$(gr_free_port)
	SLOWP=$(gr_free_port)
	trap fl_net_del EXIT
	ip link add "fl${FL_ID}t" type ifb 2>/dev/null ||
	    gr_skip "cannot create an ifb device for the targets"
	ip addr add "$FL_T/32" dev "fl${FL_ID}t" &&
	    ip link set "fl${FL_ID}t" up || gr_fail "targets' device"
	DOC="$T/www"
	mkdir -p "$DOC"
	chmod 755 "$T" "$DOC"
}

# fl_ns I / fl_addr I: exit I's namespace and address.
fl_ns() {
	echo "fl$FL_ID-$1"
}

fl_addr() {
	echo "198.18.$((FL_BASE + $1)).2"
}

# fl_host I: namespace and link of exit I; the host keeps a permanent
# neighbour entry for it, so a link taken down drops packets silently
# (no ARP failure, no ICMP): a host that died.
fl_host() {
	_ns=$(fl_ns "$1")
	_h="fl${FL_ID}h$1"
	_x="fl${FL_ID}x$1"
	_net="198.18.$((FL_BASE + $1))"
	ip netns add "$_ns" || gr_skip "cannot create a network namespace"
	FL_EXITS="$FL_EXITS $1"
	ip link add "$_h" type veth peer name "$_x" netns "$_ns" ||
	    gr_fail "veth for exit $1"
	ip addr add "$_net.1/24" dev "$_h" && ip link set "$_h" up ||
	    gr_fail "host side of exit $1"
	ip -n "$_ns" link set lo up &&
	    ip -n "$_ns" addr add "$_net.2/24" dev "$_x" &&
	    ip -n "$_ns" link set "$_x" up &&
	    ip -n "$_ns" route add default via "$_net.1" ||
	    gr_fail "exit $1's side"
	_mac=$(ip -n "$_ns" -o link show "$_x" |
	    sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip neigh replace "$_net.2" lladdr "$_mac" dev "$_h" nud permanent ||
	    gr_fail "neighbour entry of exit $1"
}

# fl_link_down I / fl_link_up I: exit I's host loses its link (packets
# to it vanish) / gets it back.
fl_link_down() {
	ip -n "$(fl_ns "$1")" link set "fl${FL_ID}x$1" down ||
	    gr_fail "link of exit $1"
}

fl_link_up() {
	ip -n "$(fl_ns "$1")" link set "fl${FL_ID}x$1" up &&
	    ip -n "$(fl_ns "$1")" route replace default \
	    via "198.18.$((FL_BASE + $1)).1" || gr_fail "link of exit $1"
}

# EXIT trap: processes first (gr_cleanup stops them by pid; anything
# left in a namespace goes with it), then namespaces and links.
fl_net_del() {
	_frc=$?
	for _p in $GR_PIDS; do
		gr_kill_pid "$_p"
	done
	for _i in $FL_EXITS; do
		ip netns del "$(fl_ns "$_i")" 2>/dev/null
		ip link del "fl${FL_ID}h$_i" 2>/dev/null
	done
	ip link del "fl${FL_ID}t" 2>/dev/null
	(exit $_frc)
	gr_cleanup
}

# fl_exit I [YAML LINES]: gooserelayd with an exit section in exit I's
# namespace, on its address and XPORT; control socket $T/ctlI.sock.
fl_exit() {
	_i=$1; shift
	{
		echo "tunnel_key: \"$FL_KEY\""
		echo "exit:"
		echo "  server_host: $(fl_addr "$_i")"
		echo "  server_port: $XPORT"
		echo "  dns_servers: [\"127.0.0.77\"]"
		for _l in "$@"; do
			echo "  $_l"
		done
	} >"$T/exit$_i.yaml"
	gr_spawn "exit$_i" ip netns exec "$(fl_ns "$_i")" "$GOOSERELAYD" -d ${FL_XVERBOSE:-} \
	    -f "$T/exit$_i.yaml" -s "$T/ctl$_i.sock" -X "$GR_LIBEXEC"
}

fl_exit_wait() {
	gr_wait_log "$T/exit$1.log" 'exit: ready' 20 ||
	    gr_fail "exit $1 did not become ready"
}

# fl_exit_stat I NAME: a counter or gauge of exit I (gooserelayctl stats).
fl_exit_stat() {
	"$GOOSERELAYCTL" -s "$T/ctl$1.sock" stats --json |
	    sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" | head -1
}

# fl_targets: nginx serving $DOC, the tagged echo server and slowsrc.py
# (GET /NAME?rate=N: N bytes/s at the source until $T/release exists,
# so a download is in flight, not in buffers), all on FL_T.
fl_targets() {
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	sendfile on;
	server {
		listen $FL_T:$WEBP;
		root $DOC;
	}
}
EOF
	gr_spawn nginx nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log"
	gr_spawn echo python3 "$FLOAD" serve "$FL_T" "$ECHOP" "$T/echo.tags"
	rm -f "$T/release"
	gr_spawn slowsrc python3 "$top_srcdir/regress/tools/slowsrc.py" \
	    "$SLOWP" "$DOC" "$T/release" "$FL_T"
	gr_wait_port "$SLOWP" 10 "$FL_T" || gr_fail "slowsrc did not start"
	gr_wait_port "$WEBP" 10 "$FL_T" || gr_fail "nginx did not start"
	gr_wait_port "$ECHOP" 10 "$FL_T" || gr_fail "echo did not start"
}

# fl_haproxy PORT EXITS...: HAProxy in front of those exits, written the
# way etc/haproxy.cfg.sample is, with short check intervals; runtime API
# on $T/haproxy.sock.
fl_haproxy() {
	_hp=$1; shift
	{
		cat <<EOF
global
	maxconn 4096
	stats socket $T/haproxy.sock mode 600 level admin
	log stderr format raw daemon info
defaults
	mode http
	log global
	option httplog
	timeout connect 2s
	timeout client 330s
	timeout server 330s
	timeout tunnel 1h
	timeout http-request 10s
	retries 2
	option redispatch 1
frontend gooserelay
	bind 127.0.0.1:$_hp
	default_backend exits
backend exits
	balance url_param r
	hash-type consistent
	stick-table type string len 32 size 100k expire 30m
	stick on url_param(r)
	option httpchk GET /healthz
	http-check expect status 200
	default-server check inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2 weight 100 on-marked-down shutdown-sessions
EOF
		for _i in "$@"; do
			printf '\tserver x%s %s:%s\n' "$_i" "$(fl_addr "$_i")" \
			    "$XPORT"
		done
	} >"$T/haproxy.cfg"
	haproxy -c -q -f "$T/haproxy.cfg" || gr_fail "haproxy.cfg invalid"
	gr_spawn haproxy haproxy -db -f "$T/haproxy.cfg"
	gr_wait_port "$_hp" 10 || gr_fail "haproxy did not start"
}

# fl_hap CMD: one command on HAProxy's runtime API.
fl_hap() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
' "$T/haproxy.sock" "$1"
}

# fl_hap_up N [SECONDS]: wait until HAProxy has N servers up.
fl_hap_up() {
	_i=0; _max=$((${2:-15} * 10))
	while [ $_i -lt $_max ]; do
		[ "$(fl_hap "show stat" | grep -c ',UP,')" -ge "$1" ] &&
		    return 0
		sleep 0.1; _i=$((_i + 1))
	done
	gr_log "HAProxy: $(fl_hap "show stat" | cut -d, -f2,18 | tr '\n' ' ')"
	return 1
}

# fl_carrier NAME MODE URLS [YAML LINES]: a carrier-only gooserelayd on a
# SOCKS port of its own (sets SOCKS_<NAME>); URLS is the YAML list for
# relay_urls or direct_stream_urls.
fl_carrier() {
	_n=$1; _m=$2; _u=$3; shift 3
	_sp=$(gr_free_port)
	eval "SOCKS_$_n=$_sp"
	{
		echo "tunnel_key: \"$FL_KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $_sp"
		echo "  transport_mode: $_m"
		case $_m in
		direct_stream) echo "  direct_stream_urls: $_u" ;;
		direct_post) echo "  relay_urls: $_u" ;;
		esac
		echo "  stream_reconnect_backoff_ms: 200"
		for _l in "$@"; do
			echo "  $_l"
		done
	} >"$T/$_n.yaml"
	gr_spawn "$_n" "$GOOSERELAYD" -d ${FL_VERBOSE:-} -f "$T/$_n.yaml" \
	    -s "$T/$_n.sock" -X "$GR_LIBEXEC"
}

# fl_carrier_wait NAME: its SOCKS port is open and the carrier is ready.
fl_carrier_wait() {
	eval "_sp=\$SOCKS_$1"
	gr_wait_port "$_sp" 20 || gr_fail "carrier $1: no SOCKS port"
	gr_wait_log "$T/$1.log" "carrier ready" 20 ||
	    gr_fail "carrier $1 did not start"
}

# fl_exit_of SOCKSPORT: the exit (number) that dialed the last echo
# session tagged with that SOCKS port, from the echo server's log.
fl_exit_of() {
	_a=$(awk -v t="$1" '$2 == t { a = $1 } END { print a }' \
	    "$T/echo.tags")
	for _i in $FL_EXITS; do
		[ "$_a" = "$(fl_addr "$_i")" ] && { echo "$_i"; return 0; }
	done
	echo "?"
}
