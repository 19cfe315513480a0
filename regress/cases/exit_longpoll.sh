#!/bin/bash
# Long-poll semantics without timing assertions: an empty poll gets an
# empty batch at the window's end; coalescing windows keep bytes intact; with a 60 s window a download still
# completes within its 30 s deadline (held polls return the moment data
# exists); on SIGTERM a held poll returns at once carrying the RST of
# its live session (graceful shutdown).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd nginx
chmod 755 "$T"

mkdir -p "$T/www"
gr_mkfile "$T/www/f" 4
WANT=$(gr_sha "$T/www/f")
NP=$(gr_free_port)
gr_nginx "$NP" "$T/www"
EP=$(gr_free_port)
gr_sink echo "$EP" -e
printf 'GET /f HTTP/1.0\r\nHost: x\r\n\r\n' >"$T/req"

gr_exit_start "long_poll_window_ms: 300"
n=$(gr_drv poll) || gr_fail "empty poll"
[ "$n" = 0 ] || gr_fail "empty poll returned $n frames"
n=$(gr_drv -b poll) || gr_fail "empty binary poll"
[ "$n" = 0 ] || gr_fail "empty binary poll returned $n frames"
gr_stop gooserelayd

# Coalescing windows on (the throughput preset's values).
gr_exit_start "coalesce_window_ms: 35" "coalesce_window_busy_ms: 15"
gr_drv -b -t 30 fetch "127.0.0.1:$NP" "$T/o" "$T/req" 2>"$T/drv.log" ||
    gr_fail "fetch with coalescing: $(tail -2 "$T/drv.log")"
[ "$(tail -c "$(stat -c %s "$T/www/f")" "$T/o" | sha256sum |
    cut -d' ' -f1)" = "$WANT" ] || gr_fail "fetch with coalescing: sha256"
gr_exit_alive
gr_stop gooserelayd

gr_exit_start "long_poll_window_ms: 60000"
for mode in "" "-b"; do
	gr_drv $mode -t 30 fetch "127.0.0.1:$NP" "$T/o" "$T/req" \
	    2>"$T/drv.log" || gr_fail "fetch $mode: $(tail -2 "$T/drv.log")"
	[ "$(tail -c "$(stat -c %s "$T/www/f")" "$T/o" | sha256sum |
	    cut -d' ' -f1)" = "$WANT" ] || gr_fail "fetch $mode: sha256"
done

# A session to the echo sink that never sends: its polls are held.
gr_spawn held "$GRDRV" -u "$XURL" -k "$XKEY" -t 30 fetch "127.0.0.1:$EP" \
    "$T/held"
# Live once the exit dialed the sink; the poll that carried the SYN is
# then held (the sink sends nothing).
i=0
until "$GOOSERELAYCTL" -s "$T/ctl.sock" stats --json 2>/dev/null |
    python3 -c 'import json, sys
w = [x for x in json.load(sys.stdin) if x.get("role") == "exit"]
c = (w[0].get("counters") or w[0]) if w else {}
sys.exit(0 if c.get("dials_ok", 0) >= 1 else 1)'; do
	i=$((i + 1))
	[ $i -le 100 ] || gr_fail "the held session never reached the sink"
	sleep 0.1
done
kill -TERM "$(gr_pid gooserelayd)"
rc=0; wait "$(gr_pid held)" || rc=$?
[ "$rc" = 2 ] || gr_fail "held poll on shutdown: status $rc, want 2 (RST)"
gr_wait_log "$T/gooserelayd.log" 'exit: pid [0-9]+ exited with status 0' 10 ||
    gr_fail "exit did not shut down cleanly"
