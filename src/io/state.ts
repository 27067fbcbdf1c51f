// State dicts as safetensors bytes, the format PyTorch and Hugging Face load directly. float32
// tensors are written as F32; int32 tensors as I64, the dtype PyTorch uses for integer buffers
// (num_batches_tracked) and indices; the int8 codes of quantized layers as I8. Reading converts
// every float dtype to float32 and every integer dtype to int32.
import { byteView } from "../backend/memory.js";
import { Tensor, dispose, type DType } from "../tensor.js";
import { decodeSafetensors, dictFromEntries, encodeSafetensors, type RawTensor, type SafeDType } from "./safetensors.js";

// int32 tensors that hold int8 codes (a quantized layer's weight): save() writes them as I8.
const int8Codes = new WeakSet<Tensor>();

/** Marks an int32 tensor whose values are int8 codes, so save() writes it as I8 (load reads I8 back as int32). */
export function saveAsInt8(t: Tensor): Tensor {
  if (t.dtype !== "int32") throw new Error(`saveAsInt8: expected an int32 tensor, got ${t.dtype}`);
  int8Codes.add(t);
  return t;
}

/** Serialises tensors (e.g. `model.stateDict()`) to safetensors bytes; metadata is string → string. */
export function save(stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const raw = dictFromEntries<RawTensor>([]);
  for (const [name, t] of Object.entries(stateDict)) {
    if (!(t instanceof Tensor)) throw new Error(`save: "${name}" is not a Tensor`);
    if (t.dtype === "float32") {
      // Wasm memory is little-endian, as safetensors is: float32 bytes copy as they are.
      raw[name] = { dtype: "F32", shape: [...t.shape], data: byteView(t.ptr, t.size).slice() };
    } else if (int8Codes.has(t)) {
      const src = t.liveData();
      const bad = src.findIndex((v) => v < -128 || v > 127);
      if (bad >= 0) throw new Error(`save: "${name}" holds int8 codes but element ${bad} is ${src[bad]}, outside [-128, 127]`);
      raw[name] = { dtype: "I8", shape: [...t.shape], data: new Uint8Array(Int8Array.from(src).buffer) };
    } else {
      const src = t.liveData();
      const data = new Uint8Array(t.size * 8);
      const dst = new DataView(data.buffer);
      for (let i = 0; i < t.size; i++) dst.setBigInt64(i * 8, BigInt(src[i]), true);
      raw[name] = { dtype: "I64", shape: [...t.shape], data };
    }
  }
  return encodeSafetensors(raw, metadata);
}

/** How one safetensors dtype is read element by element (little-endian) and which dtype it becomes. */
const READERS: Record<SafeDType, { dtype: DType; size: number; read: (v: DataView, offset: number) => number }> = {
  F64: { dtype: "float32", size: 8, read: (v, o) => v.getFloat64(o, true) },
  F32: { dtype: "float32", size: 4, read: (v, o) => v.getFloat32(o, true) },
  F16: { dtype: "float32", size: 2, read: (v, o) => halfToFloat(v.getUint16(o, true)) },
  // bfloat16 is the top half of a float32.
  BF16: { dtype: "float32", size: 2, read: (v, o) => bitsToFloat(v.getUint16(o, true) << 16) },
  I64: { dtype: "int32", size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  I32: { dtype: "int32", size: 4, read: (v, o) => v.getInt32(o, true) },
  I16: { dtype: "int32", size: 2, read: (v, o) => v.getInt16(o, true) },
  I8: { dtype: "int32", size: 1, read: (v, o) => v.getInt8(o) },
  U8: { dtype: "int32", size: 1, read: (v, o) => v.getUint8(o) },
  BOOL: { dtype: "int32", size: 1, read: (v, o) => v.getUint8(o) },
};

const bitsScratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  bitsScratch.setUint32(0, bits >>> 0);
  return bitsScratch.getFloat32(0);
}

/** IEEE binary16 → number: sign, 5-bit exponent (bias 15), 10-bit mantissa; exponent 0 is subnormal. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Reads safetensors bytes into new tensors (float32 or int32, see above). The caller owns them:
 * `model.loadStateDict(sd)` copies them into the model, after which `dispose(sd)` frees them.
 */
export function load(bytes: Uint8Array): Record<string, Tensor> {
  const { tensors } = decodeSafetensors(bytes);
  // Check every integer fits int32 before allocating anything.
  for (const [name, raw] of Object.entries(tensors)) {
    if (raw.dtype !== "I64") continue;
    const v = new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
    for (let o = 0; o < raw.data.length; o += 8) {
      const x = v.getBigInt64(o, true);
      if (x < -2147483648n || x > 2147483647n) throw new Error(`load: I64 tensor "${name}" holds ${x}, outside the int32 range`);
    }
  }
  const out = dictFromEntries<Tensor>([]);
  try {
    for (const [name, raw] of Object.entries(tensors)) {
      const { dtype, size, read } = READERS[raw.dtype];
      const t = (out[name] = Tensor.empty(raw.shape, dtype, `load "${name}"`).markOwned());
      if (raw.dtype === "F32" || raw.dtype === "I32") {
        byteView(t.ptr, t.size).set(raw.data);
      } else {
        const v = new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
        const dst = t.liveData();
        for (let i = 0; i < t.size; i++) dst[i] = read(v, i * size);
      }
    }
  } catch (e) {
    dispose(out); // out of memory part way: free what was read
    throw e;
  }
  return out;
}
