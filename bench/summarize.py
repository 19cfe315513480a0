#!/usr/bin/env python3
"""Summarize bench/run.sh output: medians, spread, ratios, markdown.

Input: raw.jsonl, one line per grbench (or curl) result, shaped
{"peer": P, "run": R, "r": {"scenario": S, ...}}.  For every metric it
takes the median over runs with the spread (min-max), and the ratio of
the median to the direct connection's and to shadowsocks-libev's.
Writes summary.json and summary.md into --out.
"""

import argparse
import json
import os
import statistics
import sys

# (scenario, key path, title, unit, better)
METRICS = [
    ("echo_rtt", "rtt.p50_us", "echo round trip 64 B, p50", "us", "lower"),
    ("echo_rtt", "rtt.p90_us", "echo round trip 64 B, p90", "us", "lower"),
    ("echo_rtt", "rtt.p99_us", "echo round trip 64 B, p99", "us", "lower"),
    ("connect_first_byte", "cfb.p50_us", "connect + first byte, p50", "us",
     "lower"),
    ("connect_first_byte", "cfb.p99_us", "connect + first byte, p99", "us",
     "lower"),
    ("bulk_down", "mib_s", "bulk download, one stream", "MiB/s", "higher"),
    ("bulk_down", "cpu_s_per_gib", "proxy CPU per GiB downloaded", "s/GiB",
     "lower"),
    ("bulk_up", "mib_s", "bulk upload, one stream", "MiB/s", "higher"),
    ("bulk_up", "cpu_s_per_gib", "proxy CPU per GiB uploaded", "s/GiB",
     "lower"),
    ("parallel_down", "mib_s", "8 parallel downloads, aggregate", "MiB/s",
     "higher"),
    ("sessions_per_sec", "per_sec", "sessions per second (4 threads)",
     "1/s", "higher"),
    ("hol", "cfb.p50_us", "connect + first byte during a bulk download, p50",
     "us", "lower"),
    ("hol", "cfb.p99_us", "connect + first byte during a bulk download, p99",
     "us", "lower"),
    ("hol", "rtt.p50_us", "echo round trip during a bulk download, p50",
     "us", "lower"),
    ("hol", "rtt.p99_us", "echo round trip during a bulk download, p99",
     "us", "lower"),
    ("hol", "bulk_mib_s", "the bulk download meanwhile", "MiB/s", "higher"),
    ("curl_10x1MiB", "wall_ms", "10 concurrent 1 MiB curl fetches, wall",
     "ms", "lower"),
    ("idle_cpu", "cpu_pct", "idle CPU, 50 idle sessions", "%", "lower"),
    ("idle_rss", "per_session_bytes", "RSS per idle session", "B",
     "lower"),
    ("idle_rss", "rss_after_kib", "RSS with the idle sessions open", "KiB",
     "lower"),
    ("idle_rss", "sessions", "idle sessions actually held", "", "higher"),
]

OVERVIEW = [
    ("echo_rtt", "rtt.p50_us", "echo p50 us"),
    ("echo_rtt", "rtt.p99_us", "echo p99 us"),
    ("connect_first_byte", "cfb.p50_us", "conn+1B p50 us"),
    ("bulk_down", "mib_s", "down MiB/s"),
    ("bulk_up", "mib_s", "up MiB/s"),
    ("parallel_down", "mib_s", "8x down MiB/s"),
    ("sessions_per_sec", "per_sec", "sessions/s"),
    ("hol", "cfb.p50_us", "HOL conn+1B p50 us"),
    ("curl_10x1MiB", "wall_ms", "curl 10x1MiB ms"),
    ("idle_cpu", "cpu_pct", "idle CPU %"),
    ("idle_rss", "per_session_bytes", "RSS/session B"),
]

PEER_NAMES = {
    "direct": "direct (no proxy)",
    "microsocks": "microsocks",
    "ss": "shadowsocks-libev aes-256-gcm",
    "ssh": "ssh -D aes256-gcm",
    "gr_stream": "gooserelayd direct_stream",
    "gr_post": "gooserelayd direct_post",
    "gr_apps": "gooserelayd apps_script (emulator)",
    "gr_exit10k": "gooserelay-exit worker alone (10 carriers feed it)",
}


