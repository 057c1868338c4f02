#!/usr/bin/python3
"""An independent OMS verifier, written from the specification, used by the
Go tests to check that signatures poisonguard writes verify outside
poisonguard: hashlib re-hashes the model, the DSSE PAE is rebuilt by hand,
and `openssl dgst -verify` checks the ECDSA signature.

usage: oms_verify.py MODEL_DIR SIGNATURE PUBLIC_KEY.pem
exit 0 verified, 1 not verified (the reason on stderr).
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

DEFAULT_IGNORES = {".git", ".gitattributes", ".github", ".gitignore"}
CURVE_HASH = {"prime256v1": "sha256", "P-256": "sha256", "secp384r1": "sha384", "P-384": "sha384",
              "secp521r1": "sha512", "P-521": "sha512"}


def fail(msg):
    print("not verified: " + msg, file=sys.stderr)
    sys.exit(1)


def curve_hash(pub):
    text = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-text", "-noout"],
                          check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        if "ASN1 OID" in line or "NIST CURVE" in line:
            name = line.split(":", 1)[1].strip()
            if name in CURVE_HASH:
                return CURVE_HASH[name]
    raise SystemExit("unknown curve:\n" + text)


def check_signature(bundle, pub):
    env = bundle["dsseEnvelope"]
    payload = base64.b64decode(env["payload"])
    ptype = env["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    with tempfile.TemporaryDirectory() as d:
        msg, sig = os.path.join(d, "pae"), os.path.join(d, "sig")
        open(msg, "wb").write(pae)
        for s in env["signatures"]:
            open(sig, "wb").write(base64.b64decode(s["sig"]))
            r = subprocess.run(["openssl", "dgst", "-" + curve_hash(pub), "-verify", pub, "-signature", sig, msg],
                               capture_output=True)
            if r.returncode == 0:
                return payload
    fail("no envelope signature verifies with " + pub)


def model_files(root, ignores):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = [d for d in dirnames if rel_dir + d not in ignores]
        for f in filenames:
            rel = rel_dir + f
            if rel not in ignores:
                out[rel] = open(os.path.join(dirpath, f), "rb").read()
    return out


def main():
    model, sig_path, pub = sys.argv[1:4]
    bundle = json.load(open(sig_path))
    if bundle["mediaType"] != "application/vnd.dev.sigstore.bundle.v0.3+json":
        fail("media type " + bundle["mediaType"])
    payload = check_signature(bundle, pub)
    if bundle["dsseEnvelope"]["payloadType"] != "application/vnd.in-toto+json":
        fail("payload type")
    stmt = json.loads(payload)
    if stmt["_type"] != "https://in-toto.io/Statement/v1" or stmt["predicateType"] != "https://model_signing/signature/v1.0":
        fail("statement or predicate type")
    pred = stmt["predicate"]
    ser = pred["serialization"]
    root = hashlib.sha256()
    for r in pred["resources"]:
        root.update(bytes.fromhex(r["digest"]))
    if root.hexdigest() != stmt["subject"][0]["digest"]["sha256"]:
        fail("root digest")
    rel_sig = os.path.relpath(os.path.abspath(sig_path), os.path.abspath(model))
    ignores = DEFAULT_IGNORES | set(ser.get("ignore_paths", [])) | {rel_sig}
    files = model_files(model, ignores)
    want = {r["name"]: r["digest"] for r in pred["resources"]}
    got = {}
    for name, data in files.items():
        if ser["method"] == "files":
            got[name] = hashlib.new(ser["hash_type"], data).hexdigest()
        else:
            size = int(ser["shard_size"])
            for start in range(0, len(data), size):
                end = min(start + size, len(data))
                got[f"{name}:{start}:{end}"] = hashlib.new(ser["hash_type"], data[start:end]).hexdigest()
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))
        fail("model differs: " + ", ".join(n for n, _ in diff))
    print("verified: %d resources" % len(want))


if __name__ == "__main__":
    main()
