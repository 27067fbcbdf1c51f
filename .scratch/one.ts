import * as sg from "../src/index.js";
await sg.init();
const m = new sg.nn.Conv2d(16, 16, 3, { padding: 1 }).eval();
const x = sg.keep(sg.randn([1, 16, 16, 16]));
const q = sg.quantize(m, { calibration: [x] });
sg.noGrad(() => q.forward(x));
