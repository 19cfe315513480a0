#!/bin/bash
# bench/echo_syscalls.sh [-n N] [-u] [BUILDDIR...]: system calls per
# 64-byte echo round trip, per process, for shadowsocks-libev (ss-local,
# ss-server) and one gooserelayd (direct_stream: carrier, exit) per build
# directory given (default: this build), every process and the driver on
# CPU 0 (issue 12: "64-byte echo p50 <= shadowsocks-libev on one CPU" is
# decided by system calls and wake-ups, not by code).  Each process is
# traced with strace -c -f -p during N round trips (default 2000) through
# bench/sink (grbench echo_rtt); -u: UDP ASSOCIATE round trips instead
# (bench/udpbench, issue 17).  Prints one table per process: calls per
# round trip by system call, then the total.  The p50 printed comes from
# the traced run and is slower than an untraced one: compare counts, not
# times.  Every process is started by gr_spawn and stopped by pid.
set -u
N=2000
UDP=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-u) UDP=1; shift ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
BUILDS="${*:-$top_builddir}"
# shellcheck source=../regress/lib.sh
. "$top_srcdir/regress/lib.sh"
GR_CASE=echo_syscalls
gr_setup
GRB=$top_builddir/bench/grbench
UB=$top_builddir/bench/udpbench
command -v strace >/dev/null || gr_fail "strace not installed"
command -v ss-server >/dev/null || gr_fail "shadowsocks-libev not installed"
U=""
[ "$UDP" = 1 ] && U="-u"
if [ "$UDP" = 1 ]; then
	SP=$(gr_free_port)
	gr_spawn sink taskset -c 0 "$UB" sink "$SP"
	gr_wait_log "$T/sink.log" "^sink" 10 || gr_fail "no sink"
else
	gr_spawn sink taskset -c 0 "$top_builddir/bench/sink"
	gr_wait_log "$T/sink.log" '^echo [0-9]+ upload' 10 || gr_fail "no sink"
	PE=$(head -n 1 "$T/sink.log" | awk '{print $2}')
fi
K=$(gr_key)
PS=$(gr_free_port)
PL=$(gr_free_port)
# shellcheck disable=SC2086
gr_spawn ss_server taskset -c 0 ss-server $U -s 127.0.0.1 -p "$PS" -k "$K" \
    -m aes-256-gcm --no-delay
gr_wait_port "$PS" 10 || gr_fail "ss-server"
# shellcheck disable=SC2086
gr_spawn ss_local taskset -c 0 ss-local $U -s 127.0.0.1 -p "$PS" \
    -b 127.0.0.1 -l "$PL" -k "$K" -m aes-256-gcm --no-delay
gr_wait_port "$PL" 10 || gr_fail "ss-local"
PROXIES="ss=127.0.0.1:$PL"
NAMES_ss="ss-local ss-server"
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
	if [ "$UDP" = 1 ]; then
		gr_wait_log "$T/g$i.log" "udp_v1" 10 ||
		    gr_fail "g$i: no udp_v1"
	fi
	sup=$(gr_pid "g$i")
	PROXIES="$PROXIES g$i=127.0.0.1:$sp"
	eval "NAMES_g$i=\"carrier exit\""
	eval "PIDS_g$i=\"$(pgrep -P "$sup" -f gooserelay-carrier) $(pgrep -P "$sup" -f gooserelay-exit)\""
	gr_log "g$i = $b"
done
for p in $(gr_pid sink); do
	taskset -a -p -c 0 "$p" >/dev/null 2>&1 || true
done

for p in $PROXIES; do
	n=${p%%=*}
	a=${p#*=}
	eval "pids=\$PIDS_$n names=\$NAMES_$n"
	# shellcheck disable=SC2086
	for q in $pids; do
		taskset -a -p -c 0 "$q" >/dev/null 2>&1 || true
	done
	# Warm up (connections, estimates) before tracing.
	if [ "$UDP" = 1 ]; then
		taskset -c 0 "$UB" -S "$a" -d "$SP" rtt 200 64 >/dev/null 2>&1
	else
		taskset -c 0 "$GRB" -s echo_rtt -E "$PE" -S "$a" -n 200 \
		    -T 30 >/dev/null 2>&1
	fi
	k=0
	spids=""
	for q in $pids; do
		k=$((k + 1))
		strace -c -f -o "$T/$n.$k.strace" -p "$q" 2>/dev/null &
		spids="$spids $!"
	done
	sleep 1		# strace attaches (no log line to wait on)
	if [ "$UDP" = 1 ]; then
		v=$(taskset -c 0 "$UB" -S "$a" -d "$SP" -L "$n" rtt "$N" 64 |
		    sed -n 's/.*"p50_us":\([0-9.]*\).*/\1/p')
	else
		v=$(taskset -c 0 "$GRB" -s echo_rtt -E "$PE" -S "$a" -n "$N" \
		    -T 120 | sed -n \
		    's/.*"rtt":{[^}]*"p50_us":\([0-9.]*\).*/\1/p')
	fi
	for s in $spids; do
		kill -INT "$s" 2>/dev/null
	done
	for s in $spids; do
		wait "$s" 2>/dev/null
	done
	echo "== $n: $N round trips, p50 ${v:-?} us under strace"
	rt=$N
	[ "$UDP" = 1 ] && rt=$((N + 50))	# udpbench warms up with 50
	k=0
	for q in $names; do
		k=$((k + 1))
		awk -v n="$rt" -v who="$q" '
		    $1 ~ /^[0-9.]+$/ && NF >= 5 {
			c = $4; name = $NF
			if (name == "total") next
			printf "  %-10s %-16s %6.2f\n", who, name, c / n
			t += c
		    }
		    END { printf "  %-10s %-16s %6.2f\n", who, "TOTAL", t / n }
		' "$T/$n.$k.strace"
	done
done
