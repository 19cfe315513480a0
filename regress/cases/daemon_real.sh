#!/bin/sh
# The supervisor with the real workers (the other daemon_*.sh cases use
# the stand-in): the demo's carrier and exit run sandboxed; opening a
# file kills either with SIGSYS and it comes back; a client that
# connects to the exit while it is down is answered (/healthz) once it
# is back; SIGTERM drains both and exits 0.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_need_test_hooks
gr_fd_need_user
gr_setup
[ -x "$top_builddir/gooserelay-exit" ] && [ -x "$top_builddir/gooserelay-carrier" ] ||
    gr_fail "real workers not built"
GR_FD_WORKERS=real
gr_fd_libexec
gr_fd_start gr
gr_wait_log "$FD_LOG" 'SOCKS5 proxy on 127\.0\.0\.1:[0-9]+' 10 ||
    gr_fail "demo did not start (is there a default config file?)"
eport=$(sed -n 's/.*(exit on 127\.0\.0\.1:\([0-9]*\)).*/\1/p' "$FD_LOG" | head -1)
gr_fd_wait_state carrier running 15 || gr_fail "carrier not running"
gr_fd_wait_state exit running 15 || gr_fail "exit not running"
uid=$(id -u gooserelay)
for role in carrier exit; do
	pid=$(gr_fd_field $role pid)
	st=/proc/$pid/status
	grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]" $st || gr_fail "$role: uid"
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' $st || gr_fail "$role: NoNewPrivs"
	grep -Eq '^Seccomp:[[:space:]]+2$' $st || gr_fail "$role: Seccomp"
	[ "$(readlink /proc/$pid/root)" = /var/empty ] || gr_fail "$role: chroot"
done
gr_fd_http "$eport" >"$T/h0" || gr_fail "exit /healthz"

if ! "$GOOSERELAYD" -V | grep -q seccomp-debug; then
	for role in carrier exit; do
		pid=$(gr_fd_field $role pid)
		gr_fd_ctl test open-file $role || gr_fail "$role: test refused"
		gr_wait_log "$FD_LOG" "$role: pid $pid killed by signal 31 \\(SIGSYS\\): sandbox violation" 10 ||
		    gr_fail "$role: no sandbox violation"
		gr_fd_wait_state $role running 15 || gr_fail "$role: not restarted"
	done
fi

# Down, connect, served after the restart.
pid=$(gr_fd_field exit pid)
n=$(gr_fd_count "$FD_LOG" 'exit: restarting in')
kill -9 "$pid"
gr_fd_wait_count "$FD_LOG" 'exit: restarting in' $((n + 1)) 5 || gr_fail "no restart scheduled"
[ "$(gr_fd_field exit state)" = backoff ] || gr_fail "exit not in backoff"
curl -sS --max-time 30 -o "$T/h1" -w '%{http_code}' \
    "http://127.0.0.1:$eport/healthz" >"$T/code" || gr_fail "request during backoff failed"
[ "$(cat "$T/code")" = 200 ] || gr_fail "HTTP $(cat "$T/code") after restart"
gr_fd_wait_state exit running 15 || gr_fail "exit not running after restart"

cpid=$(gr_fd_field carrier pid)
epid=$(gr_fd_field exit pid)
kill -TERM "$FD_PID"
wait "$FD_PID"; rc=$?
[ "$rc" = 0 ] || gr_fail "SIGTERM exit status $rc"
gr_fd_gone "$cpid" 5 || gr_fail "carrier not reaped"
gr_fd_gone "$epid" 5 || gr_fail "exit not reaped"
gr_log "PASS"
