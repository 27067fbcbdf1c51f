// A Cloudflare Worker (ES module syntax) that trains a tiny MLP with simdgrad inside workerd.
// workerd forbids compiling wasm from bytes at run time, so the kernels come in as a wasm module
// declared in the config (`import wasm from "./simdgrad.wasm"`) and are handed to init().
// The binding SIMDGRAD_SOURCE = "embedded" makes init() use the library's embedded bytes
// instead, to check the error a user gets when they forget to pass the module.
import { init } from "../../src/index.js";
import { trainXorQuadrants } from "./train.js";
import wasm from "./simdgrad.wasm";

interface Env {
  SIMDGRAD_SOURCE: "module" | "embedded";
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    try {
      const { build } = await init(env.SIMDGRAD_SOURCE === "module" ? { source: wasm } : {});
      return Response.json({ build, ...trainXorQuadrants() });
    } catch (e) {
      const error = e instanceof Error ? { name: e.name, message: e.message } : { name: "unknown", message: String(e) };
      return Response.json({ error }, { status: 500 });
    }
  },
};
