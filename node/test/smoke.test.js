// node --test: the retriever component under Node (jco + preview2-shim) against the Qdrant
// at QDRANT_URL (scripts/hosts.sh starts the embedded engine and sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../retriever/qdrant_component.js';
import { config, queryRequest, runSmoke } from '../smoke.js';

const url = process.env.QDRANT_URL;

test('QDRANT_URL names the server to test against', () => {
  assert.ok(url, 'set QDRANT_URL (scripts/hosts.sh starts an embedded engine and sets it)');
});

test('retrieval smoke: health, create, upsert, filtered query, delete', { skip: !url }, () => {
  const seen = runSmoke(url, 'smoke_node');
  assert.match(seen.info.version, /^\d+\.\d+/);
  assert.equal(seen.written, 50);
  assert.deepEqual(
    seen.hits.map((h) => h.id),
    seen.expected.map((e) => e.id),
  );
  seen.hits.forEach((hit, i) => {
    assert.ok(Math.abs(hit.score - seen.expected[i].score) < 1e-4, `score of ${hit.id}`);
    assert.equal(JSON.parse(hit.payload).group, 'red');
  });
  assert.equal(seen.deleted, true);
  assert.equal(seen.exists, false);
});

test('errors arrive as the WIT error case', { skip: !url }, () => {
  const cfg = config(url);
  const payloadOf = (call) => {
    try {
      call();
    } catch (e) {
      return e.payload;
    }
    assert.fail('expected an error');
  };
  const missing = payloadOf(() => client.getCollection(cfg, 'smoke_node_missing'));
  assert.equal(missing.tag, 'not-found');
  const zeroLimit = payloadOf(() => client.query(cfg, 'smoke_node_missing', queryRequest([1, 2], undefined, 0)));
  assert.deepEqual(zeroLimit, { tag: 'invalid-input', val: 'limit must be at least 1' });
  const down = payloadOf(() => client.healthCheck({ url: 'http://127.0.0.1:9', connectTimeoutMs: 500, retry: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1, maxElapsedMs: 1 } }));
  assert.equal(down.tag, 'connection');
});
