// Builds build/ecvrf-ref10.node, the ECVRF group-arithmetic addon (ecvrf_ref10.c),
// from libsodium's ref10 group code in the system's static libsodium (Debian:
// `apt-get install libsodium-dev`) and Node's own Node-API headers. No network.
//   node src/vrf/native/build.mjs              build; exit 1 with the reason when it cannot
//   node src/vrf/native/build.mjs --optional   the same, but a missing toolchain is a notice
//                                               and exit 0 (npm's postinstall: the ECVRF then
//                                               runs on sodium-native's public API)
// Environment: CC (compiler; default clang-16, clang, cc, gcc — the first found),
// SODIUM_STATIC_LIB (path of libsodium.a).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const out = join(root, 'build', 'ecvrf-ref10.node');
const optional = process.argv.includes('--optional');

function fail(reason) {
  if (optional) {
    console.log(`ecvrf-ref10 addon not built (${reason}); ECVRF runs on sodium-native's public API instead.`);
    process.exit(0);
  }
  console.error(`ecvrf-ref10 addon: ${reason}`);
  process.exit(1);
}

const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const cc = process.env.CC || ['clang-16', 'clang', 'cc', 'gcc'].find(has);
if (!cc) fail('no C compiler (install clang-16 or gcc)');

const include = join(dirname(process.execPath), '..', 'include', 'node');
if (!existsSync(join(include, 'node_api.h'))) fail(`Node-API headers not found at ${include}`);

const archCandidates = [process.env.SODIUM_STATIC_LIB, '/usr/lib/x86_64-linux-gnu/libsodium.a', '/usr/lib/aarch64-linux-gnu/libsodium.a', '/usr/local/lib/libsodium.a', '/usr/lib/libsodium.a'];
const archive = archCandidates.find((p) => p && existsSync(p));
if (!archive) fail('libsodium.a not found (apt-get install libsodium-dev, or set SODIUM_STATIC_LIB)');

const work = mkdtempSync(join(tmpdir(), 'ecvrf-ref10-'));
try {
  const member = execFileSync('ar', ['t', archive], { encoding: 'utf8' }).split('\n').find((m) => /ed25519_ref10\.o$/.test(m));
  if (!member) fail(`${archive} has no ed25519_ref10 object`);
  execFileSync('ar', ['x', archive, member], { cwd: work });
  mkdirSync(dirname(out), { recursive: true });
  const args = ['-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-Wl,-Bsymbolic', '-I', include, join(here, 'ecvrf_ref10.c'), join(work, member), '-L', dirname(archive), '-lsodium', '-o', out];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.status !== 0) fail(`${cc} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 5).join(' | ')}`);
  console.log(`built ${out} with ${cc} from ${archive} (${member})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
