// The 2-D toy datasets of the playground: two classes of points, seeded.
import { Generator } from "../src/index.js";

export type Dataset2d = "xor" | "moons" | "circles" | "blobs";
export const DATASETS_2D: Dataset2d[] = ["xor", "moons", "circles", "blobs"];

export function dataset2d(name: Dataset2d, n: number, seed: number): { points: Float32Array; labels: Int32Array } {
  const gen = new Generator(seed);
  const points = new Float32Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    let x: number, y: number;
    if (name === "xor") {
      const a = gen.uniform() < 0.5 ? 0 : 1, b = c ? 1 - a : a;
      (x = a + 0.18 * gen.normal()), (y = b + 0.18 * gen.normal());
    } else if (name === "moons") {
      const t = Math.PI * gen.uniform();
      (x = c ? 1 - Math.cos(t) : Math.cos(t)), (y = (c ? 0.5 - Math.sin(t) : Math.sin(t)) + 0.12 * gen.normal());
      x += 0.12 * gen.normal();
    } else if (name === "circles") {
      const t = 2 * Math.PI * gen.uniform(), r = (c ? 0.5 : 1) + 0.08 * gen.normal();
      (x = r * Math.cos(t)), (y = r * Math.sin(t));
    } else {
      (x = (c ? 1 : -1) + 0.6 * gen.normal()), (y = (c ? 0.5 : -0.5) + 0.6 * gen.normal());
    }
    (points[2 * i] = x), (points[2 * i + 1] = y), (labels[i] = c);
  }
  return { points, labels };
}
