#!/bin/bash
# Issue 16: an exit fleet behind HAProxy.  Three exits, each in a network
# namespace of its own, behind HAProxy on the host (balance url_param r,
# hash-type consistent, stick on the token, health checks on /healthz:
# the way etc/haproxy.cfg.sample is written); carriers over
# direct_stream, direct_post and apps_script (through the Google
# emulator, whose Code.gs passes the routing token on), one run each.
#  1. 300 echo sessions, byte-exact, over those and 17 more direct_post
#     runs: every carrier's sessions reach one exit (the target sees
#     which), the exits' own counters add up to 300 sessions opened and
#     no RST, and no exit has more than twice its share.
#  2. The host of the exit with the most carriers goes silent (its link
#     down) in the middle of downloads while new sessions keep starting
#     through the others: the downloads on it end with an error within
#     FL_RST_MAX s, its carriers get new sessions through the survivors
#     within FL_NEW_MAX s (FL_APPS_MAX over Apps Script: the requests in
#     flight fail together and each ramps the deployment's blacklist,
#     3, 6, 12 s, health.c; 2-16 s measured), the other downloads finish
#     intact (sha256) and every other session is byte-exact.
#  3. It comes back: carriers that were on the survivors stay where they
#     were (consistent hashing moves only the returning exit's clients).
#  4. Drain (set server ... state drain): a carrier already on the
#     drained exit stays there, fresh carriers never land on it; disable
#     (state maint): its carriers move on, new sessions byte-exact.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
. "$top_srcdir/regress/lib-fleet.sh"
gr_setup
fl_setup 50
gr_need_cmd node openssl bc
FL_NEW_MAX=${FL_NEW_MAX:-5}
FL_RST_MAX=${FL_RST_MAX:-5}
FL_APPS_MAX=${FL_APPS_MAX:-20}
NS=${FL_NS_CARRIERS:-5}		# carriers per transport (apps: 3)
HAP=$(gr_free_port)
for i in 1 2 3; do
	fl_host "$i"
	fl_exit "$i"
done
gr_mkfile "$DOC/8m" 8
gr_mkfile "$DOC/2m" 2
fl_targets
for i in 1 2 3; do
	fl_exit_wait "$i"
done
fl_haproxy "$HAP" 1 2 3
fl_hap_up 3 15 || gr_fail "HAProxy does not see the three exits up"

# The emulator's deployment relays to HAProxy.
gr_test_ca "$T/ca"
EMU_A=$(gr_emu_addr)
DEP=$(gr_deployment_id fleet)
cat >"$T/emu.json" <<EOF
{ "address": "$EMU_A", "port": 443, "cert": "$T/ca/google.pem",
  "key": "$T/ca/google.key", "code": "$GR_CODEGS", "state_dir": "$T",
  "deployments": { "$DEP": { "relay_urls":
    ["http://127.0.0.1:$HAP/tunnel"], "mode": "ok" } } }
EOF
gr_emu emu "$EMU_A" "$T/emu.json"

CARRIERS=""
for k in $(seq 1 "$NS"); do
	fl_carrier "s$k" direct_stream "[\"ws://127.0.0.1:$HAP/stream\"]"
	fl_carrier "p$k" direct_post "[\"http://127.0.0.1:$HAP/tunnel\"]"
	CARRIERS="$CARRIERS s$k p$k"
done
for k in 1 2 3; do
	fl_carrier "a$k" apps_script "" "script_keys: [\"$DEP\"]" \
	    "google_host: \"$EMU_A\"" "sni: [\"www.google.com\"]" \
	    "ca_file: \"$T/ca/ca.pem\"" "quota_state_path: \"$T/q$k.json\""
	CARRIERS="$CARRIERS a$k"
done
# More runs for the spread only (one run maps to one exit: with 13 runs
# an exit would get twice its share about once in 40 cases, with 30
# about once in 30,000).
SPREAD=""
for k in $(seq 1 "${FL_SPREAD:-17}"); do
	fl_carrier "x$k" direct_post "[\"http://127.0.0.1:$HAP/tunnel\"]"
	SPREAD="$SPREAD x$k"
done
PORTS=""
for c in $CARRIERS; do
	fl_carrier_wait "$c"
	eval "PORTS=\"\$PORTS \$SOCKS_$c\""
done
APORTS=$PORTS
for c in $SPREAD; do
	fl_carrier_wait "$c"
	eval "APORTS=\"\$APORTS \$SOCKS_$c\""
