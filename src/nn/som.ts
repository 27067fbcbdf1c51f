// Kohonen's self-organising map: a grid of units whose codebook vectors (weight [units, dim], unit
// u = row·cols + col) are pulled towards the samples they win and, through the neighbourhood, so
// are their grid neighbours; after training, units near on the grid hold similar vectors.
// The best-matching-unit search is one GEMM per batch: ‖x − w‖² = ‖x‖² − 2x·wᵀ + ‖w‖², argmin
// over units. Batch training is two GEMMs per epoch (the neighbourhood-weighted means Hᵀ·X).
import { Tensor, tidy, shapeToString } from "../tensor.js";
import { noGrad } from "../autograd.js";
import { tensor, rand } from "../ops/creation.js";
import { linear, matmul } from "../ops/matmul.js";
import { where, le } from "../ops/binary.js";
import { defaultGenerator, type Generator } from "../random.js";
import { Module, buffer } from "./module.js";

/**
 * The grid's layout: "rectangular" (4 neighbours) or "hexagonal" (6 neighbours, odd rows shifted by half a
 * unit).
 */
export type SOMTopology = "rectangular" | "hexagonal";
/** The neighbourhood function: "gaussian" (exp(−d²/2σ²)) or "bubble" (1 within σ, else 0). */
export type SOMNeighborhood = "gaussian" | "bubble";
/** How σ and the learning rate shrink over training: "linear" or "exponential" (geometric). */
export type SOMDecay = "linear" | "exponential";

/** The options of the SOM constructor. */
export interface SOMOptions {
  /** "rectangular" (4 neighbours at grid distance 1) or "hexagonal" (odd rows shifted by half a unit: 6 neighbours at distance 1). Default "rectangular". */
  topology?: SOMTopology;
  /** The initial codebook is uniform on [0, 1) drawn from this generator (see also initFromSamples). */
  generator?: Generator;
}

/** The options of SOM.fit. */
export interface SOMFitOptions {
  /** Passes over the data (default 10). */
  epochs?: number;
  /** "batch": each epoch sets every unit to the neighbourhood-weighted mean of the samples; "online": Kohonen's per-sample rule w += lr·h·(x − w). Default "batch". */
  mode?: "batch" | "online";
  /** h(d) = exp(−d²/2σ²) ("gaussian", default) or 1 for grid distance d ≤ σ else 0 ("bubble"). */
  neighborhood?: SOMNeighborhood;
  /** Neighbourhood radius σ at the start (default max(rows, cols) / 2) and at the end (default 1). */
  sigma0?: number;
  /** The neighbourhood radius σ at the end (default 1). */
  sigmaEnd?: number;
  /** Online learning rate at the start (default 0.5) and at the end (default 0.01); not used by batch mode (an error there). */
  lr0?: number;
  /** The online learning rate at the end (default 0.01). */
  lrEnd?: number;
  /** How σ and lr go from start to end over training: "linear" or "exponential" (geometric; default). */
  decay?: SOMDecay;
  /** Online mode: visit the samples in a fresh random order each epoch (default true). */
  shuffle?: boolean;
  /** Random order for online shuffling. */
  generator?: Generator;
}

const FIT_OPTIONS = ["epochs", "mode", "neighborhood", "sigma0", "sigmaEnd", "lr0", "lrEnd", "decay", "shuffle", "generator"];
// Grid neighbours are at distance exactly 1 (hexagonal: up to float rounding of √3/2).
const ADJACENT = 1 + 1e-6;

/** v at fraction t ∈ [0, 1] of the way from start to end. */
function decayed(decay: SOMDecay, start: number, end: number, t: number): number {
  return decay === "linear" ? start + (end - start) * t : start * Math.pow(end / start, t);
}

/** The neighbourhood h of squared grid distances d2 at radius sigma. */
function neighborhoodWeights(d2: Tensor, neighborhood: SOMNeighborhood, sigma: number): Tensor {
  return neighborhood === "gaussian" ? d2.mul(-1 / (2 * sigma * sigma)).exp() : le(d2, sigma * sigma).float();
}

