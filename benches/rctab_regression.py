#!/usr/bin/env python3
"""Run RCTab's own regression cases through `christen tally` and compare every round.

An independent check (issue 14): it reads nothing of Christen's code, only its
command line and output. RCTab's regression cases live in RCTab's repository
(BrightSpots/rcv) under src/test/resources/network/brightspots/rcv/test_data/,
one folder per case:

    <case>/<case>_config.json             the contest configuration, run as it is
    <case>/...                            its cast vote records (paths relative to it)
    <case>/<case>_expected_summary.json   RCTab's Universal RCV Tabulation (URCVT)
                                          JSON with every round (RCTab 2.0 names it
                                          <case>_expected_detailed_report.json)

Sequential multi-seat configs (winnerElectionMode multiPassIrv) have one expected
file per pass: <case>_<n>_expected_summary.json (or _detailed_report), n = 1..seats.
Christen's output for such a config is read as a JSON array of URCVT documents,
or as several documents one after the other, one per pass.

Usage:
    python3 benches/rctab_regression.py --christen target/release/christen \\
        --test-data PATH/TO/rcv/src/test/resources/network/brightspots/rcv/test_data \\
        [--case NAME ...] [--all-differences]

Per case it runs `christen tally --rctab-config <config> --urcvt` and prints one line:
    PASS     every round equal
    FAIL     the first differing round and field, expected vs got
    REFUSED  christen declined the case (exit status 2 with an error, such as an
             option it does not implement); its message
    SKIPPED  the case cannot be run here (no config, no expected summary, a CVR
             file the config names is missing)
then a total. Exit status 0 only if no case FAILs (a crash of christen is a FAIL).

What is compared, round by round: the round number, the threshold, the tally of
every candidate (the same candidates on both sides), the inactive ballot buckets,
the tallyResults in order (who is eliminated or elected, and the transfers from
each, including `exhausted` and `residual surplus`), then the number of rounds and
the summary (final threshold, winners, candidates, ballots, undervotes). Every
number is compared as a decimal (`decimal.Decimal`, so "8" equals "8.0000" and
nothing is rounded through a float). Names, dates and `generatedBy` are not
compared. Precinct and batch reports, the CSV summaries and the CDF CVR output
RCTab also writes are not compared.

Python 3 standard library only.
"""

import argparse
import json
import os
import subprocess
import sys
from decimal import Decimal, InvalidOperation

EXPECTED_NAMES = ("_expected_summary.json", "_expected_detailed_report.json")
SUMMARY_FIELDS = ("finalThreshold", "numWinners", "numCandidates", "totalNumBallots", "undervotes")


class Difference(Exception):
    """The first place where christen's output and RCTab's expected output differ."""


def number(value, where):
    """A JSON number or numeric string as an exact decimal."""
    if isinstance(value, bool):
        raise Difference(f"{where}: not a number: {value!r}")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise Difference(f"{where}: not a number: {value!r}")


def load_json(path):
    with open(path, encoding="utf-8-sig") as f:
        return json.load(f, parse_float=Decimal, parse_int=Decimal)


def json_documents(text):
    """One JSON array of documents, or one or more documents one after another."""
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    docs, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    if len(docs) == 1 and isinstance(docs[0], list):
        return docs[0]
    return docs


def compare_number_maps(expected, got, where):
    expected, got = expected or {}, got or {}
    missing = sorted(set(expected) - set(got))
    if missing:
        raise Difference(f"{where}: missing {missing[0]!r} (expected {expected[missing[0]]})")
    extra = sorted(set(got) - set(expected))
    if extra:
        raise Difference(f"{where}: unexpected {extra[0]!r} = {got[extra[0]]}")
    for key in expected:
        e, g = number(expected[key], f"{where}[{key!r}] expected"), number(got[key], f"{where}[{key!r}]")
        if e != g:
            raise Difference(f"{where}[{key!r}]: expected {expected[key]}, got {got[key]}")


def result_key(result, where):
    """An entry of tallyResults as ("elected"|"eliminated", candidate)."""
    kinds = [k for k in ("elected", "eliminated") if k in result]
    if len(kinds) != 1:
        raise Difference(f"{where}: neither or both of elected/eliminated: {sorted(result)}")
    return kinds[0], result[kinds[0]]


def compare_results(expected, got, where):
    expected, got = expected or [], got or []
    e_keys = [result_key(r, f"{where} expected") for r in expected]
    g_keys = [result_key(r, where) for r in got]
    if e_keys != g_keys:
        if sorted(e_keys) == sorted(g_keys):
            raise Difference(f"{where} order: expected {e_keys}, got {g_keys}")
        raise Difference(f"{where}: expected {e_keys}, got {g_keys}")
    for (kind, name), e, g in zip(e_keys, expected, got):
        compare_number_maps(e.get("transfers"), g.get("transfers"), f"{where} {kind} {name!r} transfers")


def compare_round(expected, got):
    where = f"round {expected.get('round')}"
    if number(got.get("round"), f"{where} round") != number(expected.get("round"), f"{where} round"):
        raise Difference(f"{where}: numbered {got.get('round')}")
    if "threshold" in expected:
        e = number(expected["threshold"], f"{where} threshold expected")
        g = number(got.get("threshold"), f"{where} threshold")
        if e != g:
            raise Difference(f"{where} threshold: expected {expected['threshold']}, got {got.get('threshold')}")
    compare_number_maps(expected.get("tally"), got.get("tally"), f"{where} tally")
    if "inactiveBallots" in expected:
        compare_number_maps(expected["inactiveBallots"], got.get("inactiveBallots"), f"{where} inactiveBallots")
    compare_results(expected.get("tallyResults"), got.get("tallyResults"), f"{where} tallyResults")


