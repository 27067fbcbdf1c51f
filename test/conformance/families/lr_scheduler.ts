// Conformance for lr_scheduler.json: an SGD optimizer with attrs.lr, the scheduler with the other
// attrs; lrs[0] is the lr before any scheduler step, lrs[e] after e steps (rtol 1e-9).
import { optim, zeros } from "../../../src/index.js";

type Make = (opt: optim.Optimizer, a: any) => optim.LRScheduler<any>;

const schedulers: Record<string, Make> = {
  step_lr: (opt, a) => new optim.StepLR(opt, { stepSize: a.step_size, gamma: a.gamma }),
  multi_step_lr: (opt, a) => new optim.MultiStepLR(opt, { milestones: a.milestones, gamma: a.gamma }),
  exponential_lr: (opt, a) => new optim.ExponentialLR(opt, { gamma: a.gamma }),
  cosine_annealing_lr: (opt, a) => new optim.CosineAnnealingLR(opt, { tMax: a.T_max, etaMin: a.eta_min }),
  linear_lr: (opt, a) => new optim.LinearLR(opt, { startFactor: a.start_factor, endFactor: a.end_factor, totalIters: a.total_iters }),
};

const RTOL = 1e-9;

export function runCase(c: { id: string; op: string; attrs: any; steps: number; lrs: number[] }): string | null {
  const make = schedulers[c.op];
  if (!make) return `scheduler "${c.op}" is not supported`;
  const p = zeros([1], { requiresGrad: true });
  try {
    const opt = new optim.SGD([p], { lr: c.attrs.lr });
    const scheduler = make(opt, c.attrs);
    if (c.lrs.length !== c.steps + 1) return `expected ${c.steps + 1} lrs, the case has ${c.lrs.length}`;
    for (let e = 0; e <= c.steps; e++) {
      if (e > 0) {
        opt.step();
        scheduler.step();
      }
      const got = opt.paramGroups[0].lr;
      if (!(Math.abs(got - c.lrs[e]) <= RTOL * Math.abs(c.lrs[e]))) return `epoch ${e}: lr ${got}, expected ${c.lrs[e]}`;
      if (scheduler.getLastLr()[0] !== got) return `epoch ${e}: getLastLr() ${scheduler.getLastLr()[0]} differs from the group's lr ${got}`;
    }
    return null;
  } finally {
    p.dispose();
  }
}
