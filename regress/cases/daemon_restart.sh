#!/bin/sh
# kill -9 of a worker: restarted with growing delays (the logged backoff
# schedule), then counted stable and the backoff reset; a client that
# connects while the worker is down waits in the supervisor's backlog
# and is served after the restart.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
port=$(gr_free_port)
gr_fd_exit_conf "$T/c.json" "$port"
GR_FD_STABLE=2
gr_fd_start gr -f "$T/c.json"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"

pid=$(gr_fd_field exit pid)
kill -9 "$pid"
gr_wait_log "$FD_LOG" 'exit: restarting in .* \(backoff step 1\)' 5 || gr_fail "no restart 1"
# While it is down, connect: the listener lives in the supervisor.
[ "$(gr_fd_field exit state)" = backoff ] || gr_fail "exit not in backoff"
gr_fd_http "$port" 20 >"$T/during" || gr_fail "request during backoff failed"
grep -q ok "$T/during" || gr_fail "wrong answer after restart"
gr_fd_wait_state exit running 10 || gr_fail "not restarted 1"
grep -q "exit: pid $pid killed by signal 9 (SIGKILL)" "$FD_LOG" || gr_fail "cause not logged"

pid=$(gr_fd_field exit pid)
kill -9 "$pid"
gr_wait_log "$FD_LOG" 'exit: restarting in .* \(backoff step 2\)' 5 || gr_fail "no restart 2"
gr_fd_wait_state exit running 10 || gr_fail "not restarted 2"
d1=$(sed -n 's/.*exit: restarting in \([0-9.]*\) s (backoff step 1).*/\1/p' "$FD_LOG")
d2=$(sed -n 's/.*exit: restarting in \([0-9.]*\) s (backoff step 2).*/\1/p' "$FD_LOG")
gr_log "delays: $d1 s then $d2 s"
awk -v a="$d1" -v b="$d2" 'BEGIN { exit !(a >= 1 && b > a) }' ||
    gr_fail "delays do not grow: $d1 then $d2"
[ "$(gr_fd_field exit restarts)" = 2 ] || gr_fail "restarts != 2"
gr_wait_log "$FD_LOG" 'exit: stable for .* backoff reset \(restarts so far: 2\)' 10 ||
    gr_fail "never counted stable"
# After the reset the next death starts at step 1 again.
pid=$(gr_fd_field exit pid)
kill -9 "$pid"
gr_fd_wait_count "$FD_LOG" 'exit: restarting in .* \(backoff step 1\)' 2 5 ||
    gr_fail "backoff not reset"
gr_fd_wait_state exit running 10 || gr_fail "not restarted 3"
gr_log "PASS"
