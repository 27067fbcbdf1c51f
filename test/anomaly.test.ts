import { describe, it, expect, afterEach } from "vitest";
import { tensor, log, sqrt, setDetectAnomaly, memoryStats, tidy, nn } from "../src/index.js";

afterEach(() => setDetectAnomaly(false));

describe("anomaly detection", () => {
  it("is off by default: NaN flows through like in PyTorch", () => {
    const x = tensor([-1, 2], undefined, { requiresGrad: true });
    const y = log(x);
    expect(Number.isNaN(y.data()[0])).toBe(true);
    y.dispose();
    x.dispose();
  });

  it("names the op whose output is not finite in the forward pass", () => {
    setDetectAnomaly(true);
    const x = tensor([0.5, -1, 2], undefined, { requiresGrad: true });
    expect(() => tidy(() => log(x).sum())).toThrow(/^log produced NaN at element 1 of a \[3\] tensor \(anomaly detection is on\)/);
    expect(Array.from(x.data())).toEqual([0.5, -1, 2]);
    x.dispose();
  });

  it("names the backward that produced a non-finite gradient, and frees what it made", () => {
    setDetectAnomaly(true);
    const x = tensor([0, 4], undefined, { requiresGrad: true });
    const before = memoryStats();
    expect(() => tidy(() => sqrt(x).sum().backward())).toThrow(/backward of sqrt \(gradient of input 0\) produced Infinity at element 0/);
    expect(x.grad).toBeNull();
    expect(memoryStats()).toMatchObject({ liveTensors: before.liveTensors, bytesInUse: before.bytesInUse });
    x.dispose();
  });

  it("catches a NaN loss coming from bad data", () => {
    setDetectAnomaly(true);
    const prediction = tensor([0.5, 1.5], undefined, { requiresGrad: true });
    const target = tensor([1, NaN]); // data, not an op: nothing checks it until the loss
    expect(() => tidy(() => nn.functional.mseLoss(prediction, target))).toThrow(/^mseLoss produced NaN at element 0 of a \[\] tensor/);
    prediction.dispose();
    target.dispose();
  });
});
