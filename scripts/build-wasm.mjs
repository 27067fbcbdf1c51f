// Compiles assembly/ four ways — plain SIMD or relaxed SIMD, each with private or shared memory
// (the shared builds back the opt-in worker threads) — and embeds the binaries in generated TS
// modules, so the library loads with zero configuration in Node and in bundlers. Only the plain
// build is imported by the core; the relaxed and shared builds each get their own module, which
// only the opt-in entry points (src/relaxed.ts, src/threads.ts) import, so default bundles do not
// carry them. The bytes are embedded deflated (by zopfli, 6% smaller than zlib's best) and
// base64-encoded (src/backend/inflate.ts decodes them): a server's gzip cannot shrink that
// further, so a page carries less than the .wasm file's gzip size (hex, which gzip recompresses,
// came to 17% more). The plain builds' shrinkLevel 1 (Binaryen's -O3 with -Os's inlining limits)
// takes 1.2 kB (gzip) off every page against shrinkLevel 0 and measured no slower side by side in
// every bench workload (bench/compare-trees.ts) once the int8 im2col's per-row gather was marked
// @inline (assembly/qgemm.ts); the relaxed builds, which no page carries unasked, stay at 0 (the
// few-channel convolutions, conv_direct_lanes_f32, measured 20-35% faster there on an Intel Xeon;
// on this AMD machine the plain build at 1 gets them to 0.9x of PyTorch at LeNet). converge,
// tried too, made the gzip larger. Outputs are written under temporary names and
// renamed, so a concurrent test run never reads half a file. The elementwise ops are generated from
// their tables first (scripts/elementwise-ops.mjs); the TypeScript declarations of the
// kernels and of the enums both sides share are generated here too (scripts/kernel-boundary.mjs).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import zopfli from "@gfx/zopfli";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { checkExports, readBoundary, renderBoundary } from "./kernel-boundary.mjs";
import { generateElementwiseOps } from "./elementwise-ops.mjs";

const asc = new URL("../node_modules/.bin/asc", import.meta.url).pathname;

// Nothing to do when every output is newer than every input (npm start, npm pack after npm test).
const inputs = ["asconfig.json", "scripts/build-wasm.mjs", "scripts/kernel-boundary.mjs", "scripts/elementwise-ops.mjs", ...readdirSync("assembly", { recursive: true }).map((f) => `assembly/${f}`)];
const outputs = ["simdgrad", "simdgrad-relaxed", "simdgrad-shared", "simdgrad-relaxed-shared"].map((b) => `build/${b}.wasm`)
  .concat(["kernels", "wasm-binaries", "wasm-binaries-relaxed", "wasm-binaries-shared"].map((m) => `src/backend/generated/${m}.ts`));
const newestInput = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs > newestInput)) process.exit(0);
mkdirSync("build", { recursive: true });
mkdirSync("src/backend/generated", { recursive: true });

async function compile(target, file) {
  const tmp = `build/.${target}.${process.pid}.wasm`;
  try {
    await promisify(execFile)(asc, ["assembly/index.ts", "--config", "asconfig.json", "--target", target, "--outFile", tmp]);
  } catch (e) {
    process.stderr.write(`${e.stdout ?? ""}${e.stderr ?? ""}`);
    process.exit(1);
  }
  const bytes = onlyFunctionExports(readFileSync(tmp));
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return bytes;
}

// asc exports every member of the enums assembly/index.ts re-exports as a global ("Unary.Relu", ...)
// and re-exports the imported memory; src/ takes the enums from the generated kernels.ts and
// passes the memory in, so only the functions stay exported (1 kB less, 0.4 kB deflated).
function onlyFunctionExports(wasm) {
  const uleb = (p) => {
    let value = 0, shift = 0, byte;
    do {
      byte = wasm[p++];
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return [value >>> 0, p];
  };
  const encode = (n) => {
    const out = [];
    do out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    while ((n >>>= 7));
    return Buffer.from(out);
  };
  const parts = [wasm.subarray(0, 8)];
  for (let p = 8; p < wasm.length; ) {
    const [size, start] = uleb(p + 1);
    if (wasm[p] === 7) {
      let [count, q] = uleb(start);
      const kept = [];
      while (count--) {
        const entry = q;
        const [nameLength, name] = uleb(q);
        const kind = wasm[name + nameLength];
        q = uleb(name + nameLength + 1)[1];
        if (kind === 0) kept.push(wasm.subarray(entry, q));
      }
      const body = Buffer.concat([encode(kept.length), ...kept]);
      parts.push(Buffer.from([7]), encode(body.length), body);
    } else {
      parts.push(wasm.subarray(p, start + size));
    }
    p = start + size;
  }
  return Buffer.concat(parts);
}

function writeModule(moduleFile, text) {
  const tmp = `src/backend/generated/.${process.pid}.ts`;
  writeFileSync(tmp, text);
  renameSync(tmp, moduleFile);
}

const deflate = promisify(zopfli.deflate);
async function emit(moduleFile, exports) {
  let body = "";
  for (const [name, bytes] of Object.entries(exports)) {
    const deflated = Buffer.from(await deflate(bytes, { numiterations: 15 })).toString("base64");
    body += `export const ${name}: EmbeddedBuild = { bytes: ${bytes.length}, deflated: "${deflated}" };\n`;
  }
  writeModule(moduleFile, '// Generated by scripts/build-wasm.mjs from assembly/. Do not edit.\nimport type { EmbeddedBuild } from "../wasm.js";\n' + body);
}

await generateElementwiseOps();
const boundary = readBoundary("assembly/index.ts");
writeModule("src/backend/generated/kernels.ts", renderBoundary(boundary));

// Two compilers at a time: one per core. The first two builds are deflated while the shared ones compile.
const [simd, relaxed] = await Promise.all([compile("simd", "build/simdgrad.wasm"), compile("relaxed", "build/simdgrad-relaxed.wasm")]);
try {
  checkExports(simd, boundary);
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
const sharedBuilds = Promise.all([compile("simd-shared", "build/simdgrad-shared.wasm"), compile("relaxed-shared", "build/simdgrad-relaxed-shared.wasm")]);
await emit("src/backend/generated/wasm-binaries.ts", { simdWasm: simd });
await emit("src/backend/generated/wasm-binaries-relaxed.ts", { relaxedWasm: relaxed });
const [simdShared, relaxedShared] = await sharedBuilds;
await emit("src/backend/generated/wasm-binaries-shared.ts", { simdSharedWasm: simdShared, relaxedSharedWasm: relaxedShared });
