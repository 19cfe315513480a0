#!/bin/bash
# SIGHUP applies changed script_keys to a running apps_script carrier
# (through the Apps Script emulator) under a 16 MiB download, sha256
# checked: B is added next to A; A runs out of quota; then B is removed
# and C added.  The download never breaks, A keeps its counters and its
# quota quarantine across both reloads, C takes the traffic, a key that
# needs a restart (sni) is logged as such, and no full deployment id is
# in the log or the stats.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_setup
gf_setup
gr_need_cmd python3
A=$(gr_deployment_id ops-rl-a)
B=$(gr_deployment_id ops-rl-b)
C=$(gr_deployment_id ops-rl-c)
short() { printf '%.6s\342\200\246%s' "$1" "$(printf '%s' "$1" | tail -c 6)"; }
head -c $((16 * 1024 * 1024)) /dev/urandom >"$DOC/big"
go_slowsrc "$WEBP" "$DOC"
gf_emu_start "$A" "$B" "$C"
RATE=${OPS_RELOAD_RATE:-512k}
ka="{\"id\": \"$A\", \"account\": \"a\"}"
kb="{\"id\": \"$B\", \"account\": \"b\"}"
kc="{\"id\": \"$C\", \"account\": \"c\"}"

gf_conf "[$ka]"
go_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight: .*healthy' 30 ||
    gr_fail "no pre-flight"
go_bg_fetch big "$RATE"
go_ctl stats --json >"$T/f0.json" || gr_fail "stats"
a_ok0=$(go_ep "$T/f0.json" script "$(short "$A")" ok)
a_td0=$(go_ep "$T/f0.json" script "$(short "$A")" today)
[ "$a_ok0" != - ] && [ "$a_ok0" -gt 0 ] || gr_fail "no row for A: $a_ok0"

gf_conf "[$ka, $kb]"
go_hup 2
gr_wait_log "$T/gooserelayd.log" "reload: script_keys: 1 endpoint kept, 1 added, 0 removed" 5 ||
    gr_fail "no reload summary (add)"
go_ctl stats --json >"$T/f1.json" || gr_fail "stats"
a_ok1=$(go_ep "$T/f1.json" script "$(short "$A")" ok)
a_td1=$(go_ep "$T/f1.json" script "$(short "$A")" today)
[ "$a_ok1" -ge "$a_ok0" ] && [ "$a_td1" -ge "$a_td0" ] ||
    gr_fail "A's counters reset: ok $a_ok0 -> $a_ok1, today $a_td0 -> $a_td1"
[ "$(go_ep "$T/f1.json" script "$(short "$B")" ok)" != - ] ||
    gr_fail "no row for B"

gr_emu_ctl emu "/mode?id=$A&mode=quota" >/dev/null
gr_wait_log "$T/gooserelayd.log" 'daily quota exhausted' 30 ||
    gr_fail "A never hit its quota"
go_ctl stats --json >"$T/f2.json" || gr_fail "stats"
a_fail2=$(go_ep "$T/f2.json" script "$(short "$A")" fail)

gf_conf "[$ka, $kc]" "  sni: [\"www.google.com\"]"
go_hup 3
gr_wait_log "$T/gooserelayd.log" "reload: script_keys: 1 endpoint kept, 1 added, 1 removed" 5 ||
    gr_fail "no reload summary (add + remove)"
gr_wait_log "$T/gooserelayd.log" "reload: sni changed; restart gooserelayd to apply it" 5 ||
    gr_fail "restart-only key not reported"
go_ctl stats --json >"$T/f3.json" || gr_fail "stats"
[ "$(go_ep "$T/f3.json" script "$(short "$A")" quota)" = true ] ||
    gr_fail "A's quota quarantine lost by the reload"
[ "$(go_ep "$T/f3.json" script "$(short "$A")" fail)" -ge "$a_fail2" ] ||
    gr_fail "A's failure count reset"
[ "$(go_ep "$T/f3.json" script "$(short "$B")" ok)" = - ] ||
    gr_fail "B still listed"
go_bg_running || gr_fail "the download ended before both reloads (lower OPS_RELOAD_RATE)"
go_bg_check big
go_ctl stats --json >"$T/f4.json" || gr_fail "stats"
go_ctl stats >"$T/table.txt" || gr_fail "stats table"
cat "$T/table.txt" >&2
c_ok=$(go_ep "$T/f4.json" script "$(short "$C")" ok)
[ "$c_ok" -gt 0 ] || gr_fail "C took no traffic"
grep -Eq "SIGSYS|killed by signal|carrier: exited" "$T/gooserelayd.log" &&
    gr_fail "a worker died"
for id in "$A" "$B" "$C"; do
	for f in "$T"/f?.json "$T/table.txt" "$T/gooserelayd.log"; do
		grep -qF "$(printf '%s' "$id" | cut -c7-30)" "$f" &&
		    gr_fail "(part of) a full deployment id in $f"
	done
done
gr_log "A ok $a_ok0 -> $a_ok1, C ok $c_ok"
gr_log "ok"
