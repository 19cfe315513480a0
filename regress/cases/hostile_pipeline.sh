#!/bin/bash
# Pipelined requests never wedge the exit (issue 18; found by sockfuzz).
# A request that declares a body, pipelined behind another one and
# answered before its body came (healthz, 404, a /tunnel body cut short
# or undecryptable), made libwebsockets 4.1 loop forever inside
# lws_http_action: one connection and the exit served nobody again.  Such
# answers now close the connection.  Each pattern is sent, the client
# goes away, and /healthz must answer within 5 s every time.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
. "$top_srcdir/regress/lib-hostile.sh"
gr_setup
gr_need_root
gr_need_cmd curl

gr_exit_start
# The exit may close a connection while a pattern is still being
# written: that is the point, not a reason for SIGPIPE to end the case.
trap '' PIPE
H='Host: x\r\n'
N="GET /nope HTTP/1.1\r\n$H\r\n"		# answered at once, keep-alive
L1='Content-Length: 1\r\n\r\n'
pats=(
	"${N}GET /healthz HTTP/1.1\r\n$H$L1"
	"${N}GET /nope HTTP/1.1\r\n$H$L1"
	"${N}GET /stream HTTP/1.1\r\n${H}Content-Length: 9\r\n\r\nab"
	"${N}POST /tunnel HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nab"
	"POST /tunnel HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nxyz\
GET /healthz HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n"
	"GET /healthz HTTP/1.1\r\n$H\r\nGET /healthz HTTP/1.1\r\n$H\
Transfer-Encoding: chunked\r\n\r\n5\r\nab"
)
n=0
for req in "${pats[@]}"
do
	n=$((n + 1))
	exec 3<>"/dev/tcp/127.0.0.1/$XPORT" || gr_fail "connect $n"
	printf "$req" >&3
	timeout 1 cat <&3 >"$T/resp.$n" 2>/dev/null
	exec 3>&-
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "$XURL/healthz")
	[ "$code" = 200 ] || gr_fail "pattern $n wedged the exit (healthz: \
$code): $(printf "$req" | head -c 120 | tr '\r\n' '  ')"
	gr_log "pattern $n: $(head -c 12 "$T/resp.$n"), healthz 200"
done
gh_alive exit
