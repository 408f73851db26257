// The retrieval smoke test every host runs (scripts/hosts.sh), on the retriever component
// transpiled by jco: health, create, upsert 50 points with payloads, a filtered query whose
// expected ids are computed here from the same data, delete.
import { client } from './retriever/qdrant_component.js';

export const DIMENSION = 8;
export const POINTS = 50;
export const GROUPS = ['red', 'green', 'blue'];
export const LIMIT = 5;

/** Vectors and query: small integers from x <- (75x + 74) mod 65537, value x mod 17 - 8. */
export function smokeData() {
  let x = 1;
  const next = () => {
    x = (x * 75 + 74) % 65537;
    return (x % 17) - 8;
  };
  const row = () => Array.from({ length: DIMENSION }, next);
  const vectors = Array.from({ length: POINTS }, row);
  return { vectors, query: row() };
}

/** Ids and cosine scores of the LIMIT red points nearest to `query`, best first. */
export function expectedHits(vectors, query) {
  const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return vectors
    .map((v, i) => ({ i, v }))
    .filter(({ i }) => i % 3 === 0)
    .map(({ i, v }) => ({
      id: String(i + 1),
      score: v.reduce((s, x, j) => s + x * query[j], 0) / norm(v) / norm(query),
    }))
    .sort((a, b) => b.score - a.score)
    .slice(0, LIMIT);
}

/** Little-endian f32 bytes, as the WIT `packed-vectors` `le-bytes` case carries them. */
export function leBytes(values) {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function config(url) {
  return { url, apiKey: process.env.QDRANT_API_KEY || undefined };
}

export function queryRequest(query, filter, limit = LIMIT) {
  return {
    query: { tag: 'nearest', val: { tag: 'dense', val: { tag: 'le-bytes', val: leBytes(query) } } },
    prefetch: [],
    filter,
    limit,
    offset: 0,
    withPayload: { tag: 'all' },
    withVectors: { tag: 'none' },
  };
}

/** Runs the smoke test; throws on the first difference. Returns what it saw. */
export function runSmoke(url, collection) {
  const cfg = config(url);
  const info = client.healthCheck(cfg);
  client.deleteCollection(cfg, collection);
  client.createCollection(cfg, collection, BigInt(DIMENSION), 'cosine');
  const { vectors, query } = smokeData();
  const written = client.upsertPoints(
    cfg,
    collection,
    {
      ids: vectors.map((_, i) => String(i + 1)),
      dense: [{ name: '', dimension: DIMENSION, data: { tag: 'le-bytes', val: leBytes(vectors.flat()) } }],
      sparse: [],
      payloads: vectors.map((_, i) => JSON.stringify({ group: GROUPS[i % 3], n: i })),
    },
    true,
  );
  const filter = { tag: 'must-match', val: [['group', 'red']] };
  const hits = client.query(cfg, collection, queryRequest(query, filter));
  const deleted = client.deleteCollection(cfg, collection);
  const exists = client.collectionExists(cfg, collection);
  return { info, written, hits, expected: expectedHits(vectors, query), deleted, exists };
}
