// Signs 10,000 TronWeb transaction objects with TronWeb's own trx.sign (which checks each txID
// against raw_data), the way a hot-key script would. Used by `make bench` for comparison.
const fs = require('fs');
const { TronWeb } = require('tronweb');
const [txPath, keyHex] = process.argv.slice(2);
const txs = JSON.parse(fs.readFileSync(txPath, 'utf8'));
const tronWeb = new TronWeb({ fullHost: 'http://127.0.0.1:9' });
(async () => {
  let n = 0;
  for (const tx of txs) {
    const signed = await tronWeb.trx.sign(tx, keyHex);
    if (signed.signature && signed.signature.length === 1) n++;
  }
  console.log(JSON.stringify({ signed: n }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