done
NC=$(echo $CARRIERS | wc -w)
NALL=$(echo $CARRIERS $SPREAD | wc -w)
PER=$(( (300 + NALL - 1) / NALL ))
NSESS=$((PER * NALL))

# 1. Spread and stickiness.
stat_sum() {
	_s=0
	for _i in 1 2 3; do
		_s=$((_s + $(fl_exit_stat "$_i" "$1")))
	done
	echo "$_s"
}
open0=$(stat_sum sessions_open)
rst0=$(stat_sum rst_sent)
python3 "$FLOAD" run "$FL_T" "$ECHOP" "$PER" 4096 16 $APORTS >"$T/run1" ||
    gr_fail "echo sessions: $(cat "$T/run1")"
open1=$(stat_sum sessions_open)
rst1=$(stat_sum rst_sent)
gr_log "$NSESS sessions: $((open1 - open0)) opened on the exits," \
    "$((rst1 - rst0)) RSTs sent"
[ $((open1 - open0)) = "$NSESS" ] ||
    gr_fail "the exits opened $((open1 - open0)) sessions, not $NSESS"
[ "$rst1" = "$rst0" ] || gr_fail "the exits sent $((rst1 - rst0)) RSTs"
for c in $CARRIERS $SPREAD; do
	eval "sp=\$SOCKS_$c"
	n=$(awk -v t="$sp" '$2 == t { print $1 }' "$T/echo.tags" | sort -u |
	    wc -l)
	[ "$n" = 1 ] || gr_fail "carrier $c: sessions on $n exits"
	e=$(fl_exit_of "$sp")
	eval "ON_$c=$e"
	case $c in x*) echo "$c $e" >>"$T/mapx" ;; *) echo "$c $e" >>"$T/map1" ;;
	esac
done
for i in 1 2 3; do
	n=$(awk -v a="$(fl_addr "$i")" '$1 == a' "$T/echo.tags" | wc -l)
	gr_log "exit $i: $n sessions, $(awk -v e="$i" '$2 == e' \
	    "$T/mapx" | wc -l) spread-only runs, carriers:" \
	    "$(awk -v e="$i" '$2 == e { printf "%s ", $1 }' "$T/map1")"
	[ "$n" -le $((2 * NSESS / 3)) ] ||
	    gr_fail "exit $i has $n of $NSESS sessions (share $((NSESS / 3)))"
done
for c in $SPREAD; do
	gr_stop "$c"
done

# 2. The busiest exit's host goes silent.
# The exit with carriers of the most transports (then the most carriers).
V=$(awk '{ t[$2, substr($1, 1, 1)] = 1; n[$2]++ }
    END { for (e = 1; e <= 3; e++)
	printf "%d %d %d\n", t[e, "s"] + t[e, "p"] + t[e, "a"], n[e], e }' \
    "$T/map1" | sort -rn | head -1 | cut -d' ' -f3)
VICTIMS=$(awk -v e="$V" '$2 == e { print $1 }' "$T/map1")
OTHERS=$(awk -v e="$V" '$2 != e { print $1 }' "$T/map1")
gr_log "exit $V goes away; its carriers: $(echo $VICTIMS)"
for c in $CARRIERS; do
	eval "sp=\$SOCKS_$c"
	case $c in a*) f=2m; r=256k ;; *) f=8m; r=1m ;; esac
	curl -sS --max-time 120 --socks5-hostname "127.0.0.1:$sp" \
	    -o "$T/$c.dl" "http://$FL_T:$SLOWP/$f?rate=$r" \
	    2>"$T/$c.dl.err" &
	eval "DL_$c=$!"
done
for c in $CARRIERS; do
	gc_i=0
	while [ "$(stat -c %s "$T/$c.dl" 2>/dev/null || echo 0)" -lt 65536 ]
	do
		gc_i=$((gc_i + 1))
		[ $gc_i -lt 300 ] || gr_fail "$c: the download did not start"
		sleep 0.05
	done
done
OPORTS=""
for c in $OTHERS; do
	eval "OPORTS=\"\$OPORTS \$SOCKS_$c\""
done
python3 "$FLOAD" run "$FL_T" "$ECHOP" 10 16384 4 $OPORTS >"$T/run2" &
bg=$!
t0=$(date +%s.%N)
fl_link_down "$V"
for c in $VICTIMS; do
	eval "sp=\$SOCKS_$c"
	python3 "$FLOAD" first "$sp" "$FL_T" "$ECHOP" 20 "$t0" \
	    >"$T/$c.first" &
	eval "FIRST_$c=$!"
