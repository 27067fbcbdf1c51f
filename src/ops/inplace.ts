// In-place ops (PyTorch's add_, mul_, fill_, copy_, ...). Every write bumps the storage's version
// counter, so a recorded op that saved this storage before the write refuses to run its backward
// instead of computing with the new values. While autograd records, the op runs out of place on a
// snapshot of the old value (the snapshot takes the tensor's old place in the graph), the result is
// written back, and the tensor becomes the op's output — PyTorch's history rebasing.
import { isGradEnabled, needsGrad, noGrad, record, type BackwardFn } from "../autograd.js";
import { Tensor, shapeToString, sameShape } from "../tensor.js";
import { isTracing, traced } from "../trace.js";
import { add, sub, mul, div, maskedFill } from "./binary.js";
import { clamp } from "./elementwise.js";
import { toDType } from "./shape.js";
import { expand, sumToShape } from "./broadcast.js";
import { checkInt32, checkLive, describeValue } from "./checks.js";

/**
 * The in-place protocol. `compute(x)` returns the new value out of place (recorded when autograd
 * needs it); `direct`, when given, writes it without autograd and without a temporary.
 */
function inPlace<T extends Tensor>(op: string, x: T, operands: Tensor[], compute: (x: Tensor) => Tensor, direct?: () => void): T {
  checkLive(op, x, ...operands);
  if (isGradEnabled() && x.isLeaf && x.requiresGrad) {
    throw new Error(
      `${op}: a leaf tensor that requires grad (${x.dtype} ${shapeToString(x.shape)}) is being used in an in-place operation; ` +
        "update it inside noGrad(), or work on a clone()",
    );
  }
  if (!needsGrad(x, ...operands)) {
    // A traced forward takes the recorded path, so the trace sees the new value.
    if (direct && !isTracing()) direct();
    else {
      const r = noGrad(() => compute(x));
      try {
        checkResult(op, x, r);
        x.writeFrom(r);
        traced("identity", [r], x);
      } finally {
        r.dispose();
      }
    }
    x.markModified(op);
    return x;
  }
  // A copy of the old value standing where x stood in the graph; the result's node takes x over.
  const before = traced("identity", [x], Tensor.empty(x.shape, x.dtype, op).writeFrom(x));
  if (x.gradFn) before.setGradFn(x.gradFn, x.outputIndex);
  try {
    const r = compute(before);
    try {
      checkResult(op, x, r);
      x.writeFrom(r);
      x.markModified(op);
      x.adoptGradFn(r);
      traced("identity", [r], x);
    } finally {
      r.dispose();
    }
  } finally {
    before.dispose();
  }
  return x;
}

function checkResult(op: string, x: Tensor, r: Tensor): void {
  if (!sameShape(r.shape, x.shape)) {
    throw new Error(`${op}: the result of shape ${shapeToString(r.shape)} does not match the tensor's shape ${shapeToString(x.shape)} (in-place ops do not broadcast the tensor written to)`);
  }
  if (r.dtype !== x.dtype) throw new Error(`${op}: the result is ${r.dtype}, the tensor is ${x.dtype}`);
}

export function fill_<T extends Tensor>(x: T, value: number): T {
  if (typeof value !== "number") throw new Error(`fill_: value must be a number, got ${describeValue(value)}`);
  if (x.dtype === "int32") checkInt32("fill_", value);
  return inPlace("fill_", x, [], (before) => {
    // The old value gets no gradient: nothing of it survives.
    const out = Tensor.empty(x.shape, x.dtype, "fill_").writeFill(value);
    const backward = () => [null];
    record("fill_", [before], [out], [], backward, backward);
    return out;
  }, () => x.writeFill(value));
}

export function copy_<T extends Tensor>(x: T, src: Tensor): T {
  if (!(src instanceof Tensor)) throw new Error(`copy_: src must be a Tensor, got ${describeValue(src)}`);
  return inPlace("copy_", x, [src], (before) => {
    const converted = src.dtype === x.dtype ? src : toDType(src, x.dtype);
    try {
      const out = noGrad(() => expand(converted, x.shape));
      const srcShape = converted.shape;
      const backward: BackwardFn = ([g]) => [null, sumToShape(g!, srcShape)];
      record("copy_", [before, converted], [out], [], backward, backward);
      return out;
    } finally {
      if (converted !== src) converted.dispose();
    }
  }, sameShape(src.shape, x.shape) && src.dtype === x.dtype ? () => x.writeFrom(src) : undefined);
}

export function add_<T extends Tensor>(x: T, other: Tensor | number): T {
  return inPlace("add_", x, operandsOf(other), (b) => add(b, other));
}

export function sub_<T extends Tensor>(x: T, other: Tensor | number): T {
  return inPlace("sub_", x, operandsOf(other), (b) => sub(b, other));
}

export function mul_<T extends Tensor>(x: T, other: Tensor | number): T {
  return inPlace("mul_", x, operandsOf(other), (b) => mul(b, other));
}

export function div_<T extends Tensor>(x: T, other: Tensor | number): T {
  return inPlace("div_", x, operandsOf(other), (b) => div(b, other));
}

export function clamp_<T extends Tensor>(x: T, min: number | null, max: number | null = null): T {
  return inPlace("clamp_", x, [], (b) => clamp(b, min, max));
}

export function maskedFill_<T extends Tensor>(x: T, mask: Tensor, value: number | Tensor): T {
  return inPlace("maskedFill_", x, [mask, ...operandsOf(value)], (b) => maskedFill(b, mask, value));
}

function operandsOf(v: Tensor | number): Tensor[] {
  return typeof v === "number" ? [] : [v];
}
