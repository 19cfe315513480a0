#!/bin/sh
# Started as an unprivileged user, gooserelayd warns, and its workers run
# without chroot or user change but still with rlimits, no_new_privs and
# the seccomp filter: opening a file still kills them with SIGSYS.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_need_test_hooks
gr_need_root
gr_need_cmd setpriv
gr_setup
gr_fd_libexec
# The unprivileged daemon creates its control socket in $T.
chown nobody "$T"
nuid=$(id -u nobody)
FD_CTL=$T/ctl.sock
gr_spawn gr setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$GOOSERELAYD" -d -v -s "$FD_CTL" -X "$FD_LIBEXEC"
FD_LOG=$T/gr.log
FD_PID=$(gr_pid gr)
gr_wait_log "$FD_LOG" 'not running as root: workers keep this user' 10 ||
    gr_fail "no warning from the supervisor"
gr_fd_wait_state carrier running 10 || gr_fail "carrier not running"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
gr_wait_log "$FD_LOG" 'exit: not running as root: no chroot and no user change' 5 ||
    gr_fail "no warning from the worker"
for role in carrier exit; do
	pid=$(gr_fd_field $role pid)
	st=/proc/$pid/status
	grep -Eq "^Uid:[[:space:]]+$nuid[[:space:]]" $st || gr_fail "$role: uid"
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' $st || gr_fail "$role: NoNewPrivs"
	grep -Eq '^Seccomp:[[:space:]]+2$' $st || gr_fail "$role: Seccomp"
	[ "$(awk '/^Max processes/ { print $3 }' /proc/$pid/limits)" = 0 ] ||
	    gr_fail "$role: RLIMIT_NPROC not 0"
	[ "$(awk '/^Max file size/ { print $4 }' /proc/$pid/limits)" = 0 ] ||
	    gr_fail "$role: RLIMIT_FSIZE not 0"
done
if ! "$GOOSERELAYD" -V | grep -q seccomp-debug; then
	pid=$(gr_fd_field exit pid)
	gr_fd_ctl test open-file exit || gr_fail "test refused"
	gr_wait_log "$FD_LOG" "exit: pid $pid killed by signal 31 \\(SIGSYS\\): sandbox violation" 10 ||
	    gr_fail "no sandbox violation as non-root"
	gr_fd_wait_state exit running 10 || gr_fail "not restarted"
fi
kill -TERM "$FD_PID"
wait "$FD_PID"; rc=$?
[ "$rc" = 0 ] || gr_fail "SIGTERM exit status $rc"
gr_log "PASS"
