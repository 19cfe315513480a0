#!/bin/bash
# Workers keep a struct stats: gooserelayctl stats --json shows the
# issue-8 schema (counters, latency, gauges with the auto_tune values),
# TTFB samples are counted per session, and every stats_interval_s each
# worker logs its "[stats]" lines (carrier: human lines; exit with
# stats_json: one JSON line).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_cmd nginx curl python3
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
gc_conf direct_post "  stats_interval_s: 1
  auto_tune: true" "  stats_interval_s: 1
  stats_json: true
  auto_tune: true"
go_start
gc_fetch 1m || gr_fail "fetch 1"
gc_fetch 1m || gr_fail "fetch 2"
gc_fetch 1m || gr_fail "fetch 3"

gr_wait_log "$T/gooserelayd.log" 'carrier: \[stats\] active=' 5 ||
    gr_fail "no carrier [stats] line"
gr_wait_log "$T/gooserelayd.log" 'carrier: \[stats\] latency ttfb\[n=[1-9]' 5 ||
    gr_fail "no carrier TTFB line with samples"
gr_wait_log "$T/gooserelayd.log" 'exit: \[stats\] \{.*"role": *"exit"' 5 ||
    gr_fail "no exit JSON stats line"
# The exit counts frames both ways (it logged frames 0/0 before).
gr_wait_log "$T/gooserelayd.log" \
    'exit: \[stats\] \{.*"frames_out": *[1-9].*"frames_in": *[1-9]' 5 ||
    gr_fail "exit [stats] line without frame counts"

go_ctl stats --json >"$T/s.json" || gr_fail "stats --json"
python3 - "$T/s.json" <<'PY' || gr_fail "stats schema: $(cat "$T/s.json")"
import json, sys
ws = {w["role"]: w for w in json.load(open(sys.argv[1]))}
c, e = ws["carrier"], ws["exit"]
for w in (c, e):
    assert "error" not in w, w
    assert isinstance(w["counters"], dict), w
    assert "latency" in w, w
assert c["counters"]["sessions_open"] >= 3, c
assert c["latency"]["ttfb"]["count"] >= 3, c
assert c["latency"]["endpoint_rtt"]["count"] >= 1, c
assert c["gauges"]["auto_tune"] == 1, c
assert c["gauges"]["poll_idle_sleep_ms"] > 0, c
assert e["gauges"]["auto_tune"] == 1, e
assert e["gauges"]["active_drain_window_ms"] > 0, e
assert e["counters"]["bytes_in"] >= 3 * 1048576, e
assert c["counters"]["bytes_in"] == e["counters"]["bytes_in"], (c, e)
PY
go_ctl stats >"$T/table.txt" || gr_fail "stats table"
cat "$T/table.txt" >&2
grep -q "ttfb" "$T/table.txt" || gr_fail "no ttfb row in the table"
gr_log "ok"
