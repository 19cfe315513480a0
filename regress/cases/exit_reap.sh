#!/bin/bash
# Finished sessions leave the exit at once, with our carrier too: after 20
# fetches through a whole tunnel over direct_stream (upstream_ack_v1, the
# exit keeps downstream frames until the carrier's GACKs), checked by
# sha256, the exit has no session left and resent nothing.  Before, every
# finished session stayed (its bare FIN unacknowledged, resent every 3 s)
# until the 5 minute replay expiry, filling max_sessions under churn.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
head -c 300000 /dev/urandom >"$DOC/blob"
gr_nginx "$WEBP" "$DOC"
gc_conf direct_stream
go_start

for i in $(seq 1 20); do
	gc_fetch blob || gr_fail "fetch $i through the tunnel"
done
# The last session ends a moment after curl exits (FINs both ways):
# bounded wait for the exit to get there.
check() {
	go_ctl stats --json >"$T/s.json" || gr_fail "gooserelayctl stats --json"
	python3 - "$T/s.json" <<'PY'
import json, sys
for w in json.load(open(sys.argv[1])):
    if w["role"] != "exit":
        continue
    c = w["counters"]
    print("exit: active", w.get("active"), "opened", c["sessions_open"],
          "closed", c["sessions_closed"], "resends", c["replay_resends"])
    assert c["sessions_open"] >= 20, c
    assert w.get("active") == 0, "active %r" % w.get("active")
    assert c["replay_resends"] == 0, "resends %r" % c["replay_resends"]
PY
}
i=0
until check >"$T/check.log" 2>&1; do
	i=$((i + 1))
	[ $i -lt 40 ] || gr_fail "finished sessions stayed: $(tail -2 "$T/check.log")"
	sleep 0.1
done
cat "$T/check.log"
