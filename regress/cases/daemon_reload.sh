#!/bin/sh
# SIGHUP with a broken file keeps serving the old configuration; SIGHUP
# with a changed port moves the listener (new port served, old closed)
# and the worker reports the new generation without a restart.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
port=$(gr_free_port)
gr_fd_exit_conf "$T/c.json" "$port"
gr_fd_start gr -f "$T/c.json"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
pid=$(gr_fd_field exit pid)

# Broken: an out-of-range port.
sed "s/\"server_port\": $port/\"server_port\": 99999/" "$T/c.json" >"$T/bad" &&
    cp "$T/bad" "$T/c.json"
kill -HUP "$FD_PID"
gr_wait_log "$FD_LOG" 'configuration reloading FAILED' 5 || gr_fail "broken reload not refused"
grep -q 'c.json:[0-9]*: server_port' "$FD_LOG" || gr_fail "no file:line: key message"
gr_fd_http "$port" >"$T/o1" || gr_fail "not serving after a broken reload"
[ "$(gr_fd_field exit generation)" = 1 ] || gr_fail "generation changed"

# Changed port.
port2=$(gr_free_port)
gr_fd_exit_conf "$T/c.json" "$port2"
kill -HUP "$FD_PID"
gr_wait_log "$FD_LOG" 'configuration generation 2 loaded' 5 || gr_fail "reload not done"
gr_wait_log "$FD_LOG" 'exit: configuration generation 2 applied' 5 || gr_fail "not applied"
gr_fd_http "$port2" >"$T/o2" || gr_fail "new port $port2 not served"
if curl -s --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
	gr_fail "old port $port still open"
fi
[ "$(gr_fd_field exit pid)" = "$pid" ] || gr_fail "worker restarted for a reload"
[ "$(gr_fd_field exit generation)" = 2 ] || gr_fail "generation != 2"
# gooserelayctl reload does the same (nothing changed: generation 3).
gr_fd_ctl reload | grep -q 'generation 3' || gr_fail "ctl reload"
gr_fd_wait_state exit running 5 || gr_fail "not running after ctl reload"
gr_log "PASS"
