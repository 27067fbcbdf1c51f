// When the thread pool's jobs go over the threads and when they run on the calling thread alone.
// The pool times each job over the threads and compares it with its estimate of the same job on
// the caller alone (threads.ts); this judges those pairs. Jobs on the workers are judged in
// windows of WINDOW_MS of solo time: a window that took longer than the caller alone (or has lost
// LOSS_MAX_MS already) is a strike, and makes the pool run jobs on the caller alone for
// BACKOFF_MIN_MS, doubling while the workers keep failing up to BACKOFF_MAX_MS, halving after each
// window that passes — and for at least LOSS_FACTOR · 2^(strikes − 1) times what the window lost
// (up to MAX_LOSS_FACTOR times, and BACKOFF_LIMIT_MS), so that under lasting contention trying the
// workers again costs about 1/MAX_LOSS_FACTOR of the time however long a descheduled worker held
// its chunk, while one hiccup on a quiet machine costs little. A window that passes by CLEAR_GAIN
// or more takes one strike off, and what such windows saved is kept as credit, up to CREDIT_MAX_MS,
// and a lost window is paid from it before it counts as a strike: a host that takes a virtual core
// away for a few milliseconds now and then (on a 2-vCPU cloud guest, about twice a second per
// core, up to 12 ms) stalls one job, far less than the workers save in between, where lasting
// contention loses window after window and soon spends the credit (measured on the MLP step, 2
// vCPUs, quiet: 12–13 backoffs in 3 s of rounds without the credit, 0–1 with it). Every
// REFRESH_EVERY_MS of parallel running (or REFRESH_FACTOR times the solo time of the job due, if
// longer: a 25 ms GEMM refreshed every second ran 5% of its jobs alone), REFRESH_MS of solo
// running keeps the pool's estimates current.
// The clock is the pool's work clock (threads.ts): the time spent in the jobs that could go over
// the threads, not the wall clock, so a backoff lasts so many milliseconds of work however long
// the program pauses between jobs. On the wall clock, a program running a step now and then (or a
// benchmark alternating thread counts) found its backoff expired at each step and paid a lost
// window every time, far more than 1/MAX_LOSS_FACTOR of its time.
const WINDOW_MS = 20, LOSS_MAX_MS = 2, CLEAR_GAIN = 1.2, CREDIT_MAX_MS = 16;
const BACKOFF_MIN_MS = 20, BACKOFF_MAX_MS = 640, LOSS_FACTOR = 10, MAX_LOSS_FACTOR = 160, BACKOFF_LIMIT_MS = 8000;
const REFRESH_EVERY_MS = 1000, REFRESH_MS = 10, REFRESH_FACTOR = 200;

/** The pool's backoff policy. Times are ms on the pool's work clock, passed in. */
export class Backoff {
  /** The first backoff from lagging workers, in ms (tests raise it). */
  minMs = BACKOFF_MIN_MS;
  /** The current window of jobs over the threads: their time, and the same jobs' solo estimates. */
  private window = { took: 0, alone: 0 };
  private backoffMs = BACKOFF_MIN_MS;
  /** Windows over the threads failed, less those passed since. */
  private strikes = 0;
  /** What windows over the threads saved against the caller alone, less what later ones lost (0..CREDIT_MAX_MS). */
  private credit = 0;
  /** Jobs run on the caller alone until then, 0 while they run over the threads. */
  private soloUntil = 0;
  /** When the current stretch of jobs over the threads began (for the refreshes). */
  private parallelSince: number;

  constructor(now = 0) {
    this.parallelSince = now;
  }

  /** Whether jobs run on the calling thread alone at `now` (backing off from lagging workers, or refreshing the estimates). */
  backingOff(now: number): boolean {
    return this.soloUntil > 0 && now < this.soloUntil;
  }

  /** Ends a backoff: the next job tries the workers again (when one runs out; tests end one at once). */
  retry(now: number): void {
    this.soloUntil = 0;
    this.parallelSince = now;
    this.window = { took: 0, alone: 0 };
  }

  /** Whether the next job, `soloMs` alone, runs on the caller alone: backing off, or due for a refresh of the estimates. */
  soloNow(soloMs: number, now: number): boolean {
    if (this.soloUntil) {
      if (now < this.soloUntil) return true;
      this.retry(now);
    }
    if (now - this.parallelSince < Math.max(REFRESH_EVERY_MS, REFRESH_FACTOR * soloMs)) return false;
    this.soloUntil = now + REFRESH_MS;
    return true;
  }

  /**
   * Counts a job over the threads that took `took` ms, ending at `now`, where the caller alone
   * would take `alone`; backs off (and returns true) when the window's jobs took longer than the
   * caller alone (or lost LOSS_MAX_MS already) by more than the credit.
   */
  judge(alone: number, took: number, now: number): boolean {
    const w = this.window;
    w.took += took;
    w.alone += alone;
    let lost = w.took - w.alone;
    if (lost <= LOSS_MAX_MS + this.credit && w.alone < WINDOW_MS) return false;
    this.window = { took: 0, alone: 0 };
    if (lost <= 0) {
      this.backoffMs = Math.max(this.minMs, this.backoffMs / 2);
      // (a window that merely broke even on a loaded machine is luck, not a sign the contention
      // ended: only a clear win takes a strike off or earns credit)
      if (w.took * CLEAR_GAIN <= w.alone) {
        this.strikes = Math.max(0, this.strikes - 1);
        this.credit = Math.min(CREDIT_MAX_MS, this.credit - lost);
      }
      return false;
    }
    // a stall paid from what the workers saved before: one chunk's worker descheduled for a while
    // by the host, another process's wake-up or V8's own background threads
    if (lost <= this.credit) {
      this.credit -= lost;
      return false;
    }
    lost -= this.credit;
    this.credit = 0;
    const wait = Math.max(this.backoffMs, this.minMs);
    this.strikes++;
    const factor = Math.min(MAX_LOSS_FACTOR, LOSS_FACTOR * 2 ** (this.strikes - 1));
    this.soloUntil = now + Math.max(wait, Math.min(BACKOFF_LIMIT_MS, factor * lost));
    this.backoffMs = Math.min(BACKOFF_MAX_MS, wait * 2);
    return true;
  }
}
