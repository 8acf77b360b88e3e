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
  38: ['InsufficientFunds', 'the wallet cannot cover stake and rent'],
  39: ['BadReveal', 'the reveal does not open the commitment, or was made already'],
  40: ['RevealOrder', 'in a verification the validator reveals first'],
  41: ['OutputRequired', 'this reveal must carry the output itself, not its fingerprint'],
  42: ['NotAParty', 'the signer or a needed node account is not a party of this task instance'],
} as const satisfies Record<number, readonly [string, string]>;

export type ProgramErrorName = (typeof PROGRAM_ERRORS)[keyof typeof PROGRAM_ERRORS][0];
export const ERROR_CODES = Object.fromEntries(Object.entries(PROGRAM_ERRORS).map(([k, [name]]) => [name, Number(k)])) as Record<ProgramErrorName, number>;

/** A failed transaction, typed by the program's error code when it has one. */
export class ProgramError extends Error {
  override name = 'ProgramError';
  constructor(readonly code: number | null, readonly errorName: ProgramErrorName | 'RuntimeError', message: string, readonly logs: string[] = []) { super(message); }
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
  const entry = code !== null ? PROGRAM_ERRORS[code as keyof typeof PROGRAM_ERRORS] : undefined;
  // The program logs a detailed message ("splitup: error N Name: detail"); prefer it.
  const detail = logs.find((l) => l.includes('splitup: error '))?.replace(/^Program log: splitup: error \d+ /, '');
  if (!entry) return new ProgramError(code, 'RuntimeError', error, logs);
  return new ProgramError(code, entry[0], detail ?? `${entry[0]}: ${entry[1]}`, logs);
}
