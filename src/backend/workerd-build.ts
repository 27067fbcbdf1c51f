// The plain build under the "workerd" export condition (Cloudflare Workers; Wrangler resolves it):
// workerd forbids compiling wasm from bytes, so the embedded bytes would be dead weight there.
// Instead the package's own .wasm file is imported as a module (by the exported name users would
// import it by), which Wrangler and workerd's `wasm` modules hand over precompiled, and init()
// needs no `source`. package.json's "imports" maps #embedded-build here for that condition;
// scripts/build-js.mjs points the ES build's backend at #embedded-build.
import simdWasm from "simdgrad/simdgrad.wasm";

export { simdWasm };
