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
  // every job over the threads (a pool runs each job shape's first runs on the caller alone)
  if (pool) pool.adaptive = false;
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
  const run = () => {
    const model = new nn.Sequential(new nn.Linear(2, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 2));
    const train = new sg.DataLoader(new sg.TensorDataset(x, y), { batchSize: 32 });
    return { model, options: { train, optimizer: new optim.Adam(model.parameters(), { lr: 0.01 }), loss: nn.functional.crossEntropy, epochs } };
  };
  const a = run(), b = run();
  const blocking = await counted(async () => sg.fit(a.model, a.options));
  const async = await counted(() => sg.fitAsync(b.model, b.options));
  return { blocking, async };
}

/**
 * Loops written from PyTorch habits with no tidy, dispose or keep (autofree.ts): an MLP trained on
 * batches made in the loop body, synchronously and then with an await per step (a macrotask, so
 * the GC may run), then over a DataLoader, then evaluated under noGrad. Returns memoryStats()
 * after warm-up and at the end of each loop, and what touching a freed tensor says.
 */
async function noTidyLoops({ steps = 2000 } = {}) {
  await sg.init();
  sg.manualSeed(4);
  const model = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 5));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const F = nn.functional;
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  const stats = {};
  let total = 0, earlyLoss = null;
  const trainStep = (x, y) => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    total += loss.item();
    return loss;
  };
  for (let i = 0; i < steps; i++) {
    const loss = trainStep(sg.randn([16, 20]), sg.randint(0, 5, [16]));
    if (i === 5) earlyLoss = loss; // stored, not kept: freed once unused for a step
    if (i === 20) stats.syncWarm = sg.memoryStats();
  }
  stats.syncEnd = sg.memoryStats();
  for (let i = 0; i < steps / 10; i++) {
    trainStep(sg.randn([16, 20]), sg.randint(0, 5, [16]));
    await tick();
  }
  stats.asyncEnd = sg.memoryStats();
  const xs = sg.randn([64, 20]), ys = sg.randint(0, 5, [64]);
  const loader = new sg.DataLoader(new sg.TensorDataset(xs, ys), { batchSize: 16, shuffle: true });
  for (let epoch = 0; epoch < steps / 4; epoch++) {
    for (const [x, y] of loader) trainStep(x, y);
    if (epoch === 5) stats.loaderWarm = sg.memoryStats();
  }
  stats.loaderEnd = sg.memoryStats();
  let correct = 0;
  for (let i = 0; i < steps; i++) {
    const x = sg.randn([16, 20]), y = sg.randint(0, 5, [16]);
    sg.noGrad(() => { correct += model.forward(x).argmax(1).eq(y).sum().item(); });
  }
  stats.evalEnd = sg.memoryStats();
  let freedMessage = "";
  try {
    earlyLoss.item();
  } catch (e) {
    freedMessage = String(e?.message ?? e);
  }
  return { stats, total, correct, freedMessage };
}

window.simdgradChecks = { withoutInit, train, threads, threadsWithoutIsolation, framesDuringFit, noTidyLoops };
window.simdgradReady = true;
