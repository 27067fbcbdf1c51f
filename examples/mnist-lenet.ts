// LeNet-5 on MNIST (LeCun et al. 1998, with today's ReLU and max pooling): conv 1->6 5x5 (pad 2),
// ReLU, maxpool 2, conv 6->16 5x5, ReLU, maxpool 2, then fc 400-120-84-10 with ReLU between.
// Mini-batch Adam with a cosine-annealed learning rate, pixels standardised with MNIST's mean and
// std, and light augmentation: each training image is shifted by up to --shift pixels. 5,000
// training images are held out to watch the validation error per epoch; the test error is printed
// per epoch and at the end, and the weights are saved as safetensors.
//
// Run: npm run lenet [-- --epochs 15 --batch-size 64 --lr 1e-3 --shift 2 --seed 0 --out mnist-lenet.safetensors]
import { nn, manualSeed, Generator, TensorDataset, randomSplit, type Dataset, type Tensor } from "../src/index.js";
import { loadMnist } from "../src/node.js";
import { parseFlags, trainMnist } from "./mnist-training.js";

const flags = parseFlags("mnist-lenet", { epochs: 15, "batch-size": 64, lr: 1e-3, shift: 2, seed: 0 }, "mnist-lenet.safetensors");
const { shift, seed } = flags;

/**
 * Training-time augmentation: every batch drawn from `dataset` (images [N, 1, 28, 28]) has each
 * image translated by a random whole number of pixels in [-maxShift, maxShift] along both axes,
 * the uncovered border filled with the background (MNIST's corners are blank).
 */
class RandomShift implements Dataset {
  constructor(readonly dataset: Dataset & Required<Pick<Dataset, "getBatch">>, readonly maxShift: number, readonly generator: Generator) {}

  get length(): number {
    return this.dataset.length;
  }

  get(index: number): Tensor[] {
    return this.getBatch([index]);
  }

  getBatch(indices: ArrayLike<number>): Tensor[] {
    const batch = this.dataset.getBatch(indices);
    const [images] = batch;
    const [n, , h, w] = images.shape;
    const pixels = images.liveData(); // no allocation below, so the view stays valid
    const source = new Float32Array(h * w);
    for (let i = 0; i < n; i++) {
      const image = pixels.subarray(i * h * w, (i + 1) * h * w);
      source.set(image);
      const dy = this.generator.int(2 * this.maxShift + 1) - this.maxShift;
      const dx = this.generator.int(2 * this.maxShift + 1) - this.maxShift;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sy = y - dy, sx = x - dx;
          image[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? source[sy * w + sx] : source[0];
        }
      }
    }
    return batch;
  }
}

manualSeed(seed);
// Standardised pixels, as [N, 1, 28, 28] images (channels first, PyTorch's layout).
const asImages = ({ images, labels }: { images: Tensor; labels: Tensor }) => new TensorDataset(images.reshape(-1, 1, 28, 28), labels);
const train = asImages(loadMnist("train", { normalize: true }));
const test = asImages(loadMnist("test", { normalize: true }));
const [trainSet, valSet] = randomSplit(train, [55000, 5000], new Generator(seed));
const model = new nn.Sequential(
  new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(400, 120), new nn.ReLU(),
  new nn.Linear(120, 84), new nn.ReLU(),
  new nn.Linear(84, 10),
);
trainMnist({
  model, valSet, testSet: test,
  trainSet: shift > 0 ? new RandomShift(trainSet, shift, new Generator(seed + 2)) : trainSet,
  epochs: flags.epochs, batchSize: flags["batch-size"], lr: flags.lr, seed, out: flags.out,
  description: `lenet-5 relu maxpool, shifts up to ${shift} px`,
});
