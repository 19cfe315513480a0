#!/bin/bash
# bench/udp_bench.sh: UDP through SOCKS5 UDP ASSOCIATE (issue 17), every
# peer measured by the same driver (bench/udpbench.c) in one run, on
# loopback, the peers interleaved run after run.
#
#	bench/udp_bench.sh [--quick] [--runs N] [--out DIR]
#
# Peers: direct (no proxy, the floor), ss (shadowsocks-libev ss-local -u
# + ss-server -u, aes-256-gcm), gr_stream and gr_post (gooserelayd
# carrier + exit over direct_stream / direct_post).  Tests: udp_rtt, one
# datagram at a time (64 and 1200 bytes): p50/p99; udp_rate, 512-byte
# datagrams with at most 32 unanswered for 5 s: datagrams per second and
# loss; for both, the CPU time the proxy's processes spent per datagram
# (round trip), from /proc/PID/task/*/schedstat, which a busy machine
# disturbs far less than the latencies.  Output: DIR/raw.jsonl and
# DIR/summary.md (medians over runs, min-max).  Every process is stopped
# by pid, every wait is bounded.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x "$top_srcdir/build/bench/udpbench" ]; then
		top_builddir=$top_srcdir/build
	else
		top_builddir=$top_srcdir
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

QUICK=0
RUNS=3
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; RUNS=1 ;;
	--runs) RUNS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "udp_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $RUNS in
''|*[!0-9]*) echo "udp_bench.sh: --runs N" >&2; exit 2 ;;
esac

. "$top_srcdir/regress/lib.sh"
GR_CASE=udp_bench
gr_setup
UB=$top_builddir/bench/udpbench
[ -x "$UB" ] || gr_fail "build first: make bench/udpbench"
if [ "$QUICK" = 1 ]; then
	RTT_N=200; RATE_S=1
else
	RTT_N=5000; RATE_S=5
fi
[ -n "$OUT" ] || OUT=$top_builddir/bench/results/udp-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
RAW=$OUT/raw.jsonl
: >"$RAW"

SP=$(gr_free_port)
gr_spawn sink "$UB" sink "$SP"
gr_wait_log "$T/sink.log" "^sink" 10 || gr_fail "sink did not start"

PEERS="direct"
if command -v ss-server >/dev/null; then
	SSP=$(gr_free_port)
	SLP=$(gr_free_port)
	K=$(gr_key)
	gr_spawn ss_server ss-server -u -s 127.0.0.1 -p "$SSP" -k "$K" \
	    -m aes-256-gcm --no-delay
	gr_wait_port "$SSP" 10 || gr_fail "ss-server did not start"
	gr_spawn ss_local ss-local -u -s 127.0.0.1 -p "$SSP" -b 127.0.0.1 \
	    -l "$SLP" -k "$K" -m aes-256-gcm --no-delay
	gr_wait_port "$SLP" 10 || gr_fail "ss-local did not start"
	PEERS="$PEERS ss"
	PX_ss=127.0.0.1:$SLP
	PIDS_ss="$(gr_pid ss_local) $(gr_pid ss_server)"
else
	gr_log "shadowsocks-libev not installed: ss skipped"
fi

