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
#define TRY(x) do { u64 _e = (x); if (_e) return _e; } while (0)

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
} NewPda;

static u64 create_pda(const Params *p, NewPda *a) {
  TRY(need_signer(a->payer));
  TRY(need_writable(a->payer));
  TRY(need_writable(a->target));
  if (!key_eq(a->system->key, &SYSTEM_PROGRAM)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: expected the System program");
  Pubkey addr;
  sol_try_find_program_address(a->seeds, (int)a->nseeds, p->program_id, &addr, &a->bump);
  if (!key_eq(&addr, a->target->key)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: account is not the expected program address");
  if (*a->target->lamports != 0 || a->target->data_len != 0) return FAIL(E_ALREADY_EXISTS, "AlreadyExists: account already exists");
  u8 data[52];
  wr32(data, 0); // SystemInstruction::CreateAccount
  wr64(data + 4, rent_exempt(a->space) + a->extra);
  wr64(data + 12, a->space);
  copy(data + 20, p->program_id, 32);
  AccountMeta metas[2] = {{a->payer->key, true, true}, {a->target->key, true, true}};
  Instruction ix = {(Pubkey *)a->system->key, metas, 2, data, sizeof(data)};
  a->seeds[a->nseeds].addr = &a->bump;
  a->seeds[a->nseeds].len = 1;
  SignerSeeds signer = {a->seeds, a->nseeds + 1};
  return sol_invoke_signed_c(&ix, p->ka, (int)p->ka_num, &signer, 1);
}

static void move_lamports(AccountInfo *from, AccountInfo *to, u64 amount) {
  *from->lamports -= amount;
  *to->lamports += amount;
}

// ---------------------------------------------------------------- committee

static u8 quorum_for(u8 n) {
  u32 f = ((u32)n - 1u) / 3u;
  return (u8)(((u32)n + f + 2u) / 2u); // ceil((n + f + 1) / 2)
}

static u64 init_committee(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 3 || p->data_len < 56) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: initCommittee needs 3 accounts and 56+ bytes");
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
  const Pubkey *keys = (const Pubkey *)(d + 56);
  for (u8 i = 0; i < n; i++)
    for (u8 j = 0; j < i; j++)
      if (key_eq(&keys[i], &keys[j])) return FAIL(E_DUPLICATE_ORACLE, "DuplicateOracle: oracle keys must be distinct");

  Bytes seeds[2];
  seeds[0].addr = (const u8 *)"committee"; // assigned, not initialised: a constant initialiser would
  seeds[0].len = 9;                         // put a pointer table in .rodata
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 1, sizeof(Committee), 0, 0};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  Committee *c = (Committee *)p->ka[1].data;
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

static u64 required_stake(const Committee *c, u32 vram_gb) { return c->stake_base + c->stake_per_gb * vram_gb; }
static u64 task_fee(const Committee *c, u64 cu) { return cu * c->price_per_kcu / 1000; }

// ---------------------------------------------------------------- nodes

static u64 register_node(Params *p) {
  if (p->ka_num < 4 || p->data_len != 5) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerNode");
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u32 vram = rd32(p->data + 1);
  if (vram == 0 || vram > 4096) return FAIL(E_BAD_PARAMETER, "BadParameter: vramGb must be 1..4096");
  u64 stake = required_stake(c, vram);
  if (*p->ka[0].lamports < stake + rent_exempt(sizeof(Node))) return FAIL(E_INSUFFICIENT_FUNDS, "InsufficientFunds: the node wallet cannot cover stake (base + per-GB VRAM) and rent");
  Bytes seeds[3] = {{(const u8 *)"node", 4}, {p->ka[0].key->x, 32}};
  NewPda pda = {&p->ka[0], &p->ka[2], &p->ka[3], seeds, 2, sizeof(Node), stake, 0};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  Node *nd = (Node *)p->ka[2].data;
  nd->tag = TAG_NODE; nd->version = VERSION; nd->bump = bump;
  copy(&nd->key, p->ka[0].key, 32);
  nd->status = NODE_ACTIVE;
  nd->vram_gb = vram;
  nd->stake = stake;
  return 0;
}

static Node *node_of(const Params *p, u64 i, const Pubkey *expect_key) {
  Node *nd = (Node *)load(p, &p->ka[i], TAG_NODE, sizeof(Node));
  if (!nd || (expect_key && !key_eq(&nd->key, expect_key))) return NULL;
  return nd;
}

static const Task *task_at(const Params *p, u64 i) { return (const Task *)load(p, &p->ka[i], TAG_TASK, sizeof(Task)); }

static u64 specialize(Params *p) {
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
    for (u8 j = 0; j < i; j++)
      if (rd32(p->data + 2 + 4 * j) == id) return FAIL(E_BAD_PARAMETER, "BadParameter: duplicate task id");
  }
  nd->n_spec = count;
  zero(nd->specs, sizeof(nd->specs));
  for (u8 i = 0; i < count; i++) nd->specs[i] = rd32(p->data + 2 + 4 * i);
  return 0;
}

