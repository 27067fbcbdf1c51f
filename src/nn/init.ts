// Parameter initialisation (torch.nn.init): each function fills a tensor in place, outside autograd,
// from an optional Generator, and returns it. Fans follow PyTorch: for a weight [d0, d1, k...],
// fan_in = d1·prod(k), fan_out = d0·prod(k).
import { Tensor, shapeToString } from "../tensor.js";
import { defaultGenerator, type Generator } from "../random.js";
import { noGrad } from "../autograd.js";

/** The options of the random initialisers. */
export interface InitOptions {
  /** The random generator to draw from (the global one by default). */
  generator?: Generator;
}

/** The activations calculateGain knows (torch.nn.init.calculate_gain's names). */
export type Nonlinearity =
  | "linear" | "identity" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** Which fan Kaiming initialisation scales by: "fanIn" or "fanOut" (torch's "fan_in" / "fan_out"). */
export type FanMode = "fanIn" | "fanOut";

function checkFloat(op: string, t: Tensor): Float32Array {
  if (t.dtype !== "float32") throw new Error(`init.${op}: expected a float32 tensor, got ${t.dtype}`);
  return t.liveData() as Float32Array;
}

/** The recommended gain for a nonlinearity (param: leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "identity": case "sigmoid":
    case "conv1d": case "conv2d": case "conv3d": case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d":
      return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu": return 3 / 4;
    default: throw new Error(`init.calculateGain: unsupported nonlinearity "${nonlinearity as string}"`);
  }
}

/** [fanIn, fanOut] of a weight of at least 2 dims. */
export function calculateFans(t: Tensor | readonly number[]): [number, number] {
  const shape = t instanceof Tensor ? t.shape : t;
  if (shape.length < 2) throw new Error(`init: fan in and fan out need a tensor of at least 2 dims, got ${shapeToString(shape)}`);
  const receptive = shape.slice(2).reduce((n, d) => n * d, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

/** U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, options: InitOptions = {}): Tensor {
  const v = checkFloat("uniform", t);
  const gen = options.generator ?? defaultGenerator;
  for (let i = 0; i < v.length; i++) v[i] = low + (high - low) * gen.uniform();
  return t;
}

/** N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  const v = checkFloat("normal", t);
  const gen = options.generator ?? defaultGenerator;
  for (let i = 0; i < v.length; i++) v[i] = mean + std * gen.normal();
  return t;
}

/** Fills the float32 tensor t with value in place, without autograd (torch.nn.init.constant_); returns t. */
export function constant_(t: Tensor, value: number): Tensor {
  checkFloat("constant", t);
  return noGrad(() => t.fill_(value));
}

/** Fills t with zeros in place, without autograd (torch.nn.init.zeros_); returns t. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills t with ones in place, without autograd (torch.nn.init.ones_); returns t. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** Glorot & Bengio (2010): U(−b, b), b = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, options);
}

/** Glorot & Bengio (2010): N(0, σ²), σ = gain·√(2/(fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

/** The options of kaimingUniform_ and kaimingNormal_ (torch's `a`, `mode`, `nonlinearity`). */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (0 = ReLU). */
  a?: number;
  /** "fanIn" (default: preserves the forward pass's variance) or "fanOut" (the backward pass's). */
  mode?: FanMode;
  /** The activation after the layer, for the gain (torch.nn.init.calculate_gain; default "leaky_relu"). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = "fanIn", nonlinearity = "leaky_relu" } = options;
  if (mode !== "fanIn" && mode !== "fanOut") throw new Error(`init.${op}: mode must be "fanIn" or "fanOut", got "${mode as string}"`);
  const [fanIn, fanOut] = calculateFans(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === "fanIn" ? fanIn : fanOut);
}

/** He et al. (2015): U(−b, b), b = √3·gain/√fan. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform", t, options);
  return uniform_(t, -bound, bound, options);
}

/** He et al. (2015): N(0, σ²), σ = gain/√fan. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd("kaimingNormal", t, options), options);
}

/**
 * Saxe et al. (2013): a (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, with
 * the signs fixed so the result is uniformly distributed; trailing dims are flattened, so rows are
 * orthonormal when d0 ≤ the rest and columns otherwise.
 */
export function orthogonal_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const v = checkFloat("orthogonal", t);
  if (t.ndim < 2) throw new Error(`init.orthogonal: needs a tensor of at least 2 dims, got ${shapeToString(t.shape)}`);
  const rows = t.shape[0], cols = t.size / rows;
  const gen = options.generator ?? defaultGenerator;
  // Orthonormalise the k vectors of length m, k = min(rows, cols): the rows of a [rows, cols] matrix
  // when rows ≤ cols, else its columns. Gram–Schmidt run twice keeps them orthogonal to float64 precision;
  // its R has a positive diagonal, which is exactly PyTorch's sign correction of the QR factor.
  const k = Math.min(rows, cols), m = Math.max(rows, cols);
  const q = Array.from({ length: k }, () => Float64Array.from({ length: m }, () => gen.normal()));
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let e = 0; e < m; e++) dot += q[i][e] * q[j][e];
        for (let e = 0; e < m; e++) q[j][e] -= dot * q[i][e];
      }
    }
    let norm = 0;
    for (let e = 0; e < m; e++) norm += q[j][e] * q[j][e];
    norm = Math.sqrt(norm);
    for (let e = 0; e < m; e++) q[j][e] /= norm;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) v[r * cols + c] = gain * (rows <= cols ? q[r][c] : q[c][r]);
  }
  return t;
}

/**
 * Martens (2010), as torch.nn.init.sparse_: a 2-D tensor drawn from N(0, std²), then in every column
 * ceil(sparsity·rows) distinct rows, chosen at random, set to zero.
 */
export function sparse_(t: Tensor, sparsity: number, std = 0.01, options: InitOptions = {}): Tensor {
  if (t.ndim !== 2) throw new Error(`init.sparse: only 2-D tensors are supported, got ${shapeToString(t.shape)}`);
  if (!(sparsity >= 0 && sparsity <= 1)) throw new Error(`init.sparse: sparsity must be in [0, 1], got ${sparsity}`);
  normal_(t, 0, std, options);
  const v = t.liveData() as Float32Array;
  const [rows, cols] = t.shape;
  const zeros = Math.ceil(sparsity * rows);
  const gen = options.generator ?? defaultGenerator;
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let c = 0; c < cols; c++) {
    // A partial Fisher–Yates shuffle picks `zeros` distinct rows.
    for (let i = 0; i < zeros; i++) {
      const j = i + Math.floor(gen.uniform() * (rows - i));
      [order[i], order[j]] = [order[j], order[i]];
      v[order[i] * cols + c] = 0;
    }
  }
  return t;
}

// The names without the trailing underscore, as listed in the docs (they also work in place).
export {
  uniform_ as uniform, normal_ as normal, constant_ as constant, zeros_ as zeros, ones_ as ones,
  xavierUniform_ as xavierUniform, xavierNormal_ as xavierNormal, kaimingUniform_ as kaimingUniform,
  kaimingNormal_ as kaimingNormal, orthogonal_ as orthogonal, sparse_ as sparse,
};
