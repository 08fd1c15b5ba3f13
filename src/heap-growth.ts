import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept alive before it
 * runs the next one: `percent` more (300: to four times), or as V8 chooses (0).
 *
 * V8 chooses from how cheap it judges a full collection against how fast the old generation
 * fills. For this server (thousands of open sockets kept live, filled slowly by what each visitor's
 * connection keeps from one message to the next) it chose about 1.3 times: under the benchmark's
 * load (6,000 visitors), a full collection every 5 s, whose marking steps and final pause held up
 * the event loop for 20-45 ms each, every message arriving meanwhile with them; they set the
 * latency's 99th percentile. At 300 none fell in 20 s of the same load.
 *
 * 300 is the most V8 ever chooses by itself (four times), so full collections never come more
 * often than V8 would run them. The cost is memory: the heap may reach four times its live size
 * (about 300 MB at those 6,000 visitors) before V8 gives it back. Process-wide: the writer and
 * checkpoint threads follow it too.
 */
export function setHeapGrowth(percent: number): void {
  // Read by V8 at each full collection, so it holds from the next one on.
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
