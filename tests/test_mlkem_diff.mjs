// test_mlkem_diff.mjs TOOL [N] - differential test of libdenpo's ML-KEM-768
// (through tests/tool_mlkem) against @noble/post-quantum's ml_kem768, run by
// tests/it_mlkem_noble.sh.  For N random seeds: the same ek, dk, ct and
// shared secret, the same decaps result, and the same implicit-rejection key
// for a random ciphertext; and for N/4 encapsulation keys with one
// coefficient pushed to q..4095, both must refuse to encapsulate.
// Prints "diff: P passed, F failed".
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

// The package is installed in tests/mlkem (its package.json pins it).
const require = createRequire(new URL("./mlkem/package.json", import.meta.url));
const { ml_kem768 } = await import(
  pathToFileURL(require.resolve("@noble/post-quantum/ml-kem.js")).href
);

const [tool, nArg] = process.argv.slice(2);
if (!tool) {
  console.error("usage: node test_mlkem_diff.mjs TOOL [N]");
  process.exit(2);
}
const N = Number(nArg ?? 200);
const hex = (b) => Buffer.from(b).toString("hex");

const child = spawn(tool, [], { stdio: ["pipe", "pipe", "inherit"] });
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function ask(line) {
  child.stdin.write(line + "\n");
  const r = await lines.next();
  if (r.done) throw new Error("tool_mlkem exited");
  return r.value.split(" ");
}

let pass = 0, fail = 0;
function check(ok, what) {
  if (ok) pass++;
  else {
    fail++;
    console.error("FAIL " + what);
  }
}

// Coefficient i (0..767) of an encoded ek set to v.
function setCoeff(ek, i, v) {
  const b = 3 * (i >> 1);
  if (i % 2 === 0) {
    ek[b] = v & 0xff;
    ek[b + 1] = (ek[b + 1] & 0xf0) | (v >> 8);
  } else {
    ek[b + 1] = (ek[b + 1] & 0x0f) | ((v & 0x0f) << 4);
    ek[b + 2] = v >> 4;
  }
}

for (let i = 0; i < N; i++) {
  const seed = randomBytes(64), m = randomBytes(32), bad = randomBytes(1088);
  const [ek, dk, ct, ss, ss2, ss3] = await ask(`kem ${hex(seed)} ${hex(m)} ${hex(bad)}`);
  const keys = ml_kem768.keygen(new Uint8Array(seed));
  const enc = ml_kem768.encapsulate(keys.publicKey, new Uint8Array(m));
  const dec = ml_kem768.decapsulate(enc.cipherText, keys.secretKey);
  const rej = ml_kem768.decapsulate(new Uint8Array(bad), keys.secretKey);
  check(ek === hex(keys.publicKey), `ek, seed ${hex(seed)}`);
  check(dk === hex(keys.secretKey), `dk, seed ${hex(seed)}`);
  check(ct === hex(enc.cipherText), `ct, seed ${hex(seed)} m ${hex(m)}`);
  check(ss === hex(enc.sharedSecret), `ss, seed ${hex(seed)} m ${hex(m)}`);
  check(ss2 === hex(dec) && ss2 === ss, `decaps, seed ${hex(seed)}`);
  check(ss3 === hex(rej) && ss3 !== ss, `implicit rejection, seed ${hex(seed)}`);

  if (i % 4 === 0) {
    // an unreduced coefficient: both refuse
    const badEk = Uint8Array.from(keys.publicKey);
    const pos = randomBytes(2).readUInt16LE() % 768;
    const v = 3329 + (randomBytes(2).readUInt16LE() % (4096 - 3329));
    setCoeff(badEk, pos, v);
    const [r0, r1] = await ask(`enc ${hex(badEk)} ${hex(m)}`);
    let nobleRefused = false;
    try {
      ml_kem768.encapsulate(badEk, new Uint8Array(m));
    } catch {
      nobleRefused = true;
    }
    check(r0 === "error" && r1 === "parse" && nobleRefused, `modulus, coefficient ${pos} = ${v}`);
  }
}
child.stdin.end();
console.log(`diff: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
