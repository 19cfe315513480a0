#!/bin/bash
# At the descriptor limit the exit pauses accepting instead of spinning
# (issue 18): accept4 fails with EMFILE and leaves the connection queued,
# so the level-triggered watcher fired again at once, and the exit logged
# 13.2 million "accept4: Too many open files" lines in 43 s (RSS 7 ->
# 458 MB).  Here the exit uses up its descriptors (a test hook), 200
# connections wait in the listen queue, the exit says so once and stays
# quiet (a 3 s window, measured), then gets its descriptors back, says
# it accepts again, and serves the waiting connections and /healthz.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_setup
gr_need_root
gr_need_cmd curl

gr_exit_start
gr_exit_ctl test fill-fds exit >/dev/null 2>&1 ||
    gr_skip "built without test hooks (--disable-test-hooks)"
gr_wait_log "$T/gooserelayd.log" 'exit: test: holding [0-9]+ more' 10 ||
    gr_fail "the exit did not take its descriptors"

gr_spawn flood "$SOCKFUZZ" hold "$XPORT" 200 -t 120
gr_wait_log "$T/gooserelayd.log" 'exit: accept' 10 ||
    gr_fail "no accept failure logged"
# A measurement window, not a wait for an event: a spinning exit logs
# hundreds of thousands of lines in it.
sleep 3
n=$(gh_lines 'exit: accept')
gr_log "accept lines while out of descriptors: $n"
[ "$n" -le 2 ] || gr_fail "$n accept lines in 3 s: $(grep 'exit: accept' \
    "$T/gooserelayd.log" | sort | uniq -c | sort -rn | head -3)"
grep -q 'exit: accept: .*(descriptor limit [0-9]*): not accepting' \
    "$T/gooserelayd.log" || gr_fail "the pause was not explained"

gr_exit_ctl test release-fds exit >/dev/null || gr_fail "release-fds"
gr_wait_log "$T/gooserelayd.log" 'exit: accept: accepting again after' 10 ||
    gr_fail "the exit did not recover"
# One pause per 0.5 s: a gate that restarts the watcher at once spins
# quietly (this is where an expired libev timer's 0 s remainder showed).
line=$(grep 'exit: accept: accepting again after' "$T/gooserelayd.log")
gr_log "$line"
p=$(echo "$line" | sed -n 's/.* s (\([0-9]*\) pause.*/\1/p')
[ -n "$p" ] && [ "$p" -le 30 ] || gr_fail "$p pauses: the gate spun"
gr_wait_log "$T/flood.log" '^holding 200' 20 ||
    gr_fail "the queued connections were not served"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$XURL/healthz")
[ "$code" = 200 ] || gr_fail "healthz after recovery: $code"
gh_alive exit