# gr MODE: one gooserelayd with a carrier and an exit.
gr() {
	_m=$1; _n=gr_${1#direct_}
	_sp=$(gr_free_port)
	_xp=$(gr_free_port)
	_k=$(gr_key)
	{
		echo "tunnel_key: \"$_k\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $_sp"
		echo "  transport_mode: $_m"
		echo "  direct_stream_urls: [\"ws://127.0.0.1:$_xp/stream\"]"
		echo "  relay_urls: [\"http://127.0.0.1:$_xp/tunnel\"]"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $_xp"
		echo "  dns_servers: [\"127.0.0.1\"]"
	} >"$T/$_n.yaml"
	gr_spawn "$_n" env GOOSERELAY_LIBEXEC="$top_builddir" \
	    "$GOOSERELAYD" -d -f "$T/$_n.yaml" -s "$T/$_n.sock"
	gr_wait_port "$_sp" 15 || gr_fail "$_n did not start"
	gr_wait_log "$T/$_n.log" "features.* udp_v1" 20 ||
	    gr_fail "$_n: no udp_v1"
	PEERS="$PEERS $_n"
	eval "PX_$_n=127.0.0.1:$_sp"
	# The workers do the work; the supervisor only watches.
	eval "PIDS_$_n=\"$(ps --ppid "$(gr_pid "$_n")" -o pid= | tr '\n' ' ')\""
}

# cpu_ns PIDS...: CPU nanoseconds of every thread of those processes
# (%.0f: mawk's %d stops at 2^31).
cpu_ns() {
	cat $(for _x in "$@"; do echo /proc/"$_x"/task/*/schedstat; done) \
	    2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
gr direct_stream
gr direct_post

# one PEER TEST ARGS...: one udpbench result, and the proxy's CPU time
# per datagram round trip (rtt: N + 50 warm-up; rate: those received).
one() {
	_p=$1; shift
	eval "_px=\${PX_$_p:-}"
	eval "_pids=\${PIDS_$_p:-}"
	_c0=$(cpu_ns $_pids)
	if [ -n "$_px" ]; then
		_r=$("$UB" -S "$_px" -d "$SP" -L "$_p" "$@") ||
		    gr_log "$_p $*: failed"
	else
		_r=$("$UB" -d "$SP" -L "$_p" "$@") || gr_log "$_p $*: failed"
	fi
	_c1=$(cpu_ns $_pids)
	[ -n "$_r" ] || return 0
	echo "$_r" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
ns = int(sys.argv[1])
n = r["n"] + 50 if r["test"] == "udp_rtt" else r["received"]
r["cpu_us"] = round(ns / 1000.0 / n, 2) if n and ns else 0
print(json.dumps(r))' "$((_c1 - _c0))" >>"$RAW"
}

r=1
while [ $r -le "$RUNS" ]; do
	for p in $PEERS; do
		one "$p" rtt "$RTT_N" 64
		one "$p" rtt "$RTT_N" 1200
		one "$p" rate "$RATE_S" 512 32
	done
	gr_log "run $r of $RUNS done"
	r=$((r + 1))
done

python3 - "$RAW" "$OUT/summary.md" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peers = []
for r in rows:
    if r["peer"] not in peers:
        peers.append(r["peer"])
def pick(peer, test, size, key):
    v = [r[key] for r in rows if r["peer"] == peer and r["test"] == test
         and r["size"] == size]
    return v
def cell(v, fmt):
    if not v:
        return "-"
    m = statistics.median(v)
    if len(v) == 1:
        return fmt % m
    return (fmt + " (" + fmt + "-" + fmt + ")") % (m, min(v), max(v))
out = ["| peer | rtt 64 B p50 us | p99 us | CPU us/rt | "
       "rtt 1200 B p50 us | p99 us | CPU us/rt | "
       "dgrams/s (512 B, window 32) | lost | CPU us/dgram |",
       "|---|---|---|---|---|---|---|---|---|---|"]
for p in peers:
    out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        p, cell(pick(p, "udp_rtt", 64, "p50_us"), "%.1f"),
        cell(pick(p, "udp_rtt", 64, "p99_us"), "%.0f"),
        cell(pick(p, "udp_rtt", 64, "cpu_us"), "%.1f"),
        cell(pick(p, "udp_rtt", 1200, "p50_us"), "%.1f"),
        cell(pick(p, "udp_rtt", 1200, "p99_us"), "%.0f"),
        cell(pick(p, "udp_rtt", 1200, "cpu_us"), "%.1f"),
        cell(pick(p, "udp_rate", 512, "dgrams_per_s"), "%.0f"),
        cell(pick(p, "udp_rate", 512, "lost"), "%.0f"),
        cell(pick(p, "udp_rate", 512, "cpu_us"), "%.1f")))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
gr_log "results in $OUT"
