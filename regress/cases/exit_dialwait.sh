#!/bin/bash
# Frames for a session whose SYN is still dialing wait for the dial: the
# target's accept queue is kept full at first (sink -b), so the exit's
# SYN is dropped and only the kernel's retransmission connects; the
# client meanwhile sends more data and a FIN in batches of their own.
# The echo brings every byte back in order, after the last frame was
# sent; over binary POST and over /stream.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup

P1=$(gr_free_port)
P2=$(gr_free_port)
gr_exit_start "upstream_dial_timeout_ms: 15000"
for mode in -b -w; do
	port=$P1; [ $mode = -w ] && port=$P2
	gr_spawn "slow$mode" "$GRDRV" sink "$port" -e -b 3000
	gr_wait_log "$T/slow$mode.log" 'backlog full' 10 ||
	    gr_fail "slow sink $mode did not start"
	out=$(gr_drv $mode -t 60 dialwait "127.0.0.1:$port" 2>"$T/drv.log") ||
	    gr_fail "dialwait $mode: $(tail -3 "$T/drv.log")"
	gr_log "$mode: $out"
	grep -q 'backlog drained' "$T/slow$mode.log" ||
	    gr_fail "$mode: the sink's backlog was never drained"
done
gr_exit_alive
