// The SplitUp on-chain program: oracle committee, compute-node registry with stake,
// task and model registry with DAG validation, executions with quorum-voted task
// assignment, completion, timeouts with reassignment, and Proof-of-Sampling verification
// with rewards and slashing. See programs/splitup/README.md for accounts and instructions.
#include "state.h"

static const Pubkey SLOT_HASHES = {{6, 167, 213, 23, 25, 47, 10, 175, 198, 242, 101, 227, 251, 119, 204, 122,
                                    218, 130, 197, 41, 208, 190, 59, 19, 110, 45, 0, 85, 32, 0, 0, 0}};

// ---------------------------------------------------------------- errors and logs

static u64 fmt_u64(char *out, u64 v) {
  char tmp[20];
  u64 n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  for (u64 i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}
static u64 put(char *out, u64 at, const char *s, u64 len) { copy(out + at, s, len); return at + len; }

// Logs "splitup: error <code> <name>: <detail>" and returns the code (Custom(code) to the runtime).
static u64 fail_(u32 code, const char *what, u64 len) {
  char buf[128];
  u64 at = put(buf, 0, "splitup: error ", 15);
  at += fmt_u64(buf + at, code);
  at = put(buf, at, " ", 1);
  if (len > sizeof(buf) - at) len = sizeof(buf) - at;
  at = put(buf, at, what, len);
  sol_log_(buf, at);
  return code;
}
#define FAIL(code, msg) fail_(code, msg, sizeof(msg) - 1)
// Instruction handlers are kept out of the entrypoint so each has its own 512-byte BPF frame.
#define NOINLINE __attribute__((noinline))
#define TRY(x) do { u64 _e = (x); if (_e) return _e; } while (0)

// ---------------------------------------------------------------- checked arithmetic
// Every sum and product of amounts is checked: an overflow is refused with ArithmeticOverflow naming
// the rule it would have broken (OVERFLOW), never wrapped. Statistics counters saturate instead
// (refusing would block the protocol step that counts).
#define U64_MAX 0xffffffffffffffffULL
static bool add_ok(u64 a, u64 b, u64 *o) { if (a > U64_MAX - b) return false; *o = a + b; return true; }
// In 32-bit halves: clang turns the usual division test into a 128-bit multiply SBPF v0 cannot call.
static bool mul_ok(u64 a, u64 b, u64 *o) {
  u64 ah = a >> 32, al = a & 0xffffffffULL, bh = b >> 32, bl = b & 0xffffffffULL;
  if (ah && bh) return false;
  u64 cross = ah * bl + al * bh; // one of the two terms is 0
  if (cross >> 32) return false;
  u64 lo = al * bl, hi = cross << 32;
  if (lo > U64_MAX - hi) return false;
  *o = lo + hi;
  return true;
}
static u64 sat_add(u64 a, u64 b) { return a > U64_MAX - b ? U64_MAX : a + b; }
static void inc32(u32 *v) { if (*v != 0xffffffffu) (*v)++; }
static void inc8(u8 *v) { if (*v != 0xff) (*v)++; }
#define OVERFLOW(rule) FAIL(E_ARITHMETIC_OVERFLOW, "ArithmeticOverflow: " rule " exceeds u64")

// ---------------------------------------------------------------- account helpers

static u64 need_signer(const AccountInfo *a) { return a->is_signer ? 0 : FAIL(E_MISSING_SIGNER, "MissingSigner: a required signature is missing"); }
static u64 need_writable(const AccountInfo *a) { return a->is_writable ? 0 : FAIL(E_NOT_WRITABLE, "NotWritable: account must be writable"); }

// A program-owned account of the given type (tag and size); only this program writes
// such accounts, so owner + tag authenticate it without re-deriving its address.
static void *load(const Params *p, const AccountInfo *a, u32 tag, u64 size) {
  if (!key_eq(a->owner, p->program_id) || a->data_len < size) return NULL;
  if (*(const u32 *)a->data != tag) return NULL;
  return a->data;
}

static u64 now_slot(void) {
  Clock c;
  sol_get_clock_sysvar(&c);
  return c.slot;
}

// A program-derived account to create (seeds + canonical bump) via the System program,
// funded by payer with rent exemption plus `extra` lamports. `seeds` has room for the bump.
typedef struct {
  AccountInfo *payer, *target;
  const AccountInfo *system;
  Bytes *seeds;
  u64 nseeds, space, extra;
  u8 bump;
  const Pubkey *owner; /* the program the new account is assigned to (NULL: this program) */
} NewPda;

static u64 system_cpi(const Params *p, const AccountInfo *system, AccountMeta *metas, u64 nmetas, u8 *data, u64 len, SignerSeeds *signer) {
  Instruction ix = {(Pubkey *)system->key, metas, nmetas, data, len};
  return sol_invoke_signed_c(&ix, p->ka, (int)p->ka_num, signer, signer ? 1 : 0);
}

// Creates the account at its address even when lamports were sent there first (anyone can fund any
// address, so CreateAccount alone could be blocked forever): with lamports present, the payer adds the
// shortfall, and the address (signing with its seeds) allocates its space and is assigned to this
// program; lamports beyond rent + `extra` go back to the payer. Only an address already holding data
// or owned by another program is refused.
static u64 create_pda(const Params *p, NewPda *a) {
  TRY(need_signer(a->payer));
  TRY(need_writable(a->payer));
  TRY(need_writable(a->target));
  if (!key_eq(a->system->key, &SYSTEM_PROGRAM)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: expected the System program");
  Pubkey addr;
  sol_try_find_program_address(a->seeds, (int)a->nseeds, p->program_id, &addr, &a->bump);
  if (!key_eq(&addr, a->target->key)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: account is not the expected program address");
  if (a->target->data_len != 0 || !key_eq(a->target->owner, &SYSTEM_PROGRAM)) return FAIL(E_ALREADY_EXISTS, "AlreadyExists: account already exists");
  u64 need;
  if (!add_ok(rent_exempt(a->space), a->extra, &need)) return OVERFLOW("rent + deposit of the new account");
  u64 have = *a->target->lamports, shortfall = have < need ? need - have : 0;
  if (*a->payer->lamports < shortfall) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: the payer cannot cover rent and deposit of the new account");
  a->seeds[a->nseeds].addr = &a->bump;
  a->seeds[a->nseeds].len = 1;
  SignerSeeds signer = {a->seeds, a->nseeds + 1};
  AccountMeta both[2] = {{a->payer->key, true, true}, {a->target->key, true, true}};
  AccountMeta self[1] = {{a->target->key, true, true}};
  u8 data[52];
  const Pubkey *owner = a->owner ? a->owner : p->program_id;
  if (have == 0) {
    wr32(data, 0); // SystemInstruction::CreateAccount
    wr64(data + 4, need);
    wr64(data + 12, a->space);
    copy(data + 20, owner, 32);
    return system_cpi(p, a->system, both, 2, data, 52, &signer);
  }
  if (shortfall) {
    AccountMeta to[2] = {{a->payer->key, true, true}, {a->target->key, true, false}};
    wr32(data, 2); // Transfer
    wr64(data + 4, shortfall);
    TRY(system_cpi(p, a->system, to, 2, data, 12, NULL));
  }
  if (have > need) { // the excess back to the payer while the address is still the System program's (signed with its seeds)
    AccountMeta back[2] = {{a->target->key, true, true}, {a->payer->key, true, false}};
    wr32(data, 2); // Transfer
    wr64(data + 4, have - need);
    TRY(system_cpi(p, a->system, back, 2, data, 12, &signer));
  }
  wr32(data, 8); // Allocate
  wr64(data + 4, a->space);
  TRY(system_cpi(p, a->system, self, 1, data, 12, &signer));
  wr32(data, 1); // Assign
  copy(data + 4, owner, 32);
  TRY(system_cpi(p, a->system, self, 1, data, 36, &signer));
  return 0;
}

static u64 move_lamports(AccountInfo *from, AccountInfo *to, u64 amount) {
  if (*from->lamports < amount) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: a lamport move exceeds the balance it is taken from");
  if (*to->lamports > U64_MAX - amount) return OVERFLOW("lamport move: the destination balance");
  *from->lamports -= amount;
  *to->lamports += amount;
  return 0;
}

// Closes a program account: every lamport to `to`, the data zeroed (the runtime drops the empty account).
static u64 close_account(AccountInfo *acct, AccountInfo *to) {
  TRY(move_lamports(acct, to, *acct->lamports));
  zero(acct->data, acct->data_len);
  return 0;
}

// ---------------------------------------------------------------- tokens
// Money is SPL tokens of the committee's mint, moved with CPIs to the token interface (TransferChecked,
// so the mint's decimals are checked by the token program too). The classic Token program (USDC on
// mainnet and devnet) and Token-2022 are accepted; the committee records which one owns its mint. All
// tokens the program holds sit in one vault token account per committee, owned (as token authority)
// by the committee's address; the program keeps the books (stake, earnings, escrow, treasury) and moves
// tokens only where value enters or leaves: registerNode and requestModelExecution pull from the
// signer's token account, exitNode, closeExecution and withdrawTreasury push from the vault.

static const Pubkey TOKEN_PROGRAM = {{6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172,
                                      28, 180, 133, 237, 95, 91, 55, 145, 58, 140, 245, 133, 126, 255, 0, 169}};
static const Pubkey TOKEN_2022_PROGRAM = {{6, 221, 246, 225, 238, 117, 143, 222, 24, 66, 93, 188, 228, 108, 205, 218,
                                           182, 26, 252, 77, 131, 185, 13, 39, 254, 189, 249, 40, 216, 161, 139, 252}};
#define MINT_LEN 82            /* a mint without Token-2022 extensions */
#define TOKEN_ACCOUNT_LEN 165  /* mint [32], owner [32], amount u64, delegate, state u8 at 108, ... */
#define TOKEN_STATE 108
#define ACCOUNT_TYPE_ACCOUNT 2 /* Token-2022: byte 165 of an account with extensions */

static bool is_token_program(const Pubkey *k) { return key_eq(k, &TOKEN_PROGRAM) || key_eq(k, &TOKEN_2022_PROGRAM); }

// The token accounts an instruction moves value with: the user's account, the vault, the mint and the
// token program, in this order.
typedef struct { const Params *p; const Committee *c; const AccountInfo *committee; AccountInfo *user, *vault, *mint, *program; } TokenAccts;

// A token account of the committee's mint, initialized and not frozen, owned by `owner` when given.
static NOINLINE u64 check_token_account(const Committee *c, const AccountInfo *a, const Pubkey *owner) {
  if (!key_eq(a->owner, &c->token_program) || a->data_len < TOKEN_ACCOUNT_LEN ||
      (a->data_len > TOKEN_ACCOUNT_LEN && a->data[TOKEN_ACCOUNT_LEN] != ACCOUNT_TYPE_ACCOUNT))
    return FAIL(E_NOT_A_TOKEN_ACCOUNT, "NotATokenAccount: not a token account of the committee's token program (closed?)");
  if (a->data[TOKEN_STATE] == 0) return FAIL(E_NOT_A_TOKEN_ACCOUNT, "NotATokenAccount: the token account is not initialized");
  if (!key_eq((const Pubkey *)a->data, &c->mint)) return FAIL(E_WRONG_MINT, "WrongMint: the token account holds another mint");
  if (a->data[TOKEN_STATE] != 1) return FAIL(E_TOKEN_ACCOUNT_FROZEN, "TokenAccountFrozen: the token account is frozen");
  if (owner && !key_eq((const Pubkey *)(a->data + 32), owner)) return FAIL(E_WRONG_TOKEN_OWNER, "WrongTokenOwner: the token account belongs to someone else");
  return 0;
}
static u64 token_balance(const AccountInfo *a) { return rd64(a->data + 64); }

// Checks the token accounts at [at, at + 4): the user's (owned by `owner` when given), the committee's
// vault, mint and token program; both token accounts writable.
static NOINLINE u64 token_accounts(const Params *p, const Committee *c, u64 at, const Pubkey *owner, TokenAccts *t) {
  if (p->ka_num < at + 4) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: missing the token accounts (user, vault, mint, token program)");
  t->p = p; t->c = c;
  t->user = (AccountInfo *)&p->ka[at]; t->vault = (AccountInfo *)&p->ka[at + 1]; t->mint = (AccountInfo *)&p->ka[at + 2]; t->program = (AccountInfo *)&p->ka[at + 3];
  if (!key_eq(t->program->key, &c->token_program)) return FAIL(E_WRONG_TOKEN_PROGRAM, "WrongTokenProgram: not the committee's token program");
  if (!key_eq(t->mint->key, &c->mint)) return FAIL(E_WRONG_MINT, "WrongMint: not the committee's mint");
  if (!key_eq(t->vault->key, &c->vault)) return FAIL(E_WRONG_VAULT, "WrongVault: not the committee's vault");
  if (key_eq(t->user->key, t->vault->key)) return FAIL(E_WRONG_VAULT, "WrongVault: the vault cannot be the other side");
  TRY(need_writable(t->user));
  TRY(need_writable(t->vault));
  TRY(check_token_account(c, t->vault, NULL));
  return check_token_account(c, t->user, owner);
}

// TransferChecked (12: amount u64, decimals u8; accounts source (w), mint, destination (w), authority
// (signer)) between the user's account and the vault: in (`out` false) the user, a signer of the
// transaction, authorizes; out the committee's address signs with its seeds as the vault's authority.
static NOINLINE u64 token_transfer(const TokenAccts *t, bool out, const Pubkey *authority, u64 amount) {
  if (amount == 0) return 0;
  AccountInfo *from = out ? t->vault : t->user, *to = out ? t->user : t->vault;
  if (token_balance(from) < amount) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: the token account's balance is below the amount");
  u8 data[10];
  data[0] = 12;
  wr64(data + 1, amount);
  data[9] = t->c->decimals;
  AccountMeta metas[4] = {{from->key, true, false}, {t->mint->key, false, false}, {to->key, true, false}, {(Pubkey *)authority, false, true}};
  Instruction ix = {t->program->key, metas, 4, data, 10};
  Bytes seeds[3] = {{(const u8 *)"committee", 9}, {t->c->authority.x, 32}, {&t->c->bump, 1}};
  SignerSeeds signer = {seeds, 3};
  return sol_invoke_signed_c(&ix, t->p->ka, (int)t->p->ka_num, out ? &signer : NULL, out ? 1 : 0);
}

// Value in: `amount` from the signer's token account (accounts from `at`) into the vault.
static NOINLINE u64 take_in(const Params *p, const Committee *c, u64 at, const AccountInfo *signer, u64 amount) {
  TokenAccts t;
  TRY(token_accounts(p, c, at, signer->key, &t));
  if (token_balance(t.user) < amount) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: the signer's token account cannot cover the stake or escrow");
  return token_transfer(&t, false, signer->key, amount);
}
// Value out: `amount` from the vault to the token account at `at` (owned by `owner` when given); the
// committee account `committee` signs.
static NOINLINE u64 pay_out(const Params *p, const Committee *c, const AccountInfo *committee, u64 at, const Pubkey *owner, u64 amount) {
  TokenAccts t;
  TRY(token_accounts(p, c, at, owner, &t));
  return token_transfer(&t, true, committee->key, amount);
}

// ---------------------------------------------------------------- committee

static u8 quorum_for(u8 n) {
  u32 f = ((u32)n - 1u) / 3u;
  return (u8)(((u32)n + f + 2u) / 2u); // ceil((n + f + 1) / 2)
}

// The vault of the committee at ka[1]: a token account at ("vault", committee) created for the token
// program (ka[5]) and initialized (InitializeAccount3) for the mint (ka[3]) with the committee's address
// as its authority; the authority (ka[0]) pays its rent, pre-funding tolerated as for every account.
static NOINLINE u64 create_vault(Params *p, u8 *bump) {
  Bytes vseeds[3] = {{(const u8 *)"vault", 5}, {p->ka[1].key->x, 32}};
  NewPda vpda = {&p->ka[0], &p->ka[4], &p->ka[2], vseeds, 2, TOKEN_ACCOUNT_LEN, 0, 0, p->ka[5].key};
  TRY(create_pda(p, &vpda));
  *bump = vpda.bump;
  u8 init[33];
  init[0] = 18; // InitializeAccount3: owner [32]
  copy(init + 1, p->ka[1].key, 32);
  AccountMeta vmetas[2] = {{p->ka[4].key, true, false}, {p->ka[3].key, false, false}};
  Instruction vix = {p->ka[5].key, vmetas, 2, init, 33};
  return sol_invoke_signed_c(&vix, p->ka, (int)p->ka_num, NULL, 0);
}

static NOINLINE u64 init_committee(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 6 || p->data_len < 56) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: initCommittee needs 6 accounts and 56+ bytes");
  u8 n = d[1], q = d[2], suite = d[3];
  if (n < 3 || n > MAX_ORACLES) return FAIL(E_COMMITTEE_SIZE, "CommitteeSize: n must be 3..10");
  if (p->data_len != 56 + 32 * (u64)n) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: oracle key list length");
  if (q < quorum_for(n) || q > n) return FAIL(E_QUORUM, "Quorum: q must be at least ceil((n+f+1)/2) with f = floor((n-1)/3), and at most n");
  if (suite != 3 && suite != 4) return FAIL(E_BAD_PARAMETER, "BadParameter: suite must be 3 (ECVRF-EDWARDS25519-SHA512-TAI) or 4 (ELL2)");
  u32 p_ppm = rd32(d + 4), r_ppm = rd32(d + 8), reward_ppm = rd32(d + 12), slash_ppm = rd32(d + 16), slots_per_kcu = rd32(d + 20);
  u64 stake_base = rd64(d + 24), stake_per_gb = rd64(d + 32), price = rd64(d + 40), min_timeout = rd64(d + 48);
  if (p_ppm > PPM || r_ppm >= PPM || reward_ppm + (u64)slash_ppm == 0 || price == 0 || min_timeout == 0 || stake_base == 0)
    return FAIL(E_BAD_PARAMETER, "BadParameter: need p <= 1, r < 1, R + S > 0, price, timeout and stake > 0");
  // Security condition of Proof of Sampling: p > C / ((1 - r)(R + S)), with R and S given as
  // multiples of C in ppm. p*D > 1e18 with D = (1e6 - r)(R + S) in ppm^2; exact in integers as
  // p > floor(1e18 / D).
  u64 D = (PPM - r_ppm) * ((u64)reward_ppm + slash_ppm);
  u64 bound = 1000000000000000000ULL / D;
  if ((u64)p_ppm <= bound) {
    char buf[120];
    u64 at = put(buf, 0, "EconomicsBound: p = ", 20);
    at += fmt_u64(buf + at, p_ppm);
    at = put(buf, at, " ppm must exceed C/((1-r)(R+S)) = ", 34);
    at += fmt_u64(buf + at, bound);
    at = put(buf, at, " ppm", 4);
    return fail_(E_ECONOMICS_BOUND, buf, at);
  }
  // every amount the committee's parameters produce must fit: the largest required stake
  u64 max_stake;
  if (!mul_ok(stake_per_gb, 4096, &max_stake) || !add_ok(max_stake, stake_base, &max_stake))
    return OVERFLOW("required stake base + perGb x 4096 GB");
  // the money: a mint of the classic Token program or Token-2022, initialized, without extensions (a
  // transfer fee, hook, permanent delegate or confidential balance would break the vault's books)
  const AccountInfo *mint = &p->ka[3], *token_program = &p->ka[5];
  if (!is_token_program(token_program->key)) return FAIL(E_WRONG_TOKEN_PROGRAM, "WrongTokenProgram: the Token program or Token-2022 only");
  if (!key_eq(mint->owner, token_program->key)) return FAIL(E_WRONG_MINT, "WrongMint: the mint is not an account of that token program");
  if (mint->data_len != MINT_LEN || mint->data[45] != 1) return FAIL(E_WRONG_MINT, "WrongMint: not an initialized mint without extensions");
  const Pubkey *keys = (const Pubkey *)(d + 56);
  for (u8 i = 0; i < n; i++)
    for (u8 j = 0; j < i; j++)
      if (key_eq(&keys[i], &keys[j])) return FAIL(E_DUPLICATE_ORACLE, "DuplicateOracle: oracle keys must be distinct");

  // The committee's address is derived from its authority's key: one committee per authority, so
  // nobody can create (front-run) another operator's committee, and every other account is scoped to
  // its committee (the committee's address is in their seeds).
  Bytes seeds[3];
  seeds[0].addr = (const u8 *)"committee"; // assigned, not initialised: a constant initialiser would
  seeds[0].len = 9;                         // put a pointer table in .rodata
  seeds[1].addr = p->ka[0].key->x;
  seeds[1].len = 32;
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 2, sizeof(Committee), 0, 0, NULL};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  u8 vault_bump;
  TRY(create_vault(p, &vault_bump));
  Committee *c = (Committee *)p->ka[1].data;
  copy(&c->mint, mint->key, 32);
  copy(&c->token_program, token_program->key, 32);
  copy(&c->vault, p->ka[4].key, 32);
  c->decimals = mint->data[44];
  c->vault_bump = vault_bump;
  c->tag = TAG_COMMITTEE; c->version = VERSION; c->bump = bump;
  copy(&c->authority, p->ka[0].key, 32);
  c->n = n; c->q = q; c->suite = suite;
  c->p_ppm = p_ppm; c->r_ppm = r_ppm; c->reward_ppm = reward_ppm; c->slash_ppm = slash_ppm; c->slots_per_kcu = slots_per_kcu;
  c->stake_base = stake_base; c->stake_per_gb = stake_per_gb; c->price_per_kcu = price; c->min_timeout_slots = min_timeout;
  copy(c->oracles, keys, 32 * (u64)n);
  return 0;
}

static const Committee *committee_at(const Params *p, u64 i) {
  return (const Committee *)load(p, &p->ka[i], TAG_COMMITTEE, sizeof(Committee));
}

// Fits by initCommittee's check (vram_gb <= 4096).
static u64 required_stake(const Committee *c, u32 vram_gb) { return sat_add(c->stake_base, c->stake_per_gb * vram_gb); }
// C = computeUnits x pricePerKcu / 1000; false when the product overflows.
static bool task_fee(const Committee *c, u64 cu, u64 *fee) { if (!mul_ok(cu, c->price_per_kcu, fee)) return false; *fee /= 1000; return true; }
// amount x ppm / 1e6; false when the product overflows.
static bool ppm_of(u64 amount, u64 ppm, u64 *out) { if (!mul_ok(amount, ppm, out)) return false; *out /= PPM; return true; }

// An account of this program that belongs to the committee at `committee`.
static bool in_committee(const Pubkey *owner_committee, const AccountInfo *committee) { return key_eq(owner_committee, committee->key); }
#define WRONG_COMMITTEE(what) FAIL(E_WRONG_COMMITTEE, "WrongCommittee: the " what " belongs to another committee")

// ---------------------------------------------------------------- nodes

static NOINLINE u64 register_node(Params *p) {
  if (p->ka_num < 8 || p->data_len != 5) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerNode");
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u32 vram = rd32(p->data + 1);
  if (vram == 0 || vram > 4096) return FAIL(E_BAD_PARAMETER, "BadParameter: vramGb must be 1..4096");
  u64 stake = required_stake(c, vram);
  Bytes seeds[4] = {{(const u8 *)"node", 4}, {p->ka[1].key->x, 32}, {p->ka[0].key->x, 32}};
  NewPda pda = {&p->ka[0], &p->ka[2], &p->ka[3], seeds, 3, sizeof(Node), 0, 0, NULL};
  TRY(create_pda(p, &pda));
  // the stake: from the node's token account (accounts 4..7; the node signs) into the committee's vault
  TRY(take_in(p, c, 4, &p->ka[0], stake));
  u8 bump = pda.bump;
  Node *nd = (Node *)p->ka[2].data;
  nd->tag = TAG_NODE; nd->version = VERSION; nd->bump = bump;
  copy(&nd->key, p->ka[0].key, 32);
  nd->status = NODE_ACTIVE;
  nd->vram_gb = vram;
  nd->stake = stake;
  copy(&nd->committee, p->ka[1].key, 32);
  return 0;
}

static Node *node_of(const Params *p, u64 i, const Pubkey *expect_key) {
  Node *nd = (Node *)load(p, &p->ka[i], TAG_NODE, sizeof(Node));
  if (!nd || (expect_key && !key_eq(&nd->key, expect_key))) return NULL;
  return nd;
}

static const Task *task_at(const Params *p, u64 i) { return (const Task *)load(p, &p->ka[i], TAG_TASK, sizeof(Task)); }

static NOINLINE u64 specialize(Params *p) {
  if (p->ka_num < 2 || p->data_len < 2) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: specialize");
  u8 count = p->data[1];
  if (count > MAX_SPECS) return FAIL(E_TOO_MANY_SPECIALIZATIONS, "TooManySpecializations: at most 16 tasks");
  if (p->data_len != 2 + 4 * (u64)count || p->ka_num != 2 + (u64)count) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: one task account per task id");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Node *nd = node_of(p, 1, p->ka[0].key);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the signer");
  if (nd->status != NODE_ACTIVE) return FAIL(E_NODE_INACTIVE, "NodeInactive: node is not active");
  for (u8 i = 0; i < count; i++) {
    u32 id = rd32(p->data + 2 + 4 * i);
    const Task *t = task_at(p, 2 + i);
    if (!t || t->task_id != id) return FAIL(E_UNKNOWN_TASK, "UnknownTask: specialization names an unregistered task");
    if (!key_eq(&t->committee, &nd->committee)) return WRONG_COMMITTEE("task");
    for (u8 j = 0; j < i; j++)
      if (rd32(p->data + 2 + 4 * j) == id) return FAIL(E_BAD_PARAMETER, "BadParameter: duplicate task id");
  }
  nd->n_spec = count;
  zero(nd->specs, sizeof(nd->specs));
  for (u8 i = 0; i < count; i++) nd->specs[i] = rd32(p->data + 2 + 4 * i);
  return 0;
}

