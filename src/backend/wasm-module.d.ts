// workerd (like Wrangler) hands a module declared as `wasm` in the config to its importer as a
// precompiled WebAssembly.Module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
