#!/bin/bash
# Per-endpoint rows of gooserelayctl stats through the Apps Script
# emulator: deployment A (account a) starts answering the daily-quota page
# while traffic goes through the tunnel, B (account b) takes over.  The
# rows of both agree with what the emulator saw (requests counted today,
# ok + fail), A shows quota and blacklist time, B is healthy with an RTT,
# the periodic [stats] line lists both, and no full deployment id appears
# in the ctl output (table and JSON) or the daemon's log.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-fronted.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_setup
gf_setup
gr_need_cmd python3
A=$(gr_deployment_id ops-ep-a)
B=$(gr_deployment_id ops-ep-b)
gr_mkfile "$DOC/1m" 1
gr_mkfile "$DOC/4m" 4
gr_nginx "$WEBP" "$DOC"
gf_emu_start "$A" "$B"
gf_conf "[{\"id\": \"$A\", \"account\": \"a\"}, {\"id\": \"$B\", \"account\": \"b\"}]" \
    "  stats_interval_s: 1"
go_start
gr_wait_log "$T/gooserelayd.log" 'pre-flight: .*healthy' 30 ||
    gr_fail "no pre-flight"
gf_fetch 1m || gr_fail "1 MiB before the quota error"
gr_emu_ctl emu "/mode?id=$A&mode=quota" >/dev/null
for i in 1 2; do
	gf_fetch 4m || gr_fail "4 MiB #$i while A is out of quota"
done
gr_wait_log "$T/gooserelayd.log" 'daily quota exhausted' 10 ||
    gr_fail "A never hit its quota"
# Let a [stats] line with the quarantine go out.
gr_wait_log "$T/gooserelayd.log" '\[stats\] endpoints:.*quota' 10 ||
    gr_fail "no [stats] endpoints line with the quota state"

go_ctl stats --json >"$T/s.json" || gr_fail "stats --json"
go_ctl stats >"$T/table.txt" || gr_fail "stats"
gr_emu_ctl emu /stats >"$T/emu.json"
cat "$T/table.txt" >&2
python3 - "$T/s.json" "$T/emu.json" "$A" "$B" <<'PY' || gr_fail "endpoint rows"
import json, sys
ws = json.load(open(sys.argv[1]))
emu = json.load(open(sys.argv[2]))["deployments"]
A, B = sys.argv[3], sys.argv[4]
car = [w for w in ws if w.get("role") == "carrier"][0]
eps = car["endpoints"]
assert len(eps) == 2, eps
short = lambda i: i[:6] + "\u2026" + i[-6:]
rows = {e["name"]: e for e in eps}
assert set(rows) == {short(A), short(B)}, rows.keys()
a, b = rows[short(A)], rows[short(B)]
for r, acct in ((a, "a"), (b, "b")):
    assert r["kind"] == "script" and r["account"] == acct, r
print("A", a, "emu", emu[A], file=sys.stderr)
print("B", b, "emu", emu[B], file=sys.stderr)
# A: quarantined until the Pacific midnight, not healthy, failures seen.
assert a["quota"] is True and a["healthy"] is False, a
assert a["bl_ms"] > 0 and a["fail"] >= 1, a
# B: carried the downloads.
assert b["quota"] is False and b["healthy"] is True, b
assert b["ok"] > 0 and b["rtt_ms"] > 0, b
for r, i in ((a, A), (b, B)):
    posts = emu[i]["posts"]
    # today = responses received (every answer costs a UrlFetch): at most
    # what the emulator got, short of it by the polls still in flight
    # (3 pollers per deployment); ok + fail are the poll exchanges, the
    # pre-flight is counted in today only.
    assert r["today"] <= posts <= r["today"] + 6, (r, posts)
    assert r["ok"] + r["fail"] <= r["today"] <= r["ok"] + r["fail"] + 1, r
PY
grep -Eq "^carrier#0 +script +$(printf '%.6s' "$A").*a +no .* yes" \
    "$T/table.txt" || gr_fail "table: no quarantined row for A"
grep -Eq "^carrier#0 +script +$(printf '%.6s' "$B").*b +yes" \
    "$T/table.txt" || gr_fail "table: no healthy row for B"
for id in "$A" "$B"; do
	for f in "$T/s.json" "$T/table.txt" "$T/gooserelayd.log"; do
		grep -qF "$id" "$f" && gr_fail "full deployment id in $f"
		# Long middle pieces of the id must not leak either.
		grep -qF "$(printf '%s' "$id" | cut -c7-30)" "$f" &&
		    gr_fail "part of a deployment id in $f"
	done
done
grep '\[stats\] endpoints:' "$T/gooserelayd.log" | tail -1 >&2
# The per-account line of docs/protocol.md 4.6.
gr_wait_log "$T/gooserelayd.log" '\[stats\]  accounts=\[a today=[0-9]+ quota \| b today=[0-9]+\]' 5 ||
    gr_fail "no [stats] accounts line"
gr_log "ok"
