#!/bin/sh
# SIGHUP that moves both listeners, twice, with a live tunnel: the workers
# serve the new ports without a restart (no SIGSYS: libev rebuilds its
# epoll set when a swapped listener, still open in the supervisor, reports
# events), and a download through the new ports arrives intact.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_root
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/4m" 4
gr_nginx "$WEBP" "$DOC"
gc_conf direct_stream
gc_start
gc_fetch 4m || gr_fail "before reload"
for round in 1 2; do
	OLDS=$SOCKS OLDE=$EXITP
	SOCKS=$(gr_free_port)
	EXITP=$(gr_free_port)
	sed -i "s/socks_port: $OLDS\$/socks_port: $SOCKS/;
	    s/$OLDE/$EXITP/g" "$T/conf.yaml"
	kill -HUP "$(gr_pid gooserelayd)"
	gr_wait_log "$T/gooserelayd.log" \
	    "carrier: configuration generation $((round + 1)) applied" 15 ||
	    gr_fail "round $round: generation not applied"
	gr_wait_port "$SOCKS" 15 || gr_fail "round $round: new SOCKS port"
	# The carrier reconnects its stream to the moved exit on its own.
	GR_CURL_TIMEOUT=60 gc_fetch 4m || gr_fail "round $round: fetch"
done
grep -Eq "SIGSYS|killed by signal" "$T/gooserelayd.log" &&
    gr_fail "a worker died during the reloads"
gr_log "ok"
