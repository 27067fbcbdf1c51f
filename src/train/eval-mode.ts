import { noGrad } from "../autograd.js";
import type { Module } from "../nn/module.js";

/** Runs fn with the model in eval mode and no autograd, then restores its mode. */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(wasTraining);
  }
}
