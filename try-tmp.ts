import * as sg from "./src/index.js";
import { exportOnnx } from "./src/onnx.js";
import * as ort from "onnxruntime-web";
ort.env.wasm.numThreads = 1; ort.env.logLevel = "error";
await sg.init();
const mk = () => new sg.nn.Sequential(new sg.nn.Linear(784, 256), new sg.nn.ReLU(), new sg.nn.Linear(256, 256), new sg.nn.ReLU(), new sg.nn.Linear(256, 10));
const x = sg.keep(sg.randn([128, 784]));
const m = sg.quantize(mk().eval(), { calibration: [x] });
const s = await ort.InferenceSession.create(exportOnnx(m, x), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
const feeds = { input: new ort.Tensor("float32", x.data() as Float32Array, [128, 784]) };
const out = (await s.run(feeds)).output.data as Float32Array;
const ours = sg.noGrad(() => m.forward(x)).data() as Float32Array;
let d = 0; for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs(ours[i] - out[i]));
for (let i = 0; i < 100; i++) await s.run(feeds);
let best = Infinity;
for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 100; i++) await s.run(feeds); best = Math.min(best, (performance.now() - t0) / 100); }
console.log(process.env.VAR ?? "ours", best.toFixed(3), "ms  maxdiff", d);
