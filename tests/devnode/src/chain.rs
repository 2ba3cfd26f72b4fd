//! The chain: accounts, the TRC-20 token, blocks, the pending pool, broadcast validation in
//! java-tron's order and execution with bandwidth/energy fees.

use std::collections::{BTreeMap, HashMap, HashSet};

use coldpay_shared::abi;
use coldpay_shared::block::{encode_transaction, merkle_root, HeaderRaw, TxResult};
use coldpay_shared::contract::ContractKind;
use coldpay_shared::error::{Error as SharedError, ProtoReason};
use coldpay_shared::{Address, RawData, RefBlock, SignedTransaction, TxId, U256};
use sha2::{Digest, Sha256};

use crate::genesis::{Genesis, TokenSpec};
use crate::params::Params;
use crate::permissions::{self, AccountPermissions};
use crate::resources::{self, NetPaid, Stake, Usage};
use coldpay_shared::staking::Resource;

/// One delegation record (DelegatedResourceCapsule): per resource, the sun lent and, for a
/// locked record, until when (ms).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delegation {
    /// Sun lent, per resource.
    pub amount: [u64; 2],
    /// Lock end (ms), per resource (0 for an unlocked record).
    pub expire_ms: [u64; 2],
}

/// Key of a delegation record: (from, to, locked).
pub type DelegationKey = (Address, Address, bool);

/// Block interval (ms) of [`Clock::Slots`], and the "next slot" of broadcast validation.
pub const SLOT_MS: u64 = 3000;

/// How block timestamps advance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// Each block is 3 s after the previous one, however fast blocks are produced
    /// (deterministic tests).
    #[default]
    Slots,
    /// Each block carries the wall-clock time (plus every `advance_ms` jumped so far), at
    /// least 1 ms after the previous one: the block interval only sets the spacing, so the
    /// chain's time matches a real signer's clock.
    Wall,
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
/// Largest transaction accepted (bytes), as java-tron's 500 KiB limit.
pub const MAX_TX_BYTES: usize = 500 * 1024;
/// Bytes added to every transaction's bandwidth for its result (MAX_RESULT_SIZE_IN_TX).
pub const RESULT_BYTES: u64 = 64;
/// Energy of a USDT transfer to an address that already holds the token (base + penalty).
pub const ENERGY_EXISTING: (u64, u64) = (14_650, 49_635);
/// Energy of a USDT transfer to an address holding none.
pub const ENERGY_NEW: (u64, u64) = (29_650, 100_635);
/// Energy used before a REVERT for insufficient balance.
pub const ENERGY_REVERT: u64 = 14_650;
/// Energy of a balanceOf call.
pub const ENERGY_BALANCE_OF: u64 = 935;

/// A block.
#[derive(Clone, Debug)]
pub struct Block {
    /// Height.
    pub number: u64,
    /// blockID: 8-byte number ‖ sha256(header raw)[8..].
    pub id: [u8; 32],
    /// Parent blockID (block 0: 32 random bytes, so every start has its own genesis blockID).
    pub parent: [u8; 32],
    /// Block time (ms).
    pub timestamp: u64,
    /// txTrieRoot as java-tron computes it: Merkle root over sha256 of each whole
    /// Transaction (raw_data, signatures, `ret` as listed).
    pub tx_root: [u8; 32],
    /// Included transactions.
    pub txids: Vec<TxId>,
}

/// Outcome of executing a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecResult {
    /// Success.
    Success,
    /// The contract reverted.
    Revert,
    /// fee_limit (or balance) did not cover the energy.
    OutOfEnergy,
}

impl ExecResult {
    /// The receipt's `result` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecResult::Success => "SUCCESS",
            ExecResult::Revert => "REVERT",
            ExecResult::OutOfEnergy => "OUT_OF_ENERGY",
        }
    }
}

/// The `ret` entry a block lists for an included transaction (`contractRet` only; TRX
/// transfers show SUCCESS too). Block JSON and txTrieRoot both come from this.
pub fn block_result(info: &TxInfo) -> TxResult {
    let name = info.result.unwrap_or(ExecResult::Success).as_str();
    TxResult::contract(
        coldpay_shared::block::contract_ret_code(name).expect("a Tron.proto contractRet"),
    )
}

