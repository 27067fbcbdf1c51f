// Forward against reverse mode on a wide and a tall Jacobian. Reverse mode (grad, vjp) costs one
// backward pass per output; forward mode (jvp) one pass per input. f(x) = tanh(W₂·tanh(W₁·x)):
// wide R^256 → R^4 (few outputs: reverse wins) and tall R^4 → R^256 (few inputs: forward wins).
// Both strategies of jacobian() must give the same matrix; the timings show the cost model.
// Run: npm run jacobian-modes
import { jacobian, manualSeed, matmul, randn, tanh, tidy, type Tensor } from "../src/index.js";

manualSeed(1);
const hidden = 64;

function problem(inputs: number, outputs: number) {
  const w1 = randn([inputs, hidden], { std: 1 / Math.sqrt(inputs) });
  const w2 = randn([hidden, outputs], { std: 1 / Math.sqrt(hidden) });
  const x = randn([inputs]);
  return { x, f: (v: Tensor) => tanh(matmul(tanh(matmul(v, w1)), w2)) };
}

function time(fn: () => void, repeats = 5): number {
  fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) fn();
  return (performance.now() - t0) / repeats;
}

for (const [name, inputs, outputs] of [["wide", 256, 4], ["tall", 4, 256]] as const) {
  const { x, f } = problem(inputs, outputs);
  const maxDiff = tidy(() => {
    const rev = Array.from((jacobian(f, x) as Tensor).liveData());
    const fwd = Array.from((jacobian(f, x, { strategy: "forward" }) as Tensor).liveData());
    return rev.reduce((m, v, i) => Math.max(m, Math.abs(v - fwd[i])), 0);
  });
  const reverse = time(() => tidy(() => void jacobian(f, x)));
  const forward = time(() => tidy(() => void jacobian(f, x, { strategy: "forward" })));
  console.log(`${name} J ${outputs}×${inputs}: reverse ${reverse.toFixed(1)} ms (${outputs} backward passes), ` +
    `forward ${forward.toFixed(1)} ms (${inputs} jvps), ratio forward/reverse ${(forward / reverse).toFixed(2)}, max |J_fwd − J_rev| ${maxDiff.toExponential(1)}`);
}
