# Helpers for the exit worker's end-to-end cases (regress/cases/exit_*.sh).
# Source after lib.sh:
#	. "$top_srcdir/regress/lib.sh"
#	. "$top_srcdir/regress/lib-exit.sh"
# The exit runs under the real supervisor: gooserelayd -d -f conf -X dir.

GRDRV="$top_builddir/regress/tools/grdrv"

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
	gr_spawn gooserelayd "$GOOSERELAYD" -d -v -f "$T/exit.yaml" \
	    -s "$T/ctl.sock" -X "$GR_LIBEXEC"
	gr_wait_log "$T/gooserelayd.log" 'exit: ready' 15 ||
	    gr_fail "exit did not become ready"
	export XPORT XKEY XURL
}

# gr_drv ARGS...: grdrv against the running exit.
gr_drv() {
	"$GRDRV" -u "$XURL" -k "$XKEY" "$@"
}

# gr_sink NAME PORT [-e]: sha256 sink (or echo with -e) on 127.0.0.1.
gr_sink() {
	_xsn=$1; _xsp=$2; shift 2
	gr_spawn "$_xsn" "$GRDRV" sink "$_xsp" "$@"
	gr_wait_port "$_xsp" 10 || gr_fail "sink $_xsn did not start"
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
