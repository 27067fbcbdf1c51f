// A seedable generator (xoshiro128**) for initialisation, dropout masks and shuffling, so runs
// are reproducible with manualSeed(n) like torch.manual_seed.
/**
 * A seedable random number generator (xoshiro128**), torch.Generator's counterpart: pass one as `generator`
 * to the random factories, layer constructors, dropout and DataLoader for a stream of its own.
 */
export class Generator {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0x5eed) {
    this.seed(seed);
  }

  /** Restarts the sequence from seed (the same seed gives the same numbers). */
  seed(seed: number): void {
    // splitmix32 expands one number into a well-mixed 128-bit state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spareNormal = null;
  }

  /** The next 32 random bits as an unsigned integer (the xoshiro128** step). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator used when none is passed. */
export const defaultGenerator = new Generator();

/**
 * Seeds the global generator (torch.manual_seed): initialisation, dropout, shuffling and the random factories
 * then repeat run to run.
 */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
