// Hugging Face safetensors codec: an 8-byte little-endian header length N,
// N bytes of UTF-8 JSON describing each tensor, then the raw byte buffer the
// JSON's data_offsets point into. Pure (no Node built-ins) so it runs in
// browsers as well.

/** The element types of the safetensors format (its header's `dtype` codes). */
export type SafeDType = "F32" | "F64" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** One tensor; `data` holds its elements as raw little-endian bytes. */
export interface RawTensor {
  /** The element type. */
  dtype: SafeDType;
  /** The size of each dimension. */
  shape: number[];
  /** The elements in row-major order, as little-endian bytes (shape's product times the element size). */
  data: Uint8Array;
}

const ITEM_SIZE: Record<SafeDType, number> = {
  F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

const METADATA_KEY = "__metadata__";
const LENGTH_PREFIX_BYTES = 8;
// Same cap as the reference Rust implementation; anything larger is a corrupt
// or hostile file, not a real header.
const MAX_HEADER_BYTES = 100_000_000;

function isSafeDType(value: unknown): value is SafeDType {
  return typeof value === "string" && Object.hasOwn(ITEM_SIZE, value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * A dict from keys a file chose: null prototype, so "__proto__", "constructor" or "toString" are
 * ordinary own keys (an ordinary object would turn "__proto__" into its prototype).
 */
export function dictFromEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  return Object.setPrototypeOf(Object.fromEntries(entries), null);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Validates dtype and shape, returning the byte length they imply. */
function expectedByteLength(name: string, dtype: unknown, shape: unknown): number {
  if (!isSafeDType(dtype)) {
    throw new Error(
      `safetensors: tensor "${name}" has unknown dtype ${describe(dtype)} (expected one of ${Object.keys(ITEM_SIZE).join(", ")})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new Error(
      `safetensors: tensor "${name}" has shape ${describe(shape)}, expected an array of non-negative integers`,
    );
  }
  return shape.reduce((product: number, dim: number) => product * dim, 1) * ITEM_SIZE[dtype];
}

/**
 * Serializes tensors to safetensors bytes.
 *
 * Tensors are laid out by descending item size, then by name (code-unit
 * order), as the reference implementation does: since every item size is a
 * power of two, this keeps each tensor aligned to its own item size. The
 * header is space-padded so the data buffer starts 8-byte aligned.
 */
export function encodeSafetensors(
  tensors: Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const headerEntries: [string, unknown][] = [];
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new Error(`safetensors: metadata value for "${key}" must be a string, got ${describe(value)}`);
      }
    }
    headerEntries.push([METADATA_KEY, metadata]);
  }

  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY) {
      throw new Error(`safetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    }
    const byteLength = expectedByteLength(name, tensor.dtype, tensor.shape);
    if (tensor.data.length !== byteLength) {
      throw new Error(
        `safetensors: tensor "${name}" (${tensor.dtype} [${tensor.shape.join(", ")}]) needs ${byteLength} bytes of data, got ${tensor.data.length}`,
      );
    }
  }
  entries.sort(([nameA, a], [nameB, b]) =>
    ITEM_SIZE[b.dtype] - ITEM_SIZE[a.dtype] || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );

  let bufferLength = 0;
  for (const [name, { dtype, shape, data }] of entries) {
    headerEntries.push([name, { dtype, shape, data_offsets: [bufferLength, bufferLength + data.length] }]);
    bufferLength += data.length;
  }

  // fromEntries defines own properties, so even a tensor named "__proto__" is serialized.
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(headerEntries)));
  const paddedHeaderLength = Math.ceil(json.length / 8) * 8;
  const dataStart = LENGTH_PREFIX_BYTES + paddedHeaderLength;
  const out = new Uint8Array(dataStart + bufferLength);
  // Low word of the u64 only: the high word stays zero, as no JSON string reaches 4 GiB.
  new DataView(out.buffer).setUint32(0, paddedHeaderLength, true);
  out.set(json, LENGTH_PREFIX_BYTES);
  out.fill(0x20, LENGTH_PREFIX_BYTES + json.length, dataStart);

  let offset = dataStart;
  for (const [, { data }] of entries) {
    out.set(data, offset);
    offset += data.length;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  tensor: RawTensor;
  begin: number;
  end: number;
}

/**
 * Parses safetensors bytes, validating the header fully before touching the
 * data so that a malformed file can never cause an out-of-bounds read.
 *
 * Each returned `data` is a `subarray` view that aliases `bytes` (no copy);
 * copy it if you mutate either side or need the elements aligned for a typed
 * array view. Tensors come back in header order.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  /** The tensors by name, in the file's order. */
  tensors: Record<string, RawTensor>;
  /** The header's `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
} {
  if (bytes.length < LENGTH_PREFIX_BYTES) {
    throw new Error(
      `safetensors: file is ${bytes.length} bytes, shorter than the ${LENGTH_PREFIX_BYTES}-byte header length prefix`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new Error(
      `safetensors: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt`,
    );
  }
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  if (dataStart > bytes.length) {
    throw new Error(
      `safetensors: header length ${headerLength} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - LENGTH_PREFIX_BYTES} are available)`,
    );
  }

  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart));
    header = JSON.parse(text);
  } catch (cause) {
    throw new Error(`safetensors: header is not valid UTF-8 JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new Error(`safetensors: header must be a JSON object, got ${Array.isArray(header) ? "an array" : describe(header)}`);
  }

  const bufferLength = bytes.length - dataStart;
  let metadata: Record<string, string> = dictFromEntries([]);
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (typeof info !== "object" || info === null || Array.isArray(info)) {
        throw new Error(`safetensors: "${METADATA_KEY}" must be an object of strings, got ${describe(info)}`);
      }
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== "string") {
          throw new Error(`safetensors: metadata value for "${key}" must be a string, got ${describe(value)}`);
        }
      }
      metadata = dictFromEntries(Object.entries(info));
      continue;
    }
    if (typeof info !== "object" || info === null || Array.isArray(info)) {
      throw new Error(`safetensors: tensor "${name}" entry must be an object, got ${describe(info)}`);
    }
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    const byteLength = expectedByteLength(name, dtype, shape);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every(isNonNegativeInteger) ||
      offsets[0] > offsets[1] ||
      offsets[1] > bufferLength
    ) {
      throw new Error(
        `safetensors: tensor "${name}" has data_offsets ${describe(offsets)}, expected [begin, end] with 0 <= begin <= end <= ${bufferLength} (the data buffer length)`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end - begin !== byteLength) {
      throw new Error(
        `safetensors: tensor "${name}" (${dtype} [${(shape as number[]).join(", ")}]) needs ${byteLength} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, begin, end, tensor: { dtype: dtype as SafeDType, shape: shape as number[], data: bytes.subarray(dataStart + begin, dataStart + end) } });
  }

  // The format requires the tensors to tile the buffer exactly: no overlaps
  // (aliasing tensors) and no holes (smuggled bytes).
  const byPosition = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of byPosition) {
    if (entry.begin < covered) {
      throw new Error(
        `safetensors: tensor "${entry.name}" at [${entry.begin}, ${entry.end}] overlaps tensor "${previous!.name}" at [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (entry.begin > covered) {
      const after = previous ? `after tensor "${previous.name}" ` : "";
      throw new Error(
        `safetensors: ${entry.begin - covered} unused bytes at [${covered}, ${entry.begin}] ${after}before tensor "${entry.name}"; tensors must cover the data buffer without gaps`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== bufferLength) {
    throw new Error(
      `safetensors: data buffer is ${bufferLength} bytes but tensors only cover ${covered}; ${bufferLength - covered} trailing bytes belong to no tensor`,
    );
  }

  const tensors = dictFromEntries(entries.map(({ name, tensor }) => [name, tensor] as const));
  return { tensors, metadata };
}
