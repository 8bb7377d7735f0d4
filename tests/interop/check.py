#!/usr/bin/env python3
"""check.py - compares ntpauth-analyze verdicts on real-peer captures with what is true.

  check.py golden ANALYZER SCENARIO
      Runs ANALYZER --format jsonl on captures/SCENARIO.pcap with the options in
      captures/SCENARIO.args and compares every frame with captures/SCENARIO.expected
      (frame verdict key_id mac_len algorithm), then applies roles/SCENARIO.rules too.
  check.py roles ANALYZER SCENARIO PCAP
      Runs ANALYZER on a freshly recorded PCAP and checks it against roles/SCENARIO.rules:
      verdicts by role (mode, key, MAC length, ...), not by frame number, since timing varies.
  check.py expected ANALYZER SCENARIO
      Prints an .expected table from the analyzer's current output (to review, not to trust).

Rules file: one rule per line, '#' comments.
  NAME: FIELD=VALUE ... -> VERDICT [min=N] [max=N]
FIELD is one of mode, version, key (key_id; 'none' for no MAC), mac_len, sport, dport, src, dst.
VERDICT is one of the core's verdict names or '*' (any). A packet takes the first rule it
matches; every packet must match one. A rule must match at least min (default 1) and at most
max (default unlimited) packets; max=0 alone means "never" (min 0).
"""
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICTS = {"good", "bad_mac", "unknown_key", "untrusted_key", "crypto_nak", "no_auth", "nts",
            "mssntp", "malformed"}
FIELDS = {"mode": "mode", "version": "version", "key": "key_id", "mac_len": "mac_len",
          "sport": "sport", "dport": "dport", "src": "src", "dst": "dst"}


def fail(msg):
    print("check.py: " + msg, file=sys.stderr)
    sys.exit(2)


def read_args(scenario):
    path = os.path.join(HERE, "captures", scenario + ".args")
    try:
        with open(path) as f:
            text = " ".join(l for l in f.read().splitlines() if not l.lstrip().startswith("#"))
    except OSError as e:
        fail("%s: %s" % (path, e.strerror))
    # keyfile paths in .args are relative to tests/interop
    args = shlex.split(text)
    out = []
    for i, a in enumerate(args):
        if i > 0 and args[i - 1] in ("-k", "-c") and not os.path.isabs(a):
            a = os.path.join(HERE, a)
        out.append(a)
    return out