static NOINLINE u64 exit_node(Params *p) {
  if (p->ka_num < 7 || p->data_len != 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: exitNode");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Node *nd = node_of(p, 1, p->ka[0].key);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the signer");
  const Committee *c = committee_at(p, 2);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (!in_committee(&nd->committee, &p->ka[2])) return WRONG_COMMITTEE("node");
  if (nd->status == NODE_EXITED) return FAIL(E_NODE_INACTIVE, "NodeInactive: node already exited");
  if (nd->active_jobs) return FAIL(E_NODE_BUSY, "NodeBusy: node has assigned or unsettled tasks");
  u64 out;
  if (!add_ok(nd->stake, nd->earned, &out)) return OVERFLOW("stake + earnings of an exiting node");
  // stake and earnings from the vault to the node's own token account (accounts 3..6)
  TRY(pay_out(p, c, &p->ka[2], 3, p->ka[0].key, out));
  nd->stake = 0;
  nd->earned = 0;
  nd->status = NODE_EXITED;
  return 0;
}

// closeNode: accounts [node (signer, w), node account (w)]. An exited node with nothing locked closes:
// its account's lamports (the rent) go to the node key, which can then register again.
static NOINLINE u64 close_node(Params *p) {
  if (p->ka_num < 2 || p->data_len != 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: closeNode");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Node *nd = node_of(p, 1, p->ka[0].key);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the signer");
  if (nd->status != NODE_EXITED) return FAIL(E_NOT_FINISHED, "NotFinished: only an exited node closes (exitNode first)");
  if (nd->active_jobs || nd->locked) return FAIL(E_NODE_BUSY, "NodeBusy: node has assigned or unsettled tasks");
  if (key_eq(p->ka[0].key, p->ka[1].key)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node key and node account are one account");
  return close_account(&p->ka[1], &p->ka[0]);
}

// withdrawTreasury: accounts [authority (signer), committee (w), destination (w)]; data: amount u64.
// The committee's authority takes up to the treasury (lapse penalties and slash remainders); the
// committee account never goes below its rent-exempt minimum.
static NOINLINE u64 withdraw_treasury(Params *p) {
  if (p->ka_num < 6 || p->data_len != 9) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: withdrawTreasury");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Committee *c = (Committee *)load(p, &p->ka[1], TAG_COMMITTEE, sizeof(Committee));
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (!key_eq(&c->authority, p->ka[0].key)) return FAIL(E_NOT_AUTHORITY, "NotAuthority: only the committee's authority withdraws");
  u64 amount = rd64(p->data + 1);
  if (amount > c->treasury) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: amount exceeds the treasury");
  // to any token account of the mint but the vault (there it would be outside the books)
  c->treasury -= amount;
  return pay_out(p, c, &p->ka[1], 2, NULL, amount);
}

// ---------------------------------------------------------------- committee rotation
// The authority proposes the member set of the next epoch (n, q, oracle keys, the slot it activates at);
// the current members approve it; at q approvals the committee switches. The switch applies to
// selections, by the slot of their seed: a selection whose ready_slot is >= the new epoch's start slot
// is voted by the new set, an older one by the set it was opened under (kept as the previous set), so
// no running selection changes voters mid-way, and a removed oracle's votes are refused on every
// selection opened after the switch. Economics, suite and timing stay (a running assignment's locked
// stake was computed from them); a committee with other economics is a new committee.

// H("splitup/rotation/v1" | committee | epoch u32 | n | q | activate_slot u64 | keys): what members
// approve. `d`: proposeRotation's data (n, q at 1, 2; epoch at 4; activate_slot at 8; keys at 16).
static void rotation_digest(const Pubkey *committee, const u8 *d, u8 *out) {
  u8 dom[] = "splitup/rotation/v1";
  Bytes parts[6] = {{dom, 19}, {committee->x, 32}, {d + 4, 4}, {d + 1, 2}, {d + 8, 8}, {d + 16, 32 * (u64)d[1]}};
  sol_sha256(parts, 6, out);
}

// proposeRotation: accounts [authority (signer, w), committee, proposal (w), System]; data: n u8, q u8,
// pad u8, epoch u32, activate_slot u64, n keys. The committee's authority proposes the member set of
// epoch = the committee's epoch + 1, checked like initCommittee's (3..10 distinct keys, q >= ceil((n+f+1)/2));
// the proposal account ("rotation", committee, u32 epoch) is created (pre-funding tolerated) or, while
// not yet applied, replaced (its approvals reset: members approve a digest of the content).
static NOINLINE u64 propose_rotation(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 4 || p->data_len < 16) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: proposeRotation needs 4 accounts and 16+ bytes");
  TRY(need_signer(&p->ka[0]));
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (!key_eq(&c->authority, p->ka[0].key)) return FAIL(E_NOT_AUTHORITY, "NotAuthority: only the committee's authority proposes a rotation");
  u8 n = d[1], q = d[2];
  u32 epoch = rd32(d + 4);
  u64 activate = rd64(d + 8), now = now_slot();
  if (n < 3 || n > MAX_ORACLES) return FAIL(E_COMMITTEE_SIZE, "CommitteeSize: n must be 3..10");
  if (p->data_len != 16 + 32 * (u64)n) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: oracle key list length");
  if (q < quorum_for(n) || q > n) return FAIL(E_QUORUM, "Quorum: q must be at least ceil((n+f+1)/2) with f = floor((n-1)/3), and at most n");
  if (c->epoch == 0xffffffffu || epoch != c->epoch + 1) return FAIL(E_STALE_EPOCH, "StaleEpoch: a rotation proposes the committee's epoch + 1");
  if (now < c->epoch_start_slot) return FAIL(E_ROTATION_PENDING, "RotationPending: the current epoch has not started yet");
  if (activate > now + MAX_ACTIVATION_DELAY) return FAIL(E_BAD_PARAMETER, "BadParameter: activation slot more than 1000000 slots ahead");
  const Pubkey *keys = (const Pubkey *)(d + 16);
  for (u8 i = 0; i < n; i++)
    for (u8 j = 0; j < i; j++)
      if (key_eq(&keys[i], &keys[j])) return FAIL(E_DUPLICATE_ORACLE, "DuplicateOracle: oracle keys must be distinct");
  Rotation *r;
  AccountInfo *acct = &p->ka[2];
  if (acct->data_len == 0) {
    Bytes seeds[4] = {{(const u8 *)"rotation", 8}, {p->ka[1].key->x, 32}, {d + 4, 4}};
    NewPda pda = {&p->ka[0], acct, &p->ka[3], seeds, 3, sizeof(Rotation), 0, 0, NULL};
    TRY(create_pda(p, &pda));
    r = (Rotation *)acct->data;
    r->tag = TAG_ROTATION; r->version = VERSION; r->bump = pda.bump;
    copy(&r->committee, p->ka[1].key, 32);
    r->epoch = epoch;
  } else {
    TRY(need_writable(acct));
    r = (Rotation *)load(p, acct, TAG_ROTATION, sizeof(Rotation));
    if (!r) return FAIL(E_ALREADY_EXISTS, "AlreadyExists: account already exists");
    if (!in_committee(&r->committee, &p->ka[1])) return WRONG_COMMITTEE("proposal");
    if (r->epoch != epoch) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: the proposal account of another epoch");
  }
  r->n = n; r->q = q; r->approvals = 0; r->activate_slot = activate;
  zero(r->oracles, sizeof(r->oracles));
  copy(r->oracles, keys, 32 * (u64)n);
  rotation_digest(p->ka[1].key, d, r->digest);
  return 0;
}

