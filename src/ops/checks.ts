// Input checks shared by the ops: clear errors naming the op, the dtypes and the shapes, thrown
// before anything is allocated or written, so every other tensor stays intact.
import { Tensor, shapeToString } from "../tensor.js";

const describe = (xs: Tensor[]) => xs.map((x) => `${x.dtype} ${shapeToString(x.shape)}`).join(" and ");

/** Every input is still alive (not disposed). */
export function checkLive(op: string, ...xs: Tensor[]): void {
  for (const x of xs) {
    if (x.isDisposed) throw new Error(`${op}: input ${describe([x])} was disposed and can no longer be used`);
  }
}

/** Every input is alive and float32. */
export function checkFloat(op: string, ...xs: Tensor[]): void {
  checkLive(op, ...xs);
  if (xs.some((x) => x.dtype !== "float32")) {
    throw new Error(`${op}: expected float32 input${xs.length > 1 ? "s" : ""}, got ${describe(xs)}`);
  }
}
