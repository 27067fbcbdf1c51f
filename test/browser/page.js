// The browser test's page script: imports the bundled library as a web app would and exposes
// one check per page load on window.simdgradChecks (each load starts with fresh module state,
// and init() may only run once).
import * as sg from "./simdgrad.js";

const { nn, optim } = sg;

/** Two-class "XOR quadrants": label 1 where x0·x1 > 0. No linear model separates it. */
function quadrants(n, seed) {
  let s = seed >>> 0;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
  const xs = new Float32Array(2 * n), ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // keep points 0.1 away from the axes so the classes have a margin
    for (let j = 0; j < 2; j++) xs[2 * i + j] = (uniform() < 0.5 ? -1 : 1) * (0.1 + 0.9 * uniform());
    ys[i] = xs[2 * i] * xs[2 * i + 1] > 0 ? 1 : 0;
  }
  return { x: sg.tensor(xs, [n, 2]), y: sg.tensor(ys) };
}

/** Creating a tensor without `await init()` compiles the module synchronously on the main thread. */
function withoutInit() {
  try {
    const t = sg.tensor([1, 2, 3]);
    return { threw: false, sum: t.sum().item() };
  } catch (e) {
    return { threw: true, message: String(e?.message ?? e) };
  }
}

/** `await init()`, then train a 2-32-32-2 MLP with Adam and cross-entropy, full batch. */
async function train({ steps = 300 } = {}) {
  const { build } = await sg.init();
  sg.manualSeed(0);
  const { x, y } = quadrants(256, 12345);
  const model = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const losses = [];
  let afterWarmup = null;
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    losses.push(
      sg.tidy(() => {
        optimizer.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
      }),
    );
    // by now every buffer the loop needs (grads, Adam moments, cached blocks) exists
    if (step === 9) afterWarmup = sg.memoryStats();
  }
  const trainMs = performance.now() - t0;
  const final = sg.memoryStats();
  const accuracy = sg.tidy(() => sg.argmax(model.eval().forward(x), 1).eq(y).float().mean().item());
  return { build, firstLoss: losses[0], finalLoss: losses[steps - 1], accuracy, afterWarmup, final, trainMs };
}

/** `await init({ threads: 2 })` (Blob-URL Web Workers), then GEMM-heavy ops on 1 and 2 threads. */
async function threads() {
  const { build, pool } = await sg.init({ threads: 2 });
  sg.manualSeed(5);
  const a = sg.randn([256, 300]), b = sg.randn([300, 200]);
  const w = sg.randn([200, 300], { requiresGrad: true }), bias = sg.randn([200], { requiresGrad: true });
  const run = (n) => {
    sg.setNumThreads(n);
    const out = sg.tidy(() => {
      const product = sg.matmul(a, b).data();
      sg.linear(a, w, bias).relu().sum().backward();
      return { product: Array.from(product), gradW: Array.from(w.grad.data()), gradBias: Array.from(bias.grad.data()) };
    });
    for (const p of [w, bias]) (p.grad.dispose(), (p.grad = null));
    return { ...out, threadsUsed: sg.getNumThreads() };
  };
  const one = run(1), two = run(2);
  // a spot check that the values are right, not merely equal: one element of a @ b by hand
  const av = a.data(), bv = b.data();
  let dot = 0;
  for (let p = 0; p < 300; p++) dot += av[255 * 300 + p] * bv[p * 200 + 199];
  return { build, poolSize: pool?.size ?? 1, crossOriginIsolated: globalThis.crossOriginIsolated, one, two, lastProductByHand: dot };
}

/** On a page that is not cross-origin isolated, init({ threads }) must say why it cannot start. */
async function threadsWithoutIsolation() {
  try {
    await sg.init({ threads: 2 });
    return { threw: false, crossOriginIsolated: globalThis.crossOriginIsolated };
  } catch (e) {
    return { threw: true, message: String(e?.message ?? e), crossOriginIsolated: globalThis.crossOriginIsolated };
  }
}

/**
 * Animation frames drawn while `fit` and `fitAsync` train the same model for `epochs`: the
 * blocking loop lets none through, the async one keeps the page drawing.
 */
async function framesDuringFit({ epochs = 100 } = {}) {
  await sg.init();
  sg.manualSeed(0);
  const { x, y } = quadrants(512, 777);
  const counted = async (train) => {
    let frames = 0, counting = true;
    const count = () => counting && (frames++, requestAnimationFrame(count));
    requestAnimationFrame(count);
    await new Promise((r) => requestAnimationFrame(r)); // the counter is running
    const before = frames, t0 = performance.now();
    const history = await train();
    const ms = performance.now() - t0;
    counting = false;
    return { frames: frames - before, ms, finalLoss: history.epochs.at(-1).trainLoss };
  };
  const options = () => {
    const model = new nn.Sequential(new nn.Linear(2, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 2));
    const train = new sg.DataLoader(new sg.TensorDataset(x, y), { batchSize: 32 });
    return { train, optimizer: new optim.Adam(model.parameters(), { lr: 0.01 }), loss: nn.functional.crossEntropy, epochs, model };
  };
  const a = options(), b = options();
  const blocking = await counted(async () => sg.fit(a.model, a));
  const async = await counted(() => sg.fitAsync(b.model, b));
  return { blocking, async };
}

window.simdgradChecks = { withoutInit, train, threads, threadsWithoutIsolation, framesDuringFit };
window.simdgradReady = true;
