// PyTorch conformance: every case of every file listed in $CONFORMANCE_DIR/index.json (default
// test/conformance/vectors, the repository's copy of ../shared/conformance), one test per case, one
// describe per family. Each family's handlers live in test/conformance/families/<family>.ts; a
// missing module or op fails its cases. Families listed in test/conformance/pending.json (their
// issue is still open) are run too, but a failing case there is skipped with its failure recorded
// and listed after the family, instead of failing the run; `npm run conformance` counts it failed.
// CONFORMANCE_FAMILY=<family> runs one family. `npm run conformance` prints per-family counts
// (test/conformance/reporter.ts).
import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, it } from "vitest";
import { loadCases, loadIndex } from "./conformance/load.js";
import { runOpCase, type FamilyModule } from "./conformance/run.js";

declare module "vitest" {
  interface TaskMeta {
    /** Set on a failed conformance case. */
    conformanceFailure?: string;
    /** Set on every case of a family in test/conformance/pending.json. */
    conformancePending?: boolean;
  }
}

const pending: Record<string, string> = JSON.parse(readFileSync(new URL("./conformance/pending.json", import.meta.url), "utf8")).families;

type Loaded = { module: FamilyModule } | { error: string };

async function loadFamily(family: string): Promise<Loaded> {
  const url = new URL(`./conformance/families/${family}.ts`, import.meta.url);
  if (!existsSync(url)) return { error: `family module test/conformance/families/${family}.ts does not exist` };
  try {
    return { module: await import(url.href) };
  } catch (e) {
    return { error: `family module families/${family}.ts failed to load: ${e instanceof Error ? e.message : e}` };
  }
}

function runFamilyCase(loaded: Loaded, family: string, c: any): string | null {
  if ("error" in loaded) return loaded.error;
  const { ops, runCase } = loaded.module;
  try {
    if (runCase) return runCase(c);
    const fn = ops?.[c.op];
    if (!fn) return `op "${c.op}" is missing from families/${family}.ts`;
    return runOpCase(c, fn);
  } catch (e) {
    return `threw: ${e instanceof Error ? e.message : String(e)}`;
  }
}

const only = process.env.CONFORMANCE_FAMILY;
const files = Object.entries(loadIndex().files).filter(([, entry]) => !only || entry.family === only);

if (files.length === 0) {
  it(`CONFORMANCE_FAMILY=${only}`, () => {
    throw new Error(`no file in index.json has family "${only}"`);
  });
}

for (const [file, { family }] of files) {
  const cases = loadCases(file);
  const loaded = await loadFamily(family);
  const isPending = family in pending;
  describe(family, () => {
    const pendingFailures: string[] = [];
    for (const c of cases) {
      it(c.id, (ctx) => {
        ctx.task.meta.conformancePending = isPending || undefined;
        const failure = runFamilyCase(loaded, family, c);
        if (failure === null) return;
        ctx.task.meta.conformanceFailure = failure;
        if (!isPending) throw new Error(`${c.id}: ${failure}`);
        pendingFailures.push(c.id);
        ctx.skip();
      });
    }
    if (isPending) {
      afterAll(() => {
        const head = `conformance ${family} (pending: ${pending[family]}): ${cases.length - pendingFailures.length} of ${cases.length} passed`;
        console.log(pendingFailures.length ? `${head}; failing: ${pendingFailures.join(", ")}` : head);
      });
    }
  });
}