static u64 exit_node(Params *p) {
  if (p->ka_num < 2 || p->data_len != 1) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: exitNode");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  Node *nd = node_of(p, 1, p->ka[0].key);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the signer");
  if (nd->status == NODE_EXITED) return FAIL(E_NODE_INACTIVE, "NodeInactive: node already exited");
  if (nd->active_jobs) return FAIL(E_NODE_BUSY, "NodeBusy: node has assigned or unsettled tasks");
  move_lamports(&p->ka[1], &p->ka[0], nd->stake + nd->earned);
  nd->stake = 0;
  nd->earned = 0;
  nd->status = NODE_EXITED;
  return 0;
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

static u64 register_task(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 3 || p->data_len < 15) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerTask");
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
  Bytes seeds[3] = {{(const u8 *)"task", 4}, {d + 1, 4}};
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 2, sizeof(Task), 0, 0};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  Task *t = (Task *)p->ka[1].data;
  t->tag = TAG_TASK; t->version = VERSION; t->bump = bump;
  t->task_id = id; t->n_in = n_in; t->n_out = n_out; t->compute_units = cu;
  copy(&t->author, p->ka[0].key, 32);
  copy(t->in, specs, 20 * (u64)n_in);
  copy(t->out, specs + n_in, 20 * (u64)n_out);
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

static u64 register_model(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 4 || p->data_len < 8) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: registerModel");
  u8 n = d[5], n_in = d[6], n_out = d[7];
  if (n < 1 || n > MAX_MODEL_TASKS || n_in < 1 || n_in > MAX_TENSORS || n_out < 1 || n_out > MAX_TENSORS)
    return FAIL(E_BAD_PARAMETER, "BadParameter: 1..8 tasks, 1..4 model inputs and outputs");
  if (p->data_len != 8 + 20 * (u64)n_in + 12 * (u64)n + 2 * (u64)n_out || p->ka_num != 3 + (u64)n)
    return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: model layout length or one task account per node");
  const Task *tasks[MAX_MODEL_TASKS];
  const u8 *nodes = d + 8 + 20 * n_in;
  for (u8 i = 0; i < n; i++) {
    tasks[i] = task_at(p, 3 + i);
    if (!tasks[i] || tasks[i]->task_id != rd32(nodes + 12 * i)) return FAIL(E_DAG_UNKNOWN_TASK, "DagUnknownTask: a model node names an unregistered task");
  }
  Bytes seeds[3] = {{(const u8 *)"model", 5}, {d + 1, 4}};
  NewPda pda = {&p->ka[0], &p->ka[1], &p->ka[2], seeds, 2, sizeof(Model), 0, 0};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  Model *m = (Model *)p->ka[1].data;
  m->model_id = rd32(d + 1); m->n_nodes = n; m->n_in = n_in; m->n_out = n_out;
  copy(m->in, d + 8, 20 * (u64)n_in);
  for (u8 i = 0; i < n_in; i++) if (!spec_valid(&m->in[i])) return FAIL(E_BAD_TENSOR_SPEC, "BadTensorSpec: model input");
  copy(m->nodes, nodes, 12 * (u64)n);
  copy(m->out, nodes + 12 * n, 2 * (u64)n_out);
  TRY(validate_dag(m, tasks));
  for (u8 i = 0; i < n; i++) { m->cu[i] = tasks[i]->compute_units; m->n_task_in[i] = tasks[i]->n_in; }
  copy(&m->author, p->ka[0].key, 32);
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
  u64 t = cu * c->slots_per_kcu / 1000;
  if (t < c->min_timeout_slots) t = c->min_timeout_slots;
  if (t > 0x40000000ULL) t = 0x40000000ULL;
  return (u32)t;
}

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

