"""Signs every transaction of a coldpay sign request with tronpy's key API (sign_msg_hash over
the txID), as a hot-key script would. Used by `make bench` for comparison."""
import json
import sys

from tronpy.keys import PrivateKey

req = json.load(open(sys.argv[1]))
key = PrivateKey(bytes.fromhex(sys.argv[2]))
n = 0
for t in req["transactions"]:
    sig = key.sign_msg_hash(bytes.fromhex(t["txid"]))
    n += len(sig.hex()) == 130
print(json.dumps({"signed": n}))