def dig(obj, path):
    for k in path.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj if isinstance(obj, (int, float)) else None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("raw")
    args = ap.parse_args()

    rows = []
    with open(args.raw) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                print("summarize: %s:%d: %s" % (args.raw, n, e),
                      file=sys.stderr)
    peers = []
    for r in rows:
        if r["peer"] not in peers:
            peers.append(r["peer"])

    # values[(peer, scenario, path)] = [v per run]; failures noted apart.
    values = {}
    failures = []
    failed = {}
    notes = {}          # (peer, scenario) -> note from grbench -N
    for r in rows:
        res = r["r"]
        sc = res.get("scenario")
        if res.get("note"):
            notes[(r["peer"], sc)] = res["note"]
        if not res.get("ok", False):
            failures.append("%s run %s %s: %s" % (
                r["peer"], r["run"], sc, res.get("error", "failed")))
            failed[(r["peer"], sc)] = failed.get((r["peer"], sc), 0) + 1
        for msc, path, _, _, _ in METRICS:
            if msc != sc:
                continue
            v = dig(res, path)
            if v is not None:
                values.setdefault((r["peer"], sc, path), []).append(v)

    summary = {"peers": peers, "metrics": [], "failures": failures}
    med = {}
    for sc, path, title, unit, better in METRICS:
        m = {"scenario": sc, "metric": path, "title": title, "unit": unit,
             "better": better, "peers": {}}
        for p in peers:
            vs = values.get((p, sc, path))
            if not vs:
                continue
            md = statistics.median(vs)
            med[(p, sc, path)] = md
            m["peers"][p] = {"median": md, "min": min(vs), "max": max(vs),
                             "runs": len(vs), "values": vs,
                             "failed_runs": failed.get((p, sc), 0)}
            if (p, sc) in notes:
                m["peers"][p]["note"] = notes[(p, sc)]
        for p, d in m["peers"].items():
            d["x_direct"] = ratio(d["median"], med.get(("direct", sc, path)))
            d["x_ss"] = ratio(d["median"], med.get(("ss", sc, path)))
        if m["peers"]:
            summary["metrics"].append(m)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    md = []
    md.append("## Overview (medians)\n")
    md.append("| peer | " + " | ".join(t for _, _, t in OVERVIEW) + " |")
    md.append("|---|" + "---:|" * len(OVERVIEW))
    for p in peers:
        cells = [fmt(med.get((p, sc, path))) +
                 (" (!)" if failed.get((p, sc)) and
                  med.get((p, sc, path)) is not None else "") +
                 (" (c)" if (p, sc) in notes and
                  med.get((p, sc, path)) is not None else "")
                 for sc, path, _ in OVERVIEW]
        md.append("| %s | %s |" % (PEER_NAMES.get(p, p), " | ".join(cells)))
    md.append("")
    md.append("(!) = at least one run of that scenario failed or stopped "
              "early (stall, timeout, refused sessions): the number is not "
              "a rate of a completed transfer; see the list at the end.\n")
    bynote = {}
    for (p, sc), note in notes.items():
        bynote.setdefault((sc, note), []).append(PEER_NAMES.get(p, p))
    for (sc, note), who in sorted(bynote.items()):
        md.append("(c) = %s, %s: %s.\n" % (sc, ", ".join(sorted(who)),
                                            note))
    md.append("Ratios below are median / median of the reference "
              "(for times lower is better, for rates higher is better).\n")
    for m in summary["metrics"]:
        sc = m["scenario"]
        md.append("### %s (%s, %s is better)\n" % (
            m["title"], m["unit"] or "count", m["better"]))
        md.append("| peer | median | min-max | runs (failed) | x direct "
                  "| x ss |")
        md.append("|---|---:|---:|---:|---:|---:|")
        for p in peers:
            d = m["peers"].get(p)
            if d is None:
                continue
            md.append("| %s | %s | %s-%s | %d%s | %s | %s |" % (
                PEER_NAMES.get(p, p) + (" (c)" if (p, sc) in notes else
                                        ""), fmt(d["median"]), fmt(d["min"]),
                fmt(d["max"]), d["runs"],
                " (%d)" % d["failed_runs"] if d["failed_runs"] else "",
                fmt(d["x_direct"]), fmt(d["x_ss"])))
        md.append("")
    if failures:
        md.append("### Failed or partial results\n")
        for x in failures:
            md.append("- " + x)
        md.append("")
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
