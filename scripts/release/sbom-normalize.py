#!/usr/bin/env python3
"""sbom-normalize.py SBOM ROOT: prints the CycloneDX JSON document SBOM (written by
cargo-cyclonedx) with everything that depends on the build machine or the moment replaced, so
the same dependency tree always gives the same bytes:

- the absolute path ROOT of the built source tree (in the bom-refs of workspace crates) becomes
  /coldpay, as rustc-remap.sh maps it in the binaries;
- metadata.timestamp is SOURCE_DATE_EPOCH (the commit's time), or removed when it is unset;
- serialNumber, when present (a random UUID per run), becomes a UUID derived from the SHA-256
  of the rest of the document.
"""

import hashlib
import json
import os
import sys
import time


def replace_root(value, root):
    if isinstance(value, str):
        return value.replace(root, "/coldpay")
    if isinstance(value, list):
        return [replace_root(v, root) for v in value]
    if isinstance(value, dict):
        return {k: replace_root(v, root) for k, v in value.items()}
    return value


def content_uuid(doc):
    digest = bytearray(hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: a custom, name-based UUID
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sbom-normalize.py SBOM ROOT")
    path, root = sys.argv[1], sys.argv[2].rstrip("/")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("bomFormat") != "CycloneDX":
        sys.exit(f"error: {path} is not a CycloneDX document")
    doc = replace_root(doc, root)
    metadata = doc.setdefault("metadata", {})
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        metadata["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
    else:
        metadata.pop("timestamp", None)
    had_serial = doc.pop("serialNumber", None) is not None
    if had_serial:
        doc = {"serialNumber": content_uuid(doc), **doc}
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
