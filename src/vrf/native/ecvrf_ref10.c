/*
 * Edwards25519 group operations for the ECVRF (src/vrf/ecvrf-ref10.ts), as a
 * Node-API addon over libsodium's ref10 group arithmetic.
 *
 * Why: libsodium's public variable-base multiplication
 * (crypto_scalarmult_ed25519_noclamp) decodes its point and proves it lies in
 * the prime-order subgroup with a full multiplication by the group order
 * before it starts: every call costs two scalar multiplications, and ECVRF
 * does three of them per verify. Its public API has no double-scalar
 * multiplication and no cofactor multiplication either. The same library's
 * ref10 group code (ed25519_ref10.o inside the Debian libsodium static
 * archive, linked in by build.mjs) has all three, and this file exposes them
 * without the redundant checks; the ECVRF steps stay in TypeScript.
 *
 * The structures below give only the sizes of libsodium's ge25519 types
 * (field elements are 40 bytes in both of its representations); their fields
 * are never touched here except through libsodium's own functions, and
 * ecvrf-ref10.ts checks the addon against known values when it loads.
 *
 * Every function takes 32-byte Uint8Arrays (outputs first) and returns false
 * on a length mismatch, a scalar ≥ 2^255 or a point that does not decode
 * (not on the curve; canonical encoding is checked by the caller). invert
 * (field inversion, used by the ELL2 map) is the one field operation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

typedef struct { uint64_t limb[5]; } fe25519_40;
typedef struct { fe25519_40 X, Y, Z; } ge_p2;
typedef struct { fe25519_40 X, Y, Z, T; } ge_p3;
typedef struct { fe25519_40 X, Y, Z, T; } ge_p1p1;
typedef struct { fe25519_40 YplusX, YminusX, Z, T2d; } ge_cached;

extern int ge25519_frombytes(ge_p3 *h, const unsigned char *s);
extern void ge25519_p3_tobytes(unsigned char *s, const ge_p3 *h);
extern void ge25519_tobytes(unsigned char *s, const ge_p2 *h);
extern void fe25519_tobytes(unsigned char *s, const fe25519_40 *f);
extern void ge25519_scalarmult(ge_p3 *h, const unsigned char *a, const ge_p3 *p);
extern void ge25519_scalarmult_base(ge_p3 *h, const unsigned char *a);
extern void ge25519_double_scalarmult_vartime(ge_p2 *r, const unsigned char *a, const ge_p3 *A, const unsigned char *b);
extern void ge25519_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q);
extern void ge25519_p3_to_cached(ge_cached *r, const ge_p3 *p);
extern void ge25519_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p);

extern void fe25519_frombytes(fe25519_40 *h, const unsigned char *s);
extern void fe25519_invert(fe25519_40 *out, const fe25519_40 *z);

#define MAX_ARGS 6

typedef struct { uint8_t *b[MAX_ARGS]; size_t n; } args_t;

/* The call's arguments as 32-byte buffers; false unless exactly `want` of them. */
static bool get_args(napi_env env, napi_callback_info info, size_t want, args_t *a) {
  napi_value v[MAX_ARGS];
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, v, NULL, NULL) != napi_ok || argc != want) return false;
  for (size_t i = 0; i < want; i++) {
    napi_typedarray_type type;
    size_t len, offset;
    void *data;
    napi_value ab;
    if (napi_get_typedarray_info(env, v[i], &type, &len, &data, &ab, &offset) != napi_ok) return false;
    if (type != napi_uint8_array || len != 32) return false;
    a->b[i] = data;
  }
  a->n = want;
  return true;
}

static napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

/* ge25519_scalarmult reads 255 bits: the top bit must be clear. */
static bool scalar_ok(const uint8_t *s) { return s[31] <= 127; }

static void add_p3(ge_p3 *r, const ge_p3 *p, const ge_p3 *q) {
  ge_cached c;
  ge_p1p1 t;
  ge25519_p3_to_cached(&c, q);
  ge25519_add(&t, p, &c);
  ge25519_p1p1_to_p3(r, &t);
}

/* mul(out, n, P): n·P for any point P on the curve (no subgroup requirement). */
static napi_value mul(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 P, Q;
  if (!get_args(env, info, 3, &a) || !scalar_ok(a.b[1]) || ge25519_frombytes(&P, a.b[2]) != 0) return boolean(env, false);
  ge25519_scalarmult(&Q, a.b[1], &P);
  ge25519_p3_tobytes(a.b[0], &Q);
  return boolean(env, true);
}