def analyze(analyzer, pcap, args):
    cmd = [analyzer, "--format", "jsonl"] + args + [pcap]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 1):
        fail("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    packets = []
    for n, line in enumerate(p.stdout.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError:
            fail("%s: output line %d is not JSON: %r" % (analyzer, n, line[:120]))
        if "frame" in obj:
            packets.append(obj)
    if not packets:
        fail("%s found no NTP packets in %s" % (analyzer, pcap))
    return packets


def fmt(v):
    return "-" if v is None else str(v)


def row(pkt):
    return [str(pkt["frame"]), pkt["verdict"], fmt(pkt["key_id"]), fmt(pkt["mac_len"]),
            fmt(pkt["algorithm"])]


def describe(pkt):
    return ("frame %d %s:%d > %s:%d v%d mode %d key %s mac_len %s: %s (%s)"
            % (pkt["frame"], pkt["src"], pkt["sport"], pkt["dst"], pkt["dport"], pkt["version"],
               pkt["mode"], fmt(pkt["key_id"]), fmt(pkt["mac_len"]), pkt["verdict"],
               pkt["reason"]))


def parse_rules(path):
    rules = []
    try:
        f = open(path)
    except OSError as e:
        fail("%s: %s" % (path, e.strerror))
    with f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            where = "%s:%d" % (path, lineno)
            if ":" not in line or "->" not in line:
                fail("%s: expected 'NAME: FIELD=VALUE ... -> VERDICT [min=N] [max=N]'" % where)
            name, rest = line.split(":", 1)
            lhs, rhs = rest.split("->", 1)
            match = {}
            for tok in lhs.split():
                k, _, v = tok.partition("=")
                if k not in FIELDS or not v:
                    fail("%s: bad match '%s' (fields: %s)" % (where, tok, ", ".join(FIELDS)))
                match[FIELDS[k]] = v
            rtoks = rhs.split()
            if not rtoks or (rtoks[0] != "*" and rtoks[0] not in VERDICTS):
                fail("%s: bad verdict '%s'" % (where, rhs.strip()))
            rule = {"name": name.strip(), "match": match, "verdict": rtoks[0], "min": 1,
                    "max": None, "where": where, "hits": 0}
            for tok in rtoks[1:]:
                k, _, v = tok.partition("=")
                if k not in ("min", "max") or not v.isdigit():
                    fail("%s: bad count '%s'" % (where, tok))
                rule[k] = int(v)
            if rule["max"] == 0 and "min=" not in rhs:
                rule["min"] = 0   # a "never" rule
            rules.append(rule)
    return rules


def matches(rule, pkt):
    for field, want in rule["match"].items():
        have = pkt.get(field)
        if want == "none":
            if have is not None:
                return False
        elif have is None or str(have) != want:
            return False
    return True


def check_roles(packets, scenario):
    rules = parse_rules(os.path.join(HERE, "roles", scenario + ".rules"))
    errors = []
    for pkt in packets:
        rule = next((r for r in rules if matches(r, pkt)), None)
        if rule is None:
            errors.append("no role for " + describe(pkt))
            continue
        rule["hits"] += 1
        if rule["verdict"] != "*" and pkt["verdict"] != rule["verdict"]:
            errors.append("role '%s' (%s) wants %s: %s"
                          % (rule["name"], rule["where"], rule["verdict"], describe(pkt)))
    for r in rules:
        if r["hits"] < r["min"]:
            errors.append("role '%s' (%s) seen %d times, expected at least %d"
                          % (r["name"], r["where"], r["hits"], r["min"]))
        if r["max"] is not None and r["hits"] > r["max"]:
            errors.append("role '%s' (%s) seen %d times, expected at most %d"
                          % (r["name"], r["where"], r["hits"], r["max"]))
    return errors


def check_golden(packets, scenario):
    path = os.path.join(HERE, "captures", scenario + ".expected")
    expected = {}
    try:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.split("#", 1)[0].split()
                if not line:
                    continue
                if len(line) != 5:
                    fail("%s:%d: expected 'frame verdict key_id mac_len algorithm'" % (path, lineno))
                expected[line[0]] = (line, lineno)
    except OSError as e:
        fail("%s: %s" % (path, e.strerror))
    errors = []
    seen = set()
    for pkt in packets:
        got = row(pkt)
        seen.add(got[0])
        if got[0] not in expected:
            errors.append("frame %s not in %s: %s" % (got[0], path, describe(pkt)))
            continue
        want, lineno = expected[got[0]]
        if got != want:
            errors.append("%s:%d: want '%s', got '%s': %s"
                          % (path, lineno, " ".join(want), " ".join(got), describe(pkt)))
    for frame, (want, lineno) in expected.items():
        if frame not in seen:
            errors.append("%s:%d: frame %s not reported by the analyzer" % (path, lineno, frame))
    return errors


def main():
    if len(sys.argv) < 4:
        fail(__doc__.strip().splitlines()[2].strip() + " | roles ANALYZER SCENARIO PCAP")
    mode, analyzer, scenario = sys.argv[1:4]
    if mode == "golden":
        pcap = os.path.join(HERE, "captures", scenario + ".pcap")
        packets = analyze(analyzer, pcap, read_args(scenario))
        errors = check_golden(packets, scenario) + check_roles(packets, scenario)
    elif mode == "roles":
        if len(sys.argv) != 5:
            fail("usage: check.py roles ANALYZER SCENARIO PCAP")
        packets = analyze(analyzer, sys.argv[4], read_args(scenario))
        errors = check_roles(packets, scenario)
    elif mode == "expected":
        pcap = os.path.join(HERE, "captures", scenario + ".pcap")
        for pkt in analyze(analyzer, pcap, read_args(scenario)):
            print(" ".join(row(pkt)))
        return 0
    else:
        fail("unknown mode " + mode)
    for e in errors:
        print("FAIL " + scenario + ": " + e)
    print("%s: %d packets, %d problems" % (scenario, len(packets), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
