// Account layouts, instruction tags and error codes of the SplitUp program.
// Mirrored by src/chain/layout.ts (decoders) and src/chain/errors.ts; the sizes and
// offsets are fixed by the static asserts below and checked again by the client tests.
#pragma once
#include "sol.h"

#define VERSION 1
#define TAG_COMMITTEE 0x4d435553u /* "SUCM" */
#define TAG_NODE 0x444e5553u      /* "SUND" */
#define TAG_TASK 0x4b545553u      /* "SUTK" */
#define TAG_MODEL 0x444d5553u     /* "SUMD" */
#define TAG_EXEC 0x58455553u      /* "SUEX" */
#define TAG_ROTATION 0x54525553u  /* "SURT": a proposed member set for the committee's next epoch */
#define TAG_ROTATION_RECORD 0x4f525553u /* "SURO": the member set an applied rotation installs (sol_log_data) */
#define MAX_ACTIVATION_DELAY 1000000ULL /* a rotation activates at most this many slots after its proposal */

#define MAX_ORACLES 10
#define MAX_SPECS 16
#define MAX_TENSORS 4
#define MAX_MODEL_TASKS 8
#define MAX_EXCLUDE 8
#define MAX_URI 96
#define PPM 1000000ULL
#define VERIFY_ATTEMPT 0x80000000u /* attempts of the verification phase carry this bit */
#define ARB_ATTEMPT 0xC0000000u    /* attempts of a dispute's arbiter selections carry these two bits */
#define N_ARBITERS 3               /* arbiters per dispute; a side needs 2 of them (a majority of 3) */
#define MAX_VERIFY_TRIES 4         /* validator selections (expired or lapsed) before a task ends unverified */
#define MAX_ARB_TRIES 4            /* arbiter selections (expired or lapsed) before a dispute resolves with those found */
#define SRC_MODEL_INPUT 0xff
#define TAG_SELECTION 0x4c535553u /* "SUSL": the selection record every quorum logs (sol_log_data) */
enum { SEL_ASSIGNED = 1, SEL_EXCLUDED_STAKE = 2 };
/* What the committee selected, as the program saw it when q votes matched: the request (seed, attempt,
   exclusions, the slot that named the seed) and the node. Logged by assignTask so every selection stays
   auditable after the task account has moved on (reassignment, verification, arbiters); the excluded
   keys follow the record in the same log entry. */
typedef struct {
  u32 tag; u8 version; u8 outcome; u8 task; u8 n_exclude;
  u64 exec_id;
  u32 task_id; u32 attempt;
  u64 ready_slot;
  u8 seed[32];
  Pubkey node;
  u16 vote_mask;
  u8 members; /* the task indices the selection assigned (bit i: task i): a task group's members, else 1 << task */
  u8 pad;
  u32 epoch; /* the committee epoch whose member set the vote mask indexes */
} SelectionRecord;

typedef struct { u8 dtype; u8 rank; u16 pad; u32 dims[4]; } Spec; // 20 bytes

typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  Pubkey authority;
  u8 n; u8 q; u8 suite; u8 pad1; u32 p_ppm;
  u32 r_ppm; u32 reward_ppm;
  u32 slash_ppm; u32 slots_per_kcu;
  u64 stake_base; u64 stake_per_gb; u64 price_per_kcu; u64 min_timeout_slots; u64 treasury;
  Pubkey oracles[MAX_ORACLES];
  u32 task_count; u32 model_count; /* ids are assigned in order: the next task is task_count + 1 */
  /* Rotation. The member set above (n, q, oracles) is the epoch `epoch`'s; it governs every selection
     whose seed slot (ready_slot) is >= epoch_start_slot. The previous epoch's set governs selections
     with prev_start_slot <= ready_slot < epoch_start_slot; an older selection is stale (it expires and
     reopens under the current set). */
  u32 epoch; u8 prev_n; u8 prev_q; u16 pad2;
  u64 epoch_start_slot;
  u64 prev_start_slot;
  Pubkey prev_oracles[MAX_ORACLES];
  /* Money: every amount above (stake rule, price, treasury) and every node's stake and earnings and
     every execution's escrow are in base units of `mint`, held by one token account, `vault`
     ("vault", committee), whose authority is the committee's address. The vault's balance is the sum
     of the books: treasury + each node's stake + earned + each execution's escrow. */
  Pubkey mint;
  Pubkey token_program; /* the classic Token program or Token-2022 (the mint's owner) */
  Pubkey vault;
  u8 decimals; u8 vault_bump; u8 pad3[6];
} Committee;

/* A rotation proposal: the authority's member set for epoch `epoch` (the committee's epoch + 1), at
   "rotation", committee, u32 epoch. Current members approve it by its digest; at q approvals it is
   applied and the account closes (its lamports to the treasury). */
typedef struct {
  u32 tag; u8 version; u8 bump; u8 n; u8 q;
  u32 epoch; u16 approvals; u16 pad;
  u64 activate_slot;
  u8 digest[32]; /* H("splitup/rotation/v1" | committee | epoch u32 | n | q | activate_slot u64 | keys) */
  Pubkey oracles[MAX_ORACLES];
  Pubkey committee;
} Rotation;

