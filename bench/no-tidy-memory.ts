// Memory of PyTorch-habit loops written with no tidy, dispose or keep: an MLP trained on batches
// made in the loop body, synchronously and with an await per step. Prints one line per loop with
// the wasm memory, bytes in use and live tensors at the start and the end.
//   node --import tsx bench/no-tidy-memory.ts [steps]
import * as sg from "../src/index.js";

const { nn, optim, randn, randint } = sg;
const steps = Number(process.argv[2] ?? 10000);
const MB = (b: number) => (b / 2 ** 20).toFixed(2);

function mlp() {
  sg.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(20, 64), new nn.ReLU(), new nn.Linear(64, 5));
  return { model, opt: new optim.Adam(model.parameters(), { lr: 1e-3 }) };
}

function step(model: sg.nn.Sequential, opt: sg.optim.Adam): number {
  const x = randn([32, 20]);
  const y = randint(0, 5, [32]);
  opt.zeroGrad();
  const loss = nn.functional.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
}

function report(name: string, first: ReturnType<typeof sg.memoryStats>, last: ReturnType<typeof sg.memoryStats>): void {
  console.log(
    `${name}: wasm ${MB(first.wasmMemoryBytes)} -> ${MB(last.wasmMemoryBytes)} MB, in use ${MB(first.bytesInUse)} -> ${MB(last.bytesInUse)} MB, ` +
      `live tensors ${first.liveTensors} -> ${last.liveTensors}`,
  );
}

{
  const { model, opt } = mlp();
  step(model, opt);
  const first = sg.memoryStats();
  for (let i = 1; i < steps; i++) step(model, opt);
  report(`sync, ${steps} steps`, first, sg.memoryStats());
}
{
  const { model, opt } = mlp();
  step(model, opt);
  const first = sg.memoryStats();
  for (let i = 1; i < steps; i++) {
    step(model, opt);
    await new Promise((r) => setTimeout(r, 0));
  }
  report(`await per step, ${steps} steps`, first, sg.memoryStats());
}
