#!/bin/bash
# Exit fleet behind HAProxy (issue 16), on this machine: sessions/s and
# aggregate download throughput of K direct_stream carriers through
# HAProxy in front of 1, 2 and 3 exits, side by side with the same
# carriers connected straight to one exit; HAProxy's CPU per GiB; then
# the time until a carrier whose exit's host died gets a new session
# through a survivor, p50/max over KILLS link failures, behind HAProxy
# and without a balancer (the carrier lists the three exits).  Exits run in
# network namespaces (regress/lib-fleet.sh), so: root.  From the build
# directory:
#	top_srcdir=.. top_builddir=. bash ../bench/fleet.sh [K] [KILLS] [MIB]
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
top_builddir=$(cd "${top_builddir:-.}" && pwd)	# nginx wants absolute paths
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fleet.sh"
gr_setup
fl_setup 60
K=${1:-6}
KILLS=${2:-10}
MIB=${3:-128}
NSESS=${NSESS:-300}		# echo sessions per carrier
for i in 1 2 3; do
	fl_host "$i"
	fl_exit "$i" "max_sessions: 65536"
done
gr_mkfile "$DOC/big" "$MIB"
fl_targets
for i in 1 2 3; do
	fl_exit_wait "$i"
done
HAP=$(gr_free_port)
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)

# carriers URL: K direct_stream carriers on URL, named c1..cK.
carriers() {
	for k in $(seq 1 "$K"); do
		fl_carrier "c$k" direct_stream "[\"$1\"]" \
		    "max_live_sessions: 4096" "new_sessions_per_s: 100000" \
		    "new_sessions_burst: 100000"
	done
	PORTS=""
	for k in $(seq 1 "$K"); do
		fl_carrier_wait "c$k"
		eval "PORTS=\"\$PORTS \$SOCKS_c$k\""
	done
}

carriers_stop() {
	for k in $(seq 1 "$K"); do
		gr_stop "c$k"
	done
}

# measure LABEL [HAPROXY_PID]: one line of results.
measure() {
	t0=$(date +%s.%N)
	python3 "$FLOAD" run "$FL_T" "$ECHOP" "$NSESS" 64 32 $PORTS \
	    >"$T/sess.out" || gr_log "$1: $(cat "$T/sess.out")"
	t1=$(date +%s.%N)
	ok=$(sed -n 's/^ok //p' "$T/sess.out")
	sps=$(echo "$ok / ($t1 - $t0)" | bc)
	[ -n "${2:-}" ] && h0=$(ticks "$2")
	t0=$(date +%s.%N)
	pids=""
	for sp in $PORTS; do
		curl -sS --max-time 300 --socks5-hostname "127.0.0.1:$sp" \
		    -o /dev/null -w '%{size_download}\n' \
		    "http://$FL_T:$WEBP/big" >>"$T/bytes.$1" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || gr_log "$1: a download failed"
	done
	t1=$(date +%s.%N)
	bytes=$(awk '{ s += $1 } END { print s }' "$T/bytes.$1")
	mbs=$(echo "$bytes / ($t1 - $t0) / 1000000" | bc)
	cpu="-"
	if [ -n "${2:-}" ]; then
		h1=$(ticks "$2")
		cpu=$(echo "scale=2; ($h1 - $h0) / $HZ / ($bytes / 1073741824)" |
		    bc)
	fi
	printf '%-22s %8s sessions/s %6s MB/s  haproxy %s CPU s/GiB\n' \
	    "$1" "$sps" "$mbs" "$cpu" | tee -a "$T/results"
}

gr_log "K=$K carriers, $NSESS echo sessions each, $MIB MiB download each"
carriers "ws://$(fl_addr 1):$XPORT/stream"
measure "direct, 1 exit"
carriers_stop
for n in 1 2 3; do
	fl_haproxy "$HAP" $(seq 1 "$n")
	fl_hap_up "$n" 15 || gr_fail "HAProxy: $n exits not up"
	HPID=$(gr_pid haproxy)
	carriers "ws://127.0.0.1:$HAP/stream"
	measure "haproxy, $n exit(s)" "$HPID"
	carriers_stop
	gr_stop haproxy
done

# Recovery after an exit's host dies, KILLS times.
fl_haproxy "$HAP" 1 2 3
fl_hap_up 3 15 || gr_fail "HAProxy: 3 exits not up"
carriers "ws://127.0.0.1:$HAP/stream"
: >"$T/recover"
for r in $(seq 1 "$KILLS"); do
	python3 "$FLOAD" run "$FL_T" "$ECHOP" 1 64 8 $PORTS >/dev/null
	sp=${PORTS%% *}
	sp=$(echo $PORTS | cut -d' ' -f$(( (r - 1) % K + 1 )))
	v=$(fl_exit_of "$sp")
	t0=$(date +%s.%N)
	fl_link_down "$v"
	f=$(python3 "$FLOAD" first "$sp" "$FL_T" "$ECHOP" 30 "$t0")
	echo "$f" >>"$T/recover"
	gr_log "kill $r: exit $v down, a new session after $f s"
	fl_link_up "$v"
	fl_hap_up 3 15 || gr_fail "exit $v did not come back"
done
pctl() {
	sort -n "$1" | awk -v l="$2" '{ a[NR] = $1 } END {
	    printf "%-34s p50 %.2f s, max %.2f s (%d kills)\n",
	    l, a[int((NR + 1) / 2)], a[NR], NR }' | tee -a "$T/results"
}
pctl "$T/recover" "recovery behind HAProxy:"
carriers_stop
gr_stop haproxy

# Without a balancer: one direct_stream and one direct_post carrier that
# list the three exits; each time the exit they use dies.
U=""
R=""
for i in 1 2 3; do
	U="$U${U:+, }\"ws://$(fl_addr "$i"):$XPORT/stream\""
	R="$R${R:+, }\"http://$(fl_addr "$i"):$XPORT/tunnel\""
done
fl_carrier ns direct_stream "[$U]"
fl_carrier np direct_post "[$R]"
fl_carrier_wait ns
fl_carrier_wait np
: >"$T/rec.ns"
: >"$T/rec.np"
# One carrier at a time, and after each return a pause longer than
# dead_host_timeout_ms: a link that flapped leaves connections that the
# exit's kernel answers with an RST, which would fail over at once.
for c in ns np; do
	eval "sp=\$SOCKS_$c"
	for r in $(seq 1 "$KILLS"); do
		sleep 4
		python3 "$FLOAD" run "$FL_T" "$ECHOP" 4 64 1 "$sp" >/dev/null
		v=$(fl_exit_of "$sp")
		t0=$(date +%s.%N)
		fl_link_down "$v"
		f=$(python3 "$FLOAD" first "$sp" "$FL_T" "$ECHOP" 30 "$t0")
		echo "$f" >>"$T/rec.$c"
		gr_log "no balancer, $c: exit $v down, a new session after $f s"
		fl_link_up "$v"
	done
done
pctl "$T/rec.ns" "no balancer, direct_stream:"
pctl "$T/rec.np" "no balancer, direct_post:"
cat "$T/results"