/// Merkle leaf of an included transaction: sha256 of the whole Transaction with its result.
fn tx_leaf(inc: &Included) -> [u8; 32] {
    let sigs: Vec<Vec<u8>> = inc
        .tx
        .signatures
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let enc = encode_transaction(&inc.tx.raw.encode(), &sigs, &[block_result(&inc.info)]);
    Sha256::digest(enc).into()
}

/// 32 bytes that differ between dev node starts (time, process id, a counter, an address).
fn start_nonce() -> [u8; 32] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    h.update(b"coldpay devnode genesis");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let local = 0u8;
    h.update((std::ptr::addr_of!(local) as usize).to_le_bytes());
    h.finalize().into()
}

/// A TRC-20 Transfer event.
#[derive(Clone, Debug)]
pub struct TransferLog {
    /// Sender.
    pub from: Address,
    /// Recipient.
    pub to: Address,
    /// Value.
    pub value: U256,
}

/// TransactionInfo of an included transaction.
#[derive(Clone, Debug)]
pub struct TxInfo {
    /// Block height.
    pub block: u64,
    /// Block time.
    pub block_time: u64,
    /// Total sun burned.
    pub fee: u64,
    /// Energy used (including penalty).
    pub energy_usage_total: u64,
    /// Energy taken from the caller's staked and delegated energy (receipt.energy_usage).
    pub energy_usage: u64,
    /// Dynamic-energy penalty part.
    pub energy_penalty_total: u64,
    /// Sun burned for energy.
    pub energy_fee: u64,
    /// Bandwidth taken from stake or the free allowance.
    pub net_usage: u64,
    /// Sun burned for bandwidth.
    pub net_fee: u64,
    /// Contract result (None for TRX transfers).
    pub result: Option<ExecResult>,
    /// Failure message.
    pub res_message: Option<String>,
    /// Transfer event.
    pub log: Option<TransferLog>,
    /// Contract called.
    pub contract: Option<Address>,
    /// Staking: sun of expired unstakes moved back to the balance (withdraw_expire_amount).
    pub withdraw_expire_amount: u64,
    /// CancelAllUnfreezeV2: sun restaked per resource (cancel_unfreezeV2_amount).
    pub cancel_unfreeze: Option<[u64; 2]>,
}

/// A transaction in the chain.
#[derive(Clone, Debug)]
pub struct Included {
    /// The transaction.
    pub tx: SignedTransaction,
    /// Its info.
    pub info: TxInfo,
}

#[derive(Clone, Debug)]
struct Pending {
    tx: SignedTransaction,
    txid: TxId,
    size: u64,
    dropped: bool,
}

/// An account.
#[derive(Clone, Debug, Default)]
pub struct Account {
    /// TRX in sun.
    pub balance: u64,
    /// Creation time.
    pub create_time: u64,
    /// Free bandwidth usage (free_net_usage / latest_consume_free_time), recovering over 24 h.
    pub free_net: Usage,
    /// Stake 2.0: staked, delegated and unstaking TRX and resource usage.
    pub stake: Stake,
    /// Permissions set by genesis or an AccountPermissionUpdateContract (`None`: java-tron's
    /// defaults, [`AccountPermissions::default_for`]).
    pub permissions: Option<AccountPermissions>,
}

/// A broadcast refusal: java-tron's response code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// e.g. "SIGERROR".
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// The chain state.
pub struct Chain {
    /// Parameters.
    pub params: Params,
    /// The token.
    pub token: TokenSpec,
    /// Accounts.
    pub accounts: BTreeMap<Address, Account>,
    /// Token balances.
    pub token_balances: BTreeMap<Address, U256>,
    /// Blocks, index = number.
    pub blocks: Vec<Block>,
    /// Transactions by txID.
    pub txs: HashMap<TxId, Included>,
    /// Included txIDs in order.
    pub order: Vec<TxId>,
    /// Solidified head lag.
    pub solid_lag: u64,
    /// How block timestamps advance.
    pub clock: Clock,
    /// Time jumped forward with `advance_ms` so far ([`Clock::Wall`]).
    skew_ms: u64,
    /// Stake 2.0 delegation records.
    pub delegations: BTreeMap<DelegationKey, Delegation>,
    pending: Vec<Pending>,
    known: HashSet<TxId>,
    recent: HashMap<[u8; 2], [u8; 8]>,
    witness: k256::ecdsa::SigningKey,
}