function checkPositive(what: string, name: string, v: number, integer = false): void {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(`${what}: ${name} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
  }
}

/**
 * A self-organising map of rows × cols units over dim-dimensional data. The codebook `weight`
 * [rows·cols, dim] is a buffer (in the state dict; it is trained by fit, not by gradients).
 * forward/bmu give the best-matching unit of each sample, map its (row, col).
 */
export class SOM extends Module {
  /** The codebook [rows·cols, dim]: unit i's weight vector is row i (row-major over the grid). */
  readonly weight: Tensor;
  /** "rectangular" or "hexagonal" (see SOMOptions.topology). */
  readonly topology: SOMTopology;
  /** rows·cols, the number of units. */
  readonly units: number;
  /** Squared grid distances between units, [units · units] row-major. */
  private readonly gridDist2: Float32Array;

  /**
   * @param rows The grid's rows.
   * @param cols The grid's columns.
   * @param dim The dimension of the data (and of each unit's weight vector).
   */
  constructor(readonly rows: number, readonly cols: number, readonly dim: number, options: SOMOptions = {}) {
    super();
    for (const key of Object.keys(options)) if (key !== "topology" && key !== "generator") throw new Error(`SOM: unknown option "${key}" (options are topology, generator)`);
    checkPositive("SOM", "rows", rows, true);
    checkPositive("SOM", "cols", cols, true);
    checkPositive("SOM", "dim", dim, true);
    const { topology = "rectangular", generator } = options;
    if (topology !== "rectangular" && topology !== "hexagonal") throw new Error(`SOM: topology must be "rectangular" or "hexagonal", got ${JSON.stringify(topology)}`);
    this.topology = topology;
    this.units = rows * cols;
    const pos = this.positions();
    const n = this.units;
    this.gridDist2 = new Float32Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const dx = pos[2 * a] - pos[2 * b], dy = pos[2 * a + 1] - pos[2 * b + 1];
        this.gridDist2[a * n + b] = dx * dx + dy * dy;
      }
    }
    this.weight = buffer(rand([n, dim], { generator }));
  }

  /** Each unit's (x, y) position on the plane, [units · 2]: rectangular (col, row); hexagonal (col + ½ on odd rows, row·√3/2). */
  positions(): Float32Array {
    const out = new Float32Array(2 * this.units);
    const hex = this.topology === "hexagonal";
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const u = r * this.cols + c;
        out[2 * u] = hex && r % 2 === 1 ? c + 0.5 : c;
        out[2 * u + 1] = hex ? (r * Math.sqrt(3)) / 2 : r;
      }
    }
    return out;
  }

  /** Grid distances between units as a tensor [units, units]. */
  gridDistances(): Tensor {
    return tensor(this.gridDist2.map(Math.sqrt), [this.units, this.units]);
  }

  /** 1 where two distinct units are grid neighbours, else 0, [units, units]. */
  adjacency(): Tensor {
    return tensor(this.gridDist2.map((d2, i) => (d2 > 0 && d2 <= ADJACENT * ADJACENT ? 1 : 0)), [this.units, this.units]);
  }

  /** Sets the codebook to distinct random samples of x [N, dim] (N ≥ units), a common start that spans the data. */
  initFromSamples(x: Tensor, generator?: Generator): this {
    this.checkInput("SOM.initFromSamples", x);
    if (x.shape[0] < this.units) throw new Error(`SOM.initFromSamples: need at least ${this.units} samples (one per unit), got ${x.shape[0]}`);
    noGrad(() => tidy(() => {
      const order = (generator ?? defaultGenerator).permutation(x.shape[0]).subarray(0, this.units);
      this.weight.copy_(x.indexSelect(0, tensor(order, [this.units], { dtype: "int32" })));
    }));
    return this;
  }

  /** Squared Euclidean distances from each sample of x [N, dim] to every unit, [N, units], through one GEMM. */
  distances(x: Tensor): Tensor {
    this.checkInput("SOM.distances", x);
    return noGrad(() => tidy(() => this.dist2(x)));
  }

  /** The best-matching unit of each sample of x [N, dim]: int32 [N]. */
  bmu(x: Tensor): Tensor {
    this.checkInput("SOM.bmu", x);
    return noGrad(() => tidy(() => this.dist2(x).argmin(1)));
  }

  /** The best-matching unit of each sample of x [N, dim] as int32 [N] (same as bmu). */
  forward(x: Tensor): Tensor {
    return this.bmu(x);
  }

  /** The grid position (row, col) of each sample's best-matching unit: int32 [N, 2]. */
  map(x: Tensor): Tensor {
    const units = this.bmu(x);
    const u = units.liveData();
    const out = new Int32Array(2 * u.length);
    for (let i = 0; i < u.length; i++) {
      out[2 * i] = Math.floor(u[i] / this.cols);
      out[2 * i + 1] = u[i] % this.cols;
    }
    units.dispose();
    return tensor(out, [out.length / 2, 2], { dtype: "int32" });
  }

  /** Mean distance ‖x − w_bmu‖ from each sample to its best-matching unit's vector. */
  quantizationError(x: Tensor): number {
    this.checkInput("SOM.quantizationError", x);
    return noGrad(() => tidy(() => this.dist2(x).min(1).values.sqrt().mean().item()));
  }

  /** Fraction of samples whose best and second-best units are not grid neighbours (0 for a map that preserves the data's topology). */
  topographicError(x: Tensor): number {
    this.checkInput("SOM.topographicError", x);
    if (this.units < 2) throw new Error("SOM.topographicError: needs at least 2 units");
    return noGrad(() => tidy(() => {
      const best2 = this.dist2(x).topk(2, 1, false).indices.liveData();
      const n = this.units;
      let errors = 0;
      for (let i = 0; i < best2.length; i += 2) if (this.gridDist2[best2[i] * n + best2[i + 1]] > ADJACENT * ADJACENT) errors++;
      return errors / x.shape[0];
    }));
  }

  /** The U-matrix [rows, cols]: each unit's mean codebook distance to its grid neighbours (high = a cluster border). */
  uMatrix(): Tensor {
    return noGrad(() => tidy(() => {
      const d = this.dist2(this.weight).sqrt();
      const adj = this.adjacency();
      return d.mul(adj).sum(1).div(adj.sum(1).clamp(1)).reshape([this.rows, this.cols]);
    }));
  }

  /** Component planes [dim, rows, cols]: plane k is feature k of every unit's codebook vector laid out on the grid. */
  componentPlanes(): Tensor {
    return noGrad(() => tidy(() => this.weight.T.reshape([this.dim, this.rows, this.cols])));
  }

  /** Trains the codebook on x [N, dim] (see SOMFitOptions). The radius and learning rate follow their schedules per epoch (batch) or per sample (online). */
  fit(x: Tensor, options: SOMFitOptions = {}): this {
    this.checkInput("SOM.fit", x);
    for (const key of Object.keys(options)) if (!FIT_OPTIONS.includes(key)) throw new Error(`SOM.fit: unknown option "${key}" (options are ${FIT_OPTIONS.join(", ")})`);
    const {
      epochs = 10, mode = "batch", neighborhood = "gaussian", sigma0 = Math.max(this.rows, this.cols) / 2, sigmaEnd = 1,
      lr0 = 0.5, lrEnd = 0.01, decay = "exponential", shuffle = true, generator = defaultGenerator,
    } = options;
    checkPositive("SOM.fit", "epochs", epochs, true);
    checkPositive("SOM.fit", "sigma0", sigma0);
    checkPositive("SOM.fit", "sigmaEnd", sigmaEnd);
    checkPositive("SOM.fit", "lr0", lr0);
    checkPositive("SOM.fit", "lrEnd", lrEnd);
    if (mode !== "batch" && mode !== "online") throw new Error(`SOM.fit: mode must be "batch" or "online", got ${JSON.stringify(mode)}`);
    if (neighborhood !== "gaussian" && neighborhood !== "bubble") throw new Error(`SOM.fit: neighborhood must be "gaussian" or "bubble", got ${JSON.stringify(neighborhood)}`);
    if (decay !== "linear" && decay !== "exponential") throw new Error(`SOM.fit: decay must be "linear" or "exponential", got ${JSON.stringify(decay)}`);
    if (mode === "batch") {
      for (const key of ["lr0", "lrEnd", "shuffle"] as const) if (options[key] !== undefined) throw new Error(`SOM.fit: ${key} applies to mode "online" only (batch mode sets each unit to a weighted mean)`);
    }
    noGrad(() => tidy(() => {
      const g2 = tensor(this.gridDist2, [this.units, this.units]);
      if (mode === "batch") {
        for (let e = 0; e < epochs; e++) {
          const t = epochs === 1 ? 1 : e / (epochs - 1);
          tidy(() => this.batchStep(x, neighborhoodWeights(g2, neighborhood, decayed(decay, sigma0, sigmaEnd, t))));
        }
        return;
      }
      const n = x.shape[0], steps = epochs * n;
      for (let e = 0; e < epochs; e++) {
        const order = shuffle ? generator.permutation(n) : null;
        for (let i = 0; i < n; i++) {
          const t = steps === 1 ? 1 : (e * n + i) / (steps - 1);
          const sigma = decayed(decay, sigma0, sigmaEnd, t), lr = decayed(decay, lr0, lrEnd, t);
          tidy(() => this.onlineStep(x.narrow(0, order ? order[i] : i, 1), g2, neighborhood, sigma, lr));
        }
      }
    }));
    return this;
  }

  override extraRepr(): string {
    return `${this.rows}, ${this.cols}, ${this.dim}, topology=${this.topology}`;
  }

  /** ‖x − w‖² = ‖x‖² − 2x·wᵀ + ‖w‖² for every sample and unit, [N, units] (clamped at 0 against rounding). */
  private dist2(x: Tensor): Tensor {
    return linear(x, this.weight).mul(-2).add(x.square().sum(1, true)).add(this.weight.square().sum(1)).clamp(0);
  }

  /** One batch-SOM epoch: w_j = Σ_i h(bmu_i, j)·x_i / Σ_i h(bmu_i, j); a unit no sample reaches keeps its vector. */
  private batchStep(x: Tensor, hMatrix: Tensor): void {
    const bmu = this.dist2(x).argmin(1);
    const hx = hMatrix.indexSelect(0, bmu); // [N, units]
    const mass = hx.sum(0).unsqueeze(1); // [units, 1]
    const means = matmul(hx.T, x).div(mass.clamp(1e-30));
    this.weight.copy_(where(mass.gt(0), means, this.weight));
  }

  /** Kohonen's rule for one sample x [1, dim]: w_j += lr·h(bmu, j)·(x − w_j). */
  private onlineStep(x: Tensor, g2: Tensor, neighborhood: SOMNeighborhood, sigma: number, lr: number): void {
    const bmu = this.dist2(x).argmin(1);
    const h = neighborhoodWeights(g2.indexSelect(0, bmu).reshape([this.units, 1]), neighborhood, sigma);
    this.weight.add_(x.sub(this.weight).mul(h.mul(lr)));
  }

  private checkInput(what: string, x: Tensor): void {
    if (!(x instanceof Tensor) || x.dtype !== "float32" || x.ndim !== 2 || x.shape[1] !== this.dim || x.shape[0] === 0) {
      const got = x instanceof Tensor ? `${x.dtype} ${shapeToString(x.shape)}` : String(x);
      throw new Error(`${what}: expected float32 samples [N, ${this.dim}] with N ≥ 1, got ${got}`);
    }
  }
}
