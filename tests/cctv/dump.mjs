// dump.mjs DIR - write every CCTV age testkit vector of the npm package
// cctv-age to DIR, one file per vector, named as in C2SP/CCTV age/testdata
// (the same format as shared/vectors/age), so that
//   DENPO_AGE_VECTORS=DIR build/tests/test_age
// runs them.  Each export of the package is a whole vector file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vectors from "cctv-age";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node dump.mjs DIR");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
let n = 0;
for (const [name, data] of Object.entries(vectors)) {
  // only vector files: Uint8Array exports with a plain file name
  if (!(data instanceof Uint8Array) || !/^[A-Za-z0-9_]+$/.test(name)) continue;
  writeFileSync(join(dir, name), data);
  n++;
}
if (n === 0) {
  console.error("no vectors found in cctv-age");
  process.exit(1);
}
console.log(`wrote ${n} vectors to ${dir}`);
