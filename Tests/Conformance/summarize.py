#!/usr/bin/env python3
"""Summarize a kosoku (Autobahn fuzzingclient) report and decide the run.

Reads <reports>/index.json and the per-case JSON files that kosoku writes,
prints counts per behaviour and per case group and every case that is not
OK/OK, then checks the failures against expected-failures.txt:

  * a case passes when kosoku passes it: behaviour OK, NON-STRICT or
    INFORMATIONAL, and closing behaviour OK or INFORMATIONAL;
  * a case that does not pass fails the run, unless it is listed in
    expected-failures.txt AND fails the way the entry says;
  * a listed case that passes is reported loudly but does not fail the run
    (the listed lws bugs are timing-dependent; see expected-failures.txt).

The last line is "conformance: N passed, N failed" (pinned expected failures
are counted on the line before it, in neither number). Exit status 0 when
nothing failed, 1 otherwise, 2 on bad input. Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys

BEHAVIOURS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
PASSING_BEHAVIOURS = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASSING_CLOSE = {"OK", "INFORMATIONAL"}
# How a listed case is allowed to fail (the second column of the list).
KINDS = {
    # Behaviour FAILED only because some expected events never arrived: what
    # was received is, in order, a strict subsequence of one of the accepted
    # event sequences (nothing wrong, nothing extra), and the closing
    # handshake still passed.
    "missing-events",
}


def case_key(case_id: str) -> list[int]:
    return [int(p) for p in case_id.split(".")]


def load_expected(path: str) -> tuple[dict[str, str], str | None]:
    entries: dict[str, str] = {}
    lws_version = None
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "libwebsockets" and len(words) == 2:
                lws_version = words[1]
                continue
            if len(words) != 2 or not re.fullmatch(r"\d+(\.\d+)+", words[0]):
                sys.exit(f"{path}:{lineno}: expected '<case-id> <kind>', got {line!r}")
            if words[1] not in KINDS:
                sys.exit(f"{path}:{lineno}: unknown kind {words[1]!r} (known: {', '.join(sorted(KINDS))})")
            if words[0] in entries:
                sys.exit(f"{path}:{lineno}: {words[0]} is listed twice")
            entries[words[0]] = words[1]
    return entries, lws_version


def events(seq) -> list[tuple]:
    return [tuple(e) for e in seq or []]


def is_strict_subsequence(got: list[tuple], want: list[tuple]) -> bool:
    if len(got) >= len(want):
        return False
    it = iter(want)
    return all(any(g == w for w in it) for g in got)


def fails_as_listed(kind: str, case: dict) -> tuple[bool, str]:
    """Whether a failing case fails the way its entry says, and a short why."""
    if kind == "missing-events":
        if case["behavior"] != "FAILED":
            return False, f"behaviour is {case['behavior']}, not FAILED"
        if case["behaviorClose"] not in PASSING_CLOSE:
            return False, f"closing behaviour is {case['behaviorClose']}"
        got = events(case.get("received"))
        for want in (case.get("expected") or {}).values():
            if is_strict_subsequence(got, events(want)):
                return True, f"got {len(got)} of {len(events(want))} expected events, in order"
        return False, "received events are not an in-order subset of an accepted sequence"
    return False, f"unknown kind {kind}"


def one_line(text: str, width: int = 88) -> str:
    text = " ".join(re.sub(r"<[^>]+>", "", text or "").split())
    return text if len(text) <= width else text[: width - 3] + "..."


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", required=True, help="kosoku's output directory")
    ap.add_argument("--expected", required=True, help="expected-failures.txt")
    ap.add_argument("--kosoku-log", help="kosoku's stdout+stderr, for a cross-check")
    ap.add_argument("--lws-version", default="", help="pkg-config --modversion libwebsockets")
    ap.add_argument("--expected-total", type=int, default=0, help="cases the selection must hold (0: any)")
    ap.add_argument("--problem", action="append", default=[], help="a problem found outside the report")
    args = ap.parse_args()

    expected, pinned_lws = load_expected(args.expected)
    expected_name = os.path.relpath(args.expected)
    index_path = os.path.join(args.reports, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read {index_path}: {e}", file=sys.stderr)
        return 2
    if len(index) != 1:
        print(f"{index_path}: expected one agent, found {list(index)}", file=sys.stderr)
        return 2
    (agent, entries), = index.items()

    cases: dict[str, dict] = {}
    for cid, entry in entries.items():
        with open(os.path.join(args.reports, entry["reportfile"])) as f:
            cases[cid] = json.load(f)
    ids = sorted(cases, key=case_key)
    groups = sorted({cid.split(".")[0] for cid in ids}, key=int)

    lws_version = args.lws_version.rstrip("-")
    print(f"{len(ids)} cases in groups {' '.join(groups)}, against {agent}"
          + (f", libwebsockets {lws_version}" if lws_version else ""))
    problems: list[str] = list(args.problem)
    if args.expected_total and len(ids) != args.expected_total:
        problems.append(f"the report holds {len(ids)} cases, the selection has {args.expected_total}")

    # ---- counts ---------------------------------------------------------------
    by_behaviour = collections.Counter(cases[c]["behavior"] for c in ids)
    by_close = collections.Counter(cases[c]["behaviorClose"] for c in ids)
    columns = BEHAVIOURS + sorted(set(by_behaviour) - set(BEHAVIOURS))  # e.g. ERROR
    print()
    print("behaviour:       " + "  ".join(f"{b} {by_behaviour.get(b, 0)}" for b in columns))
    print("close behaviour: " + "  ".join(f"{b} {n}" for b, n in sorted(by_close.items())))
    print()
    widths = [max(len(b), 4) for b in columns]
    print("group  cases  " + "  ".join(b.rjust(w) for b, w in zip(columns, widths)))
    for g in groups:
        in_group = [c for c in ids if c.split(".")[0] == g]
        counts = collections.Counter(cases[c]["behavior"] for c in in_group)
        print(f"{g:>5}  {len(in_group):>5}  "
              + "  ".join(str(counts.get(b, 0)).rjust(w) for b, w in zip(columns, widths)))

    # ---- verdicts ---------------------------------------------------------------
    passed, failed, xfailed, xpassed = [], [], [], []
    notes: dict[str, str] = {}
    for cid in ids:
        case = cases[cid]
        ok = case["behavior"] in PASSING_BEHAVIOURS and case["behaviorClose"] in PASSING_CLOSE
        if cid in expected:
            if ok:
                xpassed.append(cid)
                passed.append(cid)
                notes[cid] = "listed as an expected failure, PASSED this run"
            else:
                as_listed, why = fails_as_listed(expected[cid], case)
                if as_listed:
                    xfailed.append(cid)
                    notes[cid] = f"expected failure ({expected[cid]}: {why})"
                else:
                    failed.append(cid)
                    notes[cid] = f"UNEXPECTED: listed as {expected[cid]}, but {why}"
        elif ok:
            passed.append(cid)
        else:
            failed.append(cid)
            notes[cid] = "UNEXPECTED FAILURE"

    print()
    print("cases not OK/OK (id, behaviour, close behaviour and code, description):")
    for cid in ids:
        case = cases[cid]
        if case["behavior"] == "OK" and case["behaviorClose"] == "OK" and cid not in notes:
            continue
        code = case.get("remoteCloseCode")
        print(f"  {cid:<8} {case['behavior']:<13} close {case['behaviorClose']} ({code if code is not None else 'none'})"
              f"  {one_line(case.get('description', ''), 70)}")
        if cid in notes or case["behavior"] not in PASSING_BEHAVIOURS or case["behaviorClose"] not in PASSING_CLOSE:
            if cid in notes:
                print(f"           -> {notes[cid]}")
            print(f"           -> {one_line(case.get('result', ''))} / {one_line(case.get('resultClose', ''))}")
            if cid in failed:
                print(f"           -> received: {one_line(json.dumps(case.get('received')), 200)}")
                print(f"           -> expected: {one_line(json.dumps(case.get('expected')), 200)}")

    # ---- the list must match the run ----------------------------------------------
    for cid in sorted(expected, key=case_key):
        if cid not in cases and cid.split(".")[0] in groups:
            problems.append(f"{expected_name} lists {cid}, which is not a case of this run")
    if pinned_lws and lws_version and lws_version != pinned_lws:
        print()
        print(f"NOTE: {expected_name} was made against libwebsockets {pinned_lws}; this is "
              f"{lws_version}. Check whether its entries still hold.")

    if args.kosoku_log and os.path.exists(args.kosoku_log):
        with open(args.kosoku_log, errors="replace") as f:
            log = f.read()
        m = re.search(r"(\d+) of (\d+) cases failed", log)
        kosoku_failed = int(m.group(1)) if m else (0 if re.search(r"\d+ cases passed", log) else None)
        ours = len(failed) + len(xfailed)
        if kosoku_failed is not None and kosoku_failed != ours:
            problems.append(f"kosoku counted {kosoku_failed} failing cases, this summary {ours}")

    print()
    if xpassed:
        bar = "!" * 78
        print(bar)
        for cid in xpassed:
            print(f"!! NOTE: {cid} is in {expected_name} but PASSED this run.")
        print("!! The listed lws 4.1.6 ping drops depend on how the pings arrive in the")
        print("!! reads of the side under test, so a pass now and then is normal. If it passes every time")
        print("!! (e.g. after a libwebsockets upgrade), remove it from the list.")
        print(bar)
    if xfailed:
        print(f"expected failures ({expected_name}): {', '.join(xfailed)}")
    for p in problems:
        print(f"ERROR: {p}")
    if failed:
        print(f"UNEXPECTED FAILURES: {', '.join(failed)}")
    print(f"conformance: {len(passed)} passed, {len(failed)} failed")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
