#!/bin/bash
# bench_quick: bench/run.sh --quick runs end to end and every result is
# well formed.  It proves the harness works; it asserts no timing.
. "$top_srcdir/regress/lib.sh"
gr_setup
gr_need_cmd python3 jq curl nginx

out=$T/out
"$top_srcdir/bench/run.sh" --quick --peers direct,ss --out "$out" \
    >"$T/run.log" 2>&1 || { cat "$T/run.log" >&2; gr_fail "run.sh --quick failed"; }
[ -s "$out/raw.jsonl" ] || gr_fail "no raw results"
jq -e . "$out/summary.json" >/dev/null || gr_fail "summary.json is not JSON"
[ -s "$out/summary.md" ] || gr_fail "no summary table"
# Every scenario produced a parseable line for the floor (direct), and
# the direct floor's byte-moving scenarios completed.
for s in echo_rtt connect_first_byte bulk_down bulk_up parallel_down \
    sessions_per_sec hol curl_10x1MiB idle_cpu idle_rss; do
	n=$(jq -c "select(.peer == \"direct\" and .r.scenario == \"$s\")" \
	    "$out/raw.jsonl" | wc -l)
	[ "$n" -ge 1 ] || gr_fail "no $s result for direct"
done
bad=$(jq -c 'select(.peer == "direct" and .r.ok != true)' "$out/raw.jsonl")
[ -z "$bad" ] || gr_fail "direct results not ok: $bad"
# The proxies that ran moved the same bytes.
for p in $(jq -r .peer "$out/raw.jsonl" | sort -u); do
	jq -se "[.[] | select(.peer == \"$p\" and .r.scenario == \"bulk_down\")]
	    | length > 0 and all(.r.complete == true)" "$out/raw.jsonl" \
	    >/dev/null || gr_fail "$p: bulk_down incomplete"
	jq -se "[.[] | select(.peer == \"$p\" and
	    .r.scenario == \"curl_10x1MiB\")] | length > 0 and
	    all(.r.ok == true)" "$out/raw.jsonl" >/dev/null ||
	    gr_fail "$p: curl sha256 mismatch"
done
gr_log "ok: $(jq -r .peer "$out/raw.jsonl" | sort -u | tr '\n' ' ')"
