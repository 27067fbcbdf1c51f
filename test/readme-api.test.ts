// The README's "What is there" list names every public export of the main entry point: a new
// export that is not documented there fails here.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as sg from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const start = readme.indexOf("What is there");
const list = readme.slice(start, readme.indexOf("\n## ", start));
const mentioned = (name: string) => new RegExp(`(^|[^A-Za-z0-9_$])${name.replace(/\$/g, "\\$")}([^A-Za-z0-9_]|$)`).test(list);

describe("README: What is there", () => {
  it.each([
    ["top level", sg, ["nn", "optim", "quantization"]],
    ["nn", sg.nn, ["functional", "init"]],
    ["nn.functional", sg.nn.functional, []],
    ["nn.init", sg.nn.init, []],
    ["optim", sg.optim, []],
    ["quantization", sg.quantization, []],
  ] as const)("lists every export of %s", (_, namespace, namespaces) => {
    const missing = Object.keys(namespace).filter((name) => !(namespaces as readonly string[]).includes(name) && !mentioned(name));
    expect(missing).toEqual([]);
  });
});
