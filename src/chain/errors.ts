// Program error codes of programs/splitup (state.h), as typed errors for clients.
export const PROGRAM_ERRORS = {
  1: ['InvalidInstruction', 'instruction data or account list is malformed'],
  2: ['MissingSigner', 'a required signature is missing'],
  3: ['NotWritable', 'an account that must be writable is not'],
  4: ['WrongAccount', 'an account is not the one the instruction expects'],
  5: ['AlreadyExists', 'the account already exists'],
  6: ['CommitteeSize', 'a committee has 3 to 10 oracles'],
  7: ['Quorum', 'q must be at least ceil((n+f+1)/2), f = floor((n-1)/3), and at most n'],
  8: ['DuplicateOracle', 'oracle keys must be distinct'],
  9: ['EconomicsBound', 'p must exceed C/((1-r)(R+S))'],
  10: ['BadParameter', 'a parameter is out of range'],
  11: ['NotCommitteeMember', 'only committee oracles vote'],
  12: ['DoubleVote', 'this oracle already voted for this (execution, task, attempt)'],
  13: ['NodeNotSpecialized', 'the node is not specialized in the task'],
  14: ['NodeInactive', 'the node is not active'],
  15: ['NodeExcluded', 'the node is excluded from this task instance'],
  16: ['TaskNotReady', 'the task is not in a phase that accepts this instruction'],
  17: ['WrongAttempt', 'the instruction names another attempt'],
  18: ['AlreadyAssigned', 'this attempt already has its quorum'],
  19: ['NotAssignee', 'only the assigned node reports'],
  20: ['DeadlinePassed', 'the assignment timed out'],
  21: ['NotExpired', 'the deadline has not passed'],
  22: ['NotSettleable', 'the task is not committed and unsettled'],
  23: ['SlotHashUnavailable', 'the block hash needed is not available yet'],
  24: ['FeeTooLow', 'maxFee must cover every task fee plus its verification reward'],
  25: ['NodeBusy', 'the node has assigned or unsettled tasks (locked stake)'],
  26: ['BadTensorSpec', 'tensor spec: dtype 1..6, rank 1..4, dims > 0 below rank and 0 above'],
  27: ['DagUnknownTask', 'a model node names an unregistered task'],
  28: ['DagInputUnsatisfied', 'rule: every input satisfied'],
  29: ['DagSpecMismatch', 'rule: matching tensor specs'],
  30: ['DagRedundantTask', 'rule: no redundant tasks'],
  31: ['DagCycle', 'rule: no cycles'],
  32: ['DagOrphanOutput', 'rule: no orphaned outputs'],
  33: ['DagBadModelOutput', 'a model output names no task output'],
  34: ['UriTooLong', 'input URI is at most 96 bytes'],
  35: ['TooManySpecializations', 'at most 16 specializations'],
  36: ['UnknownTask', 'specialization names an unregistered task'],
  37: ['ExecutionMismatch', 'execution account, id or task index do not match'],
  38: ['InsufficientFunds', 'a token account (stake, escrow) or the treasury cannot cover the amount, or the payer the rent'],
  39: ['BadReveal', 'the reveal does not open the commitment, or was made already'],
  40: ['RevealOrder', 'in a verification the validator reveals first'],
  41: ['OutputRequired', 'this reveal must carry the output itself, not its fingerprint'],
  42: ['NotAParty', 'the signer or a needed node account is not a party of this task instance'],
  43: ['ArithmeticOverflow', 'an amount would exceed u64 (the log names the rule)'],
  44: ['IdNotNext', 'a new task or model id must be the committee count + 1'],
  45: ['WrongCommittee', 'an account belongs to another committee'],
  46: ['NotAuthority', "only the committee's authority may do this"],
  47: ['NotFinished', 'the execution is still running, or the node has not exited'],
  48: ['BelowRentExempt', 'the committee account keeps its rent-exempt minimum (not raised since the treasury is tokens in the vault)'],
  49: ['StaleEpoch', "the rotation is not for the committee's next epoch, or the selection predates the previous epoch"],
  50: ['RotationPending', 'the current epoch has not started yet: no new rotation before it does'],
  51: ['ProposalMismatch', "the approval names another content than the proposal's (its digest)"],
  52: ['AlreadyApproved', 'this member already approved the proposal'],
  53: ['WrongMint', "not the committee's mint (or a token account of another mint; initCommittee: not an initialized mint without extensions)"],
  54: ['WrongTokenProgram', "not the committee's token program (initCommittee: only the Token program or Token-2022)"],
  55: ['WrongTokenOwner', 'the token account belongs to someone else'],
  56: ['TokenAccountFrozen', 'the token account is frozen'],
  57: ['NotATokenAccount', "not an initialized token account of the committee's token program (closed or never created?)"],
  58: ['WrongVault', "not the committee's vault (or the vault as the other side)"],
  59: ['DagBadGroup', 'a task group is malformed, not connected, or not convex (a path leaves it and comes back)'],
  60: ['NodeVramTooSmall', 'voted node has less VRAM than the task group needs'],
} as const satisfies Record<number, readonly [string, string]>;

