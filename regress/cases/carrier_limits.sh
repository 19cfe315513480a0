#!/bin/bash
# The carrier's storm guard fits a browser (issue 15):
#  1. direct_stream with the default limits serves 1,000 connections one
#     after the other and 300 opened at once, every byte echoed back
#     (GooseRelayVPN's 80/s burst 160 used to close the 161st);
#  2. over new_sessions_per_s a CONNECT waits; what cannot be admitted
#     within the bounded wait gets SOCKS reply 1 (general failure), never
#     a bare close, and the refusals are logged once, with the reason;
#  3. max_live_sessions (lowered by a reload) makes a 4th connection wait
#     until one of 3 live sessions ends, then it is served.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd python3
gr_setup
gc_ports
LOAD="$top_srcdir/regress/tools/socksload.py"
ECHO=$(gr_free_port)
gr_spawn echo python3 "$LOAD" echo "$ECHO"
gr_wait_port "$ECHO" 10 || gr_fail "echo server did not start"

# count FILE CLASS: how many connections ended in CLASS ("-" = 0).
count() {
	awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }' "$1"
}

# --- 1. defaults for a direct transport ---------------------------------
gc_conf direct_stream
"$GOOSERELAYD" -n -v -f "$T/conf.yaml" >"$T/dump.txt" 2>&1 ||
    gr_fail "config check: $(cat "$T/dump.txt")"
grep -Eq 'max_live_sessions.*4096.*default for direct' "$T/dump.txt" ||
    gr_fail "max_live_sessions default not shown: $(grep -i live "$T/dump.txt")"
go_start
python3 "$LOAD" seq "$SOCKS" "$ECHO" 1000 >"$T/seq.out" 2>&1 ||
    gr_fail "1000 sequential connections: $(tr '\n' ' ' <"$T/seq.out")"
gr_log "sequential: $(tr '\n' ' ' <"$T/seq.out")"
python3 "$LOAD" conc "$SOCKS" "$ECHO" 300 >"$T/conc.out" 2>&1 ||
    gr_fail "300 concurrent connections: $(tr '\n' ' ' <"$T/conc.out")"
gr_log "concurrent: $(tr '\n' ' ' <"$T/conc.out")"
grep -q 'refused' "$T/gooserelayd.log" &&
    gr_fail "refusals under the default limits"
gr_stop gooserelayd

# --- 2. over the rate: wait, then a proper refusal ------------------------
gc_conf direct_stream "  new_sessions_per_s: 2
  new_sessions_burst: 2"
go_start
t0=$(date +%s)
python3 "$LOAD" conc "$SOCKS" "$ECHO" 40 >"$T/over.out" 2>&1
t1=$(date +%s)
gr_log "40 at once, 2/s burst 2, in $((t1 - t0)) s:" \
    "$(tr '\n' ' ' <"$T/over.out")"
ok=$(count "$T/over.out" ok)
rep1=$(count "$T/over.out" rep1)
# In the 10 s wait: 2 at once, then one every 0.5 s.
[ "$ok" -ge 12 ] && [ "$ok" -le 30 ] ||
    gr_fail "$ok of 40 admitted at 2/s within the 10 s wait"
[ $((ok + rep1)) = 40 ] ||
    gr_fail "refused connections did not all get SOCKS reply 1"
[ $((t1 - t0)) -le 25 ] || gr_fail "waiting was not bounded"
n=$(grep -c 'socks: refused a connection' "$T/gooserelayd.log")
[ "$n" = 1 ] || gr_fail "$n refusal lines for $rep1 refusals (want 1)"
WHY='more than new_sessions_per_s 2 (burst 2) for 10 s'
grep -q "socks: refused a connection: $WHY" "$T/gooserelayd.log" ||
    gr_fail "refusal reason not logged"
go_ctl stats --json >"$T/s_over.json" || gr_fail "stats"
read -r refused waited <<EOF
$(go_stat "$T/s_over.json" carrier:refused carrier:admit_waited)
EOF
[ "$refused" = "$rep1" ] || gr_fail "refused gauge $refused, $rep1 refused"
[ "$waited" -ge 30 ] || gr_fail "admit_waited $waited"

# --- 3. max_live_sessions, applied by a reload ----------------------------
gc_conf_keep_key() {
	# gc_conf draws a new key; a reload must keep the running one.
	_k=$(sed -n 's/^tunnel_key: //p' "$T/conf.yaml")
	gc_conf "$@"
	sed -i "s/^tunnel_key: .*/tunnel_key: $_k/" "$T/conf.yaml"
}
gc_conf_keep_key direct_stream "  max_live_sessions: 3"
go_hup 2
HOLD="$T/release"
python3 "$LOAD" conc "$SOCKS" "$ECHO" 4 2048 "$HOLD" >"$T/live.out" 2>&1 &
LPID=$!
i=0
while :; do
	go_ctl stats --json >"$T/s_live.json" || gr_fail "stats (live)"
	read -r waiting active <<EOF
$(go_stat "$T/s_live.json" carrier:admit_waiting carrier:active)
EOF
	[ "$waiting" = 1 ] && break
	i=$((i + 1))
	[ $i -lt 80 ] || gr_fail "no connection waiting for a live slot" \
	    "(waiting=$waiting active=$active)"
	sleep 0.1
done
touch "$HOLD"
wait "$LPID" || gr_fail "live cap: $(tr '\n' ' ' <"$T/live.out")"
gr_log "live cap 3, 4 connections: $(tr '\n' ' ' <"$T/live.out")"
gr_log "ok"
