#!/usr/bin/env python3
"""Checks the sample captures against samples/EXPECTED with ntpauth-analyze.

- samples/EXPECTED and the table in samples/README.md list the same files with the same counts;
- every capture under samples/ has a line in EXPECTED and every line names an existing capture;
- a line may carry analyzer options between the name and the counts, as --OPTION=PATH with PATH
  relative to samples/ (e.g. --tls-keylog=nts/keylog.txt): the same capture checked with more
  keys; only lines without options are compared with the README tables;
- ntpauth-analyze --format jsonl FILE [OPTIONS] -k samples/ntp.keys gives exactly those verdict counts, and
  exits 1 exactly when a bad_mac/unknown_key/untrusted_key verdict occurs or nothing verified
  (no good verdict), 0 otherwise;
- the README's first command (all top-level captures in one run) reports the summed counts, each
  file with its own frame numbers (as tshark numbers them).

usage: check_samples.py ANALYZER SAMPLES_DIR
"""
import collections
import json
import os
import re
import subprocess
import sys

VERDICTS = ["good", "bad_mac", "unknown_key", "untrusted_key", "crypto_nak", "no_auth", "nts",
            "mssntp", "malformed"]
FAILURES = {"bad_mac", "unknown_key", "untrusted_key"}

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def parse_counts(text, where):
    """'good=4 crypto_nak=2' -> Counter; complains about unknown verdicts."""
    counts = collections.Counter()
    for item in text.split():
        m = re.fullmatch(r"([a-z_]+)=(\d+)", item)
        if not m or m.group(1) not in VERDICTS:
            fail("%s: '%s' is not VERDICT=COUNT with a known verdict" % (where, item))
            continue
        counts[m.group(1)] += int(m.group(2))
    return counts


def read_expected(path):
    """{(name, (option, ...)): counts}; options are '--NAME=PATH' words after the name."""
    expected = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            name = words[0]
            options = tuple(w for w in words[1:] if w.startswith("--"))
            rest = " ".join(w for w in words[1:] if not w.startswith("--"))
            where = "%s:%d" % (path, n)
            for o in options:
                if "=" not in o:
                    fail("%s: option '%s' is not --NAME=PATH" % (where, o))
            if (name, options) in expected:
                fail("%s: %s listed twice" % (where, " ".join((name,) + options)))
            expected[(name, options)] = parse_counts(rest, where)
    return expected


def option_args(samples, options):
    """--NAME=PATH with PATH relative to samples/ -> ['--NAME', 'samples/PATH']."""
    args = []
    for o in options:
        opt, _, value = o.partition("=")
        args += [opt, os.path.join(samples, value)]
    return args


def read_readme(path):
    """Rows '| `NAME` | what it shows | good=4 crypto_nak=2 |' of the README's sample tables."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"^\|\s*`([^`*]+\.pcap(?:ng)?)`\s*\|.*\|\s*([^|]*?)\s*\|\s*$", line)
            if m:
                rows[m.group(1)] = parse_counts(m.group(2), "%s:%d" % (path, n))
    return rows


def run_analyzer(analyzer, files, keys, extra=()):
    cmd = [analyzer, "--format", "jsonl"] + files + list(extra) + ["-k", keys]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    packets, summary = [], None
    for n, line in enumerate(proc.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            fail("%s: output line %d is not JSON (%s): %s" % (" ".join(files), n, e, line[:120]))
            continue
        if "summary" in obj:
            summary = obj["summary"]
        else:
            packets.append(obj)
    return proc.returncode, packets, summary, proc.stderr.decode("utf-8", "replace")


def show(counts):
    return " ".join("%s=%d" % (v, counts[v]) for v in VERDICTS if counts[v]) or "(nothing)"


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    analyzer, samples = sys.argv[1], sys.argv[2]
    if not os.access(analyzer, os.X_OK):
        fail("%s is not an executable: build ntpauth-analyze" % analyzer)
        return 1
    keys = os.path.join(samples, "ntp.keys")
    expected_all = read_expected(os.path.join(samples, "EXPECTED"))
    expected = {name: c for (name, options), c in expected_all.items() if not options}
    readme = read_readme(os.path.join(samples, "README.md"))

    if set(expected) != set(readme):
        for name in sorted(set(expected) - set(readme)):
            fail("%s is in EXPECTED but has no row in README.md" % name)
        for name in sorted(set(readme) - set(expected)):
            fail("%s has a README.md row but no EXPECTED line" % name)
    for name in sorted(set(expected) & set(readme)):
        if expected[name] != readme[name]:
            fail("%s: EXPECTED says %s, README.md says %s" % (name, show(expected[name]),
                                                             show(readme[name])))

    on_disk = set()
    for root, _, files in os.walk(samples):
        for f in files:
            if re.search(r"\.pcap(ng)?$", f):
                on_disk.add(os.path.relpath(os.path.join(root, f), samples))
    for name in sorted(on_disk - set(expected)):
        fail("%s is not listed in EXPECTED" % name)
    for name in sorted({n for n, _ in expected_all} - on_disk):
        fail("EXPECTED lists %s, which does not exist" % name)

    for name, options in sorted(k for k in expected_all if k[0] in on_disk):
        rc, packets, summary, err = run_analyzer(analyzer, [os.path.join(samples, name)], keys,
                                                 option_args(samples, options))
        got = collections.Counter(p.get("verdict") for p in packets)
        want = expected_all[(name, options)]
        name = " ".join((name,) + options)
        want_rc = 1 if any(want[v] for v in FAILURES) or not want["good"] else 0
        if got != want:
            fail("%s: ntpauth-analyze says %s, EXPECTED says %s" % (name, show(got), show(want)))
            for p in packets:
                print("    frame %s: %s key %s: %s" % (p.get("frame"), p.get("verdict"),
                                                       p.get("key_id"), p.get("reason")))
        elif rc != want_rc:
            fail("%s: exit status %d, want %d: %s" % (name, rc, want_rc, err.strip()))
        elif summary is None:
            fail("%s: no summary object at the end of the JSONL output" % name)
        else:
            print("ok: %s: %s" % (name, show(got)))

    # The README's first command: every top-level capture at once.
    top = sorted(n for n in expected if "/" not in n and n in on_disk)
    if top:
        rc, packets, summary, err = run_analyzer(analyzer, [os.path.join(samples, n) for n in top],
                                                 keys)
        total = collections.Counter()
        for n in top:
            total.update(expected[n])
        got = collections.Counter(p.get("verdict") for p in packets)
        by_file = collections.defaultdict(list)
        for p in packets:
            by_file[p.get("file")].append(p.get("frame"))
        bad_files = [f for f, fr in by_file.items() if fr != sorted(fr) or len(set(fr)) != len(fr)]
        if got != total:
            fail("all top-level samples at once: %s, want %s" % (show(got), show(total)))
        elif set(by_file) != {os.path.join(samples, n) for n in top} or bad_files:
            fail("all top-level samples at once: files %s, frames out of order in %s"
                 % (sorted(by_file), bad_files))
        elif rc != (1 if any(total[v] for v in FAILURES) else 0):
            fail("all top-level samples at once: exit status %d" % rc)
        else:
            print("ok: samples/*.pcap* together: %s, exit %d" % (show(got), rc))

    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
