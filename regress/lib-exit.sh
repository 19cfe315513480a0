# Helpers for the exit worker's end-to-end cases (regress/cases/exit_*.sh).
# Source after lib.sh:
#	. "$top_srcdir/regress/lib.sh"
#	. "$top_srcdir/regress/lib-exit.sh"
# The exit runs under the real supervisor: gooserelayd -d -f conf -X dir.
# XWRAP (e.g. "ip netns exec NS", see gr_exit_netns) prefixes the exit,
# the driver and the sinks, so a case can run them all in a namespace.

GRDRV="$top_builddir/regress/tools/grdrv"
XWRAP=${XWRAP:-}

# gr_exit_start [YAML LINES...]: write $T/exit.yaml (exit section on a
# free port, random key, extra lines appended inside the section), start
# gooserelayd and wait until the exit is ready.  Sets XPORT, XKEY, XURL.
gr_exit_start() {
	XPORT=$(gr_free_port)
	XKEY=$(gr_key)
	XURL="http://127.0.0.1:$XPORT"
	{
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $XPORT"
		echo "  tunnel_key: \"$XKEY\""
		for _l in "$@"; do
			echo "  $_l"
		done
	} >"$T/exit.yaml"
	gr_spawn gooserelayd $XWRAP "$GOOSERELAYD" -d -v -f "$T/exit.yaml" \
	    -s "$T/ctl.sock" -X "$GR_LIBEXEC"
	gr_wait_log "$T/gooserelayd.log" 'exit: ready' 15 ||
	    gr_fail "exit did not become ready"
	export XPORT XKEY XURL
}

# gr_drv ARGS...: grdrv against the running exit.
gr_drv() {
	$XWRAP "$GRDRV" -u "$XURL" -k "$XKEY" "$@"
}

# gr_sink NAME PORT [-e]: sha256 sink (or echo with -e) on 127.0.0.1.
gr_sink() {
	_xsn=$1; _xsp=$2; shift 2
	gr_spawn "$_xsn" $XWRAP "$GRDRV" sink "$_xsp" "$@"
	gr_exit_wait_port "$_xsp" 10 || gr_fail "sink $_xsn did not start"
}

# gr_exit_alive: the exit worker never died of a signal in this case.
gr_exit_alive() {
	if grep -Eq 'exit: pid [0-9]+ (killed|exited)' "$T/gooserelayd.log"
	then
		gr_fail "the exit worker died: $(grep -E 'exit: pid' \
		    "$T/gooserelayd.log" | head -3)"
	fi
}

# gr_http_raw PORT: send stdin as raw bytes to 127.0.0.1:PORT, print the
# status code of the reply (python: bash cannot half-close a socket).
gr_http_raw() {
	python3 -c '
import socket, sys
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(data)
if sys.argv[2] == "halfclose":
    s.shutdown(socket.SHUT_WR)
buf = b""
try:
    while b"\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except Exception:
    pass
print(buf.split(b" ")[1].decode() if buf.startswith(b"HTTP/") else "none")
' "$1" "${2:-keep}"
}

# gr_exit_wait_port PORT [SECONDS]: gr_wait_port, inside XWRAP.
gr_exit_wait_port() {
	[ -z "$XWRAP" ] && { gr_wait_port "$@"; return; }
	_xp=$1; _xs=${2:-10}
	_xi=0
	while [ $_xi -lt $((_xs * 20)) ]; do
		$XWRAP bash -c "exec 3<>/dev/tcp/127.0.0.1/$_xp" 2>/dev/null &&
		    return 0
		sleep 0.05; _xi=$((_xi + 1))
	done
	gr_log "timeout (${_xs}s) waiting for port $_xp in $XWRAP"
	return 1
}

# gr_exit_ctl ARGS...: gooserelayctl on the exit's daemon.
gr_exit_ctl() {
	"$GOOSERELAYCTL" -s "$T/ctl.sock" "$@"
}

# gr_exit_stat NAME: one counter or gauge of the exit's stats --json
# (sed, not python: python3 behind pyenv shims takes seconds to start).
gr_exit_stat() {
	gr_exit_ctl stats --json |
	    sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" | head -1
}

# gr_exit_netns: a network namespace of this case's own: lo up, and
# TEST-NET-1 192.0.2.0/24 routed to a device that silently drops what it
# is given (dummy, or ifb where the kernel has no dummy driver), so a SYN
# there vanishes and connect() hangs.  Sets XNS and XWRAP; the namespace
# is deleted on exit.
gr_exit_netns() {
	gr_need_root
	ip netns list >/dev/null 2>&1 || gr_skip "ip netns unavailable"
	XNS="gr-$GR_CASE-$$"
	ip netns add "$XNS" || gr_skip "cannot create a network namespace"
	trap gr_exit_netns_del EXIT
	XWRAP="ip netns exec $XNS"
	$XWRAP ip link set lo up || gr_fail "namespace $XNS: lo"
	$XWRAP ip link add blk0 type dummy 2>/dev/null ||
	    $XWRAP ip link add blk0 type ifb ||
	    gr_fail "namespace $XNS: no dummy or ifb device"
	$XWRAP ip link set blk0 up &&
	    $XWRAP ip route add 192.0.2.0/24 dev blk0 ||
	    gr_fail "namespace $XNS: route"
	export XNS XWRAP
}

# EXIT trap: the namespace goes (it lives on until the processes in it
# are stopped by gr_cleanup), then the usual cleanup with the case's
# status.
gr_exit_netns_del() {
	_xrc=$?
	ip netns del "$XNS" 2>/dev/null || true
	(exit $_xrc)
	gr_cleanup
}