/// Block header version the dev node writes (as Nile in 2026).
pub const BLOCK_VERSION: i32 = 34;

fn header_raw(
    number: u64,
    timestamp: u64,
    parent: &[u8; 32],
    root: &[u8; 32],
    witness: &Address,
) -> Vec<u8> {
    HeaderRaw {
        timestamp,
        tx_trie_root: *root,
        parent_hash: *parent,
        number,
        witness_id: 0,
        witness_address: witness.as_bytes().to_vec(),
        version: BLOCK_VERSION,
        account_state_root: Vec::new(),
    }
    .encode()
}

impl Chain {
    /// A new chain from genesis.
    pub fn new(genesis: &Genesis, solid_lag: u64, now_ms: u64) -> Chain {
        let ts = genesis.timestamp.unwrap_or(now_ms / SLOT_MS * SLOT_MS);
        let mut accounts = BTreeMap::new();
        let mut token_balances = BTreeMap::new();
        for a in &genesis.accounts {
            accounts.insert(
                a.address,
                Account {
                    balance: a.trx_sun,
                    create_time: ts,
                    permissions: a.permissions.as_ref().map(|p| {
                        p.to_chain()
                            .expect("genesis permissions are checked by Genesis::validate")
                    }),
                    ..Account::default()
                },
            );
            let v = U256::from_str_radix(
                if a.token_balance.is_empty() {
                    "0"
                } else {
                    &a.token_balance
                },
                10,
            )
            .unwrap_or(U256::ZERO);
            if !v.is_zero() {
                token_balances.insert(a.address, v);
            }
        }
        let witness =
            k256::ecdsa::SigningKey::from_slice(&Sha256::digest(b"coldpay devnode witness"))
                .expect("valid key");
        let mut chain = Chain {
            params: genesis.params.clone(),
            token: genesis.token.clone(),
            accounts,
            token_balances,
            blocks: Vec::new(),
            txs: HashMap::new(),
            order: Vec::new(),
            solid_lag,
            clock: Clock::Slots,
            skew_ms: 0,
            delegations: BTreeMap::new(),
            pending: Vec::new(),
            known: HashSet::new(),
            recent: HashMap::new(),
            witness,
        };
        chain.push_block(ts, Vec::new());
        chain
    }

    /// The witness address that produces blocks.
    pub fn witness_address(&self) -> Address {
        Address::from_public_key(self.witness.verifying_key())
    }

    /// A signature of the block header by the witness.
    pub fn witness_signature(&self, b: &Block) -> String {
        let raw = header_raw(
            b.number,
            b.timestamp,
            &b.parent,
            &b.tx_root,
            &self.witness_address(),
        );
        coldpay_shared::Signature::sign_txid(&self.witness, &TxId::of_raw(&raw))
            .map(|s| s.to_hex())
            .unwrap_or_default()
    }

    fn push_block(&mut self, timestamp: u64, txids: Vec<TxId>) {
        let number = self.blocks.len() as u64;
        let parent = self.blocks.last().map_or_else(start_nonce, |b| b.id);
        let leaves: Vec<[u8; 32]> = txids
            .iter()
            .map(|t| tx_leaf(self.txs.get(t).expect("included before its block")))
            .collect();
        let tx_root = merkle_root(&leaves);
        let raw = header_raw(
            number,
            timestamp,
            &parent,
            &tx_root,
            &self.witness_address(),
        );
        let id = coldpay_shared::block::block_id(number, &raw);
        let r = RefBlock::from_block_id(&id);
        self.recent.insert(r.bytes, r.hash);
        self.blocks.push(Block {
            number,
            id,
            parent,
            timestamp,
            tx_root,
            txids,
        });
    }

    /// The head block.
    pub fn head(&self) -> &Block {
        self.blocks.last().expect("genesis exists")
    }

    /// The solidified head block.
    pub fn solid(&self) -> &Block {
        let n = self.head().number.saturating_sub(self.solid_lag);
        &self.blocks[n as usize]
    }

