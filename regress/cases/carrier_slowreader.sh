#!/bin/bash
# Issue 18: a SOCKS client that reads slower than the tunnel is slowed
# down, never reset.  On 7aa14fb direct_post had no receive flow control
# and such a session died with "session aborted: rx_overflow" once 64 MiB
# waited for it (curl --limit-rate 20M: cut at 7 MB).  Now the exit keeps
# to per-session windows (rx_window_v1, rxwin.c).  Over direct_post and
# over the stream, at once: 64 MiB of random data read at 5 MB/s, 100 MiB
# read at 20 MB/s (more than the 64 MiB a session may queue: the case
# that was reset), and the 64 MiB without a limit, which must finish
# while the 5 MB/s one still runs (a slow reader holds only its own
# session back); every copy matches (sha256), no session is reset, and
# the carrier's RSS stays under 256 MiB (logged).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3 pgrep bc
gr_setup
gc_ports
gr_mkfile "$DOC/64m" 64
gr_mkfile "$DOC/100m" 100
gr_nginx "$WEBP" "$DOC"
LOG="$T/gooserelayd.log"
RSS_MAX_KB=$((256 * 1024))

# fetch_bg NAME FILE [curl args]: FILE through the tunnel into
# $T/NAME.out, in the background (PID_NAME, FILE_NAME).
fetch_bg() {
	_n=$1; _f=$2; shift 2
	curl -sS --max-time 100 --socks5-hostname "127.0.0.1:$SOCKS" "$@" \
	    -o "$T/$_n.out" "http://127.0.0.1:$WEBP/$_f" 2>"$T/$_n.err" &
	eval "PID_$_n=$!; FILE_$_n=$_f"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

slow_readers() {
	_mode=$1
	gc_conf "$_mode"
	go_start
	if [ "$_mode" = direct_stream ]; then
		gr_wait_log "$LOG" "stream: connected" 10 ||
		    gr_fail "$_mode: stream never connected"
	fi
	_cpid=$(gc_worker_pid carrier)
	fetch_bg slow5 64m --limit-rate 5M
	fetch_bg slow20 100m --limit-rate 20M
	# The fast one starts once the slow ones hold their windows.
	gc_wait_size "$T/slow5.out" 1000000 20 ||
	    gr_fail "$_mode: slow download did not start"
	_t0=$(date +%s.%N)
	fetch_bg fast 64m
	_max=0
	_fast_done=""
	_i=0
	while kill -0 "$PID_slow5" 2>/dev/null && [ $_i -lt 1200 ]; do
		_r=$(rss_kb "$_cpid")
		[ "$_r" -gt "$_max" ] && _max=$_r
		if [ -z "$_fast_done" ] && ! kill -0 "$PID_fast" 2>/dev/null
		then
			_fast_done=$(stat -c %s "$T/slow5.out")
			_fast_s=$(echo "$(date +%s.%N) - $_t0" | bc)
		fi
		sleep 0.1; _i=$((_i + 1))
	done
	for _n in slow5 slow20 fast; do
		eval "_p=\$PID_$_n; _f=\$FILE_$_n"
		wait "$_p" ||
		    gr_fail "$_mode: $_n failed: $(cat "$T/$_n.err")"
		[ "$(gr_sha "$T/$_n.out")" = "$(gr_sha "$DOC/$_f")" ] ||
		    gr_fail "$_mode: $_n: sha256 mismatch"
		rm -f "$T/$_n.out"
	done
	[ -n "$_fast_done" ] ||
	    gr_fail "$_mode: the fast download did not finish before the 5 MB/s one"
	! grep -q "session aborted" "$LOG" ||
	    gr_fail "$_mode: a session was aborted: $(grep "session aborted" "$LOG" | head -n 3)"
	gr_log "$_mode: fast download done in ${_fast_s}s, when the 5 MB/s one had $_fast_done bytes; carrier RSS max $((_max / 1024)) MiB"
	[ "$_max" -lt "$RSS_MAX_KB" ] ||
	    gr_fail "$_mode: carrier RSS ${_max} kB"
	gr_stop gooserelayd
}

slow_readers direct_post
slow_readers direct_stream
gr_log "ok"
