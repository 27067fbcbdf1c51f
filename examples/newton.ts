// Newton's method next to gradient descent on a two-weight problem: fit y = w₂·tanh(w₁·x) to data
// made with w₁ = w₂ = 1. The loss has its minima at ±(1, 1) and a saddle at the origin, where the
// gradient vanishes too. Newton's step −H⁻¹g jumps to the nearest stationary point of the local
// quadratic model — near the origin that is the saddle, and plain Newton walks straight into it.
// Gradient descent slides off the saddle; damped Newton (H + λI with λ making it positive
// definite, inside a trust region) keeps Newton's speed near the minimum and never heads uphill.
// The Hessian is computed by double backward (simdgrad's hessian()).
// Run: npm run newton
import { grad, hessian, linspace, mean, mul, noGrad, square, sub, tanh, tensor, tidy, type Tensor } from "../src/index.js";

const x = linspace(-2, 2, 21);
const y = noGrad(() => tanh(x));
/** L(w) = mean((w₂·tanh(w₁·x) − y)²) for w = [w₁, w₂]. */
const loss = (w: Tensor) => {
  const [w1, w2] = [w.narrow(0, 0, 1), w.narrow(0, 1, 1)];
  return mean(square(sub(mul(tanh(mul(x, w1)), w2), y)));
};

interface Local { value: number; g: [number, number]; H: [[number, number], [number, number]] }

function local(w: number[]): Local {
  return tidy(() => {
    const wt = tensor(w, [2], { requiresGrad: true });
    const value = loss(wt);
    const [g] = grad(value, [wt]);
    const h = (hessian(loss, wt) as Tensor).liveData();
    const gv = g!.liveData();
    return { value: value.item(), g: [gv[0], gv[1]], H: [[h[0], h[1]], [h[2], h[3]]] };
  });
}

/** Eigenvalues of a symmetric 2×2 matrix, ascending. */
function eigenvalues([[a, b], [, d]]: Local["H"]): [number, number] {
  const mid = (a + d) / 2, r = Math.hypot((a - d) / 2, b);
  return [mid - r, mid + r];
}

/** Solves (H + λI)·s = −g. */
function newtonStep({ g, H }: Local, lambda: number): [number, number] {
  const a = H[0][0] + lambda, b = H[0][1], d = H[1][1] + lambda;
  const det = a * d - b * b;
  return [-(d * g[0] - b * g[1]) / det, -(a * g[1] - b * g[0]) / det];
}

type Method = (here: Local) => [number, number];
const methods: Record<string, Method> = {
  "gradient descent (lr 0.5)": ({ g }) => [-0.5 * g[0], -0.5 * g[1]],
  "Newton": (here) => newtonStep(here, 0),
  // λ lifts the smallest eigenvalue to at least 0.01, so the model is convex and the step goes
  // downhill; the step is cut to length 0.5 (the trust region). Near a minimum λ = 0: plain Newton.
  "damped Newton": (here) => {
    const s = newtonStep(here, Math.max(0, 0.01 - eigenvalues(here.H)[0]));
    const scale = Math.min(1, 0.5 / Math.hypot(...s));
    return [s[0] * scale, s[1] * scale];
  },
};

const start = [0.15, -0.1];
console.log(`start w = (${start.join(", ")}), near the saddle at the origin; minima at ±(1, 1)\n`);
for (const [name, step] of Object.entries(methods)) {
  let w = [...start];
  let here = local(w);
  let iterations = 0;
  for (; iterations < 200 && Math.hypot(...here.g) > 1e-5; iterations++) {
    const s = step(here);
    w = [w[0] + s[0], w[1] + s[1]];
    here = local(w);
  }
  const [lo, hi] = eigenvalues(here.H);
  const kind = lo > 0 ? "a minimum" : lo < 0 && hi > 0 ? "a SADDLE" : "a degenerate point";
  console.log(`${name.padEnd(26)} ${String(iterations).padStart(3)} steps -> w = (${w.map((v) => v.toFixed(4)).join(", ")}), ` +
    `loss ${here.value.toExponential(2)}, |g| ${Math.hypot(...here.g).toExponential(1)}, Hessian eigenvalues (${lo.toFixed(3)}, ${hi.toFixed(3)}): ${kind}`);
}
