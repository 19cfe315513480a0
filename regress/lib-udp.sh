# Helpers for the UDP ASSOCIATE cases (regress/cases/udp_*.sh, issue 17,
# docs/udp.md).  Source after lib.sh, lib-carrier.sh and lib-ops.sh.

GU_TOOL="$top_srcdir/regress/tools/socksudp.py"

# gu ARGS...: the SOCKS5 UDP client (regress/tools/socksudp.py).
gu() {
	python3 "$GU_TOOL" "$@"
}

# gu_wait_udp HOST PORT: wait until a UDP echo answers there (bounded).
gu_wait_udp() {
	python3 - "$1" "$2" <<'PY' || gr_fail "no UDP echo on $1:$2"
import socket, sys
h, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET,
    socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    s.sendto(b"ping", (h, p))
    try:
        if s.recvfrom(100)[0] == b"ping":
            sys.exit(0)
    except OSError:
        pass
sys.exit(1)
PY
}

# gu_sink NAME PORT [HOST]: a UDP echo sink, waited for.
gu_sink() {
	gr_spawn "$1" python3 "$GU_TOOL" sink "$2" "${3:-127.0.0.1}"
	gu_wait_udp "${3:-127.0.0.1}" "$2"
}

# gu_dnsmasq PORT: dnsmasq on 127.0.0.1:PORT (UDP and TCP), answering
# udp.example (10.11.12.13) and ns.example (127.0.0.1) only.  A port of
# our own, not 53: cases run in parallel and need no root for it.
gu_dnsmasq() {
	gr_spawn dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts \
	    --listen-address=127.0.0.1 --bind-interfaces --port="$1" \
	    --local=/example/ --address=/udp.example/10.11.12.13 \
	    --address=/ns.example/127.0.0.1 --pid-file="$T/dnsmasq.pidfile"
	gr_wait_port "$1" 10 || gr_fail "dnsmasq did not start"
}

# gu_wait_feature [LOG]: the carrier adopted the exit's features; 0 if
# they include udp_v1, 1 if not.
gu_wait_feature() {
	_l=${1:-$T/gooserelayd.log}
	gr_wait_log "$_l" "carrier: .*features" 20 ||
	    gr_fail "the carrier never got the exit's features"
	grep "carrier: .*features" "$_l" | tail -n 1 | grep -q " udp_v1"
}

# gu_stat SPEC...: go_stat on a fresh gooserelayctl stats --json.
gu_stat() {
	go_ctl stats --json >"$T/gu_stats.json" || gr_fail "stats --json"
	go_stat "$T/gu_stats.json" "$@"
}