// The record an applied rotation logs: tag "SURO", version, n, q, pad, epoch u32, pad u32, start slot
// u64, then the n keys: with the committee's history, every epoch's member set stays verifiable.
static void log_rotation(const Committee *c) {
  u8 head[24];
  zero(head, sizeof(head));
  wr32(head, TAG_ROTATION_RECORD); head[4] = VERSION; head[5] = c->n; head[6] = c->q;
  wr32(head + 8, c->epoch);
  wr64(head + 16, c->epoch_start_slot);
  Bytes parts[2] = {{head, 24}, {c->oracles[0].x, 32 * (u64)c->n}};
  sol_log_data(parts, 2);
}

// approveRotation: accounts [oracle (signer), committee (w), proposal (w)]; data: epoch u32, digest [32].
// A member of the current set approves the proposal whose content it names (the digest); one approval
// per member. The q-th applies it: the current set becomes the previous one, the proposal's becomes
// current from slot max(activate_slot, now) (later than every running selection's seed slot), the
// epoch increments, and the proposal closes (its rent back to the authority, accounts [oracle (signer),
// committee (w), proposal (w), authority (w)]).
static NOINLINE u64 approve_rotation(Params *p) {
  if (p->ka_num < 4 || p->data_len != 37) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: approveRotation");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  TRY(need_writable(&p->ka[2]));
  Committee *c = (Committee *)committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  Rotation *r = (Rotation *)load(p, &p->ka[2], TAG_ROTATION, sizeof(Rotation));
  if (!r) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: rotation proposal");
  if (!in_committee(&r->committee, &p->ka[1])) return WRONG_COMMITTEE("proposal");
  if (r->epoch != rd32(p->data + 1) || c->epoch == 0xffffffffu || r->epoch != c->epoch + 1) return FAIL(E_STALE_EPOCH, "StaleEpoch: the proposal is not for the committee's next epoch");
  if (!bytes_eq(r->digest, p->data + 5, 32)) return FAIL(E_PROPOSAL_MISMATCH, "ProposalMismatch: the proposal's content is not the one approved");
  u8 me = 0xff;
  for (u8 i = 0; i < c->n && i < MAX_ORACLES; i++) if (key_eq(&c->oracles[i], p->ka[0].key)) me = i;
  if (me == 0xff) return FAIL(E_NOT_COMMITTEE_MEMBER, "NotCommitteeMember: only members of the current set approve");
  if (r->approvals & (1u << me)) return FAIL(E_ALREADY_APPROVED, "AlreadyApproved: this member already approved the proposal");
  r->approvals |= (u16)(1u << me);
  u8 count = 0;
  for (u8 i = 0; i < c->n; i++) if (r->approvals & (1u << i)) count++;
  if (count < c->q) return 0;
  // the proposal's rent goes back to the authority, who paid it
  if (!key_eq(p->ka[3].key, &c->authority)) return FAIL(E_NOT_AUTHORITY, "NotAuthority: the proposal's rent returns to the committee's authority");
  TRY(need_writable(&p->ka[3]));
  u64 now = now_slot();
  c->prev_n = c->n; c->prev_q = c->q;
  copy(c->prev_oracles, c->oracles, sizeof(c->oracles));
  c->prev_start_slot = c->epoch_start_slot;
  c->n = r->n; c->q = r->q;
  zero(c->oracles, sizeof(c->oracles));
  copy(c->oracles, r->oracles, 32 * (u64)r->n);
  c->epoch = r->epoch;
  c->epoch_start_slot = r->activate_slot > now ? r->activate_slot : now;
  log_rotation(c);
  return close_account(&p->ka[2], &p->ka[3]);
}

static bool specialized(const Node *nd, u32 task_id) {
  for (u8 i = 0; i < nd->n_spec && i < MAX_SPECS; i++) if (nd->specs[i] == task_id) return true;
  return false;
}

// ---------------------------------------------------------------- tasks and models

static bool spec_valid(const Spec *s) {
  if (s->dtype < 1 || s->dtype > 6 || s->rank < 1 || s->rank > 4 || s->pad) return false;
  for (u8 i = 0; i < 4; i++) {
    if (i < s->rank && s->dims[i] == 0) return false;
    if (i >= s->rank && s->dims[i] != 0) return false;
  }
  return true;
}

