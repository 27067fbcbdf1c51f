// What the MNIST examples share: numeric command-line flags, and the training run itself — Adam
// with a cosine-annealed learning rate, a progress bar, one report line per epoch (validation
// and test error), the weights saved as safetensors and `test error: X.XX%` as the last line.
import { parseArgs } from "node:util";
import { nn, optim, DataLoader, Generator, fit, evaluate, type Dataset, type Tensor } from "../src/index.js";
import { progressBar, saveFile } from "../src/node.js";

/** Parses `--name value` flags with numeric defaults, plus `--out <file>`. */
export function parseFlags<K extends string>(script: string, defaults: Record<K, number>, out: string): Record<K, number> & { out: string } {
  const options = Object.fromEntries([
    ...Object.entries(defaults).map(([name, value]) => [name, { type: "string" as const, default: String(value) }]),
    ["out", { type: "string" as const, default: out }],
  ]);
  const values = parseArgs({ options }).values as Record<string, string>;
  const parsed = { out: String(values.out) } as Record<K, number> & { out: string };
  for (const name of Object.keys(defaults) as K[]) {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${script}: --${name} must be a non-negative number, got ${values[name]}`);
    (parsed as Record<K, number>)[name] = v;
  }
  return parsed;
}

export interface MnistRun {
  model: nn.Module;
  trainSet: Dataset;
  valSet: Dataset;
  testSet: Dataset;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** safetensors file for the trained weights, and what to record in its metadata */
  out: string;
  description: string;
}

export function trainMnist(run: MnistRun): void {
  const { model, epochs, lr } = run;
  const loaders = {
    train: new DataLoader(run.trainSet, { batchSize: run.batchSize, shuffle: true, generator: new Generator(run.seed + 1) }),
    val: run.valSet.length > 0 ? new DataLoader(run.valSet, { batchSize: 1000 }) : undefined,
    test: new DataLoader(run.testSet, { batchSize: 1000 }),
  };
  const optimizer = new optim.Adam(model.parameters(), { lr });
  const loss = (logits: Tensor, target: Tensor) => nn.functional.crossEntropy(logits, target);
  console.log(model.toString());
  console.log(
    `${model.numParameters()} parameters; ${run.trainSet.length} training, ${run.valSet.length} validation, ` +
      `${run.testSet.length} test images; batch ${run.batchSize}, Adam lr ${lr} cosine-annealed over ${epochs} epochs`,
  );

  const percent = (x: number | null) => `${(100 * (x ?? NaN)).toFixed(2)}%`;
  const start = performance.now();
  fit(model, {
    train: loaders.train,
    val: loaders.val,
    optimizer,
    scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: epochs }),
    loss,
    epochs,
    callbacks: [progressBar({ summary: false })],
    onEpochEnd(log) {
      const testError = evaluate(model, loaders.test, loss).error;
      const speed = Math.round(run.trainSet.length / log.seconds);
      console.log(
        `epoch ${String(log.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${log.trainLoss.toFixed(4)}  ` +
          (log.valLoss === null ? "" : `val loss ${log.valLoss.toFixed(4)}  val error ${percent(1 - log.valAccuracy!)}  `) +
          `test error ${percent(testError)}  ` +
          `lr ${log.lr.toExponential(2)}  ${log.seconds.toFixed(1)}s (${speed} samples/s)`,
      );
    },
  });
  const minutes = (performance.now() - start) / 60000;

  saveFile(run.out, model.stateDict(), { format: "pt", model: run.description, epochs: String(epochs) });
  console.log(`trained in ${minutes.toFixed(1)} min; weights saved to ${run.out}`);
  console.log(`test error: ${percent(evaluate(model, loaders.test, loss).error)}`);
}
