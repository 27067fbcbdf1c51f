// The hand-written ONNX protobuf reader/writer (src/onnx/proto.ts) against protobufjs reading
// onnx.proto (the schema python3-onnx installs): what one writes, the other reads, field by field.
import { existsSync } from "node:fs";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { AttrType, DataType, decodeModel, encodeModel, type ModelProto } from "../src/onnx/proto.js";

const SCHEMA = "/usr/lib/python3/dist-packages/onnx/onnx.proto";
const hasSchema = existsSync(SCHEMA);
if (!hasSchema && !process.env.CI) console.warn("onnx-proto.test.ts: onnx.proto not found (apt-get install python3-onnx); skipped");

const model: ModelProto = {
  irVersion: 8,
  opsetImports: [{ domain: "", version: 17 }],
  producerName: "simdgrad",
  producerVersion: "0.1.0",
  graph: {
    name: "g",
    nodes: [{
      inputs: ["x", "", "w"], outputs: ["y"], name: "n0", opType: "Op", domain: "",
      attributes: [
        { name: "f", type: AttrType.FLOAT, f: 0.25 }, { name: "i", type: AttrType.INT, i: -3 }, { name: "s", type: AttrType.STRING, s: "tanh" },
        { name: "is", type: AttrType.INTS, ints: [1, -1, 2 ** 40] }, { name: "fs", type: AttrType.FLOATS, floats: [0.5, -2] },
        { name: "ss", type: AttrType.STRINGS, strings: ["a", "é"] },
        { name: "t", type: AttrType.TENSOR, t: { name: "v", dims: [2], dataType: DataType.INT64, ints: [-1, 7] } },
      ],
    }],
    initializers: [
      { name: "w", dims: [2, 3], dataType: DataType.FLOAT, floats: Float32Array.of(1, -2, 3.5, 0, 1e-8, -0) },
      { name: "k", dims: [3], dataType: DataType.INT32, ints: [5, -6, 7] },
    ],
    inputs: [{ name: "x", elemType: DataType.FLOAT, shape: ["batch", 3] }],
    outputs: [{ name: "y", elemType: DataType.FLOAT, shape: ["batch", 2] }],
    valueInfo: [],
  },
};

describe.skipIf(!hasSchema && !process.env.CI)("ONNX protobuf", () => {
  const ModelProtoType = () => protobuf.loadSync(SCHEMA).lookupType("onnx.ModelProto");
  const long = (v: unknown) => Number(v as number);

  it("what encodeModel writes, protobufjs reads with onnx.proto", () => {
    const m = ModelProtoType().decode(encodeModel(model)) as unknown as Record<string, any>;
    expect(long(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o: { version: unknown }) => long(o.version))).toEqual([17]);
    const node = m.graph.node[0];
    expect([node.input, node.output, node.name, node.opType]).toEqual([["x", "", "w"], ["y"], "n0", "Op"]);
    const attrs = Object.fromEntries(node.attribute.map((a: { name: string }) => [a.name, a]));
    expect(attrs.f.f).toBe(0.25);
    expect(long(attrs.i.i)).toBe(-3);
    expect(new TextDecoder().decode(attrs.s.s)).toBe("tanh");
    expect(attrs.is.ints.map(long)).toEqual([1, -1, 2 ** 40]);
    expect(attrs.fs.floats).toEqual([0.5, -2]);
    expect(attrs.ss.strings.map((s: Uint8Array) => new TextDecoder().decode(s))).toEqual(["a", "é"]);
    expect(attrs.t.t.dims.map(long)).toEqual([2]);
    const [w, k] = m.graph.initializer;
    expect([w.name, w.dims.map(long), w.dataType]).toEqual(["w", [2, 3], DataType.FLOAT]);
    expect(Array.from(new Float32Array(new Uint8Array(w.rawData).buffer))).toEqual(Array.from(model.graph.initializers[0].floats!));
    expect(Array.from(new Int32Array(new Uint8Array(k.rawData).buffer))).toEqual([5, -6, 7]);
    const dims = m.graph.input[0].type.tensorType.shape.dim;
    expect([dims[0].dimParam, long(dims[1].dimValue)]).toEqual(["batch", 3]);
  });

  it("what protobufjs writes with onnx.proto (typed data fields, unpacked repeated ints), decodeModel reads", () => {
    const T = ModelProtoType();
    const bytes = T.encode(T.fromObject({
      irVersion: 7, producerName: "torch", opsetImport: [{ version: 13 }],
      graph: {
        name: "h",
        node: [{ input: ["a"], output: ["b"], opType: "Relu", attribute: [{ name: "axes", type: AttrType.INTS, ints: [0, -2] }] }],
        initializer: [
          { name: "f", dims: [3], dataType: DataType.FLOAT, floatData: [1.5, -2, 4] },
          { name: "l", dims: [2], dataType: DataType.INT64, int64Data: [-5, 9] },
          { name: "d", dims: [1], dataType: DataType.DOUBLE, doubleData: [0.125] },
        ],
        input: [{ name: "a", type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimParam: "n" }] } } } }],
        output: [{ name: "b", type: { tensorType: { elemType: DataType.FLOAT } } }],
      },
    })).finish();
    const m = decodeModel(bytes);
    expect([m.irVersion, m.producerName, m.opsetImports]).toEqual([7, "torch", [{ domain: "", version: 13 }]]);
    expect(m.graph.nodes[0]).toMatchObject({ inputs: ["a"], outputs: ["b"], opType: "Relu", attributes: [{ name: "axes", type: AttrType.INTS, ints: [0, -2] }] });
    expect(Array.from(m.graph.initializers[0].floats!)).toEqual([1.5, -2, 4]);
    expect(m.graph.initializers[1].ints).toEqual([-5, 9]);
    expect(Array.from(m.graph.initializers[2].floats!)).toEqual([0.125]);
    expect(m.graph.inputs[0].shape).toEqual([2, "n"]);
    expect(m.graph.outputs[0].shape).toBeNull();
  });

  it("round-trips its own encoding, and names what is malformed", () => {
    expect(decodeModel(encodeModel(model))).toEqual({ ...model, graph: { ...model.graph } });
    const bytes = encodeModel(model);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 3))).toThrow(/onnx: malformed protobuf \(.* at byte \d+\)/);
    expect(() => decodeModel(Uint8Array.of(0x08))).toThrow(/truncated varint/);
    expect(() => decodeModel(new Uint8Array(0))).toThrow(/the model has no graph/);
  });
});
