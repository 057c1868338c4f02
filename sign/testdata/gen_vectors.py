#!/usr/bin/python3
"""Builds the OMS known-answer vectors in kat/ from the specification alone.

Independent of poisonguard: Python's hashlib computes the per-file and root
digests, the DSSE pre-authentication encoding (PAE) is assembled by hand,
and the openssl command line makes the keys, certificates and ECDSA
signatures, then checks each signature with `openssl dgst -verify` before
the bundle is written. Run from this directory: ./gen_vectors.py
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess

KAT = "kat"
MODEL = os.path.join(KAT, "model")
KEYS = os.path.join(KAT, "keys")
BUNDLES = os.path.join(KAT, "bundles")
PAYLOAD_TYPE = "application/vnd.in-toto+json"
CURVE_HASH = {"prime256v1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}

# The tiny model: a nested layout, an empty file, a name with a colon and a
# space, a .github folder at the root (ignored by default) and one nested
# deeper (hashed: the defaults apply at the root only).
FILES = {
    "config.json": b'{"hidden": 4, "layers": 2}\n',
    "weights.bin": bytes((i * 37 + 11) % 256 for i in range(100)),
    "tokenizer/vocab.txt": b"hello\nworld\n",
    "tokenizer/empty": b"",
    "odd name:v1.txt": b"colons are allowed in names\n",
    "sub/.github/kept.txt": b"nested .github is part of the model\n",
    ".github/workflow.yml": b"ignored at the root\n",
}
IGNORED = {".github/workflow.yml"}
SERIALS = {"root-ca": 1, "intermediate-ca": 2, "leaf": 3}
DEFAULT_IGNORES = [".git", ".gitattributes", ".github", ".gitignore", "model.sig"]


def run(*args, stdin=None):
    return subprocess.run(args, check=True, capture_output=True, input=stdin).stdout


def write_model():
    shutil.rmtree(MODEL, ignore_errors=True)
    for name, data in FILES.items():
        path = os.path.join(MODEL, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def make_key(name, curve):
    key = os.path.join(KEYS, name + ".key")
    pem = run("openssl", "ecparam", "-genkey", "-noout", "-name", curve)
    with open(key, "wb") as f:
        f.write(run("openssl", "pkcs8", "-topk8", "-nocrypt", stdin=pem))
    with open(os.path.join(KEYS, name + ".pub"), "wb") as f:
        f.write(run("openssl", "pkey", "-in", key, "-pubout"))
    return key


def make_chain():
    """A root CA, an intermediate and a code-signing leaf (P-256)."""
    def cert(name, subject, issuer, ext):
        key = make_key(name, "prime256v1")
        csr = run("openssl", "req", "-new", "-key", key, "-subj", subject)
        extfile = os.path.join(KEYS, name + ".ext")
        with open(extfile, "w") as f:
            f.write(ext)
        args = ["openssl", "x509", "-req", "-days", "36500", "-set_serial", str(SERIALS[name]), "-extfile", extfile]
        if issuer is None:
            args += ["-signkey", key]
        else:
            args += ["-CA", os.path.join(KEYS, issuer + ".pem"), "-CAkey", os.path.join(KEYS, issuer + ".key")]
        with open(os.path.join(KEYS, name + ".pem"), "wb") as f:
            f.write(run(*args, stdin=csr))
        os.remove(extfile)
        return key
    ca = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
    cert("root-ca", "/CN=poisonguard test root", None, ca)
    cert("intermediate-ca", "/CN=poisonguard test intermediate", "root-ca", ca)
    return cert("leaf", "/CN=model signer", "intermediate-ca",
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n")


def der_of(pem_path):
    text = open(pem_path).read()
    body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
    return base64.b64decode(body)


def model_order():
    """File names as the reference sorts them: component by component."""
    return sorted((n for n in FILES if n not in IGNORED), key=lambda n: n.split("/"))


def file_resources(hash_name, algorithm):
    out = []
    for name in model_order():
        out.append({"name": name, "algorithm": algorithm,
                    "digest": hashlib.new(hash_name, FILES[name]).hexdigest()})
    return out


def shard_resources(size):
    out = []
    for name in model_order():
        data = FILES[name]
        for start in range(0, len(data), size):  # an empty file has no shards
            end = min(start + size, len(data))
            out.append({"name": f"{name}:{start}:{end}", "algorithm": f"sha256-sharded-{size}",
                        "digest": hashlib.sha256(data[start:end]).hexdigest()})
    return out


def root_digest(resources):
    h = hashlib.sha256()
    for r in resources:
        h.update(bytes.fromhex(r["digest"]))
    return h.hexdigest()


def statement(resources, serialization):
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "model", "digest": {"sha256": root_digest(resources)}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": serialization, "resources": resources},
    }


def pae(payload):
    return b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)


def sign(key, curve, message, name):
    digest = CURVE_HASH[curve]
    msg = os.path.join(BUNDLES, name + ".pae")
    sig = os.path.join(BUNDLES, name + ".der")
    with open(msg, "wb") as f:
        f.write(message)
    run("openssl", "dgst", "-" + digest, "-sign", key, "-out", sig, msg)
    pub = key[:-4] + (".pub" if key.endswith(".key") else "")
    ok = run("openssl", "dgst", "-" + digest, "-verify", pub, "-signature", sig, msg)
    assert ok.strip() == b"Verified OK", ok
    data = open(sig, "rb").read()
    os.remove(sig)
    return base64.b64encode(data).decode()


def bundle(name, key, curve, stmt, material, keyid=""):
    payload = json.dumps(stmt, indent=2).encode()
    message = pae(payload)
    sig = {"sig": sign(key, curve, message, name)}
    if keyid is not False:
        sig["keyid"] = keyid
    doc = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": material,
        "dsseEnvelope": {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
                         "signatures": [sig]},
    }
    with open(os.path.join(BUNDLES, name + ".sig"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    v1 = stmt["predicateType"] == "https://model_signing/signature/v1.0"
    return {"root_digest": stmt["subject"][0]["digest"]["sha256"] if v1 else None,
            "pae_sha256": hashlib.sha256(message).hexdigest()}


def hint(pub_path):
    return hashlib.sha256(open(pub_path, "rb").read()).hexdigest()


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    shutil.rmtree(KAT, ignore_errors=True)
    os.makedirs(KEYS)
    os.makedirs(BUNDLES)
    write_model()
    p256 = make_key("p256", "prime256v1")
    p384 = make_key("p384", "secp384r1")
    p521 = make_key("p521", "secp521r1")
    leaf = make_chain()
    expected = {"files_sha256": {r["name"]: r["digest"] for r in file_resources("sha256", "sha256")},
                "bundles": {}}
    files = file_resources("sha256", "sha256")
    b = expected["bundles"]
    # 1. The current reference layout: key hint, empty keyid, tlogEntries [].
    b["files-p256"] = bundle("files-p256", p256, "prime256v1", statement(files, {
        "method": "files", "hash_type": "sha256", "allow_symlinks": False, "ignore_paths": DEFAULT_IGNORES}),
        {"publicKey": {"hint": hint(os.path.join(KEYS, "p256.pub"))}, "tlogEntries": []})
    # 2. Shards written as the reference does: a float shard_size and
    #    sha256-sharded-N names; the pre-1.1 rawBytes key; a null keyid.
    shards = shard_resources(8)
    b["shards-p384"] = bundle("shards-p384", p384, "secp384r1", statement(shards, {
        "method": "shards", "hash_type": "sha256", "allow_symlinks": False, "shard_size": 8.0}),
        {"publicKey": {"rawBytes": base64.b64encode(der_of(os.path.join(KEYS, "p384.pub"))).decode()}}, keyid=None)
    # 3. BLAKE2b-512 file digests, a P-521 key (SHA-512), no keyid at all.
    b["blake2b-p521"] = bundle("blake2b-p521", p521, "secp521r1", statement(file_resources("blake2b", "blake2b"), {
        "method": "files", "hash_type": "blake2b", "allow_symlinks": False}),
        {"publicKey": {"hint": hint(os.path.join(KEYS, "p521.pub"))}}, keyid=False)
    # 4. A certificate chain: leaf then intermediate; the root is trusted.
    chain = [der_of(os.path.join(KEYS, n + ".pem")) for n in ("leaf", "intermediate-ca")]
    b["chain-p256"] = bundle("chain-p256", leaf, "prime256v1", statement(files, {
        "method": "files", "hash_type": "sha256", "allow_symlinks": False}),
        {"x509CertificateChain": {"certificates": [{"rawBytes": base64.b64encode(c).decode()} for c in chain]}})
    # 5. model_signing 0.2: one subject per file, no predicate body.
    v01 = {"_type": "https://in-toto.io/Statement/v1",
           "subject": [{"name": r["name"], "digest": {"sha256": r["digest"]}} for r in files],
           "predicateType": "https://model_signing/Digests/v0.1", "predicate": {"unused": "Unused, just passed due to API requirements"}}
    b["v0.2-p256"] = bundle("v0.2-p256", p256, "prime256v1", v01,
                            {"publicKey": {"rawBytes": base64.b64encode(der_of(os.path.join(KEYS, "p256.pub"))).decode()}})
    # 6. model_signing 1.0 on a single file: the resource is named ".", and
    #    publicKey.rawBytes holds the PEM text rather than DER.
    single = [{"name": ".", "digest": hashlib.sha256(FILES["config.json"]).hexdigest(), "algorithm": "sha256"}]
    stmt = statement(single, {"method": "files", "hash_type": "sha256", "allow_symlinks": False})
    stmt["subject"][0]["name"] = "config.json"
    b["single-file-v1.0-p384"] = bundle("single-file-v1.0-p384", p384, "secp384r1", stmt, {"publicKey": {
        "rawBytes": base64.b64encode(open(os.path.join(KEYS, "p384.pub"), "rb").read()).decode(),
        "keyDetails": "PKIX_ECDSA_P384_SHA_384"}}, keyid=None)
    for n in b:
        b[n]["pae"] = n + ".pae"
    with open(os.path.join(KAT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
