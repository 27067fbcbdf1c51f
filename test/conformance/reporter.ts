// Prints the conformance summary after a run: one line per family, failed case ids grouped by
// failure message, and the total last. Cases of pending families that failed (skipped in the run)
// count as failed here. Used next to the dot reporter by `npm run conformance`.
import type { Reporter, RunnerTestCase, RunnerTestFile } from "vitest";

export default class ConformanceReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const lines: string[] = [];
    let passed = 0, failed = 0;
    for (const file of files.filter((f) => f.filepath.endsWith("conformance.test.ts"))) {
      for (const suite of file.tasks) {
        if (suite.type !== "suite") continue;
        const tests = suite.tasks.filter((t): t is RunnerTestCase => t.type === "test");
        const bad = tests.filter((t) => t.result?.state !== "pass");
        passed += tests.length - bad.length;
        failed += bad.length;
        const pending = tests.some((t) => t.meta.conformancePending) ? " (pending: does not fail npm test)" : "";
        lines.push(`conformance ${suite.name}: ${tests.length - bad.length} passed, ${bad.length} failed${pending}`);
        const byMessage = new Map<string, string[]>();
        for (const t of bad) {
          const message = t.meta.conformanceFailure ?? t.result?.errors?.[0]?.message ?? t.result?.state ?? "not run";
          byMessage.set(message, [...(byMessage.get(message) ?? []), t.name]);
        }
        for (const [message, ids] of byMessage) lines.push(`  failed ${ids.join(", ")}: ${message}`);
      }
    }
    lines.push(`conformance total: ${passed} passed, ${failed} failed`);
    console.log(lines.join("\n"));
  }
}
