#!/bin/bash
# Quota rotation end to end (docs/protocol.md 4.4, 4.5): deployment A (account
# "a") starts answering Google's daily-quota page; traffic moves to B with
# no byte lost and the quarantine lands in quota_state_path; a restart
# with that file leaves A alone; when B dies too, sessions are held for
# the outage grace and then aborted with one log line.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gf_setup
A=$(gr_deployment_id quota-a)
B=$(gr_deployment_id quota-b)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/4m" 4
gr_nginx "$WEBP" "$DOC"
gf_emu_start "$A" "$B"
gf_conf "[{\"id\": \"$A\", \"account\": \"a\"}, \"$B\"]" \
    "  endpoint_outage_grace_ms: 3000"
gf_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight: .*healthy' 30 ||
    gr_fail "no pre-flight"
gf_fetch 1m || gr_fail "1 MiB before the quota error"

posts() {	# posts ID: POSTs the emulator saw for a deployment
	gr_emu_ctl emu /stats | node -e '
	    let s = ""; process.stdin.on("data", (d) => s += d);
	    process.stdin.on("end", () => console.log(
		JSON.parse(s).deployments[process.argv[1]].posts));' "$1"
}

gr_emu_ctl emu "/mode?id=$A&mode=quota" >/dev/null
for i in 1 2 3; do
	gf_fetch 4m || { gr_emu_ctl emu /stats >&2;
	    gr_fail "4 MiB #$i while A is out of quota"; }
done
gr_wait_log "$T/gooserelayd.log" 'daily quota exhausted.*account quarantined' 10 ||
    gr_fail "no quota log line"
gr_wait_log "$T/quota.json" '"key":"acct:a"' 10 ||
    gr_fail "quota state not written"
grep -q '"until":"20[0-9-]*T[0-9:]*Z"' "$T/quota.json" ||
    gr_fail "quota state: $(cat "$T/quota.json")"
[ "$(stat -c %a "$T/quota.json")" = 600 ] || gr_fail "quota state mode"

# Restart: A stays quarantined and gets no traffic.
gr_stop gooserelayd
gr_emu_ctl emu "/mode?id=$A&mode=ok" >/dev/null
mv "$T/gooserelayd.log" "$T/gooserelayd.1.log"
gf_start gooserelayd
gr_wait_log "$T/gooserelayd.log" 'still quarantined' 15 ||
    gr_fail "quota state not loaded"
gr_wait_log "$T/gooserelayd.log" 'pre-flight: .*healthy' 30 ||
    gr_fail "no pre-flight after restart"
before=$(posts "$A")
gf_fetch 4m || gr_fail "4 MiB after restart"
gf_fetch 1m || gr_fail "1 MiB after restart"
after=$(posts "$A")
[ "$before" = "$after" ] || gr_fail "quarantined A got $((after - before)) POSTs"

# Every deployment quota-dead: held for the grace, then aborted once.
gr_emu_ctl emu "/mode?id=$B&mode=quota" >/dev/null
gr_emu_ctl emu "/mode?id=$A&mode=quota" >/dev/null
if gf_fetch 1m; then
	gr_fail "fetch succeeded with every deployment out of quota"
fi
gr_wait_log "$T/gooserelayd.log" 'unavailable for [0-9]+s \(outage grace\): aborting' 20 ||
    gr_fail "no outage abort line"
[ "$(grep -c 'outage grace): aborting' "$T/gooserelayd.log")" = 1 ] ||
    gr_fail "outage abort logged more than once"
gr_log "ok"
