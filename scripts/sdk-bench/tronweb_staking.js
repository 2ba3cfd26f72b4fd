// Cross-checks coldpay's encoding of the six Stake 2.0 contracts with TronWeb's transaction
// builder, against a running coldpay-devnode (issue #24). For each contract:
//  1. TronWeb builds it (TronWeb 6 encodes raw_data itself; only the reference block comes from
//     the node);
//  2. the dev node's builder endpoint builds the same contract (coldpay-shared encodes it) and
//     the two Contract messages must be the same bytes;
//  3. TronWeb signs its own transaction and sends it with trx.sendRawTransaction; the dev node
//     rebuilds raw_data from the JSON with coldpay-shared and must compute TronWeb's txID (the
//     whole raw_data byte-exact), then executes it.
// Usage: node tronweb_staking.js NODE_URL OWNER_KEY_HEX RECEIVER_BASE58
// (NODE_PATH pointing at a node_modules holding tronweb@6). Prints one JSON line per contract.
const { TronWeb, utils } = require('tronweb');
const [url, key, receiver] = process.argv.slice(2);
const tw = new TronWeb({ fullHost: url, privateKey: key });
const owner = tw.defaultAddress.base58;
const TRX = 1000000;

async function post(path, body) {
  const r = await fetch(url + path, { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}

function contractHex(tx) {
  const pb = utils.transaction.txJsonToPb(tx);
  return Buffer.from(pb.getRawData().getContractList()[0].serializeBinary()).toString('hex');
}

async function check(name, endpoint, nodeBody, build) {
  const tx = await build();
  const node = await post(`/wallet/${endpoint}`, { owner_address: owner, visible: true, ...nodeBody });
  if (!node.raw_data_hex) throw new Error(`${name}: node builder: ${JSON.stringify(node)}`);
  const sameContract = contractHex(tx) === contractHex(node);
  const signed = await tw.trx.sign(tx);
  const sent = await tw.trx.sendRawTransaction(signed);
  await post('/admin/mine', { blocks: 1 });
  const info = await post('/wallet/gettransactioninfobyid', { value: tx.txID });
  const out = {
    contract: tx.raw_data.contract[0].type,
    tronweb_raw_data_hex: tx.raw_data_hex,
    tronweb_txid: tx.txID,
    node_contract_bytes_equal: sameContract,
    node_accepted_same_txid: sent.result === true && sent.txid === tx.txID,
    executed_in_block: info.blockNumber ?? null,
  };
  console.log(JSON.stringify(out));
  if (!sameContract || !out.node_accepted_same_txid || out.executed_in_block === null) {
    throw new Error(`${name}: mismatch ${JSON.stringify(sent)}`);
  }
}

(async () => {
  const b = tw.transactionBuilder;
  await check('freeze energy', 'freezebalancev2', { frozen_balance: 1000 * TRX, resource: 'ENERGY' },
    () => b.freezeBalanceV2(1000 * TRX, 'ENERGY', owner));
  await check('freeze bandwidth', 'freezebalancev2', { frozen_balance: 100 * TRX },
    () => b.freezeBalanceV2(100 * TRX, 'BANDWIDTH', owner));
  await check('delegate locked', 'delegateresource',
    { receiver_address: receiver, balance: 50 * TRX, resource: 'ENERGY', lock: true, lock_period: 100 },
    () => b.delegateResource(50 * TRX, receiver, 'ENERGY', owner, true, 100));
  await check('delegate', 'delegateresource', { receiver_address: receiver, balance: 20 * TRX },
    () => b.delegateResource(20 * TRX, receiver, 'BANDWIDTH', owner, false));
  await check('undelegate', 'undelegateresource', { receiver_address: receiver, balance: 20 * TRX },
    () => b.undelegateResource(20 * TRX, receiver, 'BANDWIDTH', owner));
  await check('unfreeze', 'unfreezebalancev2', { unfreeze_balance: 10 * TRX, resource: 'ENERGY' },
    () => b.unfreezeBalanceV2(10 * TRX, 'ENERGY', owner));
  await check('withdraw', 'withdrawexpireunfreeze', {}, () => b.withdrawExpireUnfreeze(owner));
  await check('unfreeze again', 'unfreezebalancev2', { unfreeze_balance: 5 * TRX },
    () => b.unfreezeBalanceV2(5 * TRX, 'BANDWIDTH', owner));
  await check('cancel all', 'cancelallunfreezev2', {}, () => b.cancelUnfreezeBalanceV2(owner));
})().catch((e) => { console.error(String(e)); process.exit(1); });
