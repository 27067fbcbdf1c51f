// quick timing: f32 vs int8 on res64 conv and mlp b128, same process, alternating
import * as sg from "../src/index.js";
import "../src/relaxed.js";
const which = process.argv[2] ?? "all";
function time(f: () => void, n: number): number {
  for (let i = 0; i < 3; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}
await sg.init();
function pair(name: string, build: () => sg.nn.Module, shape: number[], n: number) {
  const f = build().eval();
  const x = sg.keep(sg.randn(shape));
  const q = sg.quantize(build().eval(), { calibration: [x] });
  q.loadStateDict; // eslint
  const qq = sg.quantize((() => { const m = build().eval(); m.loadStateDict(f.stateDict()); return m; })(), { calibration: [x] });
  const rf: number[] = [], rq: number[] = [];
  for (let r = 0; r < 3; r++) {
    rf.push(time(() => sg.noGrad(() => sg.tidy(() => void f.forward(x))), n));
    rq.push(time(() => sg.noGrad(() => sg.tidy(() => void qq.forward(x))), n));
  }
  const ratios = rf.map((v, i) => v / rq[i]);
  console.log(`${name}: f32 ${rf.map((v) => v.toFixed(3)).join(" ")} ms, int8 ${rq.map((v) => v.toFixed(3)).join(" ")} ms, ratio ${ratios.map((v) => v.toFixed(2)).join(" ")}`);
}
if (which === "all" || which === "conv") pair("res64", () => new sg.nn.Conv2d(64, 64, 3, { padding: 1 }), [32, 64, 32, 32], 5);
if (which === "all" || which === "mlp") pair("mlp", () => new sg.nn.Sequential(new sg.nn.Linear(784, 256), new sg.nn.ReLU(), new sg.nn.Linear(256, 256), new sg.nn.ReLU(), new sg.nn.Linear(256, 10)), [128, 784], 40);
if (which === "all" || which === "lenet") pair("lenet", () => new sg.nn.Sequential(
    new sg.nn.Conv2d(1, 6, 5, { padding: 2 }), new sg.nn.ReLU(), new sg.nn.MaxPool2d(2),
    new sg.nn.Conv2d(6, 16, 5), new sg.nn.ReLU(), new sg.nn.MaxPool2d(2),
    new sg.nn.Flatten(),
    new sg.nn.Linear(400, 120), new sg.nn.ReLU(), new sg.nn.Linear(120, 84), new sg.nn.ReLU(), new sg.nn.Linear(84, 10)), [128, 1, 28, 28], 10);
