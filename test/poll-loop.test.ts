// PollLoop: the fallback poll, wakes that run a tick at once, no overlapping ticks, bounded
// ticks for a burst of wakes, and nothing after stop.
import t from 'tap';
import { PollLoop } from '../src/common/poll-loop.js';
import { until } from './helpers/heartbeat.js';

t.test('polls on its own, and a wake runs a tick long before the next poll', async (t) => {
  let ticks = 0;
  const loop = new PollLoop({ tick: async () => { ticks++; }, everyMs: 60_000, minGapMs: 0 });
  loop.start();
  await until('the first tick', () => ticks === 1, 5000, 5);
  loop.wake();
  await until('the woken tick', () => ticks === 2, 5000, 5); // the poll alone would take 60 s
  t.equal(loop.stats.woken, 1);
  await loop.stop();
  loop.wake();
  await new Promise((r) => setImmediate(r));
  t.equal(ticks, 2, 'no tick after stop');
});

t.test('ticks never overlap; a burst of wakes during a tick costs one more tick', async (t) => {
  let active = 0, maxActive = 0, ticks = 0;
  let release: () => void = () => {};
  const loop = new PollLoop({
    tick: async () => { ticks++; active++; maxActive = Math.max(maxActive, active); await new Promise<void>((r) => { release = r; }); active--; },
    everyMs: 60_000, minGapMs: 0,
  });
  loop.start();
  await until('a tick running', () => active === 1, 5000, 5);
  for (let i = 0; i < 50; i++) loop.wake();
  release();
  await until('the follow-up tick', () => ticks === 2 && active === 1, 5000, 5);
  release();
  await until('idle', () => active === 0, 5000, 5);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(ticks, 2, '50 wakes during one tick made exactly one more tick');
  t.equal(maxActive, 1, 'ticks never overlapped');
  await loop.stop();
});

t.test('a failing tick is reported and polling goes on', async (t) => {
  const errors: unknown[] = [];
  let ticks = 0;
  const loop = new PollLoop({ tick: async () => { ticks++; if (ticks === 1) throw new Error('rpc down'); }, everyMs: 10, onError: (e) => errors.push(e) });
  loop.start();
  await until('ticks after the failure', () => ticks >= 3, 5000, 5);
  await loop.stop();
  t.equal(errors.length, 1);
  t.match(String(errors[0]), /rpc down/);
});

t.test('a subscription connected at start wakes the loop and is undone at stop', async (t) => {
  let ticks = 0, notify: () => void = () => {}, undone = 0;
  const loop = new PollLoop({
    tick: async () => { ticks++; }, everyMs: 60_000, minGapMs: 0,
    subscribe: (wake) => { notify = wake; return async () => { undone++; }; },
  });
  loop.start();
  await until('the first tick', () => ticks === 1, 5000, 5);
  notify();
  await until('the tick the subscription woke', () => ticks === 2, 5000, 5);
  await loop.stop();
  t.equal(undone, 1, 'unsubscribed once at stop');
});
