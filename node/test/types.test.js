// The shipped TypeScript declarations (node/types/) are what `jco types` makes of wit/ now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');

function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

test('node/types matches the WIT (regenerate with `node node/types.js`)', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'retriever-types-'));
  try {
    execFileSync(process.execPath, [join(here, 'types.js'), fresh]);
    const shipped = join(here, 'types');
    assert.deepEqual(files(shipped), files(fresh));
    for (const file of files(fresh)) {
      assert.equal(readFileSync(join(shipped, file), 'utf8'), readFileSync(join(fresh, file), 'utf8'), file);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
