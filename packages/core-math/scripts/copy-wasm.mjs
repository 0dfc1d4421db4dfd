// Copies the WebAssembly kernel modules next to the compiled JavaScript (dist/kernels/generated), so the
// published package ships the .wasm files too. Runs after tsc in the package build.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(packageDir, 'src', 'kernels', 'generated');
const to = join(packageDir, 'dist', 'kernels', 'generated');

await mkdir(to, { recursive: true });
const modules = (await readdir(from)).filter((name) => name.endsWith('.wasm'));
if (modules.length === 0) throw new Error(`no .wasm files in ${from}: run scripts/build-wasm.mjs first`);
for (const name of modules) await copyFile(join(from, name), join(to, name));
console.log(`copied ${modules.join(', ')} to dist/kernels/generated`);