/* mulBase(out, n): n·B. */
static napi_value mul_base(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 Q;
  if (!get_args(env, info, 2, &a) || !scalar_ok(a.b[1])) return boolean(env, false);
  ge25519_scalarmult_base(&Q, a.b[1]);
  ge25519_p3_tobytes(a.b[0], &Q);
  return boolean(env, true);
}

/* mul8(out, P): 8·P (the cofactor cleared by three doublings). */
static napi_value mul8(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 P;
  if (!get_args(env, info, 2, &a) || ge25519_frombytes(&P, a.b[1]) != 0) return boolean(env, false);
  for (int i = 0; i < 3; i++) add_p3(&P, &P, &P);
  ge25519_p3_tobytes(a.b[0], &P);
  return boolean(env, true);
}

/* mulAddBase(out, a, A, b): a·A + b·B, variable time (public inputs only). */
static napi_value mul_add_base(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 A;
  ge_p2 R;
  if (!get_args(env, info, 4, &a) || !scalar_ok(a.b[1]) || !scalar_ok(a.b[3]) || ge25519_frombytes(&A, a.b[2]) != 0) return boolean(env, false);
  ge25519_double_scalarmult_vartime(&R, a.b[1], &A, a.b[3]);
  ge25519_tobytes(a.b[0], &R);
  return boolean(env, true);
}

/* mulAdd(out, a, A, b, C): a·A + b·C. */
static napi_value mul_add(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 A, C, aA, bC, R;
  if (!get_args(env, info, 5, &a) || !scalar_ok(a.b[1]) || !scalar_ok(a.b[3])) return boolean(env, false);
  if (ge25519_frombytes(&A, a.b[2]) != 0 || ge25519_frombytes(&C, a.b[4]) != 0) return boolean(env, false);
  ge25519_scalarmult(&aA, a.b[1], &A);
  ge25519_scalarmult(&bC, a.b[3], &C);
  add_p3(&R, &aA, &bC);
  ge25519_p3_tobytes(a.b[0], &R);
  return boolean(env, true);
}

/* proveCore(gamma, u, v, x, k, H): gamma = x·H, u = k·B, v = k·H (RFC 9381 §5.1 steps 4 and 7, H decoded once). */
static napi_value prove_core(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 H, Q;
  if (!get_args(env, info, 6, &a) || !scalar_ok(a.b[3]) || !scalar_ok(a.b[4]) || ge25519_frombytes(&H, a.b[5]) != 0) return boolean(env, false);
  ge25519_scalarmult(&Q, a.b[3], &H);
  ge25519_p3_tobytes(a.b[0], &Q);
  ge25519_scalarmult_base(&Q, a.b[4]);
  ge25519_p3_tobytes(a.b[1], &Q);
  ge25519_scalarmult(&Q, a.b[4], &H);
  ge25519_p3_tobytes(a.b[2], &Q);
  return boolean(env, true);
}

/* invert(out, a): a^(p−2) mod p for a field element a < 2^255 (0 for 0). */
static napi_value invert(napi_env env, napi_callback_info info) {
  args_t a;
  fe25519_40 f, r;
  if (!get_args(env, info, 2, &a) || a.b[1][31] > 127) return boolean(env, false);
  fe25519_frombytes(&f, a.b[1]);
  fe25519_invert(&r, &f);
  fe25519_tobytes(a.b[0], &r);
  return boolean(env, true);
}

/*
 * xOf(out, P): the affine x-coordinate of P (32 bytes, little-endian,
 * canonical). libsodium's decoding sets Z = 1, so X is x.
 */
static napi_value x_of(napi_env env, napi_callback_info info) {
  args_t a;
  ge_p3 P;
  if (!get_args(env, info, 2, &a) || ge25519_frombytes(&P, a.b[1]) != 0) return boolean(env, false);
  fe25519_tobytes(a.b[0], &P.X);
  return boolean(env, true);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    { "mul", NULL, mul, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mulBase", NULL, mul_base, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mul8", NULL, mul8, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mulAddBase", NULL, mul_add_base, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mulAdd", NULL, mul_add, NULL, NULL, NULL, napi_enumerable, NULL },
    { "xOf", NULL, x_of, NULL, NULL, NULL, napi_enumerable, NULL },
    { "proveCore", NULL, prove_core, NULL, NULL, NULL, napi_enumerable, NULL },
    { "invert", NULL, invert, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof d / sizeof d[0], d) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