done
for c in $VICTIMS; do
	eval "wait \$DL_$c" && gr_fail "$c: its download on the dead exit" \
	    "completed (it cannot have)"
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	gr_log "$c: download on the dead exit ended after $t s:" \
	    "$(tr -d '\n' <"$T/$c.dl.err")"
	case $c in a*) max=$FL_APPS_MAX ;; *) max=$FL_RST_MAX ;; esac
	[ "$(echo "$t <= $max" | bc)" = 1 ] ||
	    gr_fail "$c: its download hung for $t s"
done
for c in $VICTIMS; do
	eval "wait \$FIRST_$c"
	f=$(cat "$T/$c.first")
	gr_log "$c: a new session's first byte after $f s"
	case $c in a*) max=$FL_APPS_MAX ;; *) max=$FL_NEW_MAX ;; esac
	[ "$f" != none ] && [ "$(echo "$f <= $max" | bc)" = 1 ] ||
	    gr_fail "$c: no new session within $max s ($f)"
done
touch "$T/release"
for c in $OTHERS; do
	eval "wait \$DL_$c" || gr_fail "$c: download: $(cat "$T/$c.dl.err")"
	case $c in a*) f=2m ;; *) f=8m ;; esac
	[ "$(gr_sha "$T/$c.dl")" = "$(gr_sha "$DOC/$f")" ] ||
	    gr_fail "$c: sha256 mismatch of the download"
done
wait "$bg" || gr_fail "sessions through the survivors: $(cat "$T/run2")"

# 3. Back: only the returning exit's clients may move.
fl_link_up "$V"
fl_hap_up 3 15 || gr_fail "exit $V did not come back up in HAProxy"
python3 "$FLOAD" run "$FL_T" "$ECHOP" 1 4096 16 $PORTS >"$T/run3" ||
    gr_fail "echo sessions after the return: $(cat "$T/run3")"
moved=0
for c in $CARRIERS; do
	eval "sp=\$SOCKS_$c; was=\$ON_$c"
	e=$(fl_exit_of "$sp")
	[ "$e" = "$was" ] && continue
	[ "$was" = "$V" ] ||
	    gr_fail "$c moved from exit $was to $e: it was not on exit $V"
	moved=$((moved + 1))
done
gr_log "after the return: $moved of $NC carriers on another exit than" \
    "before (all of them exit $V's)"

# 4. Drain, then disable, one exit that has carriers.
D=$(python3 "$FLOAD" run "$FL_T" "$ECHOP" 1 64 1 $PORTS >/dev/null;
    for c in $CARRIERS; do eval "fl_exit_of \$SOCKS_$c"; done |
    sort | uniq -c | sort -rn | head -1 | awk '{ print $2 }')
DC=""
for c in $CARRIERS; do
	eval "sp=\$SOCKS_$c"
	[ "$(fl_exit_of "$sp")" = "$D" ] && DC="$DC $c"
done
fl_hap "set server exits/x$D state drain" >/dev/null
for k in 1 2 3 4; do
	fl_carrier "n$k" direct_post "[\"http://127.0.0.1:$HAP/tunnel\"]"
done
NPORTS=""
for k in 1 2 3 4; do
	fl_carrier_wait "n$k"
	eval "NPORTS=\"\$NPORTS \$SOCKS_n$k\""
done
DPORTS=""
for c in $DC; do
	eval "DPORTS=\"\$DPORTS \$SOCKS_$c\""
done
python3 "$FLOAD" run "$FL_T" "$ECHOP" 3 4096 8 $NPORTS $DPORTS \
    >"$T/run4" || gr_fail "sessions while exit $D drains: $(cat "$T/run4")"
for sp in $NPORTS; do
	[ "$(fl_exit_of "$sp")" != "$D" ] ||
	    gr_fail "a fresh carrier landed on the drained exit $D"
done
for sp in $DPORTS; do
	[ "$(fl_exit_of "$sp")" = "$D" ] ||
	    gr_fail "a carrier left the drained exit $D before it was disabled"
done
gr_log "exit $D drained: its carriers ($(echo $DC)) stay, 4 fresh ones" \
    "went elsewhere"
fl_hap "set server exits/x$D state maint" >/dev/null
for sp in $DPORTS; do
	python3 "$FLOAD" first "$sp" "$FL_T" "$ECHOP" 20 >"$T/maint.$sp" ||
	    gr_fail "no new session after exit $D was disabled"
	[ "$(fl_exit_of "$sp")" != "$D" ] ||
	    gr_fail "a session went to the disabled exit $D"
done
gr_log "ok"
