// The unary elementwise ops, one row each. scripts/elementwise-ops.mjs generates from these rows
// the Unary op codes, the kernels' per-op forward and derivative (assembly/generated/), the
// functional forms in src/ops/elementwise.ts and nn.functional's activation list; the gradcheck
// test runs each row's cases.
//   forward:    f(x) over f32x4 lanes: an AssemblyScript expression, or a block that returns one.
//               In scope: x, the parameters p0 and p1 (splatted), zero, one, and assembly/vmath.ts.
//   derivative: f'(x), with y = f(x) also in scope (cheaper where f' is a function of f).
//   params:     [name, default] of p0 and p1 (no default: a required argument).
//   activation: nn.functional re-exports the form.
//   custom:     the functional form is written by hand in src/ops/elementwise.ts (else it is generated).
//   label:      the name autograd and errors use, if not the row's name.
//   gradcheck:  cases for test/gradcheck-core.test.ts: fn (a public function; default: the row's form), args after x,
//               the input range [lo, hi) and kinks to keep away from.
export const constants = `
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;
const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const THREE: f32 = 3;
const SIXTH: f32 = 0.16666666666666666;
`;

export default [
  {
    name: "relu", doc: "max(x, 0) element-wise (torch.relu).", activation: true,
    forward: "f32x4.pmax(x, zero)",
    derivative: "v128.and(f32x4.gt(x, zero), one)",
    gradcheck: [{ kinks: [0] }],
  },
  {
    name: "leakyRelu", doc: "x for x ≥ 0, negativeSlope·x below (torch.nn.functional.leaky_relu; default slope 0.01).", activation: true, params: [["negativeSlope", 0.01]],
    forward: "v128.bitselect(x, f32x4.mul(x, p0), f32x4.gt(x, zero))",
    derivative: "v128.bitselect(one, p0, f32x4.gt(x, zero))",
    gradcheck: [{ args: [0.1], kinks: [0] }],
  },
  {
    name: "elu", doc: "x for x > 0, alpha·(eˣ − 1) below (torch.nn.functional.elu).", activation: true, params: [["alpha", 1]],
    forward: "v128.bitselect(x, f32x4.mul(p0, f32x4.sub(exp4(x), one)), f32x4.gt(x, zero))",
    derivative: "v128.bitselect(one, f32x4.add(y, p0), f32x4.gt(x, zero))",
    gradcheck: [{ args: [0.7], kinks: [0] }],
  },
  {
    name: "gelu", custom: true, activation: true,
    forward: "f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, erf4(f32x4.mul(x, f32x4.splat(INV_SQRT2)))))",
    derivative: `{
      const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(one, erf4(f32x4.mul(x, f32x4.splat(INV_SQRT2)))));
      const pdf = f32x4.mul(f32x4.splat(INV_SQRT_2PI), exp4(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(x, x))));
      return f32x4.add(cdf, f32x4.mul(x, pdf));
    }`,
    gradcheck: [{}, { args: ["tanh"] }],
  },
  {
    name: "geluTanh", custom: true,
    forward: `{
      const inner = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x, f32x4.mul(x, x)))));
      return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, tanh4(inner)));
    }`,
    derivative: `{
      const x2 = f32x4.mul(x, x);
      const t = tanh4(f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x2, x)))));
      const dInner = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_C), x2)));
      const half = f32x4.splat(0.5);
      return f32x4.add(f32x4.mul(half, f32x4.add(one, t)), f32x4.mul(f32x4.mul(half, x), f32x4.mul(f32x4.sub(one, f32x4.mul(t, t)), dInner)));
    }`,
  },
  {
    name: "silu", doc: "x·σ(x) element-wise (torch.nn.functional.silu, also known as swish).", activation: true,
    forward: "f32x4.mul(x, sigmoid4(x))",
    derivative: `{
      const s = sigmoid4(x);
      return f32x4.mul(s, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, s))));
    }`,
    gradcheck: [{}],
  },
  {
    name: "sigmoid", doc: "1/(1 + e^−x) element-wise (torch.sigmoid).", activation: true,
    forward: "sigmoid4(x)",
    derivative: "f32x4.mul(y, f32x4.sub(one, y))",
    gradcheck: [{}],
  },
  {
    name: "tanh", doc: "tanh(x) element-wise (torch.tanh).", activation: true,
    forward: "tanh4(x)",
    derivative: "f32x4.sub(one, f32x4.mul(y, y))",
    gradcheck: [{}],
  },
  {
    name: "softplus", doc: "log(1 + exp(beta·x))/beta element-wise, x itself where beta·x > threshold (torch.nn.functional.softplus).", activation: true, params: [["beta", 1], ["threshold", 20]],
    // log1p(exp(bx))/b, written as max(bx,0) + log(1 + exp(-|bx|)) so it never overflows.
    forward: `{
      const bx = f32x4.mul(x, p0);
      const soft = f32x4.div(f32x4.add(f32x4.max(bx, zero), log1p4(exp4(f32x4.neg(f32x4.abs(bx))))), p0);
      return v128.bitselect(x, soft, f32x4.gt(bx, p1));
    }`,
    derivative: `{
      const bx = f32x4.mul(x, p0);
      return v128.bitselect(one, sigmoid4(bx), f32x4.gt(bx, p1));
    }`,
    // beta·x crosses the threshold at x = 0.5 inside the range in the second case.
    gradcheck: [{}, { args: [2, 1], kinks: [0.5] }],
  },
  {
    name: "hardswish", activation: true, doc: "x·relu6(x + 3)/6 (MobileNetV3's hard swish).",
    // PyTorch's derivative (its vectorised kernel, which runs all but tiny tensors): 0 below −3,
    // x/3 + 1/2 from −3 up to 3 (exclusive), 1 from 3.
    forward: "f32x4.div(f32x4.mul(x, f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(THREE)), zero), f32x4.splat(6))), f32x4.splat(6))",
    derivative: `{
      const mid = f32x4.add(f32x4.div(x, f32x4.splat(THREE)), f32x4.splat(0.5));
      return v128.bitselect(zero, v128.bitselect(mid, one, f32x4.lt(x, f32x4.splat(THREE))), f32x4.lt(x, f32x4.splat(-THREE)));
    }`,
    gradcheck: [{ lo: -5, hi: 5, kinks: [-3, 3] }],
  },
  {
    name: "hardsigmoid", activation: true, doc: "relu6(x + 3)/6, a piecewise-linear sigmoid.",
    // PyTorch's derivative: 1/6 strictly inside (−3, 3), else 0.
    forward: "f32x4.div(f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(THREE)), zero), f32x4.splat(6)), f32x4.splat(6))",
    derivative: "v128.and(v128.and(f32x4.gt(x, f32x4.splat(-THREE)), f32x4.lt(x, f32x4.splat(THREE))), f32x4.splat(SIXTH))",
    gradcheck: [{ lo: -5, hi: 5, kinks: [-3, 3] }],
  },
  {
    name: "mish", activation: true, doc: "x·tanh(softplus(x)) (Misra 2019).",
    // softplus written as in softplus (no overflow); f' = t + x·σ(x)·(1 − t²) with t = tanh(softplus(x)).
    forward: "f32x4.mul(x, tanh4(f32x4.add(f32x4.max(x, zero), log1p4(exp4(f32x4.neg(f32x4.abs(x)))))))",
    derivative: `{
      const t = tanh4(f32x4.add(f32x4.max(x, zero), log1p4(exp4(f32x4.neg(f32x4.abs(x))))));
      return f32x4.add(t, f32x4.mul(f32x4.mul(x, sigmoid4(x)), f32x4.sub(one, f32x4.mul(t, t))));
    }`,
    gradcheck: [{ lo: -4, hi: 4 }],
  },
  {
    name: "logSigmoid", activation: true, doc: "log(sigmoid(x)), computed without overflow.",
    // log σ(x) = min(x, 0) − log(1 + exp(−|x|)); f' = 1 − σ(x) = σ(−x).
    forward: "f32x4.sub(f32x4.min(x, zero), log1p4(exp4(f32x4.neg(f32x4.abs(x)))))",
    derivative: "sigmoid4(f32x4.neg(x))",
    gradcheck: [{ lo: -4, hi: 4 }],
  },
  {
    name: "exp", doc: "eˣ element-wise (torch.exp).",
    forward: "exp4(x)",
    derivative: "y",
    gradcheck: [{}],
  },
  {
    name: "log", doc: "The natural logarithm element-wise (torch.log); −∞ at 0, NaN below.",
    forward: "log4(x)",
    derivative: "f32x4.div(one, x)",
    gradcheck: [{ lo: 0.3, hi: 3 }],
  },
  {
    name: "sqrt", doc: "√x element-wise (torch.sqrt); NaN below 0.",
    forward: "f32x4.sqrt(x)",
    derivative: "f32x4.div(f32x4.splat(0.5), y)",
    gradcheck: [{ lo: 0.3, hi: 3 }],
  },
  {
    name: "abs", doc: "|x| element-wise (torch.abs); the gradient at 0 is 0, as in PyTorch.",
    forward: "f32x4.abs(x)",
    derivative: "f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one))",
    gradcheck: [{ kinks: [0] }],
  },
  { name: "neg", doc: "−x element-wise (torch.neg).", forward: "f32x4.neg(x)", derivative: "f32x4.splat(-1)", gradcheck: [{}] },
  { name: "square", doc: "x² element-wise (torch.square).", forward: "f32x4.mul(x, x)", derivative: "f32x4.add(x, x)", gradcheck: [{}] },
  { name: "sin", doc: "sin(x) element-wise (torch.sin).", forward: "sin4(x)", derivative: "cos4(x)", gradcheck: [{}] },
  { name: "cos", doc: "cos(x) element-wise (torch.cos).", forward: "cos4(x)", derivative: "f32x4.neg(sin4(x))", gradcheck: [{}] },
  {
    name: "sign", activation: true, doc: "sign(x) in {-1, 0, 1}; its gradient is zero.",
    forward: "f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one))",
    derivative: "zero",
  },
  {
    name: "step", activation: true, doc: "Heaviside step (x > 0 ? 1 : 0), the perceptron's activation; zero gradient.",
    forward: "v128.and(f32x4.gt(x, zero), one)",
    derivative: "zero",
  },
  {
    name: "affine", params: [["scale"], ["shift"]], doc: "x * scale + shift in one pass (scalar add/sub/mul/div use it).",
    forward: "f32x4.add(f32x4.mul(x, p0), p1)",
    derivative: "p0",
    // scalar add and mul are affine
    gradcheck: [{ fn: "add", args: [0.25] }, { fn: "mul", args: [-1.5] }],
  },
  {
    name: "powScalar", params: [["exponent"]], label: "pow",
    forward: "pow4(x, p0)",
    // p0·x^(p0−1), and 0 for p0 = 0 (PyTorch; 0·0^−1 would be NaN at x = 0)
    derivative: "v128.andnot(f32x4.mul(p0, pow4(x, f32x4.sub(p0, one))), f32x4.eq(p0, zero))",
    gradcheck: [{ fn: "pow", args: [2.5], lo: 0.3, hi: 2 }],
  },
  {
    name: "clamp", custom: true,
    forward: "f32x4.min(f32x4.max(x, p0), p1)",
    derivative: "v128.and(v128.and(f32x4.ge(x, p0), f32x4.le(x, p1)), one)",
    gradcheck: [{ args: [-0.5, 0.5], kinks: [-0.5, 0.5] }, { args: [0.3, null], kinks: [0.3] }],
  },
  { name: "reciprocal", doc: "1/x element-wise (torch.reciprocal).", forward: "f32x4.div(one, x)", derivative: "f32x4.neg(f32x4.mul(y, y))", gradcheck: [{ lo: 0.5, hi: 2 }] },
];
