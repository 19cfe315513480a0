#!/bin/bash
# Session GC with session_idle_timeout_s: 3 (GooseRelayVPN's fixed 10
# minutes, made configurable): a session with no client frame and no
# downstream data is collected - its upstream connection closed at the
# target, an RST sent to the client, and a later frame for it answered
# with RST (GooseRelayVPN's signal) - while a session the client keeps
# using survives, every echoed byte intact, and so does one that only
# receives (draining counts as activity); over binary POST and /stream;
# upstream sockets have TCP keepalive on.
# Done sessions (FIN both ways) leave the table.  The timeout is set by a
# reload of the running worker; the new keys are bounds checked at -n
# time.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd ss

# Bounds, at configuration check time.
for kv in "session_idle_timeout_s: 86401" "session_idle_timeout_s: -1" \
    "stream_disconnect_grace_s: 3601" "stream_disconnect_grace_s: x"; do
	printf 'exit:\n  server_port: 1\n  tunnel_key: "%s"\n  %s\n' \
	    "$(gr_key)" "$kv" >"$T/bad.yaml"
	"$GOOSERELAYD" -n -f "$T/bad.yaml" 2>"$T/n.log" &&
	    gr_fail "accepted $kv"
	grep -q "${kv%%:*}" "$T/n.log" ||
	    gr_fail "$kv: the error does not name the key: $(cat "$T/n.log")"
done
printf 'exit:\n  server_port: 1\n  tunnel_key: "%s"\n  %s\n  %s\n' \
    "$(gr_key)" "session_idle_timeout_s: 1" "stream_disconnect_grace_s: 3600" \
    >"$T/good.yaml"
"$GOOSERELAYD" -n -f "$T/good.yaml" >/dev/null 2>"$T/n.log" ||
    gr_fail "rejected good bounds: $(cat "$T/n.log")"

EP=$(gr_free_port)
gr_sink echo "$EP" -e
TP=$(gr_free_port)
gr_sink trickle "$TP" -t 250
# Started with the default, then reloaded (SIGHUP, same worker) to 3 s:
# the sweep follows the new timeout.
gr_exit_start "session_idle_timeout_s: 600" "long_poll_window_ms: 1000"
exit_pids() {
	sed -n 's/.*exit: started pid \([0-9]*\).*/\1/p' "$T/gooserelayd.log"
}
pid=$(exit_pids)
sed -i 's/session_idle_timeout_s: 600/session_idle_timeout_s: 3/' "$T/exit.yaml"
kill -HUP "$(gr_pid gooserelayd)"
gr_wait_log "$T/gooserelayd.log" 'exit: applied configuration generation 2' \
    10 || gr_fail "reload not applied"
[ "$(exit_pids)" = "$pid" ] || gr_fail "the exit restarted for a reload"

# wait_closed N REGEX [SINK]: N lines of the sink's log match.
wait_closed() {
	_f=$T/${3:-echo}.log
	_i=0
	while [ "$(grep -c -- "$2" "$_f")" -lt "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	[ "$(grep -c -- "$2" "$_f")" -ge "$1" ]
}

n=0
for mode in -b -w; do
	n=$((n + 1))
	gr_drv $mode -t 60 idlegc "127.0.0.1:$EP" "127.0.0.1:$EP" 9 \
	    "127.0.0.1:$TP" >"$T/out" 2>"$T/drv.log" &
	drv=$!
	# Meanwhile: the exit's upstream sockets have TCP keepalive on.
	i=0
	while ! ss -tnoH state established "( dport = :$EP )" 2>/dev/null |
	    grep -q 'timer:(keepalive' && [ $i -lt 60 ]; do
		sleep 0.05; i=$((i + 1))
	done
	ss -tnoH state established "( dport = :$EP )" | grep -q 'keepalive' ||
	    gr_fail "$mode: no keepalive on the upstream sockets: $(ss -tno \
	    state established "( dport = :$EP )")"
	wait $drv || gr_fail "idlegc $mode: $(tail -3 "$T/drv.log")"
	gr_log "$mode: $(cat "$T/out")"
	# Ours tells the client at once (GooseRelayVPN only answers the
	# session's next frame with RST, which idlegc checked as well).
	grep -q 'RST pushed' "$T/out" || gr_fail "$mode: no RST pushed"
	# The collected session's upstream was closed by the exit; the
	# active one only when the client closed it (FIN).
	wait_closed $n 'closed tag=idle-A bytes=7 by=' ||
	    gr_fail "$mode: the idle session's upstream is still open"
	wait_closed $n 'closed tag=active-B .* by=eof' ||
	    gr_fail "$mode: the active session's upstream did not see EOF"
	wait_closed $n 'closed tag=down-C .* by=eof' trickle ||
	    gr_fail "$mode: the downstream-only session did not see EOF"
	# Nothing left in the table: the collected session went at once,
	# the finished one (FIN both ways) at the next sweep.
	i=0
	while [ "$(gr_exit_stat active)" != 0 ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(gr_exit_stat active)" = 0 ] ||
	    gr_fail "$mode: $(gr_exit_stat active) session(s) left"
done
gr_exit_alive
