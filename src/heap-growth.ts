import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept alive before it
 * runs the next one: `percent` more (300: to four times), or as V8 chooses (0).
 *
 * V8 chooses from how cheap it judges a full collection against how fast the old generation
 * fills. For this server (thousands of open sockets kept live, filled slowly by what each visitor's
 * connection keeps from one message to the next) it let the heap grow by about half: under the
 * benchmark's load (6,000 visitors, about 70 MB live), a full collection every 4 to 5 s, whose
 * marking steps and final pause held up the event loop for 10 to 35 ms at a time, every message
 * arriving meanwhile with them; they set the latency's 99th percentile (12.0 ms at p99, 6.3 with
 * this setting, in two runs of Bedside alone).
 *
 * 300 is the most V8 ever chooses by itself (four times), so full collections never come more
 * often than V8 would run them. The cost is memory: the heap may reach four times its live size
 * before V8 collects and gives it back; in those two runs the server's heap peaked at 132 MB
 * against 111 MB, its resident memory at 478 MB against 415 MB. Process-wide: the writer and
 * checkpoint threads follow it too.
 */
export function setHeapGrowth(percent: number): void {
  // Read by V8 at each full collection, so it holds from the next one on.
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
