#!/bin/sh
# The embedded demo (no -f, no default file) starts both workers; each
# runs as the service user, chrooted to the empty dir, with NoNewPrivs 1
# and Seccomp 2, and holds only fd 0-3 plus what it built after exec.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
gr_fd_start gr
gr_wait_log "$FD_LOG" 'SOCKS5 proxy on 127\.0\.0\.1:[0-9]+' 10 ||
    gr_fail "demo did not print its SOCKS5 address (is there a default config file?)"
gr_fd_wait_state carrier running 10 || gr_fail "carrier not running"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
uid=$(id -u gooserelay)
for role in carrier exit; do
	pid=$(gr_fd_field $role pid)
	[ -n "$pid" ] && [ "$pid" -gt 0 ] || gr_fail "$role: no pid"
	# The worker is a direct child of the supervisor.
	[ "$(awk '{ print $4 }' /proc/$pid/stat)" = "$FD_PID" ] ||
	    gr_fail "$role: pid $pid is not a child of $FD_PID"
	st=/proc/$pid/status
	grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid\$" $st ||
	    gr_fail "$role: not running as gooserelay: $(grep ^Uid $st)"
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' $st || gr_fail "$role: NoNewPrivs"
	grep -Eq '^Seccomp:[[:space:]]+2$' $st || gr_fail "$role: Seccomp"
	[ "$(readlink /proc/$pid/root)" = /var/empty ] ||
	    gr_fail "$role: root is $(readlink /proc/$pid/root)"
	grep -Eq '^CapEff:[[:space:]]+0+$' $st || gr_fail "$role: has capabilities"
	gr_log "$role pid $pid: uid $uid, chroot /var/empty, NoNewPrivs 1, Seccomp 2"
done
# The demo's SOCKS port is the carrier's listener.
sport=$(sed -n 's/.*SOCKS5 proxy on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$FD_LOG" | head -1)
# (the stand-in worker answers anything with HTTP 200; lib.sh's
# gr_wait_port needs bash's /dev/tcp, and this is /bin/sh)
if [ "${GR_FD_WORKERS:-fake}" = fake ]; then
	gr_fd_http "$sport" 5 >/dev/null || gr_fail "SOCKS port $sport not served"
fi
gr_log "PASS"
