#!/bin/sh
# A configuration the supervisor accepts but a worker refuses (the test
# hook GOOSERELAY_TEST_REJECT=PORT makes a worker refuse a generation
# whose listener is on PORT, after preparing it aside): gooserelayctl
# reload answers with the refusal, naming the carrier and its reason;
# the exit, which had applied it, is rolled back; every worker stays on
# generation 1 and the refused port is closed again.  A download runs
# across the whole sequence (sha256).  Then kill -9 of the carrier: it
# comes back on generation 1 and serves (before: the respawn was handed
# the refused generation, refused it as its first, and the daemon gave
# up).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_test_hooks
gr_need_cmd curl python3
gr_setup
gc_ports
BAD=$(gr_free_port)
gr_mkfile "$DOC/big" 24
gr_mkfile "$DOC/small" 2
go_slowsrc "$WEBP" "$DOC"
gc_conf direct_stream
GOOSERELAY_TEST_REJECT=$BAD
export GOOSERELAY_TEST_REJECT
go_start
go_bg_fetch big 2m

# The carrier refuses socks_port $BAD; the exit takes the generation.
sed "s/socks_port: $SOCKS\$/socks_port: $BAD/" "$T/conf.yaml" >"$T/bad.yaml"
cp "$T/conf.yaml" "$T/good.yaml"
mv "$T/bad.yaml" "$T/conf.yaml"
if out=$(go_ctl reload 2>&1); then
	gr_fail "a refused configuration was reported as loaded: $out"
fi
gr_log "reload answered: $out"
echo "$out" | grep -q "generation 2 refused by carrier: test hook: port $BAD refused" ||
    gr_fail "the answer does not name the carrier and its reason: $out"
echo "$out" | grep -q "every worker is on generation 1" ||
    gr_fail "the answer does not say where the workers are: $out"
grep -q 'exit: back to configuration generation 1' "$T/gooserelayd.log" ||
    gr_fail "the exit was not rolled back"
go_ctl status >"$T/status"
grep -q '^gooserelayd .*generation=1 ' "$T/status" || gr_fail "committed generation moved: $(cat "$T/status")"
grep -q '^carrier .*state=running .*generation=1$' "$T/status" || gr_fail "carrier: $(cat "$T/status")"
grep -q '^exit .*state=running .*generation=1$' "$T/status" || gr_fail "exit: $(cat "$T/status")"
gr_port_listening "$BAD" && gr_fail "the refused port $BAD is still open"
go_bg_running || gr_fail "the download ended before the refusal (raise its size)"

# kill -9 of the worker that refused: back on the committed generation.
mv "$T/good.yaml" "$T/conf.yaml"
cpid=$(go_ctl status | awk '$1 == "carrier" { sub("pid=", "", $2); print $2 }')
go_bg_check big
kill -9 "$cpid"
gr_wait_log "$T/gooserelayd.log" "carrier: pid $cpid killed by signal 9" 10 ||
    gr_fail "the carrier's death was not seen"
i=0
until [ "$(grep -c 'carrier: ready' "$T/gooserelayd.log")" -ge 2 ]; do
	i=$((i + 1))
	[ $i -le 300 ] || gr_fail "the carrier did not come back"
	kill -0 "$(gr_pid gooserelayd)" 2>/dev/null ||
	    gr_fail "gooserelayd exited: $(grep 'giving up' "$T/gooserelayd.log")"
	sleep 0.1
done
go_ctl status >"$T/status"
grep -q '^carrier .*state=running .*generation=1$' "$T/status" ||
    gr_fail "respawned carrier: $(cat "$T/status")"
gc_fetch small || gr_fail "no transfer after the carrier came back"
gc_fetch big || gr_fail "no big transfer after the carrier came back"
grep -q 'giving up' "$T/gooserelayd.log" && gr_fail "the daemon gave up"
grep -q 'killing pid' "$T/gooserelayd.log" &&
    gr_fail "a worker was killed: $(grep 'killing pid' "$T/gooserelayd.log")"
gr_log "PASS"