static NOINLINE u64 register_task(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 4 || p->data_len < 15) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerTask");
  u32 id = rd32(d + 1);
  u64 cu = rd64(d + 5);
  u8 n_in = d[13], n_out = d[14];
  if (n_in < 1 || n_in > MAX_TENSORS || n_out < 1 || n_out > MAX_TENSORS || cu == 0)
    return FAIL(E_BAD_PARAMETER, "BadParameter: 1..4 inputs, 1..4 outputs, computeUnits > 0");
  if (p->data_len != 15 + 20 * (u64)(n_in + n_out)) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: tensor spec list length");
  const Spec *specs = (const Spec *)(d + 15);
  Spec tmp;
  for (u8 i = 0; i < n_in + n_out; i++) {
    copy(&tmp, &specs[i], sizeof(Spec));
    if (!spec_valid(&tmp)) return FAIL(E_BAD_TENSOR_SPEC, "BadTensorSpec: dtype 1..6, rank 1..4, dims > 0 below rank and 0 above");
  }
  // Ids are assigned in order by the committee (the next is task_count + 1), so nobody can take an id
  // another author wants: a race for the next id only makes the later request name the one after.
  TRY(need_writable(&p->ka[3]));
  Committee *c = (Committee *)load(p, &p->ka[3], TAG_COMMITTEE, sizeof(Committee));
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (c->task_count == 0xffffffffu || id != c->task_count + 1) return FAIL(E_ID_NOT_NEXT, "IdNotNext: a new task's id must be the committee's task count + 1");
  Bytes seeds[4] = {{(const u8 *)"task", 4}, {p->ka[3].key->x, 32}, {d + 1, 4}};
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 3, sizeof(Task), 0, 0, NULL};
  TRY(create_pda(p, &pda));
  c->task_count = id;
  u8 bump = pda.bump;
  Task *t = (Task *)p->ka[1].data;
  t->tag = TAG_TASK; t->version = VERSION; t->bump = bump;
  t->task_id = id; t->n_in = n_in; t->n_out = n_out; t->compute_units = cu;
  copy(&t->author, p->ka[0].key, 32);
  copy(t->in, specs, 20 * (u64)n_in);
  copy(t->out, specs + n_in, 20 * (u64)n_out);
  copy(&t->committee, p->ka[3].key, 32);
  return 0;
}

static bool spec_eq(const Spec *a, const Spec *b) { return bytes_eq((const u8 *)a, (const u8 *)b, sizeof(Spec)); }

// Validates the task DAG of a model under construction (m), with tasks[i] the task of node i.
// Every rejection names its rule.
static u64 validate_dag(Model *m, const Task *const *tasks) {
  u8 n = m->n_nodes;
  // 1. every input satisfied: each declared input has a source that exists
  for (u8 i = 0; i < n; i++) {
    for (u8 j = 0; j < MAX_TENSORS; j++) {
      u8 sn = m->nodes[i].src[j][0], ss = m->nodes[i].src[j][1];
      if (j >= tasks[i]->n_in) {
        if (sn != 0xff || ss != 0xff) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: unused input slots must be ff ff");
        continue;
      }
      if (sn == SRC_MODEL_INPUT ? ss >= m->n_in : (sn >= n || ss >= tasks[sn]->n_out))
        return FAIL(E_DAG_INPUT_UNSATISFIED, "DagInputUnsatisfied: a task input has no source (rule: every input satisfied)");
    }
  }
  // 2. matching tensor specs along every edge
  for (u8 i = 0; i < n; i++)
    for (u8 j = 0; j < tasks[i]->n_in; j++) {
      u8 sn = m->nodes[i].src[j][0], ss = m->nodes[i].src[j][1];
      const Spec *from = sn == SRC_MODEL_INPUT ? &m->in[ss] : &tasks[sn]->out[ss];
      if (!spec_eq(from, &tasks[i]->in[j])) return FAIL(E_DAG_SPEC_MISMATCH, "DagSpecMismatch: an edge joins tensors of different dtype or shape (rule: matching tensor specs)");
    }
  // model outputs name existing task outputs
  for (u8 o = 0; o < m->n_out; o++) {
    u8 on = m->out[o][0], os = m->out[o][1];
    if (on >= n || os >= tasks[on]->n_out) return FAIL(E_DAG_BAD_MODEL_OUTPUT, "DagBadModelOutput: a model output names no task output");
  }
  // 3. no redundant tasks: the same task applied to the same sources twice
  for (u8 i = 0; i < n; i++)
    for (u8 k = 0; k < i; k++)
      if (m->nodes[i].task_id == m->nodes[k].task_id && bytes_eq(&m->nodes[i].src[0][0], &m->nodes[k].src[0][0], 8))
        return FAIL(E_DAG_REDUNDANT_TASK, "DagRedundantTask: two nodes run the same task on the same inputs (rule: no redundant tasks)");
  // 4. no cycles (Kahn's algorithm; the order is kept for clients)
  u8 indeg[MAX_MODEL_TASKS], queue[MAX_MODEL_TASKS], head = 0, tail = 0;
  for (u8 i = 0; i < n; i++) {
    indeg[i] = 0;
    for (u8 j = 0; j < tasks[i]->n_in; j++) if (m->nodes[i].src[j][0] != SRC_MODEL_INPUT) indeg[i]++;
    if (!indeg[i]) queue[tail++] = i;
  }
  while (head < tail) {
    u8 v = queue[head++];
    for (u8 i = 0; i < n; i++)
      for (u8 j = 0; j < tasks[i]->n_in; j++)
        if (m->nodes[i].src[j][0] == v && --indeg[i] == 0) queue[tail++] = i;
  }
  if (tail != n) return FAIL(E_DAG_CYCLE, "DagCycle: the task graph has a cycle (rule: no cycles)");
  copy(m->order, queue, n);
  // 5. no orphaned outputs: every task output feeds a task or is a model output; every model input is used
  for (u8 v = 0; v < n; v++)
    for (u8 s = 0; s < tasks[v]->n_out; s++) {
      bool used = false;
      for (u8 i = 0; i < n && !used; i++)
        for (u8 j = 0; j < tasks[i]->n_in; j++) if (m->nodes[i].src[j][0] == v && m->nodes[i].src[j][1] == s) used = true;
      for (u8 o = 0; o < m->n_out && !used; o++) if (m->out[o][0] == v && m->out[o][1] == s) used = true;
      if (!used) return FAIL(E_DAG_ORPHAN_OUTPUT, "DagOrphanOutput: a task output is consumed by nothing (rule: no orphaned outputs)");
    }
  for (u8 s = 0; s < m->n_in; s++) {
    bool used = false;
    for (u8 i = 0; i < n && !used; i++)
      for (u8 j = 0; j < tasks[i]->n_in; j++) if (m->nodes[i].src[j][0] == SRC_MODEL_INPUT && m->nodes[i].src[j][1] == s) used = true;
    if (!used) return FAIL(E_DAG_ORPHAN_OUTPUT, "DagOrphanOutput: a model input is consumed by no task (rule: no orphaned outputs)");
  }
  return 0;
}

// The nodes of a model that feed node i directly (bit j: node j), from its declared inputs.
static u8 preds_of(const Model *m, u8 i) {
  u8 mask = 0;
  for (u8 j = 0; j < m->n_task_in[i] && j < MAX_TENSORS; j++) if (m->nodes[i].src[j][0] < MAX_MODEL_TASKS) mask |= (u8)(1u << m->nodes[i].src[j][0]);
  return mask;
}

// Validates the task groups of a model whose DAG is valid (order set, n_task_in set). A group is run by
// one node as a unit, so it must be:
//  - numbered 1..n with each used number naming at least two nodes and a VRAM need of 1..4096 GB, and
//    no VRAM for an unused number (rule: well-formed groups);
//  - connected: its nodes joined by edges among them (rule: connected groups);
//  - convex: no path leaves the group and comes back (rule: convex groups), so every input from
//    outside is ready before the group starts and nothing outside waits on a half-run group.
static u64 validate_groups(const Model *m) {
  u8 n = m->n_nodes;
  u8 desc[MAX_MODEL_TASKS]; // desc[v]: the nodes reachable from v (bit j: node j)
  for (u8 k = n; k-- > 0;) {
    u8 v = m->order[k];
    desc[v] = 0;
    for (u8 i = 0; i < n; i++) if (preds_of(m, i) & (1u << v)) desc[v] |= (u8)((1u << i) | desc[i]);
  }
  for (u8 g = 1; g <= MAX_MODEL_TASKS; g++) {
    u8 members = 0, count = 0;
    for (u8 i = 0; i < n; i++) if (m->group[i] == g) { members |= (u8)(1u << i); count++; }
    u32 vram = m->group_vram_gb[g - 1];
    if (!count) {
      if (vram) return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: VRAM given for a group with no tasks (rule: well-formed groups)");
      continue;
    }
    if (g > n) return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: a group number above the node count (rule: well-formed groups)");
    if (count < 2) return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: a group has fewer than two tasks (rule: well-formed groups)");
    if (vram == 0 || vram > 4096) return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: a group's VRAM need must be 1..4096 GB (rule: well-formed groups)");
    // connected: grow from the lowest member over edges inside the group (either direction)
    u8 seen = (u8)(members & (u8)-members);
    for (u8 round = 0; round < n; round++)
      for (u8 i = 0; i < n; i++) {
        if (!(members & (1u << i))) continue;
        u8 near = (u8)(preds_of(m, i) & members);
        for (u8 j = 0; j < n; j++) if ((members & (1u << j)) && (preds_of(m, j) & (1u << i))) near |= (u8)(1u << j);
        if (seen & (1u << i)) seen |= near;
        else if (seen & near) seen |= (u8)(1u << i);
      }
    if (seen != members) return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: a group's tasks are not connected (rule: connected groups)");
    // convex: no node outside the group is both reachable from a member and reaching a member
    u8 below = 0;
    for (u8 i = 0; i < n; i++) if (members & (1u << i)) below |= desc[i];
    for (u8 v = 0; v < n; v++)
      if (!(members & (1u << v)) && (below & (1u << v)) && (desc[v] & members))
        return FAIL(E_DAG_BAD_GROUP, "DagBadGroup: a path leaves the group and comes back (rule: convex groups)");
  }
  return 0;
}

static NOINLINE u64 register_model(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 5 || p->data_len < 8) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerModel");
  u8 n = d[5], n_in = d[6], n_out = d[7];
  if (n < 1 || n > MAX_MODEL_TASKS || n_in < 1 || n_in > MAX_TENSORS || n_out < 1 || n_out > MAX_TENSORS)
    return FAIL(E_BAD_PARAMETER, "BadParameter: 1..8 tasks, 1..4 model inputs and outputs");
  // the layout, optionally followed by the task groups: a group number per node (0: none), then the
  // VRAM need of groups 1..n (u32 each)
  u64 base = 8 + 20 * (u64)n_in + 12 * (u64)n + 2 * (u64)n_out;
  bool grouped = p->data_len == base + 5 * (u64)n;
  if ((p->data_len != base && !grouped) || p->ka_num != 4 + (u64)n)
    return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: model layout length or one task account per node");
  const Task *tasks[MAX_MODEL_TASKS];
  const u8 *nodes = d + 8 + 20 * n_in;
  for (u8 i = 0; i < n; i++) {
    tasks[i] = task_at(p, 4 + i);
    if (!tasks[i] || tasks[i]->task_id != rd32(nodes + 12 * i)) return FAIL(E_DAG_UNKNOWN_TASK, "DagUnknownTask: a model node names an unregistered task");
    if (!in_committee(&tasks[i]->committee, &p->ka[3])) return WRONG_COMMITTEE("task");
  }
  TRY(need_writable(&p->ka[3]));
  Committee *c = (Committee *)load(p, &p->ka[3], TAG_COMMITTEE, sizeof(Committee));
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (c->model_count == 0xffffffffu || rd32(d + 1) != c->model_count + 1) return FAIL(E_ID_NOT_NEXT, "IdNotNext: a new model's id must be the committee's model count + 1");
  Bytes seeds[4] = {{(const u8 *)"model", 5}, {p->ka[3].key->x, 32}, {d + 1, 4}};
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 3, sizeof(Model), 0, 0, NULL};
  TRY(create_pda(p, &pda));
  c->model_count = rd32(d + 1);
  u8 bump = pda.bump;
  Model *m = (Model *)p->ka[1].data;
  m->model_id = rd32(d + 1); m->n_nodes = n; m->n_in = n_in; m->n_out = n_out;
  copy(m->in, d + 8, 20 * (u64)n_in);
  for (u8 i = 0; i < n_in; i++) if (!spec_valid(&m->in[i])) return FAIL(E_BAD_TENSOR_SPEC, "BadTensorSpec: model input");
  copy(m->nodes, nodes, 12 * (u64)n);
  copy(m->out, nodes + 12 * n, 2 * (u64)n_out);
  TRY(validate_dag(m, tasks));
  for (u8 i = 0; i < n; i++) { m->cu[i] = tasks[i]->compute_units; m->n_task_in[i] = tasks[i]->n_in; }
  if (grouped) {
    const u8 *g = d + base;
    copy(m->group, g, n);
    for (u8 i = 0; i < n; i++) m->group_vram_gb[i] = rd32(g + n + 4 * i);
    TRY(validate_groups(m));
  }
  copy(&m->author, p->ka[0].key, 32);
  copy(&m->committee, p->ka[3].key, 32);
  m->tag = TAG_MODEL; m->version = VERSION; m->bump = bump;
  return 0;
}

// ---------------------------------------------------------------- executions

