#!/bin/bash
# Oversized requests never kill the sandboxed exit (issue 18): a 5,000-
# byte header line, an 8 KiB URI and 500 headers overflow libwebsockets'
# header buffer, and its stderr logger used to call isatty(2), an ioctl
# outside the seccomp filter (SIGSYS; eight in two minutes and the
# supervisor gave up).  Now lws logs through ours, at a bounded rate:
# 40 rounds of the three requests, the worker keeps its pid, at most 20
# lws lines per 10 s reach the log, /healthz answers and a fetch over
# POST and over the stream still carries the right bytes.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_setup
gr_need_root

gr_mkfile "$T/f" 1
WANT=$(gr_sha "$T/f")
SP=$(gr_free_port)
gr_sink serve "$SP" -s "$T/f"
gr_exit_start
grep -q 'exit: hello from pid [0-9]*, sandboxed' "$T/gooserelayd.log" ||
    gr_fail "the exit is not sandboxed"

t0=$(date +%s)
"$SOCKFUZZ" bigreq "$XPORT" -n 40 >"$T/bigreq.out" 2>&1 ||
    gr_fail "bigreq: $(tail -3 "$T/bigreq.out")"
t1=$(date +%s)
gr_log "$(tr '\n' ';' <"$T/bigreq.out")"
gh_alive exit

# 20 lines per 10 s window (liblog.c), one more per window for the
# count of those left out; a window may straddle the run's ends.
n=$(gh_lines 'exit: lws: ')
max=$(( (20 + 1) * ((t1 - t0) / 10 + 2) ))
gr_log "lws lines: $n (at most $max in $((t1 - t0)) s)"
[ "$n" -le "$max" ] || gr_fail "$n lws lines in $((t1 - t0)) s"
[ "$n" -ge 1 ] || gr_fail "no lws line: the overflow went unnoticed"

printf 'GET /f HTTP/1.0\r\n\r\n' >"$T/req"
for m in -b -w; do
	gr_drv $m fetch "127.0.0.1:$SP" "$T/o" "$T/req" 2>"$T/drv.log" ||
	    gr_fail "fetch $m: $(tail -3 "$T/drv.log")"
	[ "$(gr_sha "$T/o")" = "$WANT" ] || gr_fail "fetch $m: sha256"
done
gh_alive exit
