// A convolutional autoencoder on MNIST. The encoder squeezes each 28x28 digit through two strided
// convolutions (28 -> 14 -> 7) into a 16-number code; the decoder grows it back the two usual
// ways: 7 -> 14 with a transposed convolution (stride 2, outputPadding 1 to land on 14 exactly),
// 14 -> 28 with nearest-neighbour upsampling followed by a convolution (no checkerboard artefacts).
// Trained with binary cross-entropy on the logits against the [0, 1] pixels: the dataset pairs each
// image with itself as the target, so fit() runs unchanged. Prints the per-pixel test loss each
// epoch, the loss of always predicting the mean test image (the best any output that ignores its
// input can do) and of a perfect reconstruction, and three test digits next to their
// reconstructions; the weights are saved as safetensors.
//
// Run: npm run autoencoder [-- --epochs 3 --train-size 10000 --batch-size 32 --lr 2e-3 --seed 0 --out autoencoder.safetensors]
import { nn, optim, manualSeed, Generator, TensorDataset, DataLoader, Subset, fit, evaluate, noGrad, tidy, type Tensor } from "../src/index.js";
import { loadMnist, progressBar, saveFile } from "../src/node.js";
import { parseFlags } from "./mnist-training.js";

const flags = parseFlags("autoencoder", { epochs: 3, "train-size": 10000, "batch-size": 32, lr: 2e-3, seed: 0 }, "autoencoder.safetensors");
const { epochs, seed } = flags;
const CODE = 16;

class ConvAutoencoder extends nn.Module {
  readonly encoder = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { stride: 2, padding: 1 }), new nn.ReLU(), // 28 -> 14
    new nn.Conv2d(16, 32, 3, { stride: 2, padding: 1 }), new nn.ReLU(), // 14 -> 7
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, CODE),
  );
  readonly project = new nn.Linear(CODE, 32 * 7 * 7);
  readonly decoder = new nn.Sequential(
    new nn.ConvTranspose2d(32, 16, 3, { stride: 2, padding: 1, outputPadding: 1 }), new nn.ReLU(), // 7 -> 14
    new nn.Upsample({ scaleFactor: 2 }), new nn.Conv2d(16, 1, 3, { padding: 1 }), // 14 -> 28, logits
  );

  /** Images [N, 1, 28, 28] to codes [N, 16]. */
  encode(x: Tensor): Tensor {
    return this.encoder.forward(x);
  }

  /** Codes [N, 16] to pixel logits [N, 1, 28, 28]. */
  decode(code: Tensor): Tensor {
    return this.decoder.forward(this.project.forward(code).relu().reshape(-1, 32, 7, 7));
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }
}

/** A 28x28 image in [0, 1] as 14 lines of 28 characters (two pixel rows per line: characters are about twice as tall as wide). */
function ascii(pixels: ArrayLike<number>): string[] {
  const ramp = " .:-=+*#%@";
  const lines: string[] = [];
  for (let y = 0; y < 28; y += 2) {
    let line = "";
    for (let x = 0; x < 28; x++) {
      const v = (pixels[y * 28 + x] + pixels[(y + 1) * 28 + x]) / 2;
      line += ramp[Math.min(ramp.length - 1, Math.floor(v * ramp.length))];
    }
    lines.push(line);
  }
  return lines;
}

manualSeed(seed);
// Pixels in [0, 1] (not standardised): they are the targets of the binary cross-entropy.
const trainImages = loadMnist("train").images.reshape(-1, 1, 28, 28);
const testImages = loadMnist("test").images.reshape(-1, 1, 28, 28);
const trainSize = Math.min(flags["train-size"], trainImages.shape[0]);
const trainSet = new Subset(new TensorDataset(trainImages, trainImages), new Generator(seed).permutation(trainImages.shape[0]).slice(0, trainSize));
const loaders = {
  train: new DataLoader(trainSet, { batchSize: flags["batch-size"], shuffle: true, generator: new Generator(seed + 1) }),
  test: new DataLoader(new TensorDataset(testImages, testImages), { batchSize: 1000 }),
};
const model = new ConvAutoencoder();
const optimizer = new optim.Adam(model.parameters(), { lr: flags.lr });
const loss = (logits: Tensor, target: Tensor) => nn.functional.binaryCrossEntropyWithLogits(logits, target);
const testLoss = () => evaluate(model, loaders.test, loss, false).loss;
// The mean test image is the best constant prediction: under binary cross-entropy the optimal
// probability for each pixel is that pixel's mean target.
const baseline = noGrad(() => tidy(() => nn.functional.binaryCrossEntropy(testImages.mean(0, true).expand([...testImages.shape]), testImages).item()));
// Not 0 either: the pixels are grey levels, and cross-entropy against a target t is at least t's entropy.
const perfect = noGrad(() => tidy(() => nn.functional.binaryCrossEntropy(testImages, testImages).item()));

console.log(model.toString());
console.log(
  `${model.numParameters()} parameters; ${trainSize} training, ${testImages.shape[0]} test images; ` +
    `batch ${flags["batch-size"]}, Adam lr ${flags.lr}, ${epochs} epochs; loss: binary cross-entropy per pixel`,
);
console.log(`test loss of the mean image ${baseline.toFixed(4)}, of a perfect reconstruction ${perfect.toFixed(4)}`);
const start = performance.now();
fit(model, {
  train: loaders.train,
  optimizer,
  loss,
  epochs,
  accuracy: false,
  callbacks: [progressBar({ summary: false })],
  onEpochEnd(log) {
    const speed = Math.round(trainSize / log.seconds);
    console.log(
      `epoch ${String(log.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${log.trainLoss.toFixed(4)}  ` +
        `test loss ${testLoss().toFixed(4)}  ${log.seconds.toFixed(1)}s (${speed} samples/s)`,
    );
  },
});
const minutes = (performance.now() - start) / 60000;

// Three test digits (left) and what the network makes of their 16-number codes (right).
model.eval();
const shown = testImages.narrow(0, 0, 3);
const originals = shown.data();
const reconstructions = noGrad(() => tidy(() => model.forward(shown).sigmoid().data()));
console.log("\ntest digits and their reconstructions:");
for (let i = 0; i < 3; i++) {
  const [a, b] = [originals, reconstructions].map((v) => ascii(v.subarray(i * 784, (i + 1) * 784)));
  console.log(a.map((line, y) => `  ${line}  |  ${b[y]}`).join("\n") + "\n");
}

saveFile(flags.out, model.stateDict(), { format: "pt", model: `conv autoencoder, ${CODE}-d code`, epochs: String(epochs) });
console.log(`trained in ${minutes.toFixed(1)} min; weights saved to ${flags.out}`);
console.log(`test reconstruction loss: ${testLoss().toFixed(4)} (mean-image baseline ${baseline.toFixed(4)})`);
