// The playground page: controls in, figures out. All training happens in the worker; the page
// only forwards the controls and puts the SVG figures it receives into the page.
import { DATASETS_2D } from "./datasets.js";
import type { Config, FromWorker, ModelName, ToWorker, Update } from "./worker.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const controls = {
  model: $<HTMLSelectElement>("model"),
  dataset: $<HTMLSelectElement>("dataset"),
  optimizer: $<HTMLSelectElement>("optimizer"),
  lr: $<HTMLInputElement>("lr"),
  width: $<HTMLInputElement>("width"),
  noise: $<HTMLInputElement>("noise"),
  dropout: $<HTMLInputElement>("dropout"),
};
const run = $<HTMLButtonElement>("run"), stepButton = $<HTMLButtonElement>("step"), reset = $<HTMLButtonElement>("reset");
const status = $("status");
for (const d of DATASETS_2D) controls.dataset.add(new Option(d, d));

// Per model: which controls apply and sensible starting values.
const DEFAULTS: Record<ModelName, { lr: number; width: number; uses: (keyof typeof controls)[] }> = {
  logistic: { lr: 0.1, width: 0, uses: ["dataset", "optimizer", "lr"] },
  mlp2d: { lr: 0.03, width: 8, uses: ["dataset", "optimizer", "lr", "width", "noise", "dropout"] },
  "mnist-mlp": { lr: 0.001, width: 100, uses: ["optimizer", "lr", "width", "noise", "dropout"] },
  lenet: { lr: 0.001, width: 0, uses: ["optimizer", "lr", "noise", "dropout"] },
  autoencoder: { lr: 0.001, width: 128, uses: ["optimizer", "lr", "width", "noise", "dropout"] },
  som: { lr: 0, width: 0, uses: [] },
};

const worker = new Worker("./worker.js", { type: "module" });
const send = (m: ToWorker) => worker.postMessage(m);
let last: Update | null = null;
/** What the worker said it started with (null until it is ready). */
let started: { threads: number; isolated: boolean } | null = null;

function config(): Config {
  return {
    model: controls.model.value as ModelName,
    dataset: controls.dataset.value as Config["dataset"],
    optimizer: controls.optimizer.value as Config["optimizer"],
    lr: Number(controls.lr.value),
    width: Math.max(1, Math.round(Number(controls.width.value))),
    noise: Number(controls.noise.value),
    dropout: Number(controls.dropout.value),
    seed: 0,
  };
}

function configure() {
  last = null;
  run.textContent = "run";
  send({ type: "configure", config: config() });
}

function selectModel() {
  const d = DEFAULTS[controls.model.value as ModelName];
  controls.lr.value = String(d.lr);
  if (d.width) controls.width.value = String(d.width);
  for (const [name, el] of Object.entries(controls)) if (name !== "model") el.disabled = !d.uses.includes(name as keyof typeof controls);
  configure();
}

controls.model.onchange = selectModel;
for (const name of ["dataset", "optimizer", "width", "noise", "dropout"] as const) controls[name].onchange = configure;
controls.lr.onchange = () => send({ type: "set", lr: Number(controls.lr.value) });
run.onclick = () => {
  const start = run.textContent === "run";
  send({ type: start ? "run" : "pause" });
  run.textContent = start ? "pause" : "run";
};
stepButton.onclick = () => ((run.textContent = "run"), send({ type: "step" }));
reset.onclick = configure;

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === "ready") {
    started = { threads: m.threads, isolated: m.isolated };
    status.textContent = `simdgrad ready: ${m.threads} thread${m.threads > 1 ? "s" : ""}${m.isolated ? " (cross-origin isolated)" : ""}`;
    selectModel();
  } else if (m.type === "status") status.textContent = m.text;
  else if (m.type === "error") status.textContent = `error: ${m.message}`;
  else {
    last = m;
    $("main").innerHTML = m.figures.main;
    $("side").innerHTML = m.figures.side;
    const loss = m.losses.at(-1);
    status.textContent = `${m.steps} steps, ${m.epoch} epochs${loss === undefined ? "" : `, loss ${loss.toFixed(4)}`}${m.running ? "" : " (paused)"}`;
  }
};

// For tests and the console: the latest update, how simdgrad started in the worker, and the controls.
Object.assign(window, { playground: { get last() { return last; }, get ready() { return started !== null; }, get started() { return started; }, controls, configure, selectModel } });
