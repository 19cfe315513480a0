#!/bin/sh
# user: and chroot: are obeyed: both workers run as that user, chrooted
# to that directory (before: accepted, printed by -n -v, and ignored).
# gooserelayd -n refuses, with file:line: key, a user that does not
# exist, root, and a directory that is missing, not root's or writable
# by others.  A reload that changes them keeps the running values.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
id nobody >/dev/null 2>&1 || gr_skip "no user nobody"
port=$(gr_free_port)
mkdir -p "$T/empty"
chown root:root "$T/empty"
chmod 755 "$T/empty"
# conf FILE USER DIR
conf() {
	cat >"$1" <<EOT
user: $2
chroot: $3
exit:
  server_host: 127.0.0.1
  server_port: $port
  tunnel_key: $FD_KEY
EOT
	chmod 600 "$1"
}
conf "$T/c.yaml" nobody "$T/empty"
"$GOOSERELAYD" -n -f "$T/c.yaml" >"$T/n.out" 2>&1 || gr_fail "-n: $(cat "$T/n.out")"
gr_fd_start gr -f "$T/c.yaml"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
pid=$(gr_fd_field exit pid)
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" = "$(id -u nobody)" ] || gr_fail "the exit runs as uid $uid, not nobody"
root=$(readlink "/proc/$pid/root")
[ "$root" = "$T/empty" ] || gr_fail "the exit's root is $root, not $T/empty"

# A reload changing them keeps what the workers run as.
conf "$T/c.yaml" gooserelay /var/empty
kill -HUP "$FD_PID"
gr_wait_log "$FD_LOG" 'reload: user changed; restart gooserelayd to apply it \(keeping nobody\)' 10 ||
    gr_fail "user change on reload not reported"
gr_wait_log "$FD_LOG" 'configuration generation 2 loaded' 10 || gr_fail "reload"
kill -9 "$pid"
gr_wait_log "$FD_LOG" 'exit: restarting in' 10 || gr_fail "no restart"
i=0
until [ "$(gr_fd_field exit state)" = running ] && [ "$(gr_fd_field exit pid)" != "$pid" ]; do
	i=$((i + 1)); [ $i -le 100 ] || gr_fail "exit not back"; sleep 0.1
done
pid=$(gr_fd_field exit pid)
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$(id -u nobody)" ] ||
    gr_fail "the respawned exit changed user"
kill -TERM "$FD_PID"
wait "$FD_PID"

# -n refuses what cannot work, naming the line.
conf "$T/bad.yaml" no-such-user-gr "$T/empty"
"$GOOSERELAYD" -n -f "$T/bad.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted an unknown user"
grep -q "bad.yaml:1: user: no such user: no-such-user-gr" "$T/n.out" || gr_fail "unknown user: $(cat "$T/n.out")"
conf "$T/bad.yaml" root "$T/empty"
"$GOOSERELAYD" -n -f "$T/bad.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted root"
grep -q "bad.yaml:1: user: root is root" "$T/n.out" || gr_fail "root: $(cat "$T/n.out")"
conf "$T/bad.yaml" nobody "$T/nonexistent"
"$GOOSERELAYD" -n -f "$T/bad.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted a missing chroot"
grep -q "bad.yaml:2: chroot: $T/nonexistent: No such file or directory" "$T/n.out" ||
    gr_fail "missing chroot: $(cat "$T/n.out")"
mkdir -p "$T/open"
chmod 777 "$T/open"
conf "$T/bad.yaml" nobody "$T/open"
"$GOOSERELAYD" -n -f "$T/bad.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted a writable chroot"
grep -q "bad.yaml:2: chroot: $T/open must be owned by root and writable by root only (owner uid 0, mode 0777)" "$T/n.out" ||
    gr_fail "writable chroot: $(cat "$T/n.out")"
# Refused at start too, before any worker runs.
gr_fd_start gr3 -f "$T/bad.yaml"
rc=0
wait "$FD_PID" || rc=$?
[ "$rc" != 0 ] || gr_fail "started with a writable chroot"
grep -q 'exit: started pid' "$FD_LOG" && gr_fail "a worker was started"
gr_log "PASS"
