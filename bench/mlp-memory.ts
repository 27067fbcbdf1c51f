// Peak memory of MLP training, in a fresh process so no other workload has grown the wasm
// memories: simdgrad's wasm memory and allocator high-water mark vs what the step must hold
// (parameters + gradients + Adam's two moments + one batch of activations), and TF.js wasm's heap.
// Prints one JSON object. Run by run.ts with the parent's node flags:
//   mlp-memory.ts <steps> [<simdgrad threads>]
import * as sg from "../src/index.js";
import { nodeWorkerSpawner } from "../src/backend/threads-node.js";
import { MLP_BATCH, MLP_SIZES, simdgradMlpTrain, tfjsMlpTrain } from "./mlp.js";
import { initPeers, tf, useBackend } from "./peers.js";

const steps = Number(process.argv[2] ?? 20);
const threads = Number(process.argv[3] ?? 1);
// The pool (and its per-worker GEMM workspaces) must exist before the first tensor.
await sg.init(threads > 1 ? { threads, spawnWorker: nodeWorkerSpawner } : {});

let params = 0;
for (let i = 1; i < MLP_SIZES.length; i++) params += MLP_SIZES[i - 1] * MLP_SIZES[i] + MLP_SIZES[i];
// Activations: the input batch, each layer's output (Linear and ReLU separately), int32 targets.
const hidden = MLP_SIZES.slice(1, -1).reduce((a, n) => a + 2 * n, 0);
const activations = MLP_BATCH * (MLP_SIZES[0] + hidden + MLP_SIZES[MLP_SIZES.length - 1]) + MLP_BATCH;
const budgetBytes = 4 * (4 * params + activations);

const mine = simdgradMlpTrain();
for (let i = 0; i < steps; i++) mine.run();
const stats = sg.memoryStats();

await initPeers();
await useBackend("wasm");
const peer = tfjsMlpTrain();
for (let i = 0; i < steps; i++) peer.run();
const tfjsWasmHeapBytes: number = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;

console.log(JSON.stringify({
  steps,
  peakWasmMemoryBytes: stats.wasmMemoryBytes,
  allocatorHighWaterBytes: stats.bytesReserved,
  budgetBytes,
  budget: { paramsBytes: 4 * params, gradsBytes: 4 * params, adamStateBytes: 8 * params, activationBytes: 4 * activations },
  tfjsWasmHeapBytes,
}));
