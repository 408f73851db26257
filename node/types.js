// `jco types` for the retriever world: writes the TypeScript declarations of the WIT
// contract to node/types/ (or the directory given). jco 1.35 reads the WIT through
// preview2-shim 0.26, which grants the type generator no directory by default, so this
// grants it the checkout's `wit/` and calls jco's `types` API.
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { types } from '@bytecodealliance/jco';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wit = join(root, 'wit');
const out = resolve(process.argv[2] ?? join(root, 'node', 'types'));
_setPreopens({ [wit]: wit });
const files = await types(wit, { worldName: 'retriever', outDir: out });
for (const [path, bytes] of Object.entries(files)) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}
