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

#define MAX_ORACLES 10
#define MAX_SPECS 16
#define MAX_TENSORS 4
#define MAX_MODEL_TASKS 8
#define MAX_EXCLUDE 4
#define MAX_URI 96
#define PPM 1000000ULL
#define VERIFY_ATTEMPT 0x80000000u /* attempts of the verification phase carry this bit */
#define SRC_MODEL_INPUT 0xff

typedef struct { u8 dtype; u8 rank; u16 pad; u32 dims[4]; } Spec; // 20 bytes

typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  Pubkey authority;
  u8 n; u8 q; u8 suite; u8 pad1; u32 p_ppm;
  u32 r_ppm; u32 reward_ppm;
  u32 slash_ppm; u32 slots_per_kcu;
  u64 stake_base; u64 stake_per_gb; u64 price_per_kcu; u64 min_timeout_slots; u64 treasury;
  Pubkey oracles[MAX_ORACLES];
} Committee;

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
} Node;

typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  u32 task_id; u8 n_in; u8 n_out; u16 pad1;
  u64 compute_units;
  Pubkey author;
  Spec in[MAX_TENSORS];
  Spec out[MAX_TENSORS];
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
} Model;

enum { PH_PENDING = 0, PH_READY = 1, PH_ASSIGNED = 2, PH_COMPLETED = 3, PH_VERIFY_READY = 4, PH_VERIFYING = 5, PH_DONE = 6 };
enum { SAMPLE_UNDECIDED = 0, SAMPLE_NO = 1, SAMPLE_YES = 2 };
enum { RESULT_NONE = 0, RESULT_MATCH = 1, RESULT_MISMATCH = 2 };
typedef struct {
  u8 phase; u8 n_exclude; u8 sampled; u8 result; u16 vote_mask; u16 pad;
  u32 attempt; u32 timeout_slots;
  u64 deadline_slot;
  u64 ready_slot;
  u8 seed[32];
  Pubkey assigned;
  Pubkey asserter;
  u8 output[32];
  u64 settle_slot;
  Pubkey exclude[MAX_EXCLUDE];
  Pubkey votes[MAX_ORACLES];
  u8 check_output[32];
} TaskState;

enum { EXEC_RUNNING = 1, EXEC_DONE = 2 };
typedef struct {
  u32 tag; u8 version; u8 bump; u16 pad;
  u64 exec_id;
  u32 model_id; u8 n_tasks; u8 status; u8 disputes; u8 done_count;
  Pubkey requester;
  u64 escrow;
  u64 request_slot;
  u16 uri_len; u8 pad1[6];
  u8 uri[MAX_URI];
  u32 task_ids[MAX_MODEL_TASKS];
  u32 base_timeout[MAX_MODEL_TASKS];
  TaskState tasks[MAX_MODEL_TASKS];
} Execution;

_Static_assert(sizeof(Spec) == 20, "Spec");
_Static_assert(sizeof(Committee) == 424, "Committee");
_Static_assert(sizeof(Node) == 152, "Node");
_Static_assert(sizeof(Task) == 216, "Task");
_Static_assert(sizeof(Model) == 312, "Model");
_Static_assert(sizeof(TaskState) == 648, "TaskState");
_Static_assert(sizeof(Execution) == 240 + 8 * 648, "Execution");

enum {
  IX_INIT_COMMITTEE = 0, IX_REGISTER_NODE = 1, IX_SPECIALIZE = 2, IX_EXIT_NODE = 3,
  IX_REGISTER_TASK = 4, IX_REGISTER_MODEL = 5, IX_REQUEST_EXECUTION = 6, IX_ASSIGN_TASK = 7,
  IX_REPORT = 8, IX_SETTLE = 9, IX_TIMEOUT = 10,
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
  E_UNKNOWN_TASK = 36, E_EXECUTION_MISMATCH = 37, E_INSUFFICIENT_FUNDS = 38,
};
