// Reads PNGs in tests (8-bit greyscale, RGB, RGBA or palette, not interlaced): the images the plots
// embed and the ones resvg writes, as RGBA pixels.
import { inflateSync } from "node:zlib";

export interface Image {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function decodePng(png: Uint8Array): Image {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, type = 0, palette = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const name = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (name === "IHDR") {
      width = view.getUint32(at + 8), height = view.getUint32(at + 12), type = body[9];
      if (body[8] !== 8 || body[12] !== 0) throw new Error("decodePng: only 8-bit, non-interlaced PNGs");
    } else if (name === "PLTE") palette = body.slice();
    else if (name === "IDAT") idat.push(body);
    at += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 3: 1, 6: 4 }[type];
  if (!channels) throw new Error(`decodePng: colour type ${type}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      pixels[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (type === 3) rgba.set([...palette.subarray(pixels[i] * 3, pixels[i] * 3 + 3), 255], i * 4);
    else if (type === 0) rgba.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
    else if (type === 2) rgba.set([...pixels.subarray(i * 3, i * 3 + 3), 255], i * 4);
    else rgba.set(pixels.subarray(i * 4, i * 4 + 4), i * 4);
  }
  return { width, height, rgba };
}

export const pixel = (img: Image, x: number, y: number): number[] => Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

/** The PNGs embedded in an SVG figure (its raster layers), decoded. */
export function embeddedImages(svg: string): Image[] {
  return [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decodePng(Buffer.from(m[1], "base64")));
}
