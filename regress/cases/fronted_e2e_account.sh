#!/bin/bash
# Apps Script quotas are the Google account's (issue 15): the emulator
# counts every UrlFetch call of deployments A and B of account "acct-a"
# against one daily limit, and answers errors the way real web apps have
# been seen to, with status 200 and Google's HTML error page.  When the
# account runs out, the first quota page from either deployment must
# quarantine both (the carrier's `account` label): neither gets another
# POST, traffic moves to C (another account) with no byte lost, the 200
# error pages are never taken for batches, and the quarantine is saved
# under the account's key.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
gr_setup
gf_setup
A=$(gr_deployment_id acct-a-1)
B=$(gr_deployment_id acct-a-2)
C=$(gr_deployment_id acct-c-1)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/4m" 4
gr_nginx "$WEBP" "$DOC"
LIMIT=60
cat >"$T/emu.json" <<EOF
{ "address": "$EMU_A", "port": 443, "cert": "$T/ca/google.pem",
  "key": "$T/ca/google.key", "code": "$GR_CODEGS", "state_dir": "$T",
  "refuse_sni": ["accounts.google.com"], "error_status": 200,
  "accounts": { "acct-a": { "daily_limit": $LIMIT } },
  "deployments": {
    "$A": { "relay_urls": ["http://127.0.0.1:$EXITP/tunnel"],
	"account": "acct-a" },
    "$B": { "relay_urls": ["http://127.0.0.1:$EXITP/tunnel"],
	"account": "acct-a" },
    "$C": { "relay_urls": ["http://127.0.0.1:$EXITP/tunnel"],
	"account": "acct-c" }
  } }
EOF
gr_emu emu "$EMU_A" "$T/emu.json"
# C is held back (quota mode) until acct-a is spent, so A and B carry
# everything first.
gr_emu_ctl emu "/mode?id=$C&mode=html" >/dev/null
gf_conf "[{\"id\": \"$A\", \"account\": \"acct-a\"},
    {\"id\": \"$B\", \"account\": \"acct-a\"},
    {\"id\": \"$C\", \"account\": \"acct-c\"}]"
gf_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight: .*healthy' 30 ||
    gr_fail "no pre-flight"
gr_emu_ctl emu "/mode?id=$C&mode=ok" >/dev/null

# emu FIELD...: numbers from the emulator's /stats, e.g. "posts:A".
emu() {
	gr_emu_ctl emu /stats | node -e '
	    let s = ""; process.stdin.on("data", (d) => s += d);
	    process.stdin.on("end", () => { const j = JSON.parse(s);
		console.log(process.argv.slice(1).map((a) => {
		    const [f, w] = a.split(":");
		    return f === "refused" ? j.accounts[w].refused :
			f === "used" ? j.accounts[w].used :
			j.deployments[w][f]; }).join(" ")); });' "$@"
}

# Spend acct-a: traffic until its quota page reaches the carrier.
i=0
until grep -q 'daily quota exhausted.*account quarantined' \
    "$T/gooserelayd.log"; do
	gf_fetch 1m || gr_fail "1 MiB #$i while spending acct-a"
	i=$((i + 1))
	[ $i -lt 40 ] || gr_fail "acct-a never ran out: $(emu used:acct-a)"
done
read -r used refused <<EOF
$(emu used:acct-a refused:acct-a)
EOF
gr_log "acct-a spent after $i fetches: used=$used refused=$refused"
[ "$used" = $LIMIT ] || gr_fail "acct-a used $used of $LIMIT"
grep -q 'quota exhausted (HTTP 200: daily Apps Script quota exhausted)' \
    "$T/gooserelayd.log" || gr_fail "the 200 quota page was not classified"
grep -q 'decode\|bad batch\|undecryptable' "$T/gooserelayd.log" &&
    gr_fail "a 200 error page was taken for a batch"
gr_wait_log "$T/quota.json" '"key":"acct:acct-a"' 10 ||
    gr_fail "account quarantine not saved: $(cat "$T/quota.json")"

# Both of acct-a's deployments are out; POSTs already under way when the
# first quota page came may still land, so wait until the counts settle.
prev=""
i=0
while :; do
	cur=$(emu posts:"$A" posts:"$B")
	[ "$cur" = "$prev" ] && break
	prev=$cur
	i=$((i + 1))
	[ $i -lt 20 ] || gr_fail "acct-a deployments still get POSTs"
	sleep 0.5
done
refused0=$(emu refused:acct-a)
c0=$(emu posts:"$C")
gf_fetch 4m || gr_fail "4 MiB through C after acct-a ran out"
gf_fetch 1m || gr_fail "1 MiB through C after acct-a ran out"
[ "$(emu posts:"$A" posts:"$B")" = "$prev" ] ||
    gr_fail "quarantined account still used: A B posts $prev ->" \
    "$(emu posts:"$A" posts:"$B")"
[ "$(emu refused:acct-a)" = "$refused0" ] ||
    gr_fail "UrlFetch calls refused for acct-a kept growing"
[ "$(emu posts:"$C")" -gt "$c0" ] || gr_fail "C carried nothing"
gr_log "ok: A B posts $prev, quota refusals $refused0," \
    "C posts $(emu posts:"$C")"
