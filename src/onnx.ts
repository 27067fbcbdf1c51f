// simdgrad/onnx: ONNX export (by tracing a forward pass) and import (a trainable Module running
// the graph in simdgrad's ops). A separate entry point so the core bundle does not carry it.
export { exportOnnx, type ExportOnnxOptions } from "./onnx/export.js";
export { importOnnx, OnnxModule } from "./onnx/import.js";
