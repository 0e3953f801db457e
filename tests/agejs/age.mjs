// age.mjs - a minimal age CLI over typage (npm age-encryption, pinned in
// package.json) for tests/it_age_pq_interop.sh; the same verbs as
// tests/tool_age.c:
//
//   node age.mjs keygen                        hybrid (mlkem768x25519) identity line, then recipient line
//   node age.mjs keygen-x25519                 the same for X25519
//   node age.mjs recipient                     identity on stdin -> its recipient
//   node age.mjs encrypt [-a] -r RECIPIENT...  stdin -> stdout (armored with -a)
//   node age.mjs decrypt -i IDENTITYFILE...    stdin -> stdout (binary or armored input)
//
// Errors: exit 1 with a message on stderr and nothing on stdout.
import { readFileSync } from "node:fs";
import * as age from "age-encryption";

function usage() {
  process.stderr.write("usage: node age.mjs keygen | keygen-x25519 | recipient | encrypt [-a] -r R... | decrypt -i FILE...\n");
  process.exit(2);
}

function stdin() {
  return new Uint8Array(readFileSync(0));
}

async function main(argv) {
  const verb = argv[0];
  if (verb === "keygen" || verb === "keygen-x25519") {
    if (argv.length !== 1) usage();
    const id = verb === "keygen" ? await age.generateHybridIdentity() : await age.generateX25519Identity();
    process.stdout.write(id + "\n" + (await age.identityToRecipient(id)) + "\n");
    return;
  }
  if (verb === "recipient") {
    if (argv.length !== 1) usage();
    const id = new TextDecoder().decode(stdin()).trim();
    process.stdout.write((await age.identityToRecipient(id)) + "\n");
    return;
  }
  let armor = false;
  const rcpt = [], ids = [];
  for (let i = 1; i < argv.length; i++) {
    if (verb === "encrypt" && argv[i] === "-a") armor = true;
    else if (verb === "encrypt" && argv[i] === "-r" && i + 1 < argv.length) rcpt.push(argv[++i]);
    else if (verb === "decrypt" && argv[i] === "-i" && i + 1 < argv.length) {
      for (const l of readFileSync(argv[++i], "utf8").split("\n")) {
        const t = l.trim();
        if (t && !t.startsWith("#")) ids.push(t);
      }
    } else usage();
  }
  if (verb === "encrypt") {
    if (rcpt.length === 0) usage();
    const e = new age.Encrypter();
    for (const r of rcpt) e.addRecipient(r);
    const ct = await e.encrypt(stdin());
    process.stdout.write(armor ? age.armor.encode(ct) : ct);
  } else if (verb === "decrypt") {
    if (ids.length === 0) usage();
    const d = new age.Decrypter();
    for (const id of ids) d.addIdentity(id);
    let input = stdin();
    if (!new TextDecoder().decode(input.subarray(0, 19)).startsWith("age-encryption.org/"))
      input = age.armor.decode(new TextDecoder().decode(input));
    process.stdout.write(await d.decrypt(input, "uint8array"));
  } else usage();
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`age.mjs: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
