// The ONNX protobuf messages simdgrad reads and writes, and the protobuf wire format under them.
// Hand-written rather than a protobuf library so the runtime stays dependency-free: the subset is
// small (varints, fixed32/64, length-delimited fields), field numbers are those of onnx.proto, and
// test/onnx-proto.test.ts decodes what this writes with protobufjs and onnx.proto (and back).
// Fields this file does not know are skipped on reading (protobuf's rule for unknown fields).

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** A TensorProto: values as float32, int32-range integers (int64 data within ±2^53), or raw bytes for other types. */
export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  /** FLOAT/DOUBLE values. */
  floats?: Float32Array;
  /** INT32/INT64/BOOL/UINT8/INT8 values. */
  ints?: number[];
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface NodeProto {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  attributes: AttributeProto[];
}

/** A dimension: a number, or a symbolic name (dim_param) such as "batch". */
export type Dim = number | string;

export interface ValueInfoProto {
  name: string;
  elemType: number;
  shape: Dim[] | null;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
}

// ---- writing -------------------------------------------------------------------------------

const WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5;

class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A varint of a non-negative or negative integer (negatives as 64-bit two's complement, as int64 fields are). */
  varint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`onnx: integer ${v} does not fit in a protobuf varint exactly`);
    let n = BigInt.asUintN(64, BigInt(v));
    this.reserve(10);
    while (n >= 0x80n) {
      this.buf[this.len++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.len++] = Number(n);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  intField(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  floatField(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  stringField(field: number, s: string): void {
    this.tag(field, WIRE_LEN);
    this.bytes(utf8.encode(s));
  }

  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.bytes(b);
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytesField(field, inner.finish());
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly number[]): void {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    this.bytesField(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): void {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    this.bytesField(field, bytes);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function writeTensor(w: Writer, t: TensorProto): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.intField(2, t.dataType);
  w.stringField(8, t.name);
  // Data as raw little-endian bytes (field 9), as torch.onnx.export writes initializers.
  if (t.dataType === DataType.FLOAT) {
    const f = t.floats!;
    w.bytesField(9, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  } else if (t.dataType === DataType.INT64) {
    const bytes = new Uint8Array(t.ints!.length * 8);
    const view = new DataView(bytes.buffer);
    t.ints!.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    w.bytesField(9, bytes);
  } else if (t.dataType === DataType.INT32) {
    w.bytesField(9, new Uint8Array(Int32Array.from(t.ints!).buffer));
  } else if (t.dataType === DataType.BOOL || t.dataType === DataType.UINT8) {
    w.bytesField(9, Uint8Array.from(t.ints!));
  } else if (t.dataType === DataType.INT8) {
    w.bytesField(9, new Uint8Array(Int8Array.from(t.ints!).buffer));
  } else {
    throw new Error(`onnx: writing tensor ${t.name}: data type ${t.dataType} is not supported`);
  }
}

function writeAttribute(w: Writer, a: AttributeProto): void {
  w.stringField(1, a.name);
  w.intField(20, a.type);
  switch (a.type) {
    case AttrType.FLOAT: return w.floatField(2, a.f!);
    case AttrType.INT: return w.intField(3, a.i!);
    case AttrType.STRING: return w.stringField(4, a.s!);
    case AttrType.TENSOR: return w.message(5, (m) => writeTensor(m, a.t!));
    case AttrType.GRAPH: return w.message(6, (m) => writeGraph(m, a.g!));
    case AttrType.FLOATS: return w.packedFloats(7, a.floats!);
    case AttrType.INTS: return w.packedInts(8, a.ints!);
    case AttrType.STRINGS: for (const s of a.strings!) w.stringField(9, s); return;
    default: throw new Error(`onnx: attribute ${a.name}: type ${a.type} is not supported`);
  }
}

function writeNode(w: Writer, n: NodeProto): void {
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes) w.message(5, (m) => writeAttribute(m, a));
  if (n.domain) w.stringField(7, n.domain);
}

function writeValueInfo(w: Writer, v: ValueInfoProto): void {
  w.stringField(1, v.name);
  // type: TypeProto { tensor_type (1): { elem_type (1), shape (2): { dim (1): { dim_value (1) | dim_param (2) } } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.intField(1, v.elemType);
      if (v.shape) {
        tensor.message(2, (shape) => {
          for (const d of v.shape!) shape.message(1, (dim) => (typeof d === "number" ? dim.intField(1, d) : dim.stringField(2, d)));
        });
      }
    }),
  );
}

function writeGraph(w: Writer, g: GraphProto): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
  for (const v of g.valueInfo) w.message(13, (m) => writeValueInfo(m, v));
}

