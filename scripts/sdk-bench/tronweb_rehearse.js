// Rehearses a TronWeb payout script against a coldpay-devnode (issue #23 item 8): send TRX,
// estimate and send USDT through the token's Contract object, read both receipts, the
// transactions, the recipient's TRX and balanceOf, the block, and the sign weight and approved
// list of a signed (unsent) transaction. Blocks come from POST /admin/mine (a node started with
// --block-ms 0). Prints one JSON line; exits non-zero on any surprise.
// Usage: node tronweb_rehearse.js NODE_URL OWNER_KEY_HEX RECIPIENT_BASE58 USDT_BASE58 TRX_SUN USDT_UNITS
// (NODE_PATH pointing at a node_modules holding tronweb@6).
const { TronWeb } = require('tronweb');
const [url, key, to, usdt, trxSun, usdtUnits] = process.argv.slice(2);
const tw = new TronWeb({ fullHost: url, privateKey: key });
const owner = tw.defaultAddress.base58;

// Enough blocks for the transaction to be solidified on a node with solid_lag <= 3.
async function mine() {
  await fetch(`${url}/admin/mine`, { method: 'POST', body: JSON.stringify({ blocks: 4 }) });
}

function check(ok, what) {
  if (!ok) throw new Error(`tronweb: ${what}`);
}

(async () => {
  const sent = await tw.trx.sendTransaction(to, Number(trxSun));
  check(sent.result === true, `TRX broadcast: ${JSON.stringify(sent)}`);
  await mine();
  const trxInfo = await tw.trx.getTransactionInfo(sent.txid);
  const trxTx = await tw.trx.getConfirmedTransaction(sent.txid);
  check(trxTx.ret[0].contractRet === 'SUCCESS', `TRX transaction: ${JSON.stringify(trxTx)}`);

  const params = [{ type: 'address', value: to }, { type: 'uint256', value: usdtUnits }];
  const estimate = await tw.transactionBuilder.estimateEnergy(usdt, 'transfer(address,uint256)', {}, params, owner);
  const token = await tw.contract().at(usdt);
  const usdtTxid = await token.transfer(to, usdtUnits).send({ feeLimit: 30000000 });
  await mine();
  const usdtInfo = await tw.trx.getUnconfirmedTransactionInfo(usdtTxid);
  check(usdtInfo.receipt && usdtInfo.receipt.result === 'SUCCESS', `USDT receipt: ${JSON.stringify(usdtInfo)}`);

  const trxBalance = await tw.trx.getBalance(to);
  const usdtBalance = await token.balanceOf(to).call();
  const decimals = await token.decimals().call();
  const symbol = await token.symbol().call();
  const block = await tw.trx.getBlock(usdtInfo.blockNumber);
  const inBlock = (block.transactions || []).some((t) => t.txID === usdtTxid);
  const now = await tw.trx.getCurrentBlock();
  const bandwidth = await tw.trx.getBandwidth(owner);
  const resources = await tw.trx.getAccountResources(owner);
  const chainParams = await tw.trx.getChainParameters();
  const energyFee = chainParams.find((p) => p.key === 'getEnergyFee');

  const unsent = await tw.trx.sign(await tw.transactionBuilder.sendTrx(to, 1, owner));
  const weight = await tw.trx.getSignWeight(unsent);
  const approved = await tw.trx.getApprovedList(unsent);

  console.log(JSON.stringify({
    sdk: 'tronweb',
    owner,
    trx_txid: sent.txid,
    trx_block: trxInfo.blockNumber ?? null,
    usdt_txid: usdtTxid,
    usdt_block: usdtInfo.blockNumber ?? null,
    usdt_energy_estimate: estimate.energy_required ?? null,
    usdt_energy_used: usdtInfo.receipt.energy_usage_total ?? null,
    recipient_trx_sun: String(trxBalance),
    recipient_usdt_units: usdtBalance.toString(),
    token: `${symbol}/${decimals}`,
    usdt_in_block: inBlock,
    head_block: now.block_header.raw_data.number,
    sender_bandwidth: bandwidth,
    total_energy_limit: resources.TotalEnergyLimit ?? 0,
    energy_fee: energyFee ? energyFee.value : null,
    sign_weight: weight.current_weight ?? 0,
    sign_weight_txid: weight.transaction.txid,
    unsent_txid: unsent.txID,
    approved_list: approved.approved_list ?? [],
  }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