    /// A token balance.
    pub fn token_balance(&self, a: &Address) -> U256 {
        self.token_balances.get(a).copied().unwrap_or(U256::ZERO)
    }

    /// The account's permissions (java-tron's defaults when it has none set).
    pub fn permissions_of(&self, owner: &Address) -> AccountPermissions {
        self.accounts
            .get(owner)
            .and_then(|a| a.permissions.clone())
            .unwrap_or_else(|| AccountPermissions::default_for(*owner))
    }

    fn check_signatures(&self, tx: &SignedTransaction, txid: &TxId) -> Result<(), Refusal> {
        let owner = tx.raw.owner();
        let perms = self
            .accounts
            .get(&owner)
            .map(|_| self.permissions_of(&owner));
        permissions::check_signatures(tx, txid, perms.as_ref(), &self.params)
            .map_err(|m| refuse("SIGERROR", format!("Validate signature error: {m}")))
    }

    /// How `bytes` of bandwidth are paid at `at`: staked, else free, else burned.
    pub fn bandwidth_cost(&self, owner: &Address, bytes: u64, at: u64) -> NetPaid {
        let free_used = self.accounts.get(owner).map_or(0, |a| a.free_net.at(at));
        let left_free = self.params.free_net_limit.saturating_sub(free_used);
        let left_staked = self.resource_left(owner, Resource::Bandwidth, at);
        resources::pay_net(bytes, left_staked, left_free, self.params.transaction_fee)
    }

    /// Fixed (non-energy) burns of a transaction: (bandwidth payment, other fees).
    fn fixed_fees(&self, tx: &SignedTransaction, size: u64, at: u64) -> (NetPaid, u64) {
        let owner = tx.raw.owner();
        let paid = self.bandwidth_cost(&owner, size + RESULT_BYTES, at);
        let mut other = 0;
        if !tx.raw.memo.is_empty() {
            other += self.params.memo_fee;
        }
        if tx.signatures.len() > 1 {
            other += self.params.multi_sign_fee;
        }
        if permissions::update_of(tx).is_some() {
            other += self.params.update_account_permission_fee;
        }
        if let ContractKind::Transfer(t) = &tx.raw.contract.kind {
            if !self.accounts.contains_key(&t.to) {
                other += self.params.create_new_account_fee;
            }
        }
        (paid, other)
    }

    /// Validates a broadcast (java-tron's order) and adds it to the pending pool.
    /// `drop` = accept but never include (fault injection).
    pub fn broadcast(&mut self, bytes: &[u8], drop: bool) -> Result<TxId, Refusal> {
        let tx = match SignedTransaction::decode_lenient_signatures(bytes) {
            Ok(t) => t,
            Err(e) => return Err(classify_decode_error(&e)),
        };
        self.broadcast_tx(tx, bytes.len() as u64, drop)
    }

