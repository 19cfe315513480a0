#!/bin/sh
# A worker made to open a file dies of SIGSYS, the log names it a sandbox
# violation, and it is restarted; a crash (abort) is restarted too.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_need_test_hooks
gr_fd_need_user
gr_setup
gr_fd_libexec
port=$(gr_free_port)
gr_fd_exit_conf "$T/c.json" "$port"
gr_fd_start gr -f "$T/c.json"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
pid1=$(gr_fd_field exit pid)
gr_fd_ctl test open-file exit || gr_fail "test open-file refused"
if "$GOOSERELAYD" -V | grep -q seccomp-debug; then
	# --enable-sandbox-debug: the violation is logged by name, not killed.
	gr_wait_log "$FD_LOG" 'exit: sandbox violation \(debug build, not killed\): system call [0-9]+ \(openat\)' 10 ||
	    gr_fail "debug build did not name the system call"
	gr_fd_ctl test crash exit || gr_fail "test crash refused"
	gr_wait_log "$FD_LOG" "exit: pid $pid1 killed by signal 6 \(SIGABRT\)" 10 ||
	    gr_fail "no crash logged"
	gr_fd_wait_state exit running 10 || gr_fail "exit not restarted after crash"
	gr_log "PASS (sandbox debug build)"
	exit 0
fi
gr_wait_log "$FD_LOG" "exit: pid $pid1 killed by signal 31 \(SIGSYS\): sandbox violation" 10 ||
    gr_fail "no sandbox violation logged"
gr_wait_log "$FD_LOG" 'exit: restarting in' 5 || gr_fail "no restart scheduled"
gr_fd_wait_state exit running 10 || gr_fail "exit not restarted"
pid2=$(gr_fd_field exit pid)
[ "$pid2" != "$pid1" ] || gr_fail "same pid after restart"
[ "$(gr_fd_field exit restarts)" = 1 ] || gr_fail "restarts != 1"
gr_fd_http "$port" >"$T/out" || gr_fail "restarted exit does not serve"

gr_fd_ctl test crash exit || gr_fail "test crash refused"
gr_wait_log "$FD_LOG" "exit: pid $pid2 killed by signal 6 \(SIGABRT\)" 10 ||
    gr_fail "no crash logged"
gr_fd_wait_state exit running 10 || gr_fail "exit not restarted after crash"
[ "$(gr_fd_field exit restarts)" = 2 ] || gr_fail "restarts != 2"
# Unknown roles and tests are refused without harm.
gr_fd_ctl test open-file nosuch 2>/dev/null && gr_fail "bad role accepted"
kill -0 "$FD_PID" || gr_fail "supervisor died"
gr_log "PASS"
