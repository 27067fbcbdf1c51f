# workerd config for test/workerd.test.ts: two services running the same bundle, one given the
# precompiled wasm module, one left to simdgrad's embedded bytes (which workerd must refuse).
# The test serves them on free ports with --socket-addr module=... --socket-addr embedded=...
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "module", worker = (modules = .modules, bindings = [(name = "SIMDGRAD_SOURCE", text = "module")], compatibilityDate = "2025-01-01")),
    (name = "embedded", worker = (modules = .modules, bindings = [(name = "SIMDGRAD_SOURCE", text = "embedded")], compatibilityDate = "2025-01-01")),
  ],
  sockets = [
    (name = "module", address = "127.0.0.1:0", http = (), service = "module"),
    (name = "embedded", address = "127.0.0.1:0", http = (), service = "embedded"),
  ],
);

const modules :List(Workerd.Worker.Module) = [
  (name = "worker.js", esModule = embed "worker.js"),
  (name = "simdgrad.wasm", wasm = embed "simdgrad.wasm"),
];
