#!/bin/sh
# A worker that dies under load (after it was ready and served) never
# makes the supervisor give up (issue 18: eight deaths in five minutes
# and the whole daemon exited, so anyone able to crash the exit from the
# network could stop the carrier too).  Once the exit has served for
# BACKOFF_PROVEN_S, kill -9 it ten times in a row, each time as soon as
# it is ready again: it always comes back with a short capped backoff,
# the daemon keeps serving, and a transfer afterwards is intact (sha256).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd curl nginx
gr_setup
gc_ports
gr_mkfile "$DOC/f" 8
gr_nginx "$WEBP" "$DOC"
# POST: every poll is a new connection, nothing waits on a reconnect.
gc_conf direct_post
go_start
gc_fetch f || gr_fail "transfer before"

# epid: the exit's pid and uptime from gooserelayctl status.
exit_field() {
	go_ctl status | awk -v f="$1" '$1 == "exit" { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == f) { sub("s$", "", kv[2]); print kv[2] } } }'
}
# It has served long enough to count as proven (10 s after READY).
i=0
until [ "$(exit_field uptime)" -ge 11 ] 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 300 ] || gr_fail "the exit never ran 11 s"
	sleep 0.1
done
t0=$(date +%s)
n=1
while [ $n -le 10 ]; do
	pid=$(exit_field pid)
	kill -9 "$pid"
	gr_wait_log "$T/gooserelayd.log" "exit: pid $pid killed by signal 9" 10 ||
	    gr_fail "death $n not seen"
	i=0
	until [ "$(exit_field state)" = running ] && [ "$(exit_field pid)" != "$pid" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || gr_fail "the exit did not come back after death $n"
		kill -0 "$(gr_pid gooserelayd)" 2>/dev/null ||
		    gr_fail "gooserelayd exited after death $n: $(grep 'giving up' "$T/gooserelayd.log")"
		sleep 0.1
	done
	n=$((n + 1))
done
t1=$(date +%s)
gr_log "ten deaths under load in $((t1 - t0)) s"
[ $((t1 - t0)) -le 120 ] || gr_fail "ten restarts took $((t1 - t0)) s (backoff not capped?)"
grep -q 'giving up' "$T/gooserelayd.log" && gr_fail "the supervisor gave up"
grep -q 'died at start' "$T/gooserelayd.log" &&
    gr_fail "a death under load was counted as a death at start"
gc_fetch f || gr_fail "transfer after ten restarts"
[ "$(go_ctl status | awk '$1 == "exit" { print $5 }')" = restarts=10 ] ||
    gr_fail "restarts: $(go_ctl status)"
gr_log "PASS"