export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.intField(1, model.irVersion);
  w.stringField(2, model.producerName);
  w.stringField(3, model.producerVersion);
  w.message(7, (m) => writeGraph(m, model.graph));
  for (const o of model.opsetImports) {
    w.message(8, (m) => {
      if (o.domain) m.stringField(1, o.domain);
      m.intField(2, o.version);
    });
  }
  return w.finish();
}

// ---- reading -------------------------------------------------------------------------------

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private fail(what: string): never {
    throw new Error(`onnx: malformed protobuf (${what} at byte ${this.pos})`);
  }

  /** A varint as a JS number; int64 values beyond ±2^53 are an error rather than a rounded value. */
  varint(): number {
    let n = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.end) this.fail("truncated varint");
      const b = this.buf[this.pos++];
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
      if (shift > 63n) this.fail("varint longer than 10 bytes");
    }
    const v = Number(BigInt.asIntN(64, n));
    if (!Number.isSafeInteger(v)) this.fail(`integer ${BigInt.asIntN(64, n)} beyond 2^53`);
    return v;
  }

  /** A length-delimited field's bounds. */
  sub(): Reader {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) this.fail("length past the end");
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.pos, r.end);
  }

  string(): string {
    return fromUtf8.decode(this.bytes());
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail("truncated float");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail("truncated double");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_I64) this.pos += 8;
    else if (wire === WIRE_LEN) this.sub();
    else if (wire === WIRE_I32) this.pos += 4;
    else this.fail(`wire type ${wire}`);
    if (this.pos > this.end) this.fail("field past the end");
  }

  /** Calls fn(field, wire) for each field; fn returns false for a field it does not read. */
  fields(fn: (field: number, wire: number) => boolean | void): void {
    while (!this.done) {
      const key = this.varint();
      const field = Math.floor(key / 8), wire = key & 7;
      if (fn(field, wire) === false) this.skip(wire);
    }
  }

  /** A repeated scalar field, packed (one length-delimited run) or not. */
  repeated(wire: number, read: (r: Reader) => number, out: number[]): void {
    if (wire !== WIRE_LEN) {
      out.push(read(this));
      return;
    }
    const r = this.sub();
    while (!r.done) out.push(read(r));
  }
}

const varintOf = (r: Reader) => r.varint();
const floatOf = (r: Reader) => r.float();
const doubleOf = (r: Reader) => r.double();

function readTensor(r: Reader): TensorProto {
  const t: TensorProto = { name: "", dims: [], dataType: 0 };
  let raw: Uint8Array | null = null;
  const floats: number[] = [], ints: number[] = [];
  r.fields((field, wire) => {
    if (field === 1) r.repeated(wire, varintOf, t.dims);
    else if (field === 2) t.dataType = r.varint();
    else if (field === 4) r.repeated(wire, floatOf, floats);
    else if (field === 5 || field === 7) r.repeated(wire, varintOf, ints);
    else if (field === 8) t.name = r.string();
    else if (field === 9) raw = r.bytes();
    else if (field === 10) r.repeated(wire, doubleOf, floats);
    else if (field === 14 && r.varint() === 1) throw new Error(`onnx: tensor ${t.name} keeps its data in an external file, which is not supported`);
    else return field === 14;
  });
  const count = t.dims.reduce((a, b) => a * b, 1);
  const view = raw ? new DataView((raw as Uint8Array).buffer, (raw as Uint8Array).byteOffset, (raw as Uint8Array).byteLength) : null;
  const width = (bytes: number) => {
    if (view!.byteLength !== count * bytes) throw new Error(`onnx: tensor ${t.name}: ${view!.byteLength} bytes of raw data for ${count} elements`);
  };
  switch (t.dataType) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
      if (view && t.dataType === DataType.FLOAT) {
        width(4);
        t.floats = new Float32Array(count);
        for (let i = 0; i < count; i++) t.floats[i] = view.getFloat32(i * 4, true);
      } else if (view) {
        width(8);
        t.floats = new Float32Array(count);
        for (let i = 0; i < count; i++) t.floats[i] = view.getFloat64(i * 8, true);
      } else t.floats = Float32Array.from(floats);
      break;
    case DataType.INT64:
      if (view) {
        width(8);
        t.ints = [];
        for (let i = 0; i < count; i++) {
          const v = view.getBigInt64(i * 8, true);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
            // Slice ends of "to the end" are written as INT64_MAX/MIN: clamp them, exactly representable as ±2^53.
            t.ints.push(v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER);
          } else t.ints.push(Number(v));
        }
      } else t.ints = ints;
      break;
    case DataType.INT32:
      if (view) {
        width(4);
        t.ints = Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
      } else t.ints = ints;
      break;
    case DataType.BOOL:
    case DataType.UINT8:
    case DataType.INT8:
      if (view) {
        width(1);
        t.ints = Array.from({ length: count }, (_, i) => (t.dataType === DataType.INT8 ? view.getInt8(i) : view.getUint8(i)));
      } else t.ints = ints;
      break;
    default:
      throw new Error(`onnx: tensor ${t.name}: data type ${t.dataType} is not supported`);
  }
  const n = t.floats?.length ?? t.ints!.length;
  if (n !== count) throw new Error(`onnx: tensor ${t.name} has ${n} values for dims [${t.dims.join(", ")}]`);
  return t;
}

