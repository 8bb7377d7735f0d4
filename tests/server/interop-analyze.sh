#!/bin/bash
# ntpauth-analyze verifies every packet of ntpauth-server's own pcap: each request has the verdict
# its scenario implies, each reply the verdict the server meant (same key as a good request,
# crypto-NAK for a failed one, unauthenticated for an unauthenticated one), no downgrade or key
# mismatch, and the pcap holds exactly the packets the server counted.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
[ -n "${NTPAUTH_ANALYZE:-}" ] || fail "ntpauth-analyze was not built (target ntpauth-analyze missing)"
need_tool "$NTPAUTH_ANALYZE" "ntpauth-analyze not found at $NTPAUTH_ANALYZE"
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
need_tool python3 "python3 is missing"

write_keys "$TMP/ntp.keys"
cat > "$TMP/server.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 21 31
listen 127.0.0.1:123
listen [::1]:123
local stratum 2
pcap $TMP/server.pcap
ratelimit interval -2 burst 20
status-socket $TMP/status.sock
CONF
start_server "$TMP/server.conf" "$TMP/server.log"
"$NTPAUTH_QUERY" --timeout 1 --scenario all -k "$TMP/ntp.keys" 127.0.0.1 > "$TMP/scen.txt" || { cat "$TMP/scen.txt"; fail "scenarios failed"; }
sleep 1.2
"$NTPAUTH_QUERY" --timeout 1 -k "$TMP/ntp.keys" -a 40 127.0.0.1 > /dev/null   # untrusted: crypto-NAK
"$NTPAUTH_QUERY" --status "$TMP/status.sock" > "$TMP/status.txt"
stop_server

"$NTPAUTH_ANALYZE" --format jsonl -k "$TMP/ntp.keys" --trusted '1 11 21 31' "$TMP/server.pcap" > "$TMP/analyze.jsonl"
rc=$?
[ $rc = 1 ] || fail "ntpauth-analyze exited $rc (expected 1: the capture holds bad MACs on purpose)"

python3 - "$TMP/analyze.jsonl" "$TMP/status.txt" <<'PY' || fail "analyzer verdicts do not match the server's intent"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = [r for r in rows if "summary" in r][0]["summary"]
pkts = {r["frame"]: r for r in rows if "frame" in r}
status = open(sys.argv[2]).read()
requests = int(re.search(r"requests (\d+)", status).group(1))
acts = dict(re.findall(r"(\w+)=(\d+)", re.search(r"^actions:(.*)$", status, re.M).group(1)))
answered = int(acts["reply"]) + int(acts["crypto_nak"]) + int(acts["kod_rate"])
errors = []
# Control messages (mode 6, e.g. the scenario's 0xde junk) have their own counters.
timepkts = [p for p in pkts.values() if p.get("mode") != 6]
if len(timepkts) != requests + answered:
    errors.append(f"pcap has {len(timepkts)} time packets, server counted {requests} requests + {answered} answers")
want_req = {1: "good", 11: "good", 21: "good", 31: "good", 9999: "unknown_key", 40: "untrusted_key"}
seen = set()
for f, p in pkts.items():
    if p.get("sport") != 123:          # sent to the server (requests and junk)
        if p.get("mode") not in (1, 3): continue
        v = p["verdict"]
        if p.get("key_id") in want_req and v != want_req[p["key_id"]] and not (p["key_id"] == 11 and v == "bad_mac"):
            errors.append(f"frame {f}: request key {p.get('key_id')} verdict {v}")
        seen.add(v)
    else:                              # sent by the server
        req = pkts.get(p.get("request_frame"))
        if req is None:
            errors.append(f"frame {f}: reply without a request"); continue
        rv, v = req["verdict"], p["verdict"]
        exp = {"good": "good", "no_auth": "no_auth", "bad_mac": "crypto_nak",
               "unknown_key": "crypto_nak", "untrusted_key": "crypto_nak"}.get(rv)
        if v != exp:
            errors.append(f"frame {f}: reply verdict {v}, request frame {req['frame']} was {rv}, expected {exp}")
        if v == "good" and p.get("key_id") != req.get("key_id"):
            errors.append(f"frame {f}: reply key {p.get('key_id')} != request key {req.get('key_id')}")
        if v == "good" and p.get("mac_len") != req.get("mac_len"):
            errors.append(f"frame {f}: reply MAC length {p.get('mac_len')} != request {req.get('mac_len')}")
for v in ("good", "bad_mac", "unknown_key", "untrusted_key", "no_auth", "nts", "malformed"):
    if v not in seen and v != "malformed":
        errors.append(f"no request with verdict {v} in the capture")
fc = summary["finding_counts"]
for k in ("downgrade", "key_mismatch", "unsolicited_reply"):
    if fc.get(k):
        errors.append(f"finding {k}: {fc[k]}")
if not fc.get("kod"):
    errors.append("no KoD found by the analyzer")
if fc.get("crypto_nak_reply", 0) < 3:
    errors.append(f"crypto_nak_reply findings: {fc.get('crypto_nak_reply')}")
print(f"{len(pkts)} packets, verdicts {summary['verdicts']}")
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY
echo PASS
