// A latency probe for Node (bench/hosts.py): reads query vectors (little-endian f32 rows of
// BENCH_DIMENSION) from BENCH_QUERIES, runs the first top-10 query and prints `first`, then
// times each of the others and prints `p50_us <median>`.
import { readFileSync } from 'node:fs';
import { client } from './retriever/qdrant_component.js';
import { config } from './smoke.js';

const env = (name) => process.env[name] ?? (() => { throw new Error(`set ${name}`); })();
const cfg = config(env('QDRANT_URL'));
const collection = env('BENCH_COLLECTION');
const rowBytes = Number(env('BENCH_DIMENSION')) * 4;
const bytes = readFileSync(env('BENCH_QUERIES'));
const query = (i) => ({
  query: { tag: 'nearest', val: { tag: 'dense', val: { tag: 'le-bytes', val: new Uint8Array(bytes.buffer, bytes.byteOffset + i * rowBytes, rowBytes) } } },
  prefetch: [],
  limit: 10,
  offset: 0,
  withPayload: { tag: 'all' },
  withVectors: { tag: 'none' },
});
const count = bytes.length / rowBytes;
client.query(cfg, collection, query(0));
console.log('first');
const times = [];
for (let i = 1; i < count; i++) {
  const started = process.hrtime.bigint();
  client.query(cfg, collection, query(i));
  times.push(Number(process.hrtime.bigint() - started) / 1000);
}
times.sort((a, b) => a - b);
console.log(`p50_us ${Math.round(times[Math.floor(times.length / 2)])}`);
