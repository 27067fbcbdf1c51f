// instantiate the built plain wasm and call qgemm_winograd once, to dump its TurboFan code
import { readFileSync } from "node:fs";
