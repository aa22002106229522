#!/usr/bin/env python3
"""Writes the derived seed corpora of the fuzz targets from the tests (tools/fuzz seeds).

Sources: the golden event payloads (tests/domain/codec/golden), the known-answer vectors
(tests/vectors), the request examples of docs/openapi.json, the raw string literals of the
gateway tests (tests/gateways/*_test.cpp), and seeds some targets print themselves from the code
(TELEPAY_FUZZ_LIST_ROUTES, TELEPAY_FUZZ_WRITE_SEEDS), which need the built targets.

Derived seeds are named `gen-...`; hand-written ones (`hand-...`) are never touched. Run it
again after adding a golden file, a vector, a route or an OpenAPI example, and check the result
in: every file is small.

Usage: make_seeds.py REPO_ROOT FUZZ_BIN_DIR
"""

import hashlib
import json
import os
import re
import struct
import subprocess
import sys

ROOT = sys.argv[1]
BIN = sys.argv[2]
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_SEED_BYTES = 8192

written = {}


def seed(target, name, data):
    """Queues one seed; `name` is made file-name safe."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_SEED_BYTES:
        return
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:80]
    written.setdefault(target, {})["gen-" + safe] = data


def literals(path):
    """The raw string literals R"delim(...)delim" of a C++ file, in order."""
    text = open(path, encoding="utf-8").read()
    return [m.group(2) for m in re.finditer(r'R"([^(\s]{0,16})\((.*?)\)\1"', text, re.S)]


def short(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha1(data).hexdigest()[:10]


def from_hex(text):
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


# ---- the event codec: every golden file, as "TYPE.vN\n" + payload ----
golden = os.path.join(ROOT, "tests", "domain", "codec", "golden")
for name in sorted(os.listdir(golden)):
    if not name.endswith(".json"):
        continue
    payload = open(os.path.join(golden, name), "rb").read().rstrip(b"\n")
    head = name[: -len(".json")]
    seed("event_codec", "golden-" + head, head.encode() + b"\n" + payload)

# ---- the stored record layout (eventstore/record.hpp): a hash-chained log of golden events ----
def record_bytes(seq, version, at_us, schema, prev, stream, kind, corr, cause, idem, payload):
    def s16(b):
        return struct.pack(">H", len(b)) + b
    body = (bytes([1]) + struct.pack(">QQqH", seq, version, at_us, schema) + prev + s16(stream) + s16(kind)
            + s16(corr) + s16(cause) + s16(idem) + struct.pack(">I", len(payload)) + payload)
    return body + hashlib.sha256(body).digest()

prev = bytes(32)
for seq, name in enumerate(sorted(n for n in os.listdir(golden) if n.endswith(".json"))[:12], start=1):
    head = name[: -len(".json")]
    kind, _, version_text = head.rpartition(".v")
    payload = open(os.path.join(golden, name), "rb").read().rstrip(b"\n")
    record = record_bytes(seq, 1, 1_790_000_000_000_000 + seq, int(version_text), prev,
                          ("stream-%d" % seq).encode(), kind.encode(), b"purchase:p1" if seq % 2 else b"",
                          b"step" if seq % 3 else b"", b"idem-%d" % seq if seq % 4 else b"", payload)
    prev = record[-32:]
    seed("event_record", "golden-" + head, record)

# ---- the operator API: OpenAPI request examples ----
openapi = json.load(open(os.path.join(ROOT, "docs", "openapi.json"), encoding="utf-8"))
examples = {}  # path pattern -> [(name, body text)]
for path, ops in openapi.get("paths", {}).items():
    for method, op in ops.items():
        if not isinstance(op, dict):
            continue
        content = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
        bodies = []
        for ex_name, ex in (content.get("examples") or {}).items():
            if isinstance(ex, dict) and "value" in ex:
                bodies.append((ex_name, json.dumps(ex["value"], ensure_ascii=False, separators=(",", ":"))))
        if "example" in content:
            bodies.append(("example", json.dumps(content["example"], ensure_ascii=False, separators=(",", ":"))))
        if method == "post":
            examples.setdefault(path, []).extend(bodies)
        for ex_name, body in bodies:
            seed("http_body", "openapi-" + path + "-" + ex_name, body)
        seed("http_router", "openapi-" + method + "-" + path,
             bytes([0 if method == "get" else 1]) + path.replace("{id}", "42").encode())


def param_for(pattern):
    """A plausible value of the pattern's {id}, as the OpenAPI examples use them."""
    if "/channels/" in pattern:
        return "-1001234567890"
    if "/withdrawals/" in pattern:
        return "w-2026-0001"
    if "/manual-deposits/" in pattern:
        return "bank-2026-001"
    if "/tokens/" in pattern:
        return "abcdefghijkl"
    return "42"