// The block hash the chain names as a selection seed: the newest SlotHashes entry.
static u64 latest_slot_hash(const AccountInfo *sh, u8 *hash, u64 *slot) {
  if (!key_eq(sh->key, &SLOT_HASHES)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: expected the SlotHashes sysvar");
  if (sh->data_len < 48 || rd64(sh->data) == 0) return FAIL(E_SLOT_HASH_UNAVAILABLE, "SlotHashUnavailable: SlotHashes is empty");
  *slot = rd64(sh->data + 8);
  copy(hash, sh->data + 16, 32);
  return 0;
}

static u32 initial_timeout(const Committee *c, u64 cu) {
  u64 t;
  if (!mul_ok(cu, c->slots_per_kcu, &t)) t = U64_MAX; // beyond the cap below either way
  t /= 1000;
  if (t < c->min_timeout_slots) t = c->min_timeout_slots;
  if (t > 0x40000000ULL) t = 0x40000000ULL;
  return (u32)t;
}
static u32 doubled(u32 t) { return t >= 0x40000000u ? t : t * 2; }

// The first attempt of a verification or a dispute: its phase bits and the compute attempt whose
// result is checked (bits 16..29), so a task recomputed and verified again never reuses an attempt
// number: (execution, task, attempt) names one selection request for its whole life.
static u32 phase_attempt(u32 bits, const TaskState *ts) { return bits | ((ts->compute_attempt & 0x3fffu) << 16); }

static void open_selection(TaskState *ts, u8 phase, u32 attempt, const u8 *seed, u64 seed_slot) {
  ts->phase = phase;
  ts->attempt = attempt;
  ts->vote_mask = 0;
  zero(ts->votes, sizeof(ts->votes));
  zero(&ts->assigned, 32);
  copy(ts->seed, seed, 32);
  ts->ready_slot = seed_slot;
  ts->deadline_slot = 0;
}

// The tasks of group g (bit i: task i) in the given phase.
static u8 group_in(const Execution *e, u8 g, u8 phase) {
  u8 mask = 0;
  for (u8 j = 0; j < e->n_tasks && j < MAX_MODEL_TASKS; j++) if (e->tasks[j].group == g && e->tasks[j].phase == phase) mask |= (u8)(1u << j);
  return mask;
}

// Whether every input of task i is available: a model input, a done task, or a task in `inside`.
static bool inputs_met(const Execution *e, const Model *m, u8 i, u8 inside) {
  for (u8 j = 0; j < m->n_task_in[i] && j < MAX_TENSORS; j++) {
    u8 sn = m->nodes[i].src[j][0];
    if (sn != SRC_MODEL_INPUT && !(inside & (1u << sn)) && e->tasks[sn].phase != PH_DONE) return false;
  }
  return true;
}

// Makes ready every pending task whose inputs are all available (model inputs or done tasks). A task
// group opens one selection, on its first pending member in topological order, once every input of
// its pending members comes from a done task or from another pending member, and while no member is
// being selected (that selection takes the pending members with it, assignTask). A held member (its
// group assigned) whose inputs are all done becomes assigned to the group's node, its deadline
// running from now. Nothing moves in a failed execution (held tasks end by timeout).
static void release_ready(Execution *e, const Model *m, const u8 *seed, u64 seed_slot) {
  if (e->failed) return;
  for (u8 k = 0; k < e->n_tasks && k < MAX_MODEL_TASKS; k++) {
    u8 i = m->order[k];
    if (i >= e->n_tasks) continue;
    TaskState *t = &e->tasks[i];
    if (t->phase == PH_HELD) {
      if (!inputs_met(e, m, i, 0)) continue;
      t->phase = PH_ASSIGNED;
      t->deadline_slot = now_slot() + t->timeout_slots;
      continue;
    }
    if (t->phase != PH_PENDING) continue;
    if (!t->group) {
      if (inputs_met(e, m, i, 0)) open_selection(t, PH_READY, t->attempt, seed, seed_slot);
      continue;
    }
    if (group_in(e, t->group, PH_READY)) continue;
    u8 pending = group_in(e, t->group, PH_PENDING);
    bool ok = true;
    for (u8 j = 0; j < e->n_tasks; j++) if ((pending & (1u << j)) && !inputs_met(e, m, j, pending)) ok = false;
    if (ok) open_selection(t, PH_READY, t->attempt, seed, seed_slot);
  }
}

static NOINLINE u64 request_execution(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 10 || p->data_len < 19) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: requestModelExecution");
  u64 max_fee = rd64(d + 9);
  u16 uri_len = rd16(d + 17);
  if (uri_len > MAX_URI) return FAIL(E_URI_TOO_LONG, "UriTooLong: input URI is at most 96 bytes");
  if (p->data_len != 19 + (u64)uri_len) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: URI length");
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  const Model *m = (const Model *)load(p, &p->ka[2], TAG_MODEL, sizeof(Model));
  if (!m) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: model");
  if (!in_committee(&m->committee, &p->ka[1])) return WRONG_COMMITTEE("model");
  // Worst case: every task is computed and verified (C + R each; arbiters are paid from the liar's slash).
  // Every amount the execution will ever compute for a task (C, R, R + S) is checked here, once.
  u64 need = 0, fees[MAX_MODEL_TASKS];
  for (u8 i = 0; i < m->n_nodes && i < MAX_MODEL_TASKS; i++) {
    u64 fee, reward, penalty;
    if (!task_fee(c, m->cu[i], &fee)) return OVERFLOW("task fee C = computeUnits x pricePerKcu");
    if (!ppm_of(fee, c->reward_ppm, &reward)) return OVERFLOW("verification reward R = C x reward");
    if (!ppm_of(fee, (u64)c->reward_ppm + c->slash_ppm, &penalty)) return OVERFLOW("penalty R + S = C x (reward + slash)");
    if (!add_ok(need, fee, &need) || !add_ok(need, reward, &need)) return OVERFLOW("escrow needed = sum of C + R over the tasks");
    fees[i] = fee;
  }
  if (max_fee < need) return FAIL(E_FEE_TOO_LOW, "FeeTooLow: maxFee must cover every task's fee plus its verification reward");
  // The execution id is the requester's: H(domain | committee | requester | nonce), so no other
  // requester can take (squat) it; the address is derived from the id.
  u8 idh[32];
  u8 dom[] = "splitup/exec/v1";
  Bytes idparts[4] = {{dom, 15}, {p->ka[1].key->x, 32}, {p->ka[0].key->x, 32}, {d + 1, 8}};
  sol_sha256(idparts, 4, idh);
  u64 exec_id = rd64(idh);
  u8 hash[32];
  u64 hslot;
  TRY(latest_slot_hash(&p->ka[5], hash, &hslot));
  Bytes seeds[4] = {{(const u8 *)"exec", 4}, {p->ka[1].key->x, 32}, {idh, 8}};
  NewPda pda = {&p->ka[0], &p->ka[3], &p->ka[4], seeds, 3, sizeof(Execution), 0, 0, NULL};
  TRY(create_pda(p, &pda));
  // the escrow: from the requester's token account (accounts 6..9; the requester signs) into the vault
  TRY(take_in(p, c, 6, &p->ka[0], max_fee));
  u8 bump = pda.bump;
  Execution *e = (Execution *)p->ka[3].data;
  e->tag = TAG_EXEC; e->version = VERSION; e->bump = bump;
  e->exec_id = exec_id; e->model_id = m->model_id; e->n_tasks = m->n_nodes; e->status = EXEC_RUNNING;
  copy(&e->requester, p->ka[0].key, 32);
  e->escrow = max_fee;
  copy(&e->committee, p->ka[1].key, 32);
  e->nonce = rd64(d + 1);
  e->request_slot = now_slot();
  e->uri_len = uri_len;
  copy(e->uri, d + 19, uri_len);
  for (u8 i = 0; i < m->n_nodes; i++) {
    e->task_ids[i] = m->nodes[i].task_id;
    e->fee[i] = fees[i];
    e->base_timeout[i] = e->tasks[i].timeout_slots = initial_timeout(c, m->cu[i]);
    u8 g = m->group[i];
    e->tasks[i].group = g <= MAX_MODEL_TASKS ? g : 0;
    e->tasks[i].group_vram_gb = e->tasks[i].group ? (u16)m->group_vram_gb[g - 1] : 0; // validated: 1..4096
  }
  release_ready(e, m, hash, hslot);
  return 0;
}

static Execution *exec_at(const Params *p, u64 i, u8 *task_index) {
  Execution *e = (Execution *)load(p, &p->ka[i], TAG_EXEC, sizeof(Execution));
  if (!e || e->exec_id != rd64(p->data + 1) || p->data[9] >= e->n_tasks) return NULL;
  *task_index = p->data[9];
  return e;
}

static bool excluded(const TaskState *ts, const Pubkey *k) {
  for (u8 i = 0; i < ts->n_exclude && i < MAX_EXCLUDE; i++) if (key_eq(&ts->exclude[i], k)) return true;
  return false;
}

// A party of the task instance: the asserter, the validator, an arbiter (never dropped from the exclusions).
static bool is_party(const TaskState *ts, const Pubkey *k) {
  if (key_eq(&ts->asserter, k) || key_eq(&ts->validator, k)) return true;
  for (u8 i = 0; i < ts->n_arb && i < N_ARBITERS; i++) if (key_eq(&ts->arbiters[i], k)) return true;
  return false;
}

// Excludes a node from the task instance. When the list is full, the oldest entry that is not a party
// (the node that lapsed longest ago) is dropped; parties are always kept.
static void exclude_add(TaskState *ts, const Pubkey *k) {
  if (excluded(ts, k)) return;
  if (ts->n_exclude < MAX_EXCLUDE) { copy(&ts->exclude[ts->n_exclude++], k, 32); return; }
  for (u8 i = 0; i < MAX_EXCLUDE; i++) {
    if (is_party(ts, &ts->exclude[i])) continue;
    for (u8 j = i; j + 1 < MAX_EXCLUDE; j++) copy(&ts->exclude[j], &ts->exclude[j + 1], 32);
    copy(&ts->exclude[MAX_EXCLUDE - 1], k, 32);
    return;
  }
}

static void exclude_reset(TaskState *ts) { zero(ts->exclude, sizeof(ts->exclude)); ts->n_exclude = 0; }

// The full penalty of a task, R + S: what one caught lie costs, and what each assignment locks (fits:
// requestModelExecution checked it for every task of the execution; saturates otherwise).
static u64 task_penalty(const Committee *c, u64 fee) { u64 v; return ppm_of(fee, (u64)c->reward_ppm + c->slash_ppm, &v) ? v : U64_MAX; }
// The verification reward R of a task (fits, as above).
static u64 task_reward(const Committee *c, u64 fee) { u64 v; return ppm_of(fee, c->reward_ppm, &v) ? v : U64_MAX; }
static u64 free_stake(const Node *nd) { return nd->stake > nd->locked ? nd->stake - nd->locked : 0; }
static void lock_stake(Node *nd, u64 amount) { nd->locked = sat_add(nd->locked, amount); inc32(&nd->active_jobs); }
static void unlock_stake(Node *nd, u64 amount) {
  nd->locked = nd->locked > amount ? nd->locked - amount : 0;
  if (nd->active_jobs) nd->active_jobs--;
}

static bool running_phase(u8 ph) { return ph == PH_ASSIGNED || ph == PH_VERIFYING || ph == PH_ARBITRATING; }
static bool selecting_phase(u8 ph) { return ph == PH_READY || ph == PH_VERIFY_READY || ph == PH_ARB_READY; }
static u8 running_of(u8 selecting) { return selecting == PH_READY ? PH_ASSIGNED : selecting == PH_VERIFY_READY ? PH_VERIFYING : PH_ARBITRATING; }

// The selection record of a quorum (state.h), with the exclusion list it was made under, as one
// "Program data:" log entry: auditors re-derive every selection from it, including those the task
// account no longer holds (the next attempt, the verification or a dispute's arbiters replace them).
static __attribute__((always_inline)) void log_selection(const Execution *e, u8 ti, const Pubkey *node, u16 matching, u32 epoch, u8 outcome, u8 members) {
  const TaskState *ts = &e->tasks[ti];
  SelectionRecord r;
  sol_memset_(&r, 0, sizeof(r));
  r.tag = TAG_SELECTION; r.version = VERSION; r.outcome = outcome; r.task = ti; r.n_exclude = ts->n_exclude;
  r.exec_id = e->exec_id; r.task_id = e->task_ids[ti]; r.attempt = ts->attempt; r.ready_slot = ts->ready_slot;
  copy(r.seed, ts->seed, 32);
  copy(&r.node, node, 32);
  r.vote_mask = matching;
  r.members = members;
  r.epoch = epoch;
  Bytes parts[2] = {{(const u8 *)&r, sizeof(r)}, {(const u8 *)ts->exclude, (u64)ts->n_exclude * 32}};
  sol_log_data(parts, ts->n_exclude ? 2 : 1);
}

