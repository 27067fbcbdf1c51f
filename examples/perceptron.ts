// Rosenblatt's perceptron (1958): one linear threshold unit ŷ = step(w·x + b) trained one sample
// at a time by the perceptron rule
//     w ← w + η (y − ŷ) x,   b ← b + η (y − ŷ)
// No gradients: the update only fires on a mistake. On linearly separable data it stops after
// finitely many updates (Novikoff 1962: at most (R/γ)² for radius R and margin γ).
// Run: npm run perceptron
import { tensor, zeros, step, tidy, Generator, type Tensor } from "../src/index.js";

const gen = new Generator(1958);
const eta = 0.1;

// Points in [-1, 1]² labelled by the side of the line x₂ = 0.5·x₁ + 0.2, keeping a margin of 0.1.
const points: number[][] = [], labels: number[] = [];
while (points.length < 200) {
  const x1 = 2 * gen.uniform() - 1, x2 = 2 * gen.uniform() - 1;
  const side = x2 - 0.5 * x1 - 0.2;
  if (Math.abs(side) < 0.1) continue;
  points.push([x1, x2]);
  labels.push(side > 0 ? 1 : 0);
}
const X = tensor(points);

let w: Tensor = zeros([2]);
let b = 0;
let epochs = 0, updates = 0;
for (let mistakes = -1; mistakes !== 0 && epochs < 1000; epochs++) {
  mistakes = 0;
  for (let i = 0; i < labels.length; i++) {
    const x = X.narrow(0, i, 1).reshape(2);
    const yHat = tidy(() => step(x.mul(w).sum().add(b)).item());
    const error = labels[i] - yHat;
    if (error !== 0) {
      const next = tidy(() => w.add(x.mul(eta * error)));
      w.dispose();
      w = next;
      b += eta * error;
      mistakes++;
      updates++;
    }
    x.dispose();
  }
}

const predictions = tidy(() => step(X.matmul(w).add(b)).data());
const correct = predictions.filter((p, i) => p === labels[i]).length;
const [w1, w2] = w.data();
const signed = (v: number) => (v < 0 ? `- ${(-v).toFixed(3)}` : `+ ${v.toFixed(3)}`);
console.log(`decision boundary: ${w1.toFixed(3)}·x1 ${signed(w2)}·x2 ${signed(b)} = 0 (true line: x2 = 0.5·x1 + 0.2)`);
console.log(`training accuracy: ${((100 * correct) / labels.length).toFixed(1)}% (${updates} updates)`);
console.log(`converged after ${epochs} epochs (the last one without a mistake)`);
