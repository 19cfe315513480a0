#!/bin/bash
# bench/echo_ab.sh ROUNDS BUILDDIR...: side-by-side 64 B echo comparison
# of shadowsocks-libev and one gooserelayd (direct_stream, carrier + exit)
# per build directory given (e.g. a copy of the build before a change and
# the current one), all running at once; ROUNDS alternating rounds of
# 2,000 echoes each through bench/sink.  Prints, per round and peer, the
# p50 in µs and the CPU per round trip in µs of the two proxy processes
# (from /proc/PID/task/*/schedstat): "ss=150/55+56 g1=207/88+89 ...".
# Every process is started by gr_spawn and stopped by pid at exit.
set -u
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
R=$1; shift
BUILDS="$*"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
# shellcheck source=../regress/lib.sh
. "$top_srcdir/regress/lib.sh"
GR_CASE=echo_ab
gr_setup
GRB=$top_builddir/bench/grbench
[ -x "$GRB" ] || gr_fail "build bench/grbench first"
command -v ss-server >/dev/null || gr_fail "shadowsocks-libev not installed"
gr_spawn sink "$top_builddir/bench/sink"
gr_wait_log "$T/sink.log" '^echo [0-9]+ upload' 10 || gr_fail "no sink"
PE=$(head -n 1 "$T/sink.log" | awk '{print $2}')
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

# CPU nanoseconds of all threads of the pids.
cpuns() {
	_t=0
	for _p in "$@"; do
		for _f in /proc/"$_p"/task/*/schedstat; do
			read -r _a _b _c <"$_f" 2>/dev/null || continue
			_t=$((_t + _a))
		done
	done
	echo "$_t"
}

for r in $(seq 1 "$R"); do
	line="round $r:"
	for p in $PROXIES; do
		n=${p%%=*}
		a=${p#*=}
		eval "set -- \$PIDS_$n"
		a0=$(cpuns "$1")
		b0=$(cpuns "$2")
		v=$("$GRB" -s echo_rtt -E "$PE" -S "$a" -n 2000 -T 60 |
		    sed -n 's/.*"rtt":{[^}]*"p50_us":\([0-9.]*\).*/\1/p')
		a1=$(cpuns "$1")
		b1=$(cpuns "$2")
		line="$line $n=${v:-?}/$(((a1 - a0) / 2000000))+$(((b1 - b0) / 2000000))"
	done
	echo "$line"
done