function readAttribute(r: Reader): AttributeProto {
  const a: AttributeProto = { name: "", type: 0 };
  const floats: number[] = [], ints: number[] = [], strings: string[] = [];
  r.fields((field, wire) => {
    if (field === 1) a.name = r.string();
    else if (field === 20) a.type = r.varint();
    else if (field === 2) a.f = r.float();
    else if (field === 3) a.i = r.varint();
    else if (field === 4) a.s = r.string();
    else if (field === 5) a.t = readTensor(r.sub());
    else if (field === 6) a.g = readGraph(r.sub());
    else if (field === 7) r.repeated(wire, floatOf, floats);
    else if (field === 8) r.repeated(wire, varintOf, ints);
    else if (field === 9) strings.push(r.string());
    else return false;
  });
  if (a.type === AttrType.FLOATS) a.floats = floats;
  if (a.type === AttrType.INTS) a.ints = ints;
  if (a.type === AttrType.STRINGS) a.strings = strings;
  return a;
}

function readNode(r: Reader): NodeProto {
  const n: NodeProto = { inputs: [], outputs: [], name: "", opType: "", domain: "", attributes: [] };
  r.fields((field) => {
    if (field === 1) n.inputs.push(r.string());
    else if (field === 2) n.outputs.push(r.string());
    else if (field === 3) n.name = r.string();
    else if (field === 4) n.opType = r.string();
    else if (field === 5) n.attributes.push(readAttribute(r.sub()));
    else if (field === 7) n.domain = r.string();
    else return false;
  });
  return n;
}

function readValueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = { name: "", elemType: 0, shape: null };
  r.fields((field) => {
    if (field === 1) v.name = r.string();
    else if (field !== 2) return false;
    // type: TypeProto { tensor_type (1): { elem_type (1), shape (2): { dim (1): { dim_value (1) | dim_param (2) } } } }
    else {
      const type = r.sub();
      type.fields((tf) => {
        if (tf !== 1) return false;
        const tensor = type.sub();
        tensor.fields((f) => {
          if (f === 1) v.elemType = tensor.varint();
          else if (f !== 2) return false;
          else {
            const shape = tensor.sub();
            v.shape = [];
            shape.fields((sf) => {
              if (sf !== 1) return false;
              const dim = shape.sub();
              let d: Dim = "?";
              dim.fields((df) => {
                if (df === 1) d = dim.varint();
                else if (df === 2) d = dim.string();
                else return false;
              });
              v.shape!.push(d);
            });
          }
        });
      });
    }
  });
  return v;
}

function readGraph(r: Reader): GraphProto {
  const g: GraphProto = { name: "", nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  r.fields((field) => {
    if (field === 1) g.nodes.push(readNode(r.sub()));
    else if (field === 2) g.name = r.string();
    else if (field === 5) g.initializers.push(readTensor(r.sub()));
    else if (field === 11) g.inputs.push(readValueInfo(r.sub()));
    else if (field === 12) g.outputs.push(readValueInfo(r.sub()));
    else if (field === 13) g.valueInfo.push(readValueInfo(r.sub()));
    else if (field === 15) throw new Error("onnx: sparse initializers are not supported");
    else return false;
  });
  return g;
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  const m: ModelProto = { irVersion: 0, opsetImports: [], producerName: "", producerVersion: "", graph: null as unknown as GraphProto };
  const r = new Reader(bytes);
  r.fields((field) => {
    if (field === 1) m.irVersion = r.varint();
    else if (field === 2) m.producerName = r.string();
    else if (field === 3) m.producerVersion = r.string();
    else if (field === 7) m.graph = readGraph(r.sub());
    else if (field === 8) {
      const o = { domain: "", version: 0 };
      const sub = r.sub();
      sub.fields((f) => {
        if (f === 1) o.domain = sub.string();
        else if (f === 2) o.version = sub.varint();
        else return false;
      });
      m.opsetImports.push(o);
    } else return false;
  });
  if (!m.graph) throw new Error("onnx: the model has no graph");
  return m;
}