    /// As [`Chain::broadcast`], for a transaction rebuilt from JSON.
    pub fn broadcast_tx(
        &mut self,
        tx: SignedTransaction,
        size: u64,
        drop: bool,
    ) -> Result<TxId, Refusal> {
        let txid = tx.txid();
        if self.known.contains(&txid) {
            return Err(refuse("DUP_TRANSACTION_ERROR", "Dup transaction."));
        }
        let head = self.head().clone();
        let next_slot = head.timestamp + SLOT_MS;
        if tx.raw.expiration < next_slot {
            return Err(refuse(
                "TRANSACTION_EXPIRATION_ERROR",
                "Transaction expired",
            ));
        }
        self.check_signatures(&tx, &txid)?;
        if self.recent.get(&tx.raw.ref_block.bytes) != Some(&tx.raw.ref_block.hash) {
            return Err(refuse("TAPOS_ERROR", "Tapos check error."));
        }
        if size as usize > MAX_TX_BYTES {
            return Err(refuse(
                "TOO_BIG_TRANSACTION_ERROR",
                format!("Transaction size {size} is too big"),
            ));
        }
        if tx.raw.expiration > head.timestamp + 86_400_000 {
            return Err(refuse(
                "TRANSACTION_EXPIRATION_ERROR",
                "Transaction expired",
            ));
        }
        let owner = tx.raw.owner();
        let Some(acct) = self.accounts.get(&owner) else {
            return Err(refuse(
                "CONTRACT_VALIDATE_ERROR",
                format!(
                    "Contract validate error : Validate {} error, no OwnerAccount.",
                    tx.raw.contract.kind.type_name()
                ),
            ));
        };
        let (paid, other) = self.fixed_fees(&tx, size, next_slot);
        let (_, net_fee) = paid.receipt();
        if acct.balance < net_fee {
            return Err(refuse(
                "BANDWITH_ERROR",
                "Account resource insufficient error.",
            ));
        }
        let avail = acct.balance - net_fee;
        match &tx.raw.contract.kind {
            ContractKind::Transfer(t) => {
                if t.amount.as_u64() == 0 {
                    return Err(refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        "Contract validate error : Amount must be greater than 0.",
                    ));
                }
                if t.to == owner {
                    return Err(refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        "Contract validate error : Cannot transfer TRX to yourself.",
                    ));
                }
                if avail < t.amount.as_u64().saturating_add(other) {
                    return Err(refuse("CONTRACT_VALIDATE_ERROR", "Contract validate error : Validate TransferContract error, balance is not sufficient."));
                }
            }
            ContractKind::TriggerSmart(t) => {
                if t.contract != self.token.contract {
                    return Err(refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        "Contract validate error : No contract or not a valid smart contract",
                    ));
                }
                if tx.raw.fee_limit > self.params.max_fee_limit {
                    return Err(refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        "Contract validate error : feeLimit must be >= 0 and <= 15000000000",
                    ));
                }
                if avail < t.call_value.as_u64().saturating_add(other) {
                    return Err(refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        "Contract validate error : balance is not sufficient.",
                    ));
                }
            }
            ContractKind::AccountPermissionUpdate(u) => {
                permissions::validate_update(u, true, &self.params).map_err(|m| {
                    refuse(
                        "CONTRACT_VALIDATE_ERROR",
                        format!("Contract validate error : {m}"),
                    )
                })?;
                if avail < other {
                    return Err(refuse(
                        "CONTRACT_EXE_ERROR",
                        "Contract execute error : balance is not sufficient.",
                    ));
                }
            }
            ContractKind::Staking(c) => {
                self.validate_staking(c, avail.saturating_sub(other), next_slot)
                    .map_err(|m| {
                        refuse(
                            "CONTRACT_VALIDATE_ERROR",
                            format!("Contract validate error : {m}"),
                        )
                    })?;
            }
        }
        self.known.insert(txid);
        self.pending.push(Pending {
            tx,
            txid,
            size,
            dropped: drop,
        });
        Ok(txid)
    }

    /// Energy a TRC-20 call needs and its outcome on the current state: (energy, penalty, result).
    pub fn simulate_call(
        &self,
        owner: &Address,
        data: &[u8],
        call_value: u64,
    ) -> (u64, u64, ExecResult) {
        if call_value != 0 {
            return (ENERGY_REVERT, 0, ExecResult::Revert);
        }
        match abi::decode_transfer(data) {
            Ok((to, value)) => {
                if self.token_balance(owner) < value {
                    (ENERGY_REVERT, 0, ExecResult::Revert)
                } else if self.token_balance(&to).is_zero() && to != *owner {
                    (
                        ENERGY_NEW.0 + ENERGY_NEW.1,
                        ENERGY_NEW.1,
                        ExecResult::Success,
                    )
                } else {
                    (
                        ENERGY_EXISTING.0 + ENERGY_EXISTING.1,
                        ENERGY_EXISTING.1,
                        ExecResult::Success,
                    )
                }
            }
            Err(_) if data.len() == 36 && data[..4] == abi::BALANCE_OF_SELECTOR => {
                (ENERGY_BALANCE_OF, 0, ExecResult::Success)
            }
            Err(_) => (ENERGY_REVERT, 0, ExecResult::Revert),
        }
    }

    fn execute(&mut self, p: &Pending, block: u64, at: u64) -> Option<TxInfo> {
        let tx = &p.tx;
        let owner = tx.raw.owner();
        let (paid, other) = self.fixed_fees(tx, p.size, at);
        let (net_usage, net_fee) = paid.receipt();
        let balance = self.accounts.get(&owner)?.balance;
        if balance < net_fee + other {
            return None; // no longer valid: dropped from the block, as java-tron does
        }
        let mut info = TxInfo {
            block,
            block_time: at,
            fee: net_fee + other,
            energy_usage_total: 0,
            energy_usage: 0,
            energy_penalty_total: 0,
            energy_fee: 0,
            net_usage,
            net_fee,
            result: None,
            res_message: None,
            log: None,
            contract: None,
            withdraw_expire_amount: 0,
            cancel_unfreeze: None,
        };
        match &tx.raw.contract.kind {
            ContractKind::Transfer(t) => {
                if balance < net_fee + other + t.amount.as_u64() {
                    return None;
                }
                let a = self.accounts.get_mut(&owner).expect("exists");
                a.balance -= net_fee + other + t.amount.as_u64();
                let to = self.accounts.entry(t.to).or_insert_with(|| Account {
                    create_time: at,
                    ..Account::default()
                });
                to.balance += t.amount.as_u64();
            }
            ContractKind::TriggerSmart(t) => {
                info.contract = Some(t.contract);
                let (need, penalty, outcome) =
                    self.simulate_call(&owner, &t.data, t.call_value.as_u64());
                let price = self.params.energy_fee.max(1);
                let spendable = balance - net_fee - other;
                let left = self.resource_left(&owner, Resource::Energy, at);
                let cap = resources::energy_cap(tx.raw.fee_limit, price, left, spendable);
                let (used, result) = if need > cap {
                    (cap, ExecResult::OutOfEnergy)
                } else {
                    (need, outcome)
                };
                info.energy_usage_total = used;
                info.energy_penalty_total = if result == ExecResult::OutOfEnergy {
                    0
                } else {
                    penalty
                };
                let (from_stake, burned) = resources::pay_energy(used, left, price);
                info.energy_usage = from_stake;
                info.energy_fee = burned;
                if from_stake > 0 {
                    let a = self.accounts.get_mut(&owner).expect("exists");
                    a.stake.energy.consume(from_stake, at);
                }
                info.fee += info.energy_fee;
                info.result = Some(result);
                match result {
                    ExecResult::Success => {
                        if let Ok((to, value)) = abi::decode_transfer(&t.data) {
                            let from_bal = self.token_balance(&owner);
                            self.token_balances.insert(owner, from_bal - value);
                            let to_bal = self.token_balance(&to);
                            self.token_balances.insert(to, to_bal + value);
                            info.log = Some(TransferLog {
                                from: owner,
                                to,
                                value,
                            });
                        }
                    }
                    ExecResult::Revert => info.res_message = Some(String::new()),
                    ExecResult::OutOfEnergy => {
                        info.res_message = Some(format!(
                            "Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[{cap}], curOpEnergy[20000], usedEnergy[{}]",
                            cap.saturating_sub(1)
                        ));
                    }
                }
                let a = self.accounts.get_mut(&owner).expect("exists");
                a.balance -= info.fee;
            }
            ContractKind::AccountPermissionUpdate(u) => {
                let a = self.accounts.get_mut(&owner).expect("exists");
                a.balance -= net_fee + other;
                a.permissions = Some(AccountPermissions::after_update(u));
            }
            ContractKind::Staking(c) => {
                let spendable = balance - net_fee - other;
                if self.validate_staking(c, spendable, at).is_err() {
                    return None; // no longer valid: dropped from the block
                }
                let a = self.accounts.get_mut(&owner).expect("exists");
                a.balance -= net_fee + other;
                let out = self.execute_staking(c, at);
                info.withdraw_expire_amount = out.withdraw_expire_amount;
                info.cancel_unfreeze = out.cancel_unfreeze;
            }
        }
        let a = self.accounts.get_mut(&owner).expect("exists");
        match paid {
            NetPaid::Staked(b) => a.stake.net.consume(b, at),
            NetPaid::Free(b) => a.free_net.consume(b, at),
            NetPaid::Burned(_) => {}
        }
        Some(info)
    }

    /// Produces `n` blocks; the first is `advance_ms` later than a normal slot.
    pub fn mine(&mut self, n: u32, advance_ms: u64) {
        for i in 0..n {
            let advance = if i == 0 { advance_ms } else { 0 };
            let at = match self.clock {
                Clock::Slots => self.head().timestamp + SLOT_MS + advance,
                Clock::Wall => {
                    self.skew_ms += advance;
                    (wall_ms() + self.skew_ms).max(self.head().timestamp + 1)
                }
            };
            let number = self.blocks.len() as u64;
            let pending = std::mem::take(&mut self.pending);
            let mut txids = Vec::new();
            for p in pending {
                if p.tx.raw.expiration <= at {
                    continue; // not included by its expiration: dropped for good
                }
                if p.dropped {
                    self.pending.push(p);
                    continue;
                }
                if let Some(info) = self.execute(&p, number, at) {
                    txids.push(p.txid);
                    self.order.push(p.txid);
                    self.txs.insert(p.txid, Included { tx: p.tx, info });
                }
            }
            self.push_block(at, txids);
        }
    }

    /// Adds TRX (sun) and tokens (base units) to an account after start. TRX creates
    /// (activates) the account if needed; tokens alone do not, as on TRON. No transaction is
    /// recorded.
    pub fn fund(&mut self, address: Address, trx_sun: u64, tokens: U256) -> Result<(), String> {
        let created = self.head().timestamp;
        if trx_sun > 0 || self.accounts.contains_key(&address) {
            let a = self.accounts.entry(address).or_insert_with(|| Account {
                create_time: created,
                ..Account::default()
            });
            a.balance = a
                .balance
                .checked_add(trx_sun)
                .ok_or("the TRX balance would overflow")?;
        }
        if !tokens.is_zero() {
            let t = self.token_balances.entry(address).or_insert(U256::ZERO);
            *t = t
                .checked_add(tokens)
                .ok_or("the token balance would overflow")?;
        }
        Ok(())
    }

    /// Whether a transaction is pending.
    pub fn is_pending(&self, txid: &TxId) -> bool {
        self.pending.iter().any(|p| &p.txid == txid && !p.dropped)
    }

    /// Builds an unsigned raw_data the way the node's own builder does (ref = solid block,
    /// expiration = head time + 60 s).
    pub fn build(&self, contract: coldpay_shared::contract::Contract, fee_limit: u64) -> RawData {
        let solid = self.solid();
        RawData {
            ref_block: RefBlock::from_block_id(&solid.id),
            expiration: self.head().timestamp + 60_000,
            memo: Vec::new(),
            contract,
            timestamp: self.head().timestamp,
            fee_limit,
        }
    }
}