// assignTask vote: accounts [oracle (signer), committee, execution (w), node (w)];
// data: exec_id u64, task u8, attempt u32, node key.
static u64 assign_task(Params *p) {
  if (p->ka_num < 4 || p->data_len != 46) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: assignTask");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[2]));
  TRY(need_writable(&p->ka[3]));
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 2, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  if (!in_committee(&e->committee, &p->ka[1])) return WRONG_COMMITTEE("execution");
  TaskState *ts = &e->tasks[ti];
  // The member set of the selection's epoch: the one in force at its seed slot.
  const Pubkey *set = c->oracles;
  u8 n = c->n, q = c->q;
  u32 epoch = c->epoch;
  if (ts->ready_slot < c->epoch_start_slot) {
    if (c->epoch == 0 || ts->ready_slot < c->prev_start_slot)
      return FAIL(E_STALE_EPOCH, "StaleEpoch: the selection predates the previous epoch; it expires and reopens under the current set");
    set = c->prev_oracles; n = c->prev_n; q = c->prev_q; epoch = c->epoch - 1;
  }
  u8 oracle = 0xff;
  for (u8 i = 0; i < n && i < MAX_ORACLES; i++) if (key_eq(&set[i], p->ka[0].key)) oracle = i;
  if (oracle == 0xff) return FAIL(E_NOT_COMMITTEE_MEMBER, "NotCommitteeMember: only oracles of the selection's epoch vote");
  u32 attempt = rd32(p->data + 10);
  const Pubkey *cand = (const Pubkey *)(p->data + 14);
  if (running_phase(ts->phase) && attempt == ts->attempt) return FAIL(E_ALREADY_ASSIGNED, "AlreadyAssigned: this attempt already has its quorum");
  if (!selecting_phase(ts->phase)) return FAIL(E_TASK_NOT_READY, "TaskNotReady: task is not awaiting assignment");
  if (attempt != ts->attempt) return FAIL(E_WRONG_ATTEMPT, "WrongAttempt: vote names another attempt");
  if (ts->vote_mask & (1u << oracle)) return FAIL(E_DOUBLE_VOTE, "DoubleVote: this oracle already voted for this (execution, task, attempt)");
  Node *nd = node_of(p, 3, cand);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the voted node");
  if (!in_committee(&nd->committee, &p->ka[1])) return WRONG_COMMITTEE("node");
  if (nd->status != NODE_ACTIVE) return FAIL(E_NODE_INACTIVE, "NodeInactive: voted node is not active");
  // A task group's compute selection takes the group's pending members with it: the node must be
  // specialized in each of them and have the group's VRAM.
  bool group_sel = ts->group && ts->phase == PH_READY;
  u8 members = (u8)(1u << ti);
  if (group_sel) members |= group_in(e, ts->group, PH_PENDING);
  for (u8 j = 0; j < e->n_tasks; j++)
    if ((members & (1u << j)) && !specialized(nd, e->task_ids[j])) return FAIL(E_NODE_NOT_SPECIALIZED, "NodeNotSpecialized: voted node is not specialized in this task (every task of its group)");
  if (group_sel && nd->vram_gb < ts->group_vram_gb) return FAIL(E_NODE_VRAM_TOO_SMALL, "NodeVramTooSmall: voted node has less VRAM than the task group needs");
  if (excluded(ts, cand)) return FAIL(E_NODE_EXCLUDED, "NodeExcluded: voted node is excluded from this task instance");
  copy(&ts->votes[oracle], cand, 32);
  ts->vote_mask |= (u16)(1u << oracle);
  u8 same = 0;
  u16 matching = 0;
  for (u8 i = 0; i < n; i++)
    if ((ts->vote_mask & (1u << i)) && key_eq(&ts->votes[i], cand)) { same++; matching |= (u16)(1u << i); }
  if (same < q) return 0;
  // Quorum of matching votes. Every assignment locks the full penalty R + S of the task from the
  // node's stake, so each lie the node can be caught in is paid in full: a node whose free stake does
  // not cover it is excluded from this instance and the selection reopens (same seed, attempt + 1,
  // same expiry).
  // A group locks the sum of its members' penalties (saturating: a sum that large is no node's free stake).
  u64 penalty = 0;
  for (u8 j = 0; j < e->n_tasks; j++) if (members & (1u << j)) penalty = sat_add(penalty, task_penalty(c, e->fee[j]));
  log_selection(e, ti, cand, matching, epoch, free_stake(nd) < penalty ? SEL_EXCLUDED_STAKE : SEL_ASSIGNED, members);
  if (free_stake(nd) < penalty) {
    sol_log_("splitup: free stake below R + S, node excluded, selection reopens", 65);
    exclude_add(ts, cand);
    u8 seed[32];
    copy(seed, ts->seed, 32);
    open_selection(ts, ts->phase, ts->attempt + 1, seed, ts->ready_slot);
    return 0;
  }
  // The other members are held for the node: each becomes assigned (its deadline running) when its
  // inputs from inside the group are accepted (release_ready); each locks its own penalty, so each
  // reveal, lapse or slash releases its own part.
  for (u8 j = 0; j < e->n_tasks; j++) {
    if (!(members & (1u << j))) continue;
    lock_stake(nd, task_penalty(c, e->fee[j]));
    if (j == ti) continue;
    TaskState *t = &e->tasks[j];
    copy(&t->assigned, cand, 32);
    t->attempt = t->compute_attempt = ts->attempt;
    t->phase = PH_HELD;
    t->deadline_slot = 0;
  }
  copy(&ts->assigned, cand, 32);
  if (ts->phase == PH_READY) ts->compute_attempt = ts->attempt;
  ts->phase = running_of(ts->phase);
  ts->deadline_slot = now_slot() + ts->timeout_slots;
  return 0;
}

// ---------------------------------------------------------------- commitments

static const char COMMIT_TAG[] = "splitup/commit/v1";
static const char FP_TAG[] = "splitup/fingerprint/v1";

// The fingerprint of an output hash: what commitments bind and reveals compare. It does not give the
// output away, so a fingerprint on chain cannot be turned into another node's valid reveal.
static void fingerprint(const u8 *output, u8 *fp) {
  Bytes parts[2] = {{(const u8 *)FP_TAG, sizeof(FP_TAG) - 1}, {output, 32}};
  sol_sha256(parts, 2, fp);
}

// H(commit domain | exec_id | task | fingerprint | node key | salt): bound to the task instance and
// the node, so no node can reuse (copy) another's commitment or reveal.
static void commitment(const u8 *exec_task9, const u8 *fp, const Pubkey *node, const u8 *salt, u8 *out) {
  Bytes parts[5] = {{(const u8 *)COMMIT_TAG, sizeof(COMMIT_TAG) - 1}, {exec_task9, 9}, {fp, 32}, {node->x, 32}, {salt, 32}};
  sol_sha256(parts, 5, out);
}

