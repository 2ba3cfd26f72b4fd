#!/usr/bin/env python3
"""Writes the JSON/CSV seed corpora of the fuzz targets node_answers, block_listing and
csv_import from the project's test vectors (run from the repository root). The compact and
handoff JSON seeds (handoff_decode, handoff_json) are signed, so a small Rust program made
them; see fuzz/seeds/README.md."""
import json, os, re

root = os.path.dirname(os.path.abspath(__file__))

def write(target, name, text):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        f.write(text)

# node_answers: every captured answer body, one file each.
ex = json.load(open("broadcaster/tests/data/http_responses.json"))["examples"]
for i, e in enumerate(ex):
    slug = re.sub(r"[^a-z0-9]+", "_", e["endpoint"].lower()).strip("_")
    write("node_answers", f"{i:02d}_{slug}.json", json.dumps(e["response"]))

# block_listing: the merkle-vector block, the blockID vectors as listings, captured blocks.
m = json.load(open("shared/tests/data/block_merkle.json"))
write("block_listing", "block_merkle.json", json.dumps(m["block"]))
for v in json.load(open("shared/tests/data/blocks.json"))["vectors"]:
    listing = {"blockID": v["blockID"],
               "block_header": {"raw_data": v["header_raw_data"],
                                "witness_signature": v["witness_signature"]}}
    write("block_listing", v["id"] + ".json", json.dumps(listing))
for e in ex:
    if e["endpoint"] in ("/wallet/getblockbylimitnext", "/wallet/getnowblock"):
        write("block_listing", e["endpoint"].split("/")[-1] + ".json", json.dumps(e["response"]))

# csv_import: the documented example and shapes from the CLI tests (first byte 0x01 = nile).
write("csv_import", "doc_example.csv",
      "payout_id,to,amount,token,memo\n"
      "demo-001,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,125.5,usdt,invoice 1000\n"
      "demo-005,TMQynz3rBz2G1kvyUjRqgjCVH3ifk2ySJT,75,trx,\n")
write("csv_import", "three_columns.csv",
      "payout_id,to,amount\nok-1,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,1\n"
      "ok-2,TMQynz3rBz2G1kvyUjRqgjCVH3ifk2ySJT,0.000001\n")
write("csv_import", "quoted_memo.csv",
      "Memo,Token,Amount,To,Payout_ID\n"
      "\"a, \"\"quoted\"\"\nmemo\",TRX,  2.5 ,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,q-1\n"
      ",,7,TMQynz3rBz2G1kvyUjRqgjCVH3ifk2ySJT,q-2\n")
write("csv_import", "bad_rows.csv",
      "payout_id,to,amount,token\nok-1,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,1,usdt\n"
      "bad-amt,TMQynz3rBz2G1kvyUjRqgjCVH3ifk2ySJT,1.0000001,usdt\n"
      "ok-1,TMQynz3rBz2G1kvyUjRqgjCVH3ifk2ySJT,2,usdt\nthou1,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,1,500.00\n")
write("csv_import", "nile.csv",
      "\x01payout_id,to,amount,token\nn-1,TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT,3,usdt\n")
