#!/bin/sh
# Twenty reloads within two seconds, from gooserelayctl and SIGHUP at
# once, during a download, some of them invalid (a YAML error: refused
# at once; a port the carrier refuses through the test hook: rolled
# back), the last four while the carrier is stopped (SIGSTOP), so they
# arrive while it is still to apply the first of them.  The download
# is intact (sha256), no worker is killed as a protocol violator, every
# request gets an answer, and the daemon ends on the last valid file:
# every worker on the supervisor's generation, the last socks_port
# served, the others closed.  (Before: a reload arriving while a worker
# applied the previous one was lost, the worker stayed on an older
# generation and the new port was bound but never served.)
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_test_hooks
gr_need_cmd curl python3
gr_setup
gc_ports
BAD=$(gr_free_port)
P1=$(gr_free_port)
P2=$(gr_free_port)
P3=$(gr_free_port)
gr_mkfile "$DOC/big" 24
gr_mkfile "$DOC/small" 2
go_slowsrc "$WEBP" "$DOC"
FIRST=$SOCKS
gc_conf direct_stream
GOOSERELAY_TEST_REJECT=$BAD
export GOOSERELAY_TEST_REJECT
go_start
cpid=$(go_ctl status | awk '$1 == "carrier" { sub("pid=", "", $2); print $2 }')
go_bg_fetch big 2m

# storm_conf N PORT: configuration number N with socks_port PORT and a
# stats interval of N seconds (so every valid one differs), written
# aside and moved into place: a reload never reads half a file.
storm_conf() {
	sed -e "s/socks_port: $FIRST\$/socks_port: $2/" \
	    -e "s/^carrier:\$/carrier:\n  stats_interval_s: $((100 + $1))/" \
	    "$T/conf0.yaml" >"$T/next.yaml"
	mv "$T/next.yaml" "$T/conf.yaml"
}
cp "$T/conf.yaml" "$T/conf0.yaml"
ctlpids=""
i=1
while [ $i -le 20 ]; do
	case $((i % 5)) in
	3) # invalid: the parser refuses it
		sed "s/socks_port: $FIRST\$/socks_port: 99999/" "$T/conf0.yaml" \
		    >"$T/next.yaml" && mv "$T/next.yaml" "$T/conf.yaml" ;;
	1) storm_conf $i "$BAD" ;;	# the carrier refuses it
	2) storm_conf $i "$P1" ;;
	4) storm_conf $i "$P2" ;;
	0) storm_conf $i "$P3" ;;	# the last one, number 20, too
	esac
	# The last four arrive while the carrier is stopped, still to apply
	# the first of them.
	[ $i = 17 ] && kill -STOP "$cpid"
	if [ $((i % 2)) = 0 ]; then
		go_ctl reload >"$T/ans.$i" 2>&1 &
		ctlpids="$ctlpids $!"
	else
		kill -HUP "$(gr_pid gooserelayd)"
	fi
	i=$((i + 1))
	sleep 0.1	# pacing: twenty requests spread over two seconds
done
kill -CONT "$cpid"
for p in $ctlpids; do
	wait "$p" || true
done
for f in "$T"/ans.*; do
	grep -Eq '^(reloaded: generation|reload failed: )' "$f" ||
	    gr_fail "a reload request got no answer: $f: $(cat "$f")"
done
# The last request (20, valid) answered once its transaction was over;
# nothing was asked after it: this is the final state.
out=$(cat "$T/ans.20")
gr_log "last reload: $out"
case $out in "reloaded: generation "*) ;;
*) gr_fail "the last, valid configuration was not loaded: $out" ;; esac
gen=${out##*generation }
i=0
until go_ctl status >"$T/status" &&
    grep -q "^carrier .*state=running .*generation=$gen\$" "$T/status" &&
    grep -q "^exit .*state=running .*generation=$gen\$" "$T/status"; do
	i=$((i + 1))
	[ $i -le 100 ] || gr_fail "workers not on generation $gen: $(cat "$T/status")"
	sleep 0.1
done
grep -q "^gooserelayd .*generation=$gen " "$T/status" ||
    gr_fail "supervisor not on generation $gen: $(cat "$T/status")"
[ "$(go_ctl status | awk '$1 == "carrier" { sub("pid=", "", $2); print $2 }')" = "$cpid" ] ||
    gr_fail "the carrier was restarted"
gr_wait_port "$P3" 10 || gr_fail "the last socks_port $P3 is not served"
for p in "$FIRST" "$P1" "$P2" "$BAD"; do
	gr_port_listening "$p" && gr_fail "port $p still listening"
done
SOCKS=$P3
GR_CURL_TIMEOUT=30 gc_fetch small || gr_fail "no transfer on the last socks_port"
go_bg_running || gr_log "note: the download ended during the storm"
go_bg_check big
grep -q 'refused by carrier: test hook' "$T/gooserelayd.log" ||
    gr_fail "no worker-refused configuration in the storm"
grep -q 'configuration reloading FAILED: .* has errors' "$T/gooserelayd.log" ||
    gr_fail "no invalid file in the storm"
grep -Eq 'killing pid|protocol violation|not accepted while' "$T/gooserelayd.log" &&
    gr_fail "a worker was killed: $(grep -E 'killing pid|not accepted' "$T/gooserelayd.log" | head -3)"
grep -Eq '(carrier|exit): pid [0-9]+ (killed|exited)' "$T/gooserelayd.log" &&
    gr_fail "a worker died"
gr_log "PASS"