// commit: accounts [node (signer), committee, execution (w), SlotHashes]; data: exec_id u64, task u8,
// attempt u32, commitment [32]. The assigned node (asserter, validator or arbiter) commits to its
// result before its deadline; nothing it could copy is on chain before every commitment it is
// compared with is.
static u64 commit(Params *p) {
  if (p->ka_num < 4 || p->data_len != 46) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: commit");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[2]));
  if (!committee_at(p, 1)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 2, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  if (!in_committee(&e->committee, &p->ka[1])) return WRONG_COMMITTEE("execution");
  TaskState *ts = &e->tasks[ti];
  if (!running_phase(ts->phase)) return FAIL(E_TASK_NOT_READY, "TaskNotReady: task has no running assignment");
  if (!key_eq(&ts->assigned, p->ka[0].key)) return FAIL(E_NOT_ASSIGNEE, "NotAssignee: only the assigned node commits");
  if (rd32(p->data + 10) != ts->attempt) return FAIL(E_WRONG_ATTEMPT, "WrongAttempt: commit names another attempt");
  u64 now = now_slot();
  if (now > ts->deadline_slot) return FAIL(E_DEADLINE_PASSED, "DeadlinePassed: the assignment timed out");
  const u8 *cm = p->data + 14;
  if (ts->phase == PH_ASSIGNED) {
    copy(&ts->asserter, p->ka[0].key, 32);
    copy(ts->commit_a, cm, 32);
    ts->phase = PH_COMMITTED;
    ts->settle_slot = now + 1; // sampled with the hash of a block after the commitment
    return 0;
  }
  if (ts->phase == PH_VERIFYING) {
    copy(&ts->validator, p->ka[0].key, 32);
    copy(ts->commit_v, cm, 32);
    ts->phase = PH_VERIFY_REVEAL;
    ts->revealed = 0;
    ts->deadline_slot = now + ts->timeout_slots;
    return 0;
  }
  // an arbiter: the next arbiter selection opens, or with all arbiters committed, the reveals
  u8 k = ts->n_arb;
  copy(&ts->arbiters[k], p->ka[0].key, 32);
  copy(ts->arb_commit[k], cm, 32);
  ts->n_arb = k + 1;
  exclude_add(ts, p->ka[0].key);
  if (ts->n_arb >= N_ARBITERS) {
    ts->phase = PH_ARB_REVEAL;
    ts->deadline_slot = now + ts->timeout_slots;
    return 0;
  }
  u8 hash[32];
  u64 hslot;
  TRY(latest_slot_hash(&p->ka[3], hash, &hslot));
  open_selection(ts, PH_ARB_READY, ts->attempt + 1, hash, hslot);
  return 0;
}

// ---------------------------------------------------------------- settlement

static const Model *model_of(const Params *p, u64 i, const Execution *e) {
  const Model *m = (const Model *)load(p, &p->ka[i], TAG_MODEL, sizeof(Model));
  return m && m->model_id == e->model_id && key_eq(&m->committee, &e->committee) ? m : NULL;
}

// The accounts of an instruction that may pay, slash or finish: committee, execution and model at fixed
// indices; the parties' node accounts (writable) anywhere from `nodes` on. Payments, slashes and lapse
// penalties move value between the books only (escrow, stake, earnings, treasury): the tokens stay in
// the vault until a node exits, a requester closes its execution or the authority withdraws.
typedef struct {
  Params *p; Committee *c; Execution *e; u8 ti; TaskState *ts;
  const Model *m; u64 nodes;
  u8 seed[32]; u64 seed_slot;
} Ctx;

static Node *party(Ctx *x, const Pubkey *key, AccountInfo **acct) {
  for (u64 i = x->nodes; i < x->p->ka_num; i++) {
    Node *nd = node_of(x->p, i, key);
    if (nd && x->p->ka[i].is_writable && key_eq(&nd->committee, &x->e->committee)) { *acct = &x->p->ka[i]; return nd; }
  }
  return NULL;
}
#define PARTY(var, acct, key, what) \
  AccountInfo *acct; Node *var = party(x, key, &acct); \
  if (!var) return FAIL(E_NOT_A_PARTY, "NotAParty: missing the writable node account of the " what);

// From the execution's escrow to the node's earnings.
static u64 pay(Ctx *x, Node *nd, u64 amount) {
  if (amount > x->e->escrow) amount = x->e->escrow;
  if (!add_ok(nd->earned, amount, &nd->earned)) return OVERFLOW("a node's earnings");
  x->e->escrow -= amount;
  return 0;
}

// Takes up to `amount` from a node's stake (the caller released its lock first) into a pool the caller
// pays rewards from and credits the rest of to the treasury; returns what was taken.
static u64 take_stake(Node *nd, u64 amount) {
  if (amount > nd->stake) amount = nd->stake;
  nd->stake -= amount;
  return amount;
}

static u64 to_treasury(Ctx *x, u64 amount) {
  if (!add_ok(x->c->treasury, amount, &x->c->treasury)) return OVERFLOW("the treasury");
  return 0;
}

// A caught lie: R + S taken from the liar's stake (its lock released first).
static u64 slash(Ctx *x, Node *nd) {
  u64 fee = x->e->fee[x->ti];
  unlock_stake(nd, task_penalty(x->c, fee));
  u64 taken = take_stake(nd, task_penalty(x->c, fee));
  nd->slashed = sat_add(nd->slashed, taken);
  inc32(&nd->slashes);
  // below its required stake a slashed node is no longer assignable (a lapse only lowers the stake:
  // assignments still need free stake >= R + S)
  if (nd->status == NODE_ACTIVE && nd->stake < required_stake(x->c, nd->vram_gb)) nd->status = NODE_SLASHED;
  return taken;
}

// A lapse (a deadline missed: no commitment, no reveal): the node's lock is released and C is taken
// from its stake into the treasury; the node is excluded from this task instance.
static u64 lapse_at(Ctx *x, Node *nd, const Pubkey *key, u8 ti) {
  u64 fee = x->e->fee[ti];
  unlock_stake(nd, task_penalty(x->c, fee));
  u64 taken = take_stake(nd, fee);
  nd->penalized = sat_add(nd->penalized, taken);
  inc32(&nd->lapses);
  TRY(to_treasury(x, taken));
  exclude_add(&x->e->tasks[ti], key);
  return 0;
}
static u64 lapse(Ctx *x, Node *nd, const Pubkey *key) { return lapse_at(x, nd, key, x->ti); }

// The node `key` failed a task of its group (a missed deadline, a missing reveal, a caught lie): every
// member it still holds or has not committed (held or assigned) lapses (C each, the node excluded from
// each) and goes back to pending with a new attempt and a doubled timeout; release_ready then opens the
// group's selection again (or the failed task's own selection takes them). `who` may point into a
// task state this clears (its assigned node): it is copied first.
static u64 release_group(Ctx *x, Node *nd, const Pubkey *who) {
  Execution *e = x->e;
  u8 g = x->ts->group;
  Pubkey key;
  copy(&key, who, 32);
  for (u8 j = 0; j < e->n_tasks && g; j++) {
    TaskState *t = &e->tasks[j];
    if (t->group != g || (t->phase != PH_ASSIGNED && t->phase != PH_HELD) || !key_eq(&t->assigned, &key)) continue;
    TRY(lapse_at(x, nd, &key, j));
    t->phase = PH_PENDING;
    t->attempt = t->attempt + 1 < VERIFY_ATTEMPT ? t->attempt + 1 : t->attempt;
    t->timeout_slots = doubled(t->timeout_slots);
    t->deadline_slot = 0;
    zero(&t->assigned, 32);
    t->vote_mask = 0;
    zero(t->votes, sizeof(t->votes));
  }
  return 0;
}

static u64 reward_from(Node *nd, u64 *pool, u64 amount) {
  if (amount > *pool) amount = *pool;
  if (!add_ok(nd->earned, amount, &nd->earned)) return OVERFLOW("a node's earnings");
  *pool -= amount;
  return 0;
}

// Marks the task done; when every task is done the execution completes. The unspent escrow stays in the
// execution's books until its requester closes it (closeExecution pays it out): a refund pushed here to
// an account the requester controls could be blocked (the account closed or frozen), and with it the
// reveal or timeout that finishes the execution and the nodes' payments.
static u64 finish_task(Ctx *x) {
  Execution *e = x->e;
  x->ts->phase = PH_DONE;
  e->done_count++;
  if (e->done_count < e->n_tasks) return 0;
  e->status = EXEC_DONE;
  return 0;
}

// The task's output is accepted: successors whose inputs are all available become ready.
static u64 accept_output(Ctx *x, const u8 *output) {
  copy(x->ts->output, output, 32);
  TRY(finish_task(x));
  release_ready(x->e, x->m, x->seed, x->seed_slot);
  return 0;
}

// The task cannot produce a trusted output (an undecided dispute): every task that has not started
// (pending, or ready without a quorum) is done without running, since every task feeds the model's
// output; the execution ends failed once the tasks in flight finish, with the unspent escrow refunded.
static u64 fail_execution(Ctx *x) {
  Execution *e = x->e;
  e->failed = 1;
  for (u8 i = 0; i < e->n_tasks; i++) {
    TaskState *t = &e->tasks[i];
    if (i == x->ti || (t->phase != PH_PENDING && t->phase != PH_READY)) continue;
    t->phase = PH_DONE;
    t->result = RESULT_UNDECIDED;
    e->done_count++;
  }
  return finish_task(x);
}

// Back to a fresh compute selection (attempt after the one that produced the commitment), the
// exclusions kept: the asserter's result will not be used.
static void reopen_compute(Ctx *x) {
  TaskState *ts = x->ts;
  u32 attempt = ts->compute_attempt + 1;
  ts->sampled = SAMPLE_UNDECIDED;
  zero(&ts->asserter, 32); zero(&ts->validator, 32);
  zero(ts->commit_a, 32); zero(ts->commit_v, 32); zero(ts->fp_a, 32); zero(ts->fp_v, 32);
  zero(ts->arbiters, sizeof(ts->arbiters)); zero(ts->arb_commit, sizeof(ts->arb_commit)); zero(ts->arb_fp, sizeof(ts->arb_fp));
  ts->n_arb = 0; ts->revealed = 0; ts->tries = 0;
  ts->timeout_slots = doubled(ts->timeout_slots);
  open_selection(ts, PH_READY, attempt, x->seed, x->seed_slot);
}

// The asserter must reveal its output before a deadline (not sampled, or no validator found).
static void await_asserter_reveal(Ctx *x) {
  x->ts->phase = PH_REVEAL;
  x->ts->deadline_slot = now_slot() + x->e->base_timeout[x->ti];
}

static void open_verification(Ctx *x, u32 attempt) {
  open_selection(x->ts, PH_VERIFY_READY, attempt, x->seed, x->seed_slot);
}

// A validator selection failed (expired, lapsed): another one, or after MAX_VERIFY_TRIES the task
// ends unverified (the asserter reveals and is paid C).
static void verify_retry(Ctx *x) {
  TaskState *ts = x->ts;
  zero(&ts->validator, 32); zero(ts->commit_v, 32);
  if (++ts->tries >= MAX_VERIFY_TRIES) { ts->result = RESULT_UNVERIFIED; await_asserter_reveal(x); return; }
  ts->timeout_slots = doubled(ts->timeout_slots);
  open_verification(x, ts->attempt + 1);
}

static u64 resolve_dispute(Ctx *x);

// An arbiter selection failed: another one, or after MAX_ARB_TRIES the dispute goes on with the
// arbiters found (none: resolved at once, undecided).
static u64 arb_retry(Ctx *x) {
  TaskState *ts = x->ts;
  if (++ts->tries >= MAX_ARB_TRIES) {
    if (!ts->n_arb) return resolve_dispute(x);
    ts->phase = PH_ARB_REVEAL;
    ts->deadline_slot = now_slot() + ts->timeout_slots;
    return 0;
  }
  // not doubled: a dispute waits for arbiters at the task's base timeout, so it ends within
  // MAX_ARB_TRIES of them even when too few nodes are eligible
  open_selection(ts, PH_ARB_READY, ts->attempt + 1, x->seed, x->seed_slot);
  return 0;
}

// A dispute: the asserter's and the validator's fingerprints differ. Resolved by the arbiters'
// revealed outputs: a side backed by 2 of the 3 arbiters wins. The losing party is slashed R + S;
// the winners are paid from the slash (the validator R; each arbiter that agrees R) and the rest goes
// to the treasury; an upheld asserter is paid C from the escrow. An arbiter that backed the losing side
// is slashed too; one that did not reveal lapses; one that revealed a third output is neither paid nor
// slashed. Without a majority nobody is slashed or paid for the task and the execution fails.
static u64 resolve_dispute(Ctx *x) {
  TaskState *ts = x->ts;
  u64 fee = x->e->fee[x->ti], reward = task_reward(x->c, fee), penalty = task_penalty(x->c, fee);
  PARTY(a, a_acct, &ts->asserter, "asserter")
  PARTY(v, v_acct, &ts->validator, "validator")
  u8 na = 0, nv = 0;
  for (u8 k = 0; k < ts->n_arb; k++) {
    if (!(ts->revealed & (4u << k))) continue;
    if (bytes_eq(ts->arb_fp[k], ts->fp_a, 32)) na++;
    else if (bytes_eq(ts->arb_fp[k], ts->fp_v, 32)) nv++;
  }
  u8 win = nv >= 2 ? 2 : na >= 2 ? 1 : 0; // 1 asserter, 2 validator
  u64 pool = 0;
  if (win == 2) {
    ts->result = RESULT_MISMATCH;
    pool = slash(x, a);
    unlock_stake(v, penalty);
    inc32(&v->verified);
    TRY(reward_from(v, &pool, reward));
  } else if (win == 1) {
    ts->result = RESULT_FRAMED;
    pool = slash(x, v);
    unlock_stake(a, penalty);
    inc32(&a->completed); inc32(&a->verified);
    TRY(pay(x, a, fee));
  } else {
    ts->result = RESULT_UNDECIDED;
    unlock_stake(a, penalty);
    unlock_stake(v, penalty);
  }
  const u8 *win_fp = win == 2 ? ts->fp_v : ts->fp_a;
  for (u8 k = 0; k < ts->n_arb; k++) {
    PARTY(arb, arb_acct, &ts->arbiters[k], "arbiter")
    if (!(ts->revealed & (4u << k))) { TRY(lapse(x, arb, &ts->arbiters[k])); continue; }
    bool agrees = win && bytes_eq(ts->arb_fp[k], win_fp, 32);
    bool backs_loser = win && bytes_eq(ts->arb_fp[k], win == 2 ? ts->fp_a : ts->fp_v, 32);
    if (backs_loser) { u64 t = slash(x, arb); TRY(to_treasury(x, t)); continue; }
    unlock_stake(arb, penalty);
    if (agrees) { inc32(&arb->verified); TRY(reward_from(arb, &pool, reward)); }
  }
  if (pool) TRY(to_treasury(x, pool));
  if (!win) return fail_execution(x);
  inc8(&x->e->disputes);
  return accept_output(x, win == 2 ? ts->out_v : ts->out_a);
}

// settle: accounts [committee, execution (w), SlotHashes]; data: exec_id u64, task u8. After the block
// following a commitment, that block's hash decides whether the task is sampled (probability p): if so
// a validator selection opens with the asserter excluded; otherwise the asserter reveals its output.
// A settle that comes too late to name that block (evicted from SlotHashes) counts as sampled, so
// nobody can choose the outcome by choosing when to settle.
static u64 settle(Params *p) {
  if (p->ka_num < 3 || p->data_len != 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: settle");
  TRY(need_writable(&p->ka[1]));
  const Committee *c = committee_at(p, 0);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 1, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  if (!in_committee(&e->committee, &p->ka[0])) return WRONG_COMMITTEE("execution");
  TaskState *ts = &e->tasks[ti];
  if (ts->phase != PH_COMMITTED) return FAIL(E_NOT_SETTLEABLE, "NotSettleable: task is not committed and unsettled");
  const AccountInfo *sh = &p->ka[2];
  if (!key_eq(sh->key, &SLOT_HASHES)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: expected the SlotHashes sysvar");
  // The hash of the settle slot, or of the first block after it when that slot was skipped.
  u64 count = sh->data_len >= 8 ? rd64(sh->data) : 0;
  if (count > (sh->data_len - 8) / 40) count = (sh->data_len - 8) / 40;
  const u8 *hash = NULL;
  u64 hslot = 0;
  bool older = false; // an entry before the settle slot is still listed: the entry found is the first after it
  for (u64 i = 0; i < count; i++) { // newest first
    u64 s = rd64(sh->data + 8 + 40 * i);
    if (s < ts->settle_slot) { older = true; break; }
    hash = sh->data + 16 + 40 * i;
    hslot = s;
  }
  if (!hash) return FAIL(E_SLOT_HASH_UNAVAILABLE, "SlotHashUnavailable: the sampling block is not produced yet");
  bool late = !older && hslot != ts->settle_slot;
  u8 digest[32];
  u8 tag[] = "splitup/posp/v1";
  Bytes parts[4] = {{tag, 15}, {hash, 32}, {p->data + 1, 9}, {ts->commit_a, 32}};
  sol_sha256(parts, 4, digest);
  bool sampled = late || rd64(digest) % PPM < c->p_ppm;
  if (late) sol_log_("splitup: settled after the sampling window: sampled", 51);
  if (sampled) {
    u8 newest[32];
    u64 nslot;
    TRY(latest_slot_hash(sh, newest, &nslot));
    ts->sampled = SAMPLE_YES;
    exclude_reset(ts);
    copy(&ts->exclude[0], &ts->asserter, 32);
    ts->n_exclude = 1;
    ts->tries = 0;
    ts->timeout_slots = e->base_timeout[ti];
    open_selection(ts, PH_VERIFY_READY, phase_attempt(VERIFY_ATTEMPT, ts), late ? newest : hash, late ? nslot : hslot);
    return 0;
  }
  ts->sampled = SAMPLE_NO;
  ts->phase = PH_REVEAL;
  ts->deadline_slot = now_slot() + e->base_timeout[ti];
  return 0;
}

// Accounts from `b`: committee (w), execution (w), SlotHashes, model, party nodes (w)...
static u64 ctx_for(Params *p, Ctx *x, u64 b) {
  u64 committee = b, exec = b + 1, sh = b + 2, model = b + 3, nodes = b + 4;
  TRY(need_writable(&p->ka[committee]));
  TRY(need_writable(&p->ka[exec]));
  x->p = p;
  x->c = (Committee *)committee_at(p, committee);
  if (!x->c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  x->e = exec_at(p, exec, &x->ti);
  if (!x->e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  if (!in_committee(&x->e->committee, &p->ka[committee])) return WRONG_COMMITTEE("execution");
  x->ts = &x->e->tasks[x->ti];
  x->m = model_of(p, model, x->e);
  if (!x->m) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: model of the execution");
  x->nodes = nodes;
  return latest_slot_hash(&p->ka[sh], x->seed, &x->seed_slot);
}

// reveal: accounts [node (signer), committee (w), execution (w), SlotHashes, model,
// party nodes (w)...]; data: exec_id u64, task u8, kind u8 (0 output, 1 fingerprint), salt [32], value [32].
// Opens the signer's commitment. The asserter (not sampled, or no validator found) reveals its output
// and is paid C. In a verification the validator reveals first, then the asserter: equal fingerprints
// pay both (the asserter must then reveal the output itself); different ones open a dispute. Arbiters
// reveal outputs once all of them have committed.
static u64 reveal(Params *p) {
  if (p->ka_num < 5 || p->data_len != 75) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: reveal");
  TRY(need_signer(&p->ka[0]));
  Ctx cx, *x = &cx;
  TRY(ctx_for(p, x, 1));
  TaskState *ts = x->ts;
  u8 kind = p->data[10];
  const u8 *salt = p->data + 11, *value = p->data + 43;
  if (kind > 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: reveal kind is 0 (output) or 1 (fingerprint)");
  if (ts->phase != PH_REVEAL && ts->phase != PH_VERIFY_REVEAL && ts->phase != PH_ARB_REVEAL) return FAIL(E_TASK_NOT_READY, "TaskNotReady: no reveal is open");
  if (now_slot() > ts->deadline_slot) return FAIL(E_DEADLINE_PASSED, "DeadlinePassed: the reveal deadline passed");
  const Pubkey *me = p->ka[0].key;
  u8 fp[32], cm[32];
  if (kind == 0) fingerprint(value, fp); else copy(fp, value, 32);
  commitment(p->data + 1, fp, me, salt, cm);
  u64 fee = x->e->fee[x->ti], penalty = task_penalty(x->c, fee);
  bool is_a = key_eq(me, &ts->asserter), is_v = ts->phase == PH_VERIFY_REVEAL && key_eq(me, &ts->validator);
  if (ts->phase == PH_REVEAL || (ts->phase == PH_VERIFY_REVEAL && is_a)) {
    if (!is_a) return FAIL(E_NOT_A_PARTY, "NotAParty: only the asserter reveals here");
    if (!bytes_eq(cm, ts->commit_a, 32)) return FAIL(E_BAD_REVEAL, "BadReveal: the reveal does not open the commitment");
    PARTY(a, a_acct, me, "asserter")
    if (ts->phase == PH_REVEAL) {
      if (kind != 0) return FAIL(E_OUTPUT_REQUIRED, "OutputRequired: the asserter reveals its output");
      copy(ts->fp_a, fp, 32);
      unlock_stake(a, penalty);
      inc32(&a->completed);
      TRY(pay(x, a, fee));
      return accept_output(x, value);
    }
    if (!(ts->revealed & 2)) return FAIL(E_REVEAL_ORDER, "RevealOrder: the validator reveals first");
    if (bytes_eq(fp, ts->fp_v, 32)) {
      if (kind != 0) return FAIL(E_OUTPUT_REQUIRED, "OutputRequired: on a match the asserter reveals its output");
      PARTY(v, v_acct, &ts->validator, "validator")
      copy(ts->fp_a, fp, 32);
      ts->result = RESULT_MATCH;
      unlock_stake(a, penalty); unlock_stake(v, penalty);
      inc32(&a->completed); inc32(&a->verified); inc32(&v->verified);
      TRY(pay(x, a, fee));
      TRY(pay(x, v, task_reward(x->c, fee)));
      return accept_output(x, value);
    }
    // the fingerprints differ: a dispute, decided by arbiters the committee selects (parties excluded)
    if (kind != 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: in a dispute the asserter reveals its fingerprint, not its output");
    copy(ts->fp_a, fp, 32);
    ts->revealed |= 1;
    sol_log_("splitup: PoSP mismatch, dispute opened", 39);
    zero(ts->commit_a, 32); zero(ts->commit_v, 32); // now out_a / out_v
    exclude_reset(ts);
    exclude_add(ts, &ts->asserter);
    exclude_add(ts, &ts->validator);
    ts->n_arb = 0; ts->tries = 0;
    ts->timeout_slots = x->e->base_timeout[x->ti];
    open_selection(ts, PH_ARB_READY, phase_attempt(ARB_ATTEMPT, ts), x->seed, x->seed_slot);
    return 0;
  }
  if (is_v) {
    if (ts->revealed & 2) return FAIL(E_BAD_REVEAL, "BadReveal: already revealed");
    if (!bytes_eq(cm, ts->commit_v, 32)) return FAIL(E_BAD_REVEAL, "BadReveal: the reveal does not open the commitment");
    copy(ts->fp_v, fp, 32);
    ts->revealed |= 2;
    ts->deadline_slot = now_slot() + ts->timeout_slots; // the asserter's turn
    return 0;
  }
  if (ts->phase != PH_ARB_REVEAL) return FAIL(E_NOT_A_PARTY, "NotAParty: only the validator or the asserter reveal here");
  u8 k = 0xff;
  for (u8 i = 0; i < ts->n_arb; i++) if (key_eq(&ts->arbiters[i], me)) k = i;
  if (k == 0xff) return FAIL(E_NOT_A_PARTY, "NotAParty: not an arbiter of this dispute");
  if (kind != 0) return FAIL(E_OUTPUT_REQUIRED, "OutputRequired: arbiters reveal their output");
  if (ts->revealed & (4u << k)) return FAIL(E_BAD_REVEAL, "BadReveal: already revealed");
  if (!bytes_eq(cm, ts->arb_commit[k], 32)) return FAIL(E_BAD_REVEAL, "BadReveal: the reveal does not open the commitment");
  copy(ts->arb_fp[k], fp, 32);
  ts->revealed |= (u8)(4u << k);
  if (bytes_eq(fp, ts->fp_a, 32)) copy(ts->out_a, value, 32);
  if (bytes_eq(fp, ts->fp_v, 32)) copy(ts->out_v, value, 32);
  for (u8 i = 0; i < ts->n_arb; i++) if (!(ts->revealed & (4u << i))) return 0;
  return resolve_dispute(x);
}

// timeout: accounts [committee (w), execution (w), SlotHashes, model, party nodes (w)...];
// data: exec_id u64, task u8. Ends whatever has passed its deadline, so every task ends in bounded time:
//  - an assignment without a commitment lapses (its node pays C and is excluded) and a new selection opens;
//  - an open selection with no quorum by readySlot + timeout expires to a new attempt;
//  - a verification or arbiter selection counts its tries: after MAX_VERIFY_TRIES the task ends
//    unverified (the asserter reveals), after MAX_ARB_TRIES the dispute resolves with the arbiters found;
//  - an asserter that does not reveal lapses (not sampled) or is slashed (sampled, after the validator
//    revealed: R to the validator); either way the task is recomputed without it;
//  - a validator that does not reveal lapses and another is selected;
//  - arbiters' reveals past their deadline: the dispute resolves with those revealed.
static u64 timeout(Params *p) {
  if (p->ka_num < 4 || p->data_len != 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: timeout");
  Ctx cx, *x = &cx;
  TRY(ctx_for(p, x, 0));
  TaskState *ts = x->ts;
  u8 ph = ts->phase;
  u64 due;
  if (ph == PH_HELD) {
    // a held member of a failed execution: the task it waits for will never be accepted; the node's
    // lock is released without a penalty and the task ends undecided (so the execution can finish)
    if (!x->e->failed) return FAIL(E_TASK_NOT_READY, "TaskNotReady: a held task of a group waits for its inputs (no deadline)");
    PARTY(nd, acct, &ts->assigned, "holding node")
    unlock_stake(nd, task_penalty(x->c, x->e->fee[x->ti]));
    ts->result = RESULT_UNDECIDED;
    return finish_task(x);
  }
  if (running_phase(ph) || ph == PH_REVEAL || ph == PH_VERIFY_REVEAL || ph == PH_ARB_REVEAL) due = ts->deadline_slot;
  else if (selecting_phase(ph)) due = ts->ready_slot + ts->timeout_slots;
  else return FAIL(E_TASK_NOT_READY, "TaskNotReady: task has no deadline running");
  if (now_slot() <= due) return FAIL(E_NOT_EXPIRED, "NotExpired: the deadline has not passed");
  u64 fee = x->e->fee[x->ti], penalty = task_penalty(x->c, fee);
  if (running_phase(ph)) {
    PARTY(nd, acct, &ts->assigned, "assigned node")
    if (ph == PH_ASSIGNED && ts->group) { // the group's unfinished members lapse and the group reopens
      TRY(release_group(x, nd, &ts->assigned));
      release_ready(x->e, x->m, x->seed, x->seed_slot);
      return 0;
    }
    TRY(lapse(x, nd, &ts->assigned));
    if (ph == PH_ASSIGNED) { ts->timeout_slots = doubled(ts->timeout_slots); open_selection(ts, PH_READY, ts->attempt + 1, x->seed, x->seed_slot); return 0; }
    if (ph == PH_VERIFYING) { verify_retry(x); return 0; }
    return arb_retry(x);
  }
  if (ph == PH_READY) { ts->timeout_slots = doubled(ts->timeout_slots); open_selection(ts, PH_READY, ts->attempt + 1, x->seed, x->seed_slot); return 0; }
  if (ph == PH_VERIFY_READY) { verify_retry(x); return 0; }
  if (ph == PH_ARB_READY) return arb_retry(x);
  if (ph == PH_REVEAL) {
    PARTY(a, a_acct, &ts->asserter, "asserter")
    TRY(lapse(x, a, &ts->asserter));
    TRY(release_group(x, a, &ts->asserter));
    ts->result = RESULT_NONE;
    reopen_compute(x);
    return 0;
  }
  if (ph == PH_VERIFY_REVEAL) {
    PARTY(v, v_acct, &ts->validator, "validator")
    if (!(ts->revealed & 2)) { TRY(lapse(x, v, &ts->validator)); verify_retry(x); return 0; }
    // the validator revealed; the asserter did not: it is treated as caught (R + S, R to the validator)
    PARTY(a, a_acct, &ts->asserter, "asserter")
    u64 pool = slash(x, a);
    unlock_stake(v, penalty);
    inc32(&v->verified);
    TRY(reward_from(v, &pool, task_reward(x->c, fee)));
    if (pool) TRY(to_treasury(x, pool));
    exclude_add(ts, &ts->asserter);
    inc8(&x->e->disputes);
    TRY(release_group(x, a, &ts->asserter));
    reopen_compute(x);
    ts->result = RESULT_UNREVEALED;
    return 0;
  }
  return resolve_dispute(x); // PH_ARB_REVEAL
}

// closeExecution: accounts [requester (signer, w), execution (w), committee, requester's token account (w),
// vault (w), mint, token program]; data: exec_id u64. A finished execution closes: the unspent escrow
// (the refund) from the vault to the requester's token account, the rent to the requester, who alone
// can close it.
static NOINLINE u64 close_execution(Params *p) {
  if (p->ka_num < 7 || p->data_len != 9) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: closeExecution");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Execution *e = (Execution *)load(p, &p->ka[1], TAG_EXEC, sizeof(Execution));
  if (!e || e->exec_id != rd64(p->data + 1)) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account or id");
  if (!key_eq(&e->requester, p->ka[0].key)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: only the requester closes its execution");
  if (e->status != EXEC_DONE) return FAIL(E_NOT_FINISHED, "NotFinished: the execution is still running");
  const Committee *c = committee_at(p, 2);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  if (!in_committee(&e->committee, &p->ka[2])) return WRONG_COMMITTEE("execution");
  u64 refund = e->escrow;
  e->escrow = 0;
  TRY(pay_out(p, c, &p->ka[2], 3, p->ka[0].key, refund));
  return close_account(&p->ka[1], &p->ka[0]);
}

// Params live at the start of the runtime's 32 KiB heap region (too large for a 512-byte BPF frame).
#define HEAP_START 0x300000000ULL

u64 entrypoint(u8 *input) {
  Params *pp = (Params *)HEAP_START;
#define p (*pp)
  if (!deserialize(input, &p)) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: too many accounts");
  if (p.data_len < 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: empty instruction data");
  switch (p.data[0]) {
    case IX_INIT_COMMITTEE: return init_committee(&p);
    case IX_REGISTER_NODE: return register_node(&p);
    case IX_SPECIALIZE: return specialize(&p);
    case IX_EXIT_NODE: return exit_node(&p);
    case IX_REGISTER_TASK: return register_task(&p);
    case IX_REGISTER_MODEL: return register_model(&p);
    case IX_REQUEST_EXECUTION: return request_execution(&p);
    case IX_CLOSE_EXECUTION: return close_execution(&p);
    case IX_CLOSE_NODE: return close_node(&p);
    case IX_WITHDRAW_TREASURY: return withdraw_treasury(&p);
    case IX_PROPOSE_ROTATION: return propose_rotation(&p);
    case IX_APPROVE_ROTATION: return approve_rotation(&p);
    case IX_ASSIGN_TASK:
    case IX_COMMIT:
    case IX_SETTLE:
    case IX_TIMEOUT:
    case IX_REVEAL:
      if (p.data_len < 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: execution id and task index");
      if (p.data[0] == IX_ASSIGN_TASK) return assign_task(&p);
      if (p.data[0] == IX_COMMIT) return commit(&p);
      if (p.data[0] == IX_SETTLE) return settle(&p);
      if (p.data[0] == IX_REVEAL) return reveal(&p);
      return timeout(&p);
    default: return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: unknown instruction tag");
  }
}
#undef p
