#!/bin/bash
# The descriptor limit is raised before libwebsockets sizes its fd table
# (issue 18).  Started with the common default soft limit of 1024, the
# exit used to create its lws context first (a table for 1024 fds) and
# raise the limit only at the sandbox: with 1,100 tunnelled sessions
# open, the next HTTP connection got an fd over 1024, lws logged "too
# high" through its stderr logger (isatty: SIGSYS) and the exit died with
# every session on it.  Now: 1,100 sessions held over one stream, then
# /healthz, a POST fetch and a second stream all work, the held stream
# is still up, and the worker never died.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_setup
gr_need_root
gr_need_cmd curl

# The tools need more than 1024 descriptors, and so does the exit: as
# root it raises its own limit (to the hard limit at least, which is
# all it can do without CAP_SYS_RESOURCE).  The daemon starts at 1024.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 4096 ] ||
    gr_skip "hard descriptor limit $(ulimit -Hn) < 4096"
ulimit -Sn 4096

gr_mkfile "$T/f" 1
WANT=$(gr_sha "$T/f")
SP=$(gr_free_port)
gr_sink serve "$SP" -s "$T/f"
GP=$(gr_free_port)
gr_spawn greet "$top_builddir/regress/tools/exitload" stuck "$GP" -g
gr_exit_wait_port "$GP" 10 || gr_fail "greeting listener"

ulimit -Sn 1024
gr_exit_start
ulimit -Sn 4096
pid=$(gh_pid exit)
lim=$(awk '/open files/ {print $4}' /proc/$pid/limits)
gr_log "exit pid $pid: descriptor limit $lim"
# lws's table is sized from the limit in force at its creation (-v log).
grep -q "exit: libwebsockets: fd table for $lim descriptors" \
    "$T/gooserelayd.log" || gr_fail "lws fd table: $(grep 'fd table' \
    "$T/gooserelayd.log"), limit $lim"

gr_spawn hold "$top_builddir/regress/tools/exitload" -u "$XURL" -k "$XKEY" \
    hold -n 1100 -t 120 "$GP"
gr_wait_log "$T/hold.log" '^holding 1100 sessions' 60 ||
    gr_fail "1,100 sessions did not open: $(tail -3 "$T/hold.log")"
nfd=$(ls /proc/$pid/fd | wc -l)
gr_log "exit holds $nfd descriptors"
[ "$nfd" -gt 1024 ] || gr_fail "only $nfd descriptors in the exit"

# New connections now get descriptors above 1024: 16 held ones fill
# any hole left below (the exit closes a few descriptors after start).
gr_spawn idle "$SOCKFUZZ" hold "$XPORT" 16 -t 120
gr_wait_log "$T/idle.log" '^holding 16' 20 ||
    gr_fail "16 idle connections: $(tail -3 "$T/idle.log")"
gr_log "exit's highest descriptor: $(ls /proc/$pid/fd | sort -n | tail -1)"
for i in 1 2 3; do
	curl -sS --max-time 10 -o "$T/healthz" "$XURL/healthz" ||
	    gr_fail "healthz $i with 1,100 sessions open"
done
printf 'GET /f HTTP/1.0\r\n\r\n' >"$T/req"
for m in -b -w; do
	gr_drv $m fetch "127.0.0.1:$SP" "$T/o" "$T/req" 2>"$T/drv.log" ||
	    gr_fail "fetch $m: $(tail -3 "$T/drv.log")"
	[ "$(gr_sha "$T/o")" = "$WANT" ] || gr_fail "fetch $m: sha256"
done
gh_alive exit
# The holder still has its stream and every session (SIGUSR1: report).
kill -USR1 "$(gr_pid hold)"
gr_wait_log "$T/hold.log" '^(held|exitload:)' 20 || gr_fail "holder hangs"
grep -q '^held 1100 sessions' "$T/hold.log" ||
    gr_fail "the held stream failed: $(tail -3 "$T/hold.log")"
gh_alive exit