/// The default active permission's operations (see [`permissions::DEFAULT_OPERATIONS`]).
pub const DEFAULT_OPERATIONS: &str = permissions::DEFAULT_OPERATIONS;

fn classify_decode_error(e: &SharedError) -> Refusal {
    match e {
        // Bytes java-tron would parse but re-encode differently: its txID differs from the
        // one signed, so signature validation fails.
        SharedError::Proto {
            reason:
                ProtoReason::OutOfOrder(_)
                | ProtoReason::DefaultValue(_)
                | ProtoReason::VarintNotMinimal
                | ProtoReason::NotCanonical
                | ProtoReason::Repeated(_),
            ..
        } => refuse("SIGERROR", format!("Validate signature error: {e} (the node re-encodes raw_data canonically, so the signed txID does not match)")),
        SharedError::Proto { reason: ProtoReason::MultipleContracts, .. } => {
            refuse("CONTRACT_VALIDATE_ERROR", "Contract validate error : act size should be exactly 1, this is extend feature")
        }
        // A permission update java-tron would refuse in AccountPermissionUpdateActuator.
        SharedError::Permission(m) => {
            refuse("CONTRACT_VALIDATE_ERROR", format!("Contract validate error : {m}"))
        }
        SharedError::Proto { reason: ProtoReason::UnknownContractType(_), .. } => {
            refuse("CONTRACT_VALIDATE_ERROR", format!("Contract validate error : {e} (not modelled by the devnode)"))
        }
        _ => refuse("OTHER_ERROR", format!("Error: {e}")),
    }
}