routes_bin = os.path.join(BIN, "fuzz_http_write_routes")
if os.path.exists(routes_bin):
    listing = subprocess.run([routes_bin], env=dict(os.environ, TELEPAY_FUZZ_LIST_ROUTES="1"),
                             capture_output=True, text=True, check=True).stdout.split()
    for index, pattern in enumerate(listing):
        bodies = examples.get(pattern) or [("empty", "{}")]
        for ex_name, body in bodies:
            seed("http_write_routes", "openapi-" + pattern + "-" + ex_name,
                 bytes([index]) + param_for(pattern).encode() + b"\n" + body.encode())
else:
    print("make_seeds: %s not built; http_write_routes seeds skipped" % routes_bin, file=sys.stderr)

# ---- NOWPayments: the IPN vectors and the codec test's bodies ----
ipn = json.load(open(os.path.join(ROOT, "tests", "vectors", "nowpayments_ipn.json"), encoding="utf-8"))
for i, case in enumerate(ipn["cases"]):
    raw = case["raw_body"]
    seed("nowpayments_js_json", "vector-ipn-%d" % i, raw)
    for variant in ("sig_recursive", "sig_legacy"):
        if variant in case:
            seed("nowpayments_ipn", "vector-ipn-%d-%s" % (i, variant), case[variant] + "\n" + raw)
    for key in ("signed_string_recursive", "signed_string_legacy"):
        if key in case:
            seed("nowpayments_js_json", "vector-ipn-%d-%s" % (i, key), case[key])
for text in literals(os.path.join(ROOT, "tests", "gateways", "nowpayments_codec_test.cpp")):
    seed("nowpayments_js_json", "test-" + short(text), text)
    seed("nowpayments_ipn", "test-" + short(text), "\n" + text)

# ---- Telegram: the codec test's updates, answers and bodies ----
for text in literals(os.path.join(ROOT, "tests", "gateways", "telegram_codec_test.cpp")):
    seed("telegram_update", "test-" + short(text), text)

# ---- the chain ----
for text in literals(os.path.join(ROOT, "tests", "gateways", "chain_rpc_codec_test.cpp")):
    seed("chain_rpc", "test-" + short(text), text)
for i, case in enumerate(json.load(open(os.path.join(ROOT, "tests", "vectors", "rlp.json")))):
    seed("chain_rlp", "vector-rlp-%d" % i, from_hex(case["rlp"]))
for i, tx in enumerate(json.load(open(os.path.join(ROOT, "tests", "vectors", "transactions.json")))):
    seed("chain_rlp", "vector-tx-%d" % i, from_hex(tx["raw_signed"]))
    seed("chain_primitives", "vector-tx-%d-calldata" % i, from_hex(tx["data"]))
    for key in ("from", "to", "erc20_recipient", "tx_hash", "unsigned_hash", "data", "r", "s"):
        if isinstance(tx.get(key), str):
            seed("chain_primitives", "vector-tx-%d-%s" % (i, key), tx[key])
bip32 = json.load(open(os.path.join(ROOT, "tests", "vectors", "bip32.json")))
seed("chain_bip32", "vector-account-xpub", b"\0" + bip32["account_xpub"].encode())


def base58_decode(text):
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = 0
    for c in text:
        n = n * 58 + alphabet.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


# The payload behind the checksum, for the target's re-encoding mode (byte 0 odd).
seed("chain_bip32", "vector-account-payload", b"\1" + base58_decode(bip32["account_xpub"])[:-4])
for child in bip32["children"]:
    seed("chain_primitives", "vector-bip32-child-%d" % child["index"], child["address"])
for i, case in enumerate(json.load(open(os.path.join(ROOT, "tests", "vectors", "eip55.json")))):
    for key, value in (case.items() if isinstance(case, dict) else []):
        if isinstance(value, str):
            seed("chain_primitives", "vector-eip55-%d-%s" % (i, key), value)

# ---- targets that print their own seeds from the code (rows, snapshots) ----
for target in ("rows", "snapshot_codec"):
    binary = os.path.join(BIN, "fuzz_" + target)
    if not os.path.exists(binary):
        print("make_seeds: %s not built; its generated seeds are skipped" % binary, file=sys.stderr)
        continue
    out = os.path.join(CORPUS, target, ".seeding")
    os.makedirs(out, exist_ok=True)
    subprocess.run([binary], env=dict(os.environ, TELEPAY_FUZZ_WRITE_SEEDS=out), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name in sorted(os.listdir(out)):
        seed(target, "code-" + name, open(os.path.join(out, name), "rb").read())
        os.remove(os.path.join(out, name))
    os.rmdir(out)

# ---- write: replace every gen- file of each target, keep hand- files ----
for target, seeds in sorted(written.items()):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        if old.startswith("gen-") and old not in seeds:
            os.remove(os.path.join(directory, old))
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    print("make_seeds: %-20s %3d generated seeds" % (target, len(seeds)))
