// XOR, the function a single perceptron cannot represent (Minsky & Papert 1969), learned by the
// smallest MLP that can: 2 inputs, 2 tanh hidden units, 1 sigmoid output, trained by full-batch
// gradient descent on the mean squared error with backpropagation.
// Run: npm run xor
import { tensor, tidy, manualSeed, nn, optim } from "../src/index.js";

manualSeed(3);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]);
const model = new nn.Sequential(new nn.Linear(2, 2), new nn.Tanh(), new nn.Linear(2, 1), new nn.Sigmoid());
const optimizer = new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });

let loss = NaN;
for (let epoch = 1; epoch <= 2000; epoch++) {
  loss = tidy(() => {
    optimizer.zeroGrad();
    const l = nn.functional.mseLoss(model.forward(x), y);
    l.backward();
    optimizer.step();
    return l.item();
  });
  if (epoch % 500 === 0) console.log(`epoch ${epoch}: loss ${loss.toFixed(6)}`);
}

const predictions = tidy(() => model.eval().forward(x).data());
for (let i = 0; i < 4; i++) {
  const [a, b] = [x.liveData()[2 * i], x.liveData()[2 * i + 1]];
  console.log(`${a} xor ${b} = ${y.liveData()[i]}  predicted ${predictions[i].toFixed(4)}`);
}
console.log(`final loss: ${loss.toExponential(3)}`);
