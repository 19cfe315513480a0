#!/usr/bin/env python3
"""Summarize bench/shaped.sh output: one table per link rate.

Input: raw.jsonl, lines {"peer": P, "rate_mbit": R, "run": N, "r": {...}}
with grbench results of bulk_down, bulk_up, fb_down and fb_up.  Per peer
and rate it takes the median over runs of: download and upload MiB/s,
first byte (fresh session + 64-byte echo) during a download and during
an upload, p50 and p90 in ms, and the samples taken.  Each gooserelayd
row is checked against the goals of design.md (first byte p50 <= 1.5x
and p90 <= 2x shadowsocks-libev's, throughput >= 95%).  Writes
summary.md and summary.json into --out.
"""

import argparse
import json
import os
import statistics

PEER_NAMES = {
    "direct": "direct (no proxy)",
    "microsocks": "microsocks",
    "ss": "shadowsocks-libev",
    "ssh": "ssh -D",
    "gr_stream": "gooserelayd direct_stream",
    "gr_post": "gooserelayd direct_post",
    "gr_stream_base": "gooserelayd direct_stream (base)",
    "gr_post_base": "gooserelayd direct_post (base)",
}
ORDER = ["direct", "microsocks", "ss", "ssh", "gr_stream_base",
         "gr_post_base", "gr_stream", "gr_post"]


def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, nd=1):
    if v is None:
        return "-"
    return f"{v:.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("raw")
    a = ap.parse_args()
    rows = {}
    with open(a.raw) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except json.JSONDecodeError:
                continue
            r = o.get("r", {})
            key = (o["rate_mbit"], o["peer"])
            d = rows.setdefault(key, {})
            sc = r.get("scenario", "?")
            ok = r.get("ok", False)
            if sc in ("bulk_down", "bulk_up"):
                d.setdefault(sc, []).append(r.get("mib_s") if ok or
                                            r.get("bytes", 0) > 0 else None)
            elif sc in ("fb_down", "fb_up") and r.get("streams", 1) > 1:
                sc = f"{sc}_x{r['streams']}"
                n = get(r, "cfb.n") or 0
                d.setdefault(sc + ".p50", []).append(
                    get(r, "cfb.p50_us") / 1000 if n else None)
                d.setdefault(sc + ".p90", []).append(
                    get(r, "cfb.p90_us") / 1000 if n else None)
                d.setdefault(sc + ".bulk", []).append(r.get("bulk_mib_s"))
                d.setdefault(sc + ".fair", []).append(r.get("fairness"))
                sm = r.get("stream_mib_s") or [0]
                d.setdefault(sc + ".min", []).append(min(sm))
                d.setdefault(sc + ".max", []).append(max(sm))
                d.setdefault("multi", []).append(sc)
            elif sc in ("fb_down", "fb_up"):
                n = get(r, "cfb.n") or 0
                d.setdefault(sc + ".p50", []).append(
                    get(r, "cfb.p50_us") / 1000 if n else None)
                d.setdefault(sc + ".p90", []).append(
                    get(r, "cfb.p90_us") / 1000 if n else None)
                d.setdefault(sc + ".n", []).append(n)
                d.setdefault(sc + ".bulk", []).append(r.get("bulk_mib_s"))
                if not ok:
                    d.setdefault("errors", []).append(
                        f"{sc}: {r.get('error', '?')}")
    summary = {}
    md = ["# Shaped link: first byte behind bulk, and throughput", "",
          "tbf each way (burst 32kbit, latency 100ms); first byte = a "
          "fresh SOCKS session + 64-byte echo every 20 ms while one "
          "stream downloads (uploads) flat out; medians over runs.  "
          "Goals for gooserelayd (design.md): first byte p50 <= 1.5x and "
          "p90 <= 2x shadowsocks-libev's, throughput >= 95%.", ""]
    rates = sorted({k[0] for k in rows})
    for rate in rates:
        md.append(f"## {rate} Mbit/s")
        md.append("")
        md.append("| peer | down MiB/s | up MiB/s | first byte during "
                  "download p50 / p90 ms (n) | first byte during upload "
                  "p50 / p90 ms (n) | goals |")
        md.append("|---|---:|---:|---:|---:|---|")
        peers = [p for p in ORDER if (rate, p) in rows]
        peers += sorted(p for (r, p) in rows if r == rate and p not in ORDER)
        ss = {}
        if (rate, "ss") in rows:
            d = rows[(rate, "ss")]
            ss = {k: med(v) for k, v in d.items()
                  if k not in ("errors", "multi")}
        for p in peers:
            d = rows[(rate, p)]
            m = {k: med(v) for k, v in d.items()
                 if k not in ("errors", "multi")}
            summary[f"{rate}/{p}"] = m
            goals = ""
            if p.startswith("gr_") and ss:
                miss = []
                for sc in ("fb_down", "fb_up"):
                    for q, lim in (("p50", 1.5), ("p90", 2.0)):
                        v, s = m.get(f"{sc}.{q}"), ss.get(f"{sc}.{q}")
                        if v is None or s is None or v > lim * s:
                            r = f"{v / s:.1f}x" if v and s else "n/a"
                            miss.append(f"{sc} {q} {r}")
                for sc in ("bulk_down", "bulk_up"):
                    v, s = m.get(sc), ss.get(sc)
                    if v is None or s is None or v < 0.95 * s:
                        r = f"{100 * v / s:.0f}%" if v and s else "n/a"
                        miss.append(f"{sc} {r}")
                goals = "met" if not miss else "missed: " + ", ".join(miss)
            md.append(
                f"| {PEER_NAMES.get(p, p)} | {fmt(m.get('bulk_down'), 2)} | "
                f"{fmt(m.get('bulk_up'), 2)} | "
                f"{fmt(m.get('fb_down.p50'))} / {fmt(m.get('fb_down.p90'))}"
                f" ({fmt(m.get('fb_down.n'), 0)}) | "
                f"{fmt(m.get('fb_up.p50'))} / {fmt(m.get('fb_up.p90'))}"
                f" ({fmt(m.get('fb_up.n'), 0)}) | {goals} |")
        multi = sorted({sc for p in peers
                        for sc in rows[(rate, p)].get("multi", [])})
        for sc in multi:
            md.append("")
            md.append(f"{sc}: several bulk streams at once")
            md.append("")
            md.append("| peer | total MiB/s | per stream min - max | "
                      "fairness | first byte p50 / p90 ms |")
            md.append("|---|---:|---:|---:|---:|")
            for p in peers:
                m = summary.get(f"{rate}/{p}", {})
                if m.get(sc + ".bulk") is None:
                    continue
                md.append(f"| {PEER_NAMES.get(p, p)} | "
                          f"{fmt(m.get(sc + '.bulk'), 2)} | "
                          f"{fmt(m.get(sc + '.min'), 2)} - "
                          f"{fmt(m.get(sc + '.max'), 2)} | "
                          f"{fmt(m.get(sc + '.fair'), 3)} | "
                          f"{fmt(m.get(sc + '.p50'))} / "
                          f"{fmt(m.get(sc + '.p90'))} |")
        errs = [(p, e) for p in peers for e in rows[(rate, p)].get(
            "errors", [])]
        if errs:
            md.append("")
            for p, e in errs:
                md.append(f"- {PEER_NAMES.get(p, p)}: {e}")
        md.append("")
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
