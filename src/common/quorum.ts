// Fault model of PROTOCOL §1: f = ⌊(n−1)/3⌋, q = ⌈(n+f+1)/2⌉.
export function maxFaulty(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`committee size must be a positive integer, got ${n}`);
  return Math.floor((n - 1) / 3);
}

export function quorum(n: number): number {
  const f = maxFaulty(n);
  return Math.ceil((n + f + 1) / 2);
}
