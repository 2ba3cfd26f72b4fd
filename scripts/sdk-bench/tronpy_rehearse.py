"""Rehearses a tronpy payout script against a coldpay-devnode (issue #23 item 8): send TRX,
estimate and send USDT through the token's Contract object, wait for both receipts, read the
transactions, the recipient's TRX and balanceOf, the block (by number and by id), the sender's
bandwidth and the contract info. tronpy learns each transaction's txID from
/wallet/getsignweight. Blocks come from POST /admin/mine (a node started with --block-ms 0).
Prints one JSON line; exits non-zero on any surprise.

Usage: python3 tronpy_rehearse.py NODE_URL OWNER_KEY_HEX RECIPIENT_BASE58 USDT_BASE58 TRX_SUN USDT_UNITS
(PYTHONPATH pointing at a directory holding tronpy)."""
import json
import sys
import urllib.request

from tronpy import Tron
from tronpy.exceptions import BadKey
from tronpy.keys import PrivateKey
from tronpy.providers import HTTPProvider

url, key_hex, to, usdt, trx_sun, usdt_units = sys.argv[1:7]
trx_sun, usdt_units = int(trx_sun), int(usdt_units)
client = Tron(HTTPProvider(url))
key = PrivateKey(bytes.fromhex(key_hex))
owner = key.public_key.to_base58check_address()


def mine():
    """Enough blocks for the transaction to be solidified on a node with solid_lag <= 3."""
    req = urllib.request.Request(url + "/admin/mine", data=json.dumps({"blocks": 4}).encode(), method="POST")
    urllib.request.urlopen(req).read()


def check(ok, what):
    if not ok:
        sys.exit(f"tronpy: {what}")


sent = client.trx.transfer(owner, to, trx_sun).build().sign(key).broadcast()
mine()
trx_info = sent.wait(timeout=10, interval=0.1)
trx_solid = client.get_solid_transaction_info(sent.txid)
trx_tx = client.get_transaction(sent.txid)
check(trx_tx["ret"][0]["contractRet"] == "SUCCESS", f"TRX transaction: {trx_tx}")

token = client.get_contract(usdt)
info = client.get_contract_info(usdt)
check(info["smart_contract"]["contract_address"] == usdt, f"contract info: {info}")
parameter = token.functions.transfer._prepare_parameter(to, usdt_units)
estimate = client.get_estimated_energy(owner, usdt, "transfer(address,uint256)", parameter)
usdt_sent = token.functions.transfer(to, usdt_units).with_owner(owner).fee_limit(30_000_000).build().sign(key).broadcast()
mine()
usdt_ok = usdt_sent.result(timeout=10, interval=0.1)
usdt_info = client.get_transaction_info(usdt_sent.txid)
check(usdt_ok is True and usdt_info["receipt"]["result"] == "SUCCESS", f"USDT receipt: {usdt_info}")

trx_balance = client.get_account(to).get("balance", 0)
usdt_balance = token.functions.balanceOf(to)
decimals = token.functions.decimals()
symbol = token.functions.symbol()
block = client.get_block(usdt_info["blockNumber"])
by_id = client.get_block(block["blockID"])
in_block = any(t["txID"] == usdt_sent.txid for t in block.get("transactions", []))
bandwidth = client.get_bandwidth(owner)
head = client.get_latest_block_number()

# A transfer under the active permission (id 2), built and signed but not sent: tronpy takes
# the permission from getsignweight and refuses a key outside it before signing.
active = client.trx.transfer(owner, to, 1).permission_id(2).build()
try:
    active.sign(PrivateKey(bytes.fromhex("ee" * 32)))
    stranger_refused = False
except BadKey:
    stranger_refused = True
active.sign(key)
active_weight = client.get_sign_weight(active)
energy_limit = client.get_account_resource(owner).get("TotalEnergyLimit", 0)
energy_fee = {p["key"]: p.get("value") for p in client.get_chain_parameters()}.get("getEnergyFee")

print(json.dumps({
    "sdk": "tronpy",
    "owner": owner,
    "trx_txid": sent.txid,
    "trx_block": trx_info["blockNumber"],
    "trx_solid_block": trx_solid["blockNumber"],
    "usdt_txid": usdt_sent.txid,
    "usdt_block": usdt_info["blockNumber"],
    "usdt_energy_estimate": estimate,
    "usdt_energy_used": usdt_info["receipt"].get("energy_usage_total"),
    "recipient_trx_sun": str(trx_balance),
    "recipient_usdt_units": str(usdt_balance),
    "token": f"{symbol}/{decimals}",
    "usdt_in_block": in_block,
    "block_by_id_same": by_id["blockID"] == block["blockID"],
    "sender_bandwidth": bandwidth,
    "head_block": head,
    "active_permission": active._permission,
    "stranger_refused": stranger_refused,
    "active_weight": active_weight.get("current_weight", 0),
    "active_txid": active.txid,
    "total_energy_limit": energy_limit,
    "energy_fee": energy_fee,
}))