// Makes ready every pending task whose inputs are all available (model inputs or completed tasks).
static void release_ready(Execution *e, const Model *m, const u8 *seed, u64 seed_slot) {
  for (u8 i = 0; i < e->n_tasks; i++) {
    if (e->tasks[i].phase != PH_PENDING) continue;
    bool ok = true;
    for (u8 j = 0; j < m->n_task_in[i]; j++) {
      u8 sn = m->nodes[i].src[j][0];
      if (sn != SRC_MODEL_INPUT && (e->tasks[sn].phase < PH_COMPLETED)) ok = false;
    }
    if (ok) open_selection(&e->tasks[i], PH_READY, 0, seed, seed_slot);
  }
}

static u64 request_execution(Params *p) {
  const u8 *d = p->data;
  if (p->ka_num < 6 || p->data_len < 19) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: requestModelExecution");
  u64 exec_id = rd64(d + 1), max_fee = rd64(d + 9);
  u16 uri_len = rd16(d + 17);
  if (uri_len > MAX_URI) return FAIL(E_URI_TOO_LONG, "UriTooLong: input URI is at most 96 bytes");
  if (p->data_len != 19 + (u64)uri_len) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: URI length");
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  const Model *m = (const Model *)load(p, &p->ka[2], TAG_MODEL, sizeof(Model));
  if (!m) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: model");
  // Worst case: every task is computed and verified (C + R each).
  u64 need = 0;
  for (u8 i = 0; i < m->n_nodes; i++) { u64 fee = task_fee(c, m->cu[i]); need += fee + fee * c->reward_ppm / PPM; }
  if (max_fee < need) return FAIL(E_FEE_TOO_LOW, "FeeTooLow: maxFee must cover every task's fee plus its verification reward");
  u8 hash[32];
  u64 hslot;
  TRY(latest_slot_hash(&p->ka[5], hash, &hslot));
  Bytes seeds[3] = {{(const u8 *)"exec", 4}, {d + 1, 8}};
  NewPda pda = {&p->ka[0], &p->ka[3], &p->ka[4], seeds, 2, sizeof(Execution), max_fee, 0};
  TRY(create_pda(p, &pda));
  u8 bump = pda.bump;
  Execution *e = (Execution *)p->ka[3].data;
  e->tag = TAG_EXEC; e->version = VERSION; e->bump = bump;
  e->exec_id = exec_id; e->model_id = m->model_id; e->n_tasks = m->n_nodes; e->status = EXEC_RUNNING;
  copy(&e->requester, p->ka[0].key, 32);
  e->escrow = max_fee;
  e->request_slot = now_slot();
  e->uri_len = uri_len;
  copy(e->uri, d + 19, uri_len);
  for (u8 i = 0; i < m->n_nodes; i++) {
    e->task_ids[i] = m->nodes[i].task_id;
    e->base_timeout[i] = e->tasks[i].timeout_slots = initial_timeout(c, m->cu[i]);
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

// assignTask vote: accounts [oracle (signer), committee, execution (w), node (w)];
// data: exec_id u64, task u8, attempt u32, node key.
static u64 assign_task(Params *p) {
  if (p->ka_num < 4 || p->data_len != 46) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: assignTask");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[2]));
  TRY(need_writable(&p->ka[3]));
  const Committee *c = committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 oracle = 0xff;
  for (u8 i = 0; i < c->n; i++) if (key_eq(&c->oracles[i], p->ka[0].key)) oracle = i;
  if (oracle == 0xff) return FAIL(E_NOT_COMMITTEE_MEMBER, "NotCommitteeMember: only committee oracles vote");
  u8 ti;
  Execution *e = exec_at(p, 2, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  TaskState *ts = &e->tasks[ti];
  u32 attempt = rd32(p->data + 10);
  const Pubkey *cand = (const Pubkey *)(p->data + 14);
  if ((ts->phase == PH_ASSIGNED || ts->phase == PH_VERIFYING) && attempt == ts->attempt)
    return FAIL(E_ALREADY_ASSIGNED, "AlreadyAssigned: this attempt already has its quorum");
  if (ts->phase != PH_READY && ts->phase != PH_VERIFY_READY) return FAIL(E_TASK_NOT_READY, "TaskNotReady: task is not awaiting assignment");
  if (attempt != ts->attempt) return FAIL(E_WRONG_ATTEMPT, "WrongAttempt: vote names another attempt");
  if (ts->vote_mask & (1u << oracle)) return FAIL(E_DOUBLE_VOTE, "DoubleVote: this oracle already voted for this (execution, task, attempt)");
  Node *nd = node_of(p, 3, cand);
  if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the voted node");
  if (nd->status != NODE_ACTIVE) return FAIL(E_NODE_INACTIVE, "NodeInactive: voted node is not active");
  if (!specialized(nd, e->task_ids[ti])) return FAIL(E_NODE_NOT_SPECIALIZED, "NodeNotSpecialized: voted node is not specialized in this task");
  if (excluded(ts, cand)) return FAIL(E_NODE_EXCLUDED, "NodeExcluded: voted node is excluded from this task instance");
  copy(&ts->votes[oracle], cand, 32);
  ts->vote_mask |= (u16)(1u << oracle);
  u8 same = 0;
  for (u8 i = 0; i < c->n; i++)
    if ((ts->vote_mask & (1u << i)) && key_eq(&ts->votes[i], cand)) same++;
  if (same < c->q) return 0;
  // Quorum of matching votes: the assignment takes effect.
  copy(&ts->assigned, cand, 32);
  ts->phase = ts->phase == PH_READY ? PH_ASSIGNED : PH_VERIFYING;
  ts->deadline_slot = now_slot() + ts->timeout_slots;
  nd->active_jobs++;
  return 0;
}

static void pay(Execution *e, AccountInfo *exec_acct, Node *nd, AccountInfo *node_acct, u64 amount) {
  if (amount > e->escrow) amount = e->escrow;
  e->escrow -= amount;
  move_lamports(exec_acct, node_acct, amount);
  nd->earned += amount;
}

// Marks a task done; when every task is done the execution completes and the unspent
// escrow returns to the requester.
static u64 finish_task(Execution *e, AccountInfo *exec_acct, TaskState *ts, AccountInfo *requester) {
  ts->phase = PH_DONE;
  e->done_count++;
  if (e->done_count < e->n_tasks) return 0;
  if (!key_eq(requester->key, &e->requester)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: requester");
  TRY(need_writable(requester));
  move_lamports(exec_acct, requester, e->escrow);
  e->escrow = 0;
  e->status = EXEC_DONE;
  return 0;
}

static const Model *model_of(const Params *p, u64 i, const Execution *e) {
  const Model *m = (const Model *)load(p, &p->ka[i], TAG_MODEL, sizeof(Model));
  return m && m->model_id == e->model_id ? m : NULL;
}

// Pays the asserter C and, after a matching verification, the validator R from the escrow. A
// mismatch pays the asserter nothing and takes R + S from its stake: R to the validator, S into
// the committee's treasury. A caught cheater thus loses C + R + S, at least the R + S of the
// seed's condition p > C/((1-r)(R+S)), so a p the program accepts makes cheating unprofitable;
// the requester does not pay for catching it. Then the task is finished.
typedef struct { Committee *c; Execution *e; AccountInfo *exec_acct, *committee_acct, *requester; } Books;
typedef struct { Node *node; AccountInfo *acct; } Party;

static u64 settle_payments(Books *b, TaskState *ts, u64 cu, Party *asserter_p, Party *validator_p) {
  Committee *c = b->c;
  Execution *e = b->e;
  AccountInfo *exec_acct = b->exec_acct;
  Node *asserter = asserter_p->node, *validator = validator_p ? validator_p->node : NULL;
  AccountInfo *asserter_acct = asserter_p->acct;
  u64 fee = task_fee(c, cu);
  if (ts->result != RESULT_MISMATCH) pay(e, exec_acct, asserter, asserter_acct, fee);
  if (validator) {
    u64 reward = fee * c->reward_ppm / PPM;
    validator->active_jobs--;
    if (ts->result == RESULT_MATCH) { asserter->verified++; validator->verified++; pay(e, exec_acct, validator, validator_p->acct, reward); }
    if (ts->result == RESULT_MISMATCH) {
      if (reward > asserter->stake) reward = asserter->stake;
      u64 s = fee * c->slash_ppm / PPM;
      if (s > asserter->stake - reward) s = asserter->stake - reward;
      asserter->stake -= reward + s;
      asserter->slashed += reward + s;
      asserter->slashes++;
      move_lamports(asserter_acct, validator_p->acct, reward);
      validator->earned += reward;
      move_lamports(asserter_acct, b->committee_acct, s);
      c->treasury += s;
      if (asserter->status == NODE_ACTIVE && asserter->stake < required_stake(c, asserter->vram_gb)) asserter->status = NODE_SLASHED;
      e->disputes++;
    }
  }
  asserter->active_jobs--;
  return finish_task(e, exec_acct, ts, b->requester);
}

// report: accounts [node (signer), committee (w), execution (w), reporting node (w), SlotHashes,
// asserter node (w), requester (w), model]; data: exec_id u64, task u8, attempt u32, output [32].
// Compute phase: the assigned node reports its output hash; successors whose inputs are now all
// available become ready. Verification phase: the validator reports; the outputs are compared
// byte for byte, then fees, reward and slash are settled.
static u64 report(Params *p) {
  if (p->ka_num < 8 || p->data_len != 46) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: report");
  TRY(need_signer(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  TRY(need_writable(&p->ka[2]));
  TRY(need_writable(&p->ka[3]));
  Committee *c = (Committee *)committee_at(p, 1);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 2, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  const Model *m = model_of(p, 7, e);
  if (!m) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: model of the execution");
  TaskState *ts = &e->tasks[ti];
  if (ts->phase != PH_ASSIGNED && ts->phase != PH_VERIFYING) return FAIL(E_TASK_NOT_READY, "TaskNotReady: task has no running assignment");
  if (!key_eq(&ts->assigned, p->ka[0].key)) return FAIL(E_NOT_ASSIGNEE, "NotAssignee: only the assigned node reports");
  if (rd32(p->data + 10) != ts->attempt) return FAIL(E_WRONG_ATTEMPT, "WrongAttempt: report names another attempt");
  u64 now = now_slot();
  if (now > ts->deadline_slot) return FAIL(E_DEADLINE_PASSED, "DeadlinePassed: the assignment timed out");
  Node *reporter = node_of(p, 3, p->ka[0].key);
  if (!reporter) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the reporter");
  const u8 *output = p->data + 14;
  if (ts->phase == PH_ASSIGNED) {
    u8 hash[32];
    u64 hslot;
    TRY(latest_slot_hash(&p->ka[4], hash, &hslot));
    copy(&ts->asserter, p->ka[0].key, 32);
    copy(ts->output, output, 32);
    ts->phase = PH_COMPLETED;
    ts->settle_slot = now + 1; // sampled with the hash of a block after the output is committed
    reporter->completed++;
    release_ready(e, m, hash, hslot);
    return 0;
  }
  TRY(need_writable(&p->ka[5]));
  Node *asserter = node_of(p, 5, &ts->asserter);
  if (!asserter) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the asserter");
  copy(ts->check_output, output, 32);
  ts->result = bytes_eq(ts->output, output, 32) ? RESULT_MATCH : RESULT_MISMATCH;
  if (ts->result == RESULT_MISMATCH) sol_log_("splitup: PoSP mismatch, asserter slashed", 40);
  Books b = {c, e, &p->ka[2], &p->ka[1], &p->ka[6]};
  Party a = {asserter, &p->ka[5]}, v = {reporter, &p->ka[3]};
  return settle_payments(&b, ts, m->cu[ti], &a, &v);
}

// settle: accounts [committee (w), execution (w), asserter node (w), SlotHashes, requester (w), model];
// data: exec_id u64, task u8. After the block following a completion, that block's hash decides
// whether the task is sampled for verification (probability p): if so a validator selection
// opens with the asserter excluded; otherwise the asserter is paid and the task is done.
static u64 settle(Params *p) {
  if (p->ka_num < 6 || p->data_len != 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: settle");
  TRY(need_writable(&p->ka[0]));
  TRY(need_writable(&p->ka[1]));
  TRY(need_writable(&p->ka[2]));
  Committee *c = (Committee *)committee_at(p, 0);
  if (!c) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 1, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  const Model *m = model_of(p, 5, e);
  if (!m) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: model of the execution");
  TaskState *ts = &e->tasks[ti];
  if (ts->phase != PH_COMPLETED) return FAIL(E_NOT_SETTLEABLE, "NotSettleable: task is not completed and unsettled");
  const AccountInfo *sh = &p->ka[3];
  if (!key_eq(sh->key, &SLOT_HASHES)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: expected the SlotHashes sysvar");
  // The hash of the settle slot, or of the first block after it when that slot was skipped.
  u64 count = sh->data_len >= 8 ? rd64(sh->data) : 0;
  if (count > (sh->data_len - 8) / 40) count = (sh->data_len - 8) / 40;
  const u8 *hash = NULL;
  u64 hslot = 0;
  for (u64 i = 0; i < count; i++) { // newest first
    u64 s = rd64(sh->data + 8 + 40 * i);
    if (s < ts->settle_slot) break;
    hash = sh->data + 16 + 40 * i;
    hslot = s;
  }
  if (!hash) return FAIL(E_SLOT_HASH_UNAVAILABLE, "SlotHashUnavailable: the sampling block is not produced yet");
  Node *asserter = node_of(p, 2, &ts->asserter);
  if (!asserter) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the asserter");
  u8 digest[32];
  u8 tag[] = "splitup/posp/v1";
  Bytes parts[4] = {{tag, 15}, {hash, 32}, {p->data + 1, 9}, {ts->output, 32}};
  sol_sha256(parts, 4, digest);
  bool sampled = rd64(digest) % PPM < c->p_ppm;
  if (sampled) {
    u8 seed[32];
    copy(seed, hash, 32);
    ts->sampled = SAMPLE_YES;
    zero(ts->exclude, sizeof(ts->exclude));
    copy(&ts->exclude[0], &ts->asserter, 32);
    ts->n_exclude = 1;
    ts->timeout_slots = e->base_timeout[ti];
    open_selection(ts, PH_VERIFY_READY, VERIFY_ATTEMPT, seed, hslot);
    return 0;
  }
  ts->sampled = SAMPLE_NO;
  Books b = {c, e, &p->ka[1], &p->ka[0], &p->ka[4]};
  Party a = {asserter, &p->ka[2]};
  return settle_payments(&b, ts, m->cu[ti], &a, NULL);
}

// timeout: accounts [committee, execution (w), assigned node (w), SlotHashes]; data: exec_id u64, task u8.
// After the deadline an assignment lapses: the node is excluded, the attempt increments, the
// timeout doubles and a new selection opens with a fresh seed. A selection that found no quorum
// within the task's timeout (oracles' votes split, or no eligible node) expires the same way,
// without an exclusion (the node account is then not used): every attempt ends in bounded time.
static u64 timeout(Params *p) {
  if (p->ka_num < 4 || p->data_len != 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: timeout");
  TRY(need_writable(&p->ka[1]));
  if (!committee_at(p, 0)) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: committee");
  u8 ti;
  Execution *e = exec_at(p, 1, &ti);
  if (!e) return FAIL(E_EXECUTION_MISMATCH, "ExecutionMismatch: execution account, id or task index");
  TaskState *ts = &e->tasks[ti];
  bool running = ts->phase == PH_ASSIGNED || ts->phase == PH_VERIFYING;
  bool selecting = ts->phase == PH_READY || ts->phase == PH_VERIFY_READY;
  if (!running && !selecting) return FAIL(E_TASK_NOT_READY, "TaskNotReady: task has no running assignment or open selection");
  u64 due = running ? ts->deadline_slot : ts->ready_slot + ts->timeout_slots;
  if (now_slot() <= due) return FAIL(E_NOT_EXPIRED, "NotExpired: the deadline has not passed");
  u8 hash[32];
  u64 hslot;
  TRY(latest_slot_hash(&p->ka[3], hash, &hslot));
  if (running) {
    TRY(need_writable(&p->ka[2]));
    Node *nd = node_of(p, 2, &ts->assigned);
    if (!nd) return FAIL(E_WRONG_ACCOUNT, "WrongAccount: node account of the assigned node");
    nd->active_jobs--;
    if (ts->n_exclude < MAX_EXCLUDE) copy(&ts->exclude[ts->n_exclude++], &ts->assigned, 32);
    else copy(&ts->exclude[MAX_EXCLUDE - 1], &ts->assigned, 32); // slot 0 keeps the asserter in verification
  }
  u32 t = ts->timeout_slots;
  ts->timeout_slots = t >= 0x40000000u ? t : t * 2;
  bool compute = ts->phase == PH_ASSIGNED || ts->phase == PH_READY;
  open_selection(ts, compute ? PH_READY : PH_VERIFY_READY, ts->attempt + 1, hash, hslot);
  return 0;
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
    case IX_ASSIGN_TASK:
    case IX_REPORT:
    case IX_SETTLE:
    case IX_TIMEOUT:
      if (p.data_len < 10) return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: execution id and task index");
      if (p.data[0] == IX_ASSIGN_TASK) return assign_task(&p);
      if (p.data[0] == IX_REPORT) return report(&p);
      if (p.data[0] == IX_SETTLE) return settle(&p);
      return timeout(&p);
    default: return FAIL(E_INVALID_INSTRUCTION, "InvalidInstruction: unknown instruction tag");
  }
}
#undef p
