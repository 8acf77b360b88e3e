// Minimal Solana runtime interface for the SplitUp program: types, syscalls and the
// legacy (BPFLoader2, aligned) input deserialization. Portable C; the structures and
// syscall signatures are the runtime's C ABI, so the official toolchain builds the
// same source. No libc, no writable globals.
#pragma once

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

typedef struct { u8 x[32]; } Pubkey;

typedef struct {
  Pubkey *key;
  u64 *lamports;
  u64 data_len;
  u8 *data;
  Pubkey *owner;
  u64 rent_epoch;
  bool is_signer;
  bool is_writable;
  bool executable;
} AccountInfo;

typedef struct { const u8 *addr; u64 len; } Bytes; // SolBytes / SolSignerSeed
typedef struct { const Bytes *addr; u64 len; } SignerSeeds;
typedef struct { Pubkey *pubkey; bool is_writable; bool is_signer; } AccountMeta;
typedef struct { Pubkey *program_id; AccountMeta *accounts; u64 account_len; u8 *data; u64 data_len; } Instruction;

typedef struct {
  u64 slot;
  long long epoch_start_timestamp;
  u64 epoch;
  u64 leader_schedule_epoch;
  long long unix_timestamp;
} Clock;

extern void sol_log_(const char *, u64);
extern void sol_log_64_(u64, u64, u64, u64, u64);
extern void sol_log_pubkey(const Pubkey *);
extern void sol_log_data(const Bytes *, u64); /* "Program data: <base64> ..." in the transaction's logs */
extern u64 sol_sha256(const Bytes *, int, u8 *);
extern u64 sol_try_find_program_address(const Bytes *, int, const Pubkey *, Pubkey *, u8 *);
extern u64 sol_invoke_signed_c(const Instruction *, const AccountInfo *, int, const SignerSeeds *, int);
extern u64 sol_get_clock_sysvar(void *);
extern void sol_memcpy_(void *, const void *, u64);
extern void sol_memset_(void *, u8, u64);

// The compiler may lower struct copies to these; route them to the runtime's syscalls.
void *memcpy(void *d, const void *s, u64 n) { sol_memcpy_(d, s, n); return d; }
void *memset(void *d, int c, u64 n) { sol_memset_(d, (u8)c, n); return d; }

#define MAX_ACCOUNTS 24
#define MAX_PERMITTED_DATA_INCREASE 10240

typedef struct {
  AccountInfo ka[MAX_ACCOUNTS];
  u64 ka_num;
  const u8 *data;
  u64 data_len;
  const Pubkey *program_id;
} Params;

// Parses the aligned serialization: u64 count; per account either a duplicate marker
// (index of the original + 7 bytes padding) or the full record (flags, key, owner,
// lamports, data_len, data, realloc padding, alignment, rent_epoch); then the
// instruction data and the program id.
static bool deserialize(u8 *input, Params *p) {
  u64 n = *(u64 *)input;
  input += 8;
  if (n > MAX_ACCOUNTS) return false;
  p->ka_num = n;
  for (u64 i = 0; i < n; i++) {
    u8 dup = *input;
    input += 1;
    if (dup == 0xff) {
      AccountInfo *a = &p->ka[i];
      a->is_signer = *input++;
      a->is_writable = *input++;
      a->executable = *input++;
      input += 4;
      a->key = (Pubkey *)input; input += 32;
      a->owner = (Pubkey *)input; input += 32;
      a->lamports = (u64 *)input; input += 8;
      a->data_len = *(u64 *)input; input += 8;
      a->data = input;
      input += a->data_len + MAX_PERMITTED_DATA_INCREASE;
      input = (u8 *)(((u64)input + 7) & ~7ULL);
      a->rent_epoch = *(u64 *)input; input += 8;
    } else {
      if (dup >= i) return false;
      p->ka[i] = p->ka[dup];
      input += 7;
    }
  }
  p->data_len = *(u64 *)input; input += 8;
  p->data = input; input += p->data_len;
  p->program_id = (const Pubkey *)input;
  return true;
}

static bool key_eq(const Pubkey *a, const Pubkey *b) {
  const u64 *x = (const u64 *)a, *y = (const u64 *)b;
  return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}
static bool bytes_eq(const u8 *a, const u8 *b, u64 n) {
  for (u64 i = 0; i < n; i++) if (a[i] != b[i]) return false;
  return true;
}
static void copy(void *d, const void *s, u64 n) { sol_memcpy_(d, s, n); }
static void zero(void *d, u64 n) { sol_memset_(d, 0, n); }

static u64 rd64(const u8 *p) { u64 v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v; }
static u32 rd32(const u8 *p) { return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24); }
static u16 rd16(const u8 *p) { return (u16)(p[0] | (p[1] << 8)); }
static void wr64(u8 *p, u64 v) { for (int i = 0; i < 8; i++) { p[i] = (u8)v; v >>= 8; } }
static void wr32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) { p[i] = (u8)v; v >>= 8; } }

// Rent-exempt minimum with the runtime's default rent (3480 lamports/byte-year, 2 years,
// 128 bytes of account overhead). No floating point on SBPF v0, so the default is fixed here.
static u64 rent_exempt(u64 space) { return (128 + space) * 3480 * 2; }

static const Pubkey SYSTEM_PROGRAM = {{0}};