/** The System program's errors (SystemError), surfaced through the program's CPIs or a transfer. */
export const SYSTEM_ERRORS = {
  0: ['AccountAlreadyInUse', 'an account with the same address already exists'],
  1: ['ResultWithNegativeLamports', 'account does not have enough lamports for the operation'],
  2: ['InvalidProgramId', 'cannot assign the account to this program id'],
  3: ['InvalidAccountDataLength', 'cannot allocate account data of this length'],
  4: ['MaxSeedLengthExceeded', 'length of requested seed is too long'],
  5: ['AddressWithSeedMismatch', 'provided address does not match the address derived from seed'],
  6: ['NonceNoRecentBlockhashes', 'advancing a stored nonce requires a populated RecentBlockhashes sysvar'],
  7: ['NonceBlockhashNotExpired', 'stored nonce is still in the recent blockhashes'],
  8: ['NonceUnexpectedBlockhashValue', 'specified nonce does not match the stored nonce'],
} as const satisfies Record<number, readonly [string, string]>;
export type SystemErrorName = (typeof SYSTEM_ERRORS)[keyof typeof SYSTEM_ERRORS][0];
const SYSTEM_PROGRAM_ID = '11111111111111111111111111111111';

export type ProgramErrorName = (typeof PROGRAM_ERRORS)[keyof typeof PROGRAM_ERRORS][0];
export const ERROR_CODES = Object.fromEntries(Object.entries(PROGRAM_ERRORS).map(([k, [name]]) => [name, Number(k)])) as Record<ProgramErrorName, number>;

/** A failed transaction, typed by the program's error code when it has one. */
export class ProgramError extends Error {
  override name = 'ProgramError';
  /**
   * `source`: 'program' (SplitUp's Custom(n)), 'system' (the System program's SystemError, directly or
   * through a CPI) or 'runtime' (an InstructionError or TransactionError of the runtime; errorName is
   * then its variant, e.g. MissingRequiredSignature, or 'RuntimeError' when it cannot be read).
   */
  constructor(readonly code: number | null, readonly errorName: ProgramErrorName | SystemErrorName | string, message: string, readonly logs: string[] = [],
    readonly source: 'program' | 'system' | 'runtime' = 'program') { super(message); }
}

/** The runtime's error variant in an error text: `InstructionError(0, MissingRequiredSignature)`, `{"InstructionError":[0,"X"]}`, `InsufficientFundsForRent { .. }`. */
export function runtimeErrorName(error: string): string | null {
  const m = /InstructionError\(\s*\d+\s*,\s*([A-Za-z]+)/.exec(error) ?? /"InstructionError":\s*\[\s*\d+\s*,\s*"([A-Za-z]+)"/.exec(error)
    ?? /"InstructionError":\s*\[\s*\d+\s*,\s*\{\s*"([A-Za-z]+)"/.exec(error);
  if (m && m[1] !== 'Custom') return m[1]!;
  const lite = /\berr: ([A-Z][A-Za-z]+)/.exec(error); // LiteSVM's FailedTransactionMetadata { err: AlreadyProcessed, .. }
  if (lite && lite[1] !== 'InstructionError') return lite[1]!;
  const t = /^\s*"?([A-Z][A-Za-z]+)"?\s*(\{|\(|$)/.exec(error) ?? /"([A-Z][A-Za-z]+)"\s*:/.exec(error);
  return t && t[1] !== 'InstructionError' && t[1] !== 'Custom' ? t[1]! : null;
}

/** Reads `Custom(n)` from a runtime error text (LiteSVM's, JSON-RPC's `{"Custom":n}` or its message `custom program error: 0xN`). */
export function customCode(error: string): number | null {
  const m = /Custom\((\d+)\)/.exec(error) ?? /"Custom":\s*(\d+)/.exec(error);
  if (m) return Number(m[1]);
  const hex = /custom program error: 0x([0-9a-f]+)/i.exec(error); // a cluster's RPC message text
  return hex ? parseInt(hex[1]!, 16) : null;
}

export function programError(error: string, logs: string[] = []): ProgramError {
  const code = customCode(error);
  // A Custom(n) of the System program (a transfer, or a CPI of this program) is a SystemError, not
  // this program's error n: the failing program is the last one the logs report as failed.
  const failed = logs.filter((l) => / failed: /.test(l) && l.startsWith('Program ')).map((l) => l.split(' ')[1]);
  if (code !== null && failed[0] === SYSTEM_PROGRAM_ID) {
    const s = SYSTEM_ERRORS[code as keyof typeof SYSTEM_ERRORS];
    return new ProgramError(code, s ? s[0] : 'RuntimeError', s ? `${s[0]}: ${s[1]} (System program)` : error, logs, 'system');
  }
  const entry = code !== null ? PROGRAM_ERRORS[code as keyof typeof PROGRAM_ERRORS] : undefined;
  // The program logs a detailed message ("splitup: error N Name: detail"); prefer it.
  const detail = logs.find((l) => l.includes('splitup: error '))?.replace(/^Program log: splitup: error \d+ /, '');
  if (!entry) return new ProgramError(code, (code === null && runtimeErrorName(error)) || 'RuntimeError', error, logs, 'runtime');
  return new ProgramError(code, entry[0], detail ?? `${entry[0]}: ${entry[1]}`, logs);
}
