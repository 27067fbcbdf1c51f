// Raw DEFLATE decoding (RFC 1951), for the embedded wasm builds: scripts/build-wasm.mjs stores them
// deflated and base64-encoded, which a server's gzip cannot shrink further, so a page carries about
// the .wasm file's gzip size (hex, which gzip recompresses, came to 10% more). A few hundred bytes
// of decoder instead of DecompressionStream, which is asynchronous (initSync and Node's implicit
// first-use load are synchronous) and missing in some edge runtimes.

interface Huffman {
  /** Codes of each bit length (1..15). */
  counts: Uint16Array;
  /** Symbols in canonical code order. */
  symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Uint16Array(16), offsets = new Uint16Array(16), symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) counts[lengths[s]]++;
  counts[0] = 0;
  for (let len = 1; len < 16; len++) offsets[len] = offsets[len - 1] + counts[len - 1];
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) symbols[offsets[lengths[s]]++] = s;
  return { counts, symbols };
}

// Base values and extra bits of the length codes 257..285 and the distance codes 0..29.
const LENGTH_BASE = new Uint16Array(29), LENGTH_EXTRA = new Uint8Array(29), DIST_BASE = new Uint16Array(30), DIST_EXTRA = new Uint8Array(30);
for (let i = 0, base = 3; i < 28; base += 1 << LENGTH_EXTRA[i++]) {
  LENGTH_EXTRA[i] = i < 8 ? 0 : (i >> 2) - 1;
  LENGTH_BASE[i] = base;
}
LENGTH_BASE[28] = 258;
for (let i = 0, base = 1; i < 30; base += 1 << DIST_EXTRA[i++]) {
  DIST_EXTRA[i] = i < 4 ? 0 : (i >> 1) - 1;
  DIST_BASE[i] = base;
}
// The order in which a dynamic block lists the code lengths of its code-length alphabet.
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Decodes raw DEFLATE data that inflates to exactly `size` bytes. */
export function inflateRaw(input: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let pos = 0, bitBuffer = 0, bitCount = 0, o = 0;
  const corrupt = (): never => {
    throw new Error("simdgrad: the embedded wasm build is corrupt (inflating it failed)");
  };
  const bits = (n: number): number => {
    while (bitCount < n) {
      if (pos >= input.length) corrupt();
      bitBuffer |= input[pos++] << bitCount;
      bitCount += 8;
    }
    const v = bitBuffer & ((1 << n) - 1);
    bitBuffer >>>= n;
    bitCount -= n;
    return v;
  };
  // Canonical codes are read a bit at a time, most significant first (puff.c's decode).
  const decode = ({ counts, symbols }: Huffman): number => {
    for (let len = 1, code = 0, first = 0, index = 0; len < 16; len++) {
      code |= bits(1);
      if (code - counts[len] < first) return symbols[index + code - first];
      index += counts[len];
      first = (first + counts[len]) << 1;
      code <<= 1;
    }
    return corrupt();
  };
  for (let last = 0; !last; ) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      // Stored: byte-aligned LEN, NLEN, then LEN bytes. Fewer than 8 bits are buffered here, all padding.
      bitBuffer = bitCount = 0;
      const length = input[pos] | (input[pos + 1] << 8);
      if (pos + 4 + length > input.length || o + length > size) corrupt();
      out.set(input.subarray(pos + 4, pos + 4 + length), o);
      pos += 4 + length;
      o += length;
      continue;
    }
    let literals: Huffman, distances: Huffman;
    if (type === 1) {
      const lengths = new Uint8Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280);
      literals = huffman(lengths);
      distances = huffman(new Uint8Array(30).fill(5));
    } else if (type === 2) {
      const nLiterals = bits(5) + 257, nDistances = bits(5) + 1, nCodeLengths = bits(4) + 4;
      const codeLengthLengths = new Uint8Array(19);
      for (let i = 0; i < nCodeLengths; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]] = bits(3);
      const codeLengths = huffman(codeLengthLengths);
      const lengths = new Uint8Array(nLiterals + nDistances);
      for (let i = 0; i < lengths.length; ) {
        const symbol = decode(codeLengths);
        if (symbol < 16) {
          lengths[i++] = symbol;
          continue;
        }
        const [value, repeat] = symbol === 16 ? [i ? lengths[i - 1] : corrupt(), 3 + bits(2)] : symbol === 17 ? [0, 3 + bits(3)] : [0, 11 + bits(7)];
        if (i + repeat > lengths.length) corrupt();
        lengths.fill(value, i, (i += repeat));
      }
      literals = huffman(lengths.subarray(0, nLiterals));
      distances = huffman(lengths.subarray(nLiterals));
    } else {
      return corrupt();
    }
    for (let symbol = decode(literals); symbol !== 256; symbol = decode(literals)) {
      if (o >= size) corrupt();
      if (symbol < 256) {
        out[o++] = symbol;
        continue;
      }
      if (symbol > 285) corrupt();
      const length = LENGTH_BASE[symbol - 257] + bits(LENGTH_EXTRA[symbol - 257]);
      const dist = decode(distances);
      if (dist > 29) corrupt();
      const from = o - DIST_BASE[dist] - bits(DIST_EXTRA[dist]);
      if (from < 0 || o + length > size) corrupt();
      for (let i = 0; i < length; i++) out[o++] = out[from + i];
    }
  }
  if (o !== size) corrupt();
  return out;
}