enum { NODE_ACTIVE = 1, NODE_EXITED = 2, NODE_SLASHED = 3 };
typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  Pubkey key;
  u8 status; u8 n_spec; u16 pad1; u32 vram_gb;
  u64 stake;
  u32 active_jobs; u32 completed;
  u32 verified; u32 slashes;
  u64 earned;
  u64 slashed;
  u32 specs[MAX_SPECS];
  u64 locked;    /* stake locked by the node's unsettled assignments: the full penalty R + S of each */
  u64 penalized; /* lapse penalties paid (C of the task per lapse) */
  u32 lapses; u32 pad2;
  Pubkey committee; /* every account belongs to one committee (its address is in the seeds) */
} Node;

typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  u32 task_id; u8 n_in; u8 n_out; u16 pad1;
  u64 compute_units;
  Pubkey author;
  Spec in[MAX_TENSORS];
  Spec out[MAX_TENSORS];
  Pubkey committee;
} Task;

typedef struct { u32 task_id; u8 src[MAX_TENSORS][2]; } ModelNode; // src = (node index | 0xff for a model input, slot)
typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  u32 model_id; u8 n_nodes; u8 n_in; u8 n_out; u8 pad1;
  Pubkey author;
  ModelNode nodes[MAX_MODEL_TASKS];
  u8 order[MAX_MODEL_TASKS];
  u8 out[MAX_TENSORS][2];
  Spec in[MAX_TENSORS];
  u64 cu[MAX_MODEL_TASKS];
  u8 n_task_in[MAX_MODEL_TASKS];
  Pubkey committee;
  /* Task groups: node i belongs to group group[i] (1..n; 0: no group), whose VRAM need is
     group_vram_gb[group[i] - 1]. A group is selected once and run by one node (see release_ready). */
  u8 group[MAX_MODEL_TASKS];
  u32 group_vram_gb[MAX_MODEL_TASKS];
} Model;

enum {
  PH_PENDING = 0, PH_READY = 1, PH_ASSIGNED = 2, PH_COMMITTED = 3, PH_VERIFY_READY = 4, PH_VERIFYING = 5, PH_DONE = 6,
  PH_REVEAL = 7, PH_VERIFY_REVEAL = 8, PH_ARB_READY = 9, PH_ARBITRATING = 10, PH_ARB_REVEAL = 11,
  PH_HELD = 12, /* a task group's member assigned with its group, waiting for inputs from inside the group */
};
enum { SAMPLE_UNDECIDED = 0, SAMPLE_NO = 1, SAMPLE_YES = 2 };
/* MISMATCH: the asserter lied (slashed); FRAMED: the validator lied (slashed), the asserter upheld;
   UNDECIDED: no arbiter majority, nobody slashed, the execution fails; UNVERIFIED: no validator found;
   UNREVEALED: a sampled asserter did not reveal (slashed), the task is recomputed */
enum { RESULT_NONE = 0, RESULT_MATCH = 1, RESULT_MISMATCH = 2, RESULT_FRAMED = 3, RESULT_UNDECIDED = 4, RESULT_UNVERIFIED = 5, RESULT_UNREVEALED = 6 };
typedef struct {
  u8 phase; u8 n_exclude; u8 sampled; u8 result; u16 vote_mask; u8 tries; u8 n_arb;
  u32 attempt; u32 timeout_slots;
  u64 deadline_slot;
  u64 ready_slot;
  u8 seed[32];
  Pubkey assigned;        /* the node the last selection assigned (kept once it has committed: audits check it) */
  Pubkey asserter;
  u8 output[32];          /* the task's accepted output hash (set when it is done) */
  u64 settle_slot;
  Pubkey exclude[MAX_EXCLUDE];
  Pubkey votes[MAX_ORACLES];
  Pubkey validator;
  /* H(commit domain | exec | task | fingerprint | key | salt) of the asserter and of the validator; once
     both are opened (a dispute), the same bytes hold an arbiter-revealed output whose fingerprint is the
     asserter's (out_a) or the validator's (out_v) */
  union { u8 commit_a[32]; u8 out_a[32]; };
  union { u8 commit_v[32]; u8 out_v[32]; };
  u8 fp_a[32];            /* revealed fingerprints H(fingerprint domain | output) */
  u8 fp_v[32];
  Pubkey arbiters[N_ARBITERS];
  u8 arb_commit[N_ARBITERS][32];
  u8 arb_fp[N_ARBITERS][32];
  u8 revealed;            /* bit 0 asserter, bit 1 validator, bit 2 + k arbiter k */
  u8 group;               /* the model's group of this task (0: none), copied at requestModelExecution */
  u16 group_vram_gb;      /* that group's VRAM need (GB) */
  u32 compute_attempt;    /* the compute attempt that produced the asserter's commitment */
} TaskState;

