#!/bin/bash
# bench/loop_ab.sh ROUNDS BUILDDIR...: the loopback goals of issue 12,
# shadowsocks-libev against one gooserelayd (direct_stream, carrier +
# exit) per build directory given (e.g. main's build and this one), all
# running at once, in alternating rounds through bench/sink (random
# data).  Per round and peer:
#	down, up	one stream of 1 GiB (BULK_MIB), MiB/s
#	hol		fresh session + 64-byte echo while one stream
#			downloads flat out: p50 ms
#	echo		64-byte round trips with every process of the peer,
#			the sink and grbench pinned to one CPU: p50 µs
# then the median and range of each over the rounds.  Every process is
# started by gr_spawn and stopped by pid at exit.
set -u
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
R=$1; shift
BUILDS="$*"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
BULK_MIB=${BULK_MIB:-1024}
# shellcheck source=../regress/lib.sh
. "$top_srcdir/regress/lib.sh"
GR_CASE=loop_ab
gr_setup
GRB=$top_builddir/bench/grbench
[ -x "$GRB" ] || gr_fail "build bench/grbench first"
command -v ss-server >/dev/null || gr_fail "shadowsocks-libev not installed"
gr_spawn sink "$top_builddir/bench/sink"
gr_wait_log "$T/sink.log" '^echo [0-9]+ upload' 10 || gr_fail "no sink"
set -- $(head -n 1 "$T/sink.log")
PE=$2 PU=$4 PD=$6
K=$(gr_key)
PS=$(gr_free_port)
PL=$(gr_free_port)
gr_spawn ss_server ss-server -s 127.0.0.1 -p "$PS" -k "$K" -m aes-256-gcm \
    --no-delay
gr_wait_port "$PS" 10 || gr_fail "ss-server"
gr_spawn ss_local ss-local -s 127.0.0.1 -p "$PS" -b 127.0.0.1 -l "$PL" \
    -k "$K" -m aes-256-gcm --no-delay
gr_wait_port "$PL" 10 || gr_fail "ss-local"
PROXIES="ss=127.0.0.1:$PL"
PIDS_ss="$(gr_pid ss_local) $(gr_pid ss_server)"
i=0
for b in $BUILDS; do
	i=$((i + 1))
	sp=$(gr_free_port)
	xp=$(gr_free_port)
	cat >"$T/g$i.yaml" <<EOF
carrier:
  socks_host: 127.0.0.1
  socks_port: $sp
  tunnel_key: "$K"
  transport_mode: direct_stream
  direct_stream_urls: ["ws://127.0.0.1:$xp/stream"]
exit:
  server_host: 127.0.0.1
  server_port: $xp
  tunnel_key: "$K"
  dns_servers: ["127.0.0.1"]
EOF
	gr_spawn "g$i" env GOOSERELAY_LIBEXEC="$b" "$b/gooserelayd" -d \
	    -f "$T/g$i.yaml"
	gr_wait_port "$sp" 15 || gr_fail "g$i ($b) did not start"
	gr_wait_log "$T/g$i.log" "stream: connected" 10 ||
	    gr_fail "g$i: no stream"
	sup=$(gr_pid "g$i")
	PROXIES="$PROXIES g$i=127.0.0.1:$sp"
	eval "PIDS_g$i=\"$(pgrep -P "$sup" -f gooserelay-carrier) $(pgrep -P "$sup" -f gooserelay-exit)\""
	gr_log "g$i = $b"
done
SINKPID=$(gr_pid sink)

# affinity CPUS PID...: every thread of the pids on CPUS.
affinity() {
	_c=$1; shift
	for _p in "$@"; do
		taskset -a -p -c "$_c" "$_p" >/dev/null 2>&1 || true
	done
}
ALLCPU=0-$(($(nproc) - 1))

val() {
	sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p"
}

: >"$T/rows"
for r in $(seq 1 "$R"); do
	for p in $PROXIES; do
		n=${p%%=*}
		a=${p#*=}
		eval "pids=\$PIDS_$n"
		d=$("$GRB" -s bulk_down -E "$PE" -D "$PD" -S "$a" \
		    -b $((BULK_MIB << 20)) -T 60 |
		    sed -n 's/.*"mib_s":\([0-9.]*\).*/\1/p')
		u=$("$GRB" -s bulk_up -E "$PE" -U "$PU" -S "$a" \
		    -b $((BULK_MIB << 20)) -T 60 |
		    sed -n 's/.*"mib_s":\([0-9.]*\).*/\1/p')
		h=$("$GRB" -s fb_down -E "$PE" -U "$PU" -D "$PD" -S "$a" \
		    -T 3 -W 0.5 -r 50 -m 64 | val cfb p50_us)
		# shellcheck disable=SC2086
		affinity 0 $pids "$SINKPID"
		e=$(taskset -c 0 "$GRB" -s echo_rtt -E "$PE" -S "$a" -n 2000 \
		    -T 60 | val rtt p50_us)
		# shellcheck disable=SC2086
		affinity "$ALLCPU" $pids "$SINKPID"
		echo "$n ${d:-0} ${u:-0} ${h:-0} ${e:-0}" >>"$T/rows"
		echo "round $r: $n down ${d:-?} MiB/s, up ${u:-?} MiB/s," \
		    "hol ${h:-?} us, echo (1 CPU) ${e:-?} us"
	done
done
python3 - "$T/rows" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    n, *v = line.split()
    rows.setdefault(n, []).append([float(x) for x in v])
print("| peer | down MiB/s | up MiB/s | first byte during a download, ms "
      "| echo p50 on one CPU, us |")
print("|---|---:|---:|---:|---:|")
for n, vs in rows.items():
    cols = []
    for i, (scale, nd) in enumerate(((1, 0), (1, 0), (1e-3, 2), (1, 1))):
        xs = [v[i] * scale for v in vs]
        cols.append(f"{statistics.median(xs):.{nd}f} "
                    f"({min(xs):.{nd}f}-{max(xs):.{nd}f})")
    print(f"| {n} | " + " | ".join(cols) + " |")
EOF
