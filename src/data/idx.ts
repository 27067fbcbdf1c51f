// IDX codec (the MNIST file format): two zero bytes, a type code, a dimension
// count d, d big-endian u32 sizes, then the elements in big-endian order.
// Pure (no Node built-ins) so it runs in browsers as well.

/** An IDX array (the format of the MNIST files): its element type, shape and data. */
export interface IdxArray {
  /** The element type (the file's type code: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64). */
  type: "u8" | "i8" | "i16" | "i32" | "f32" | "f64";
  /** The size of each dimension. */
  shape: number[];
  /** The elements in row-major order, in the typed array of `type` (big-endian in the file, native here). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

type IdxType = IdxArray["type"];
type IdxData = IdxArray["data"];

interface TypeInfo {
  code: number;
  itemSize: number;
  ArrayType: { new (length: number): IdxData; readonly name: string };
  // DataView accessors default to big-endian, which is exactly IDX's byte order.
  read: (view: DataView, byteOffset: number) => number;
  write: (view: DataView, byteOffset: number, value: number) => void;
}

const TYPES: Record<IdxType, TypeInfo> = {
  u8: { code: 0x08, itemSize: 1, ArrayType: Uint8Array, read: (v, o) => v.getUint8(o), write: (v, o, x) => v.setUint8(o, x) },
  i8: { code: 0x09, itemSize: 1, ArrayType: Int8Array, read: (v, o) => v.getInt8(o), write: (v, o, x) => v.setInt8(o, x) },
  i16: { code: 0x0b, itemSize: 2, ArrayType: Int16Array, read: (v, o) => v.getInt16(o), write: (v, o, x) => v.setInt16(o, x) },
  i32: { code: 0x0c, itemSize: 4, ArrayType: Int32Array, read: (v, o) => v.getInt32(o), write: (v, o, x) => v.setInt32(o, x) },
  f32: { code: 0x0d, itemSize: 4, ArrayType: Float32Array, read: (v, o) => v.getFloat32(o), write: (v, o, x) => v.setFloat32(o, x) },
  f64: { code: 0x0e, itemSize: 8, ArrayType: Float64Array, read: (v, o) => v.getFloat64(o), write: (v, o, x) => v.setFloat64(o, x) },
};

const TYPE_BY_CODE = new Map(Object.entries(TYPES).map(([type, info]) => [info.code, type as IdxType]));

const MAGIC_BYTES = 4;
const DIM_BYTES = 4;
const MAX_DIM = 0xffffffff;

function hex(value: number, digits: number): string {
  return "0x" + value.toString(16).padStart(digits, "0");
}

/**
 * Parses an IDX file. `what` (e.g. a file name) is quoted in error messages.
 *
 * u8 and i8 data are zero-copy views that alias `bytes`; wider types are
 * copied out of big-endian into native typed arrays.
 */
export function parseIdx(bytes: Uint8Array, what = "input"): IdxArray {
  const fail = (message: string): never => {
    throw new Error(`idx: ${what}: ${message}`);
  };
  if (bytes.length < MAGIC_BYTES) {
    fail(`${bytes.length} bytes is shorter than the ${MAGIC_BYTES}-byte magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic ${hex(view.getUint32(0), 8)}; an IDX file starts with two zero bytes`);
  }
  const type = TYPE_BY_CODE.get(bytes[2]!) ?? fail(`unknown type code ${hex(bytes[2]!, 2)}`);
  const rank = bytes[3]!;
  const headerBytes = MAGIC_BYTES + rank * DIM_BYTES;
  if (bytes.length < headerBytes) {
    fail(`${bytes.length} bytes is shorter than the ${headerBytes}-byte header for ${rank} dimensions`);
  }

  const shape = Array.from({ length: rank }, (_, axis) => view.getUint32(MAGIC_BYTES + axis * DIM_BYTES));
  const { itemSize, ArrayType, read } = TYPES[type];
  const count = shape.reduce((product, dim) => product * dim, 1);
  const expectedDataBytes = count * itemSize;
  const actualDataBytes = bytes.length - headerBytes;
  if (actualDataBytes < expectedDataBytes) {
    fail(
      `truncated: shape [${shape.join(", ")}] of ${type} needs ${expectedDataBytes} data bytes, got ${actualDataBytes}`,
    );
  }
  if (actualDataBytes > expectedDataBytes) {
    fail(`${actualDataBytes - expectedDataBytes} trailing bytes after the ${expectedDataBytes} data bytes of shape [${shape.join(", ")}]`);
  }

  if (type === "u8") {
    return { type, shape, data: bytes.subarray(headerBytes) };
  }
  if (type === "i8") {
    return { type, shape, data: new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
  }
  const data = new ArrayType(count);
  for (let i = 0; i < count; i++) {
    data[i] = read(view, headerBytes + i * itemSize);
  }
  return { type, shape, data };
}

/** Serializes an array to IDX bytes; the inverse of `parseIdx`. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  if (!Object.hasOwn(TYPES, arr.type)) {
    throw new Error(`idx: unknown type ${JSON.stringify(arr.type)}`);
  }
  const { code, itemSize, ArrayType, write } = TYPES[arr.type];
  if (!(arr.data instanceof ArrayType)) {
    throw new Error(`idx: type ${arr.type} needs ${ArrayType.name} data, got ${arr.data.constructor.name}`);
  }
  if (arr.shape.length > 0xff) {
    throw new Error(`idx: ${arr.shape.length} dimensions exceed the format's limit of 255`);
  }
  if (!arr.shape.every((dim) => Number.isInteger(dim) && dim >= 0 && dim <= MAX_DIM)) {
    throw new Error(`idx: shape [${arr.shape.join(", ")}] must hold integers in 0..${MAX_DIM}`);
  }
  const count = arr.shape.reduce((product, dim) => product * dim, 1);
  if (arr.data.length !== count) {
    throw new Error(`idx: shape [${arr.shape.join(", ")}] holds ${count} elements but data has ${arr.data.length}`);
  }

  const headerBytes = MAGIC_BYTES + arr.shape.length * DIM_BYTES;
  const out = new Uint8Array(headerBytes + count * itemSize);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = arr.shape.length;
  arr.shape.forEach((dim, axis) => view.setUint32(MAGIC_BYTES + axis * DIM_BYTES, dim));
  for (let i = 0; i < count; i++) {
    write(view, headerBytes + i * itemSize, arr.data[i]!);
  }
  return out;
}