def winners(doc):
    return [r["elected"] for rnd in doc.get("results", []) for r in rnd.get("tallyResults", []) if "elected" in r]


def compare_documents(expected, got):
    """Every difference between two URCVT documents, in order (rounds first)."""
    diffs = []
    e_rounds, g_rounds = expected.get("results", []), got.get("results", [])
    for e, g in zip(e_rounds, g_rounds):
        try:
            compare_round(e, g)
        except Difference as d:
            diffs.append(str(d))
    if len(e_rounds) != len(g_rounds):
        diffs.append(f"rounds: expected {len(e_rounds)}, got {len(g_rounds)}")
    if winners(expected) != winners(got):
        diffs.append(f"winners: expected {winners(expected)}, got {winners(got)}")
    e_sum, g_sum = expected.get("summary", {}), got.get("summary", {})
    for field in SUMMARY_FIELDS:
        if field not in e_sum:
            continue
        try:
            if number(e_sum[field], f"summary {field} expected") != number(g_sum.get(field), f"summary {field}"):
                diffs.append(f"summary {field}: expected {e_sum[field]}, got {g_sum.get(field)}")
        except Difference as d:
            diffs.append(str(d))
    return diffs


def expected_file(case_dir, stem):
    for suffix in EXPECTED_NAMES:
        path = os.path.join(case_dir, stem + suffix)
        if os.path.isfile(path):
            return path
    return None


def missing_sources(case_dir, config):
    """CVR paths the config names that are not there (relative to the config)."""
    missing = []
    for source in config.get("cvrFileSources", []):
        path = source.get("filePath", "")
        if path and not os.path.exists(os.path.join(case_dir, path)):
            missing.append(path)
    return missing


def run_case(christen, case_dir, case, timeout):
    """(status, message, all differences) of one case."""
    config_path = os.path.join(case_dir, case + "_config.json")
    if not os.path.isfile(config_path):
        return "SKIPPED", f"no {case}_config.json", []
    try:
        config = load_json(config_path)
    except ValueError as e:
        return "SKIPPED", f"config is not JSON: {e}", []
    rules = config.get("rules", {})
    sequential = rules.get("winnerElectionMode") == "multiPassIrv"
    if sequential:
        seats = int(number(rules.get("numberOfWinners", "1"), "numberOfWinners"))
        stems = [f"{case}_{n}" for n in range(1, seats + 1)]
    else:
        stems = [case]
    expected_paths = [expected_file(case_dir, s) for s in stems]
    absent = [s for s, p in zip(stems, expected_paths) if p is None]
    if absent:
        return "SKIPPED", f"no {absent[0]}_expected_summary.json (nor _detailed_report.json)", []
    missing = missing_sources(case_dir, config)
    if missing:
        return "SKIPPED", f"CVR not here: {missing[0]}", []

    cmd = [christen, "tally", "--rctab-config", os.path.abspath(config_path), "--urcvt"]
    try:
        run = subprocess.run(cmd, cwd=case_dir, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "FAIL", f"no answer within {timeout} s", []
    stderr = run.stderr.strip()
    if run.returncode != 0:
        message = " ".join(stderr.split())[:300] or f"exit status {run.returncode}, no message"
        # Exit status 2 is christen's "cannot count this input" (an error naming
        # what); a panic (101) or a signal is a crash, and a crash is a failure.
        if run.returncode == 2:
            return "REFUSED", message, []
        return "FAIL", f"exit status {run.returncode}: {message}", []
    try:
        docs = json_documents(run.stdout)
    except ValueError as e:
        return "FAIL", f"output is not JSON: {e}", []
    if len(docs) != len(stems):
        return "FAIL", f"{len(docs)} URCVT document(s) printed, {len(stems)} expected", []

    all_diffs = []
    for stem, path, doc in zip(stems, expected_paths, docs):
        prefix = f"pass {stem[len(case) + 1:]}: " if sequential else ""
        all_diffs += [prefix + d for d in compare_documents(load_json(path), doc)]
    if all_diffs:
        more = f" (+{len(all_diffs) - 1} more)" if len(all_diffs) > 1 else ""
        return "FAIL", all_diffs[0] + more, all_diffs
    rounds = sum(len(load_json(p).get("results", [])) for p in expected_paths)
    return "PASS", f"{rounds} round(s)", []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--christen", required=True, help="path to the christen binary")
    parser.add_argument("--test-data", required=True, help="RCTab's test_data folder (one folder per case)")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per case (default 600)")
    parser.add_argument("--all-differences", action="store_true", help="print every difference of a FAIL")
    args = parser.parse_args()

    christen = os.path.abspath(args.christen)
    if not os.access(christen, os.X_OK):
        parser.error(f"not an executable: {args.christen}")
    names = args.case or sorted(
        d for d in os.listdir(args.test_data)
        if os.path.isdir(os.path.join(args.test_data, d)) and not d.startswith(("_", "."))
    )
    counts = {s: 0 for s in ("PASS", "FAIL", "REFUSED", "SKIPPED")}
    width = max((len(n) for n in names), default=0)
    for name in names:
        case_dir = os.path.join(args.test_data, name)
        if not os.path.isdir(case_dir):
            status, message, diffs = "SKIPPED", "no such case folder", []
        else:
            status, message, diffs = run_case(christen, case_dir, name, args.timeout)
        counts[status] += 1
        print(f"{status:<8} {name:<{width}}  {message}", flush=True)
        if args.all_differences:
            for d in diffs[1:]:
                print(f"{'':<8} {'':<{width}}  {d}")
    total = sum(counts.values())
    print(f"total {total}: " + ", ".join(f"{counts[s]} {s.lower()}" for s in counts))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