enum { EXEC_RUNNING = 1, EXEC_DONE = 2 };
typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  u64 exec_id;
  u32 model_id; u8 n_tasks; u8 status; u8 disputes; u8 done_count;
  Pubkey requester;
  u64 escrow;
  u64 request_slot;
  u16 uri_len; u8 failed; u8 pad1[5];
  u8 uri[MAX_URI];
  u32 task_ids[MAX_MODEL_TASKS];
  u32 base_timeout[MAX_MODEL_TASKS];
  u64 fee[MAX_MODEL_TASKS];
  TaskState tasks[MAX_MODEL_TASKS];
  Pubkey committee;
  u64 nonce; /* the requester's nonce: exec_id = first 8 bytes of H("splitup/exec/v1" | committee | requester | nonce) */
} Execution;

_Static_assert(sizeof(Spec) == 20, "Spec");
_Static_assert(sizeof(SelectionRecord) == 104, "SelectionRecord");
_Static_assert(sizeof(Committee) == 880, "Committee");
_Static_assert(sizeof(Rotation) == 408, "Rotation");
_Static_assert(sizeof(Node) == 208, "Node");
_Static_assert(sizeof(Task) == 248, "Task");
_Static_assert(sizeof(Model) == 384, "Model");
_Static_assert(sizeof(TaskState) == 1200, "TaskState");
_Static_assert(sizeof(Execution) == 304 + 8 * 1200 + 40, "Execution");
_Static_assert(sizeof(Execution) <= 10240, "Execution fits one CreateAccount CPI");

enum {
  IX_INIT_COMMITTEE = 0, IX_REGISTER_NODE = 1, IX_SPECIALIZE = 2, IX_EXIT_NODE = 3,
  IX_REGISTER_TASK = 4, IX_REGISTER_MODEL = 5, IX_REQUEST_EXECUTION = 6, IX_ASSIGN_TASK = 7,
  IX_COMMIT = 8, IX_SETTLE = 9, IX_TIMEOUT = 10, IX_REVEAL = 11,
  IX_CLOSE_EXECUTION = 12, IX_CLOSE_NODE = 13, IX_WITHDRAW_TREASURY = 14,
  IX_PROPOSE_ROTATION = 15, IX_APPROVE_ROTATION = 16,
};

// Program error codes (Custom(n) in the runtime's InstructionError). Keep in step with src/chain/errors.ts.
enum {
  E_INVALID_INSTRUCTION = 1, E_MISSING_SIGNER = 2, E_NOT_WRITABLE = 3, E_WRONG_ACCOUNT = 4,
  E_ALREADY_EXISTS = 5, E_COMMITTEE_SIZE = 6, E_QUORUM = 7, E_DUPLICATE_ORACLE = 8,
  E_ECONOMICS_BOUND = 9, E_BAD_PARAMETER = 10, E_NOT_COMMITTEE_MEMBER = 11, E_DOUBLE_VOTE = 12,
  E_NODE_NOT_SPECIALIZED = 13, E_NODE_INACTIVE = 14, E_NODE_EXCLUDED = 15, E_TASK_NOT_READY = 16,
  E_WRONG_ATTEMPT = 17, E_ALREADY_ASSIGNED = 18, E_NOT_ASSIGNEE = 19, E_DEADLINE_PASSED = 20,
  E_NOT_EXPIRED = 21, E_NOT_SETTLEABLE = 22, E_SLOT_HASH_UNAVAILABLE = 23, E_FEE_TOO_LOW = 24,
  E_NODE_BUSY = 25, E_BAD_TENSOR_SPEC = 26, E_DAG_UNKNOWN_TASK = 27, E_DAG_INPUT_UNSATISFIED = 28,
  E_DAG_SPEC_MISMATCH = 29, E_DAG_REDUNDANT_TASK = 30, E_DAG_CYCLE = 31, E_DAG_ORPHAN_OUTPUT = 32,
  E_DAG_BAD_MODEL_OUTPUT = 33, E_URI_TOO_LONG = 34, E_TOO_MANY_SPECIALIZATIONS = 35,
  E_UNKNOWN_TASK = 36, E_EXECUTION_MISMATCH = 37, E_INSUFFICIENT_FUNDS = 38, E_BAD_REVEAL = 39, E_REVEAL_ORDER = 40,
  E_OUTPUT_REQUIRED = 41, E_NOT_A_PARTY = 42, E_ARITHMETIC_OVERFLOW = 43, E_ID_NOT_NEXT = 44,
  E_WRONG_COMMITTEE = 45, E_NOT_AUTHORITY = 46, E_NOT_FINISHED = 47, E_BELOW_RENT_EXEMPT = 48,
  E_STALE_EPOCH = 49, E_ROTATION_PENDING = 50, E_PROPOSAL_MISMATCH = 51, E_ALREADY_APPROVED = 52,
  E_WRONG_MINT = 53, E_WRONG_TOKEN_PROGRAM = 54, E_WRONG_TOKEN_OWNER = 55, E_TOKEN_ACCOUNT_FROZEN = 56,
  E_NOT_A_TOKEN_ACCOUNT = 57, E_WRONG_VAULT = 58, E_DAG_BAD_GROUP = 59, E_NODE_VRAM_TOO_SMALL = 60,
};
