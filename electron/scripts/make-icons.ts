/**
 * Draws the Reading Station app icon and writes it in the forms electron-builder packages:
 *
 *   node electron/scripts/make-icons.ts            # build-resources/icons/NxN.png, the Linux set (committed)
 *   node electron/scripts/make-icons.ts --check    # exit 1 when the committed set is not what this script draws
 *   node electron/scripts/make-icons.ts --ico      # also build-resources/icon.ico (Windows: 16…256 px)
 *   node electron/scripts/make-icons.ts --icns     # also build-resources/icon.icns (macOS: 16…1024 px)
 *   node electron/scripts/make-icons.ts --host     # --ico on Windows, --icns on macOS (what `npm run package` runs)
 *
 * The mark — corner brackets of a viewport, a ring and a cross-hair on a dark blue rounded square —
 * is described once below, in units of the icon's width, and rasterised at every size with
 * anti-aliased signed-distance shapes; PNG, ICO and ICNS are written with node:zlib and Buffer
 * only. No image tool, no network: the same bytes on every machine with the same Node.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const electronDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildResources = join(electronDir, 'build-resources');

/** The sizes electron-builder installs for Linux (hicolor theme), one PNG each. */
const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512] as const;
/** Windows wants 256×256 inside icon.ico; the smaller ones keep the taskbar and lists sharp. */
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** macOS icon types holding PNG data, by edge length. */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
] as const;

type Rgb = readonly [number, number, number];

const BACKGROUND_TOP: Rgb = [0x1c, 0x4a, 0x78];
const BACKGROUND_BOTTOM: Rgb = [0x0a, 0x22, 0x40];
const BRACKETS: Rgb = [0xb8, 0xd4, 0xe8];
const RING: Rgb = [0x4f, 0xc3, 0xf7];
const CROSS_HAIR: Rgb = [0xff, 0xff, 0xff];

type Point = readonly [number, number];

/** Signed distance from p to a rounded square centred at c with half-side h and corner radius r. */
function roundedSquare(p: Point, c: Point, h: number, r: number): number {
  const qx = Math.abs(p[0] - c[0]) - (h - r);
  const qy = Math.abs(p[1] - c[1]) - (h - r);
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - r;
}

/** Distance from p to the segment a–b, minus half the stroke width: a line with round caps. */
function stroke(p: Point, a: Point, b: Point, width: number): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy) - width / 2;
}

function ring(p: Point, c: Point, radius: number, width: number): number {
  return Math.abs(Math.hypot(p[0] - c[0], p[1] - c[1]) - radius) - width / 2;
}

interface Layer {
  colour: (p: Point) => Rgb;
  /** Signed distance in icon units (negative inside). */
  distance: (p: Point, strokeWidth: (units: number) => number) => number;
}

const CENTRE: Point = [0.5, 0.5];
const flat = (colour: Rgb) => () => colour;
/** One channel of the background's vertical gradient at height y. */
const mix = (channel: 0 | 1 | 2, y: number) => BACKGROUND_TOP[channel] + (BACKGROUND_BOTTOM[channel] - BACKGROUND_TOP[channel]) * y;

/** The corner brackets of the viewport: two arms from each corner of the square 0.22…0.78. */
function bracketSegments(): Array<[Point, Point]> {
  const [near, far, arm] = [0.22, 0.78, 0.15];
  const segments: Array<[Point, Point]> = [];
  for (const x of [near, far]) {
    for (const y of [near, far]) {
      const sx = x === near ? 1 : -1;
      const sy = y === near ? 1 : -1;
      segments.push([[x, y], [x + sx * arm, y]], [[x, y], [x, y + sy * arm]]);
    }
  }
  return segments;
}

/**
 * The cross-hair: four arms from 0.08 to 0.26 off the centre, leaving the centre open; in the
 * smallest icons they sit outside the ring (0.28 to 0.42), where they do not merge with it.
 */
function crossHairSegments(size: number): Array<[Point, Point]> {
  const [inner, outer] = size < 32 ? [0.28, 0.42] : [0.08, 0.26];
  return [
    [[0.5 - outer, 0.5], [0.5 - inner, 0.5]],
    [[0.5 + inner, 0.5], [0.5 + outer, 0.5]],
    [[0.5, 0.5 - outer], [0.5, 0.5 - inner]],
    [[0.5, 0.5 + inner], [0.5, 0.5 + outer]],
  ];
}

function union(segments: Array<[Point, Point]>, width: number): Layer['distance'] {
  return (p, strokeWidth) => Math.min(...segments.map(([a, b]) => stroke(p, a, b, strokeWidth(width))));
}

/** The mark, bottom layer first. Below 48 px the brackets would only blur the ring, so they go. */
function layers(size: number): Layer[] {
  const background: Layer = {
    colour: ([, y]) => [mix(0, y), mix(1, y), mix(2, y)],
    distance: (p) => roundedSquare(p, CENTRE, 0.47, 0.2),
  };
  const brackets: Layer = { colour: flat(BRACKETS), distance: union(bracketSegments(), 0.04) };
  const circle: Layer = { colour: flat(RING), distance: (p, strokeWidth) => ring(p, CENTRE, 0.2, strokeWidth(0.05)) };
  const crossHair: Layer = { colour: flat(CROSS_HAIR), distance: union(crossHairSegments(size), 0.035) };
  return size >= 48 ? [background, brackets, circle, crossHair] : [background, circle, crossHair];
}

/** RGBA pixels (straight alpha) of the icon at `size` × `size`. */
function drawIcon(size: number): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const parts = layers(size);
  // Below 128 px strokes are whole pixels, at least two: centred on the pixel grid's lines, they
  // stay crisp instead of greying out over two half-covered pixels.
  const strokeWidth = (units: number) => (size < 128 ? Math.max(2, Math.round(units * size)) / size : units);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const p: Point = [(column + 0.5) / size, (row + 0.5) / size];
      // Composite premultiplied colour, each layer covering by its distance in pixels (1 px ramp).
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const layer of parts) {
        const coverage = Math.max(0, Math.min(1, 0.5 - layer.distance(p, strokeWidth) * size));
        if (coverage === 0) continue;
        const colour = layer.colour(p);
        r = colour[0] * coverage + r * (1 - coverage);
        g = colour[1] * coverage + g * (1 - coverage);
        b = colour[2] * coverage + b * (1 - coverage);
        a = coverage + a * (1 - coverage);
      }
      const offset = (row * size + column) * 4;
      pixels[offset] = a === 0 ? 0 : Math.round(r / a);
      pixels[offset + 1] = a === 0 ? 0 : Math.round(g / a);
      pixels[offset + 2] = a === 0 ? 0 : Math.round(b / a);
      pixels[offset + 3] = Math.round(a * 255);
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA PNG, every row unfiltered, deflated at level 9. */
function encodePng(size: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let row = 0; row < size; row++) rgba.copy(rows, row * (size * 4 + 1) + 1, row * size * 4, (row + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A Windows icon whose images are PNGs (Windows Vista and later read these). */
function encodeIco(images: ReadonlyArray<readonly [number, Buffer]>): Buffer {
  const directory = Buffer.alloc(6 + images.length * 16);
  directory.writeUInt16LE(0, 0);
  directory.writeUInt16LE(1, 2); // 1 = icon
  directory.writeUInt16LE(images.length, 4);
  let offset = directory.length;
  images.forEach(([size, png], index) => {
    const entry = 6 + index * 16;
    directory.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    directory.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    directory.writeUInt16LE(1, entry + 4); // colour planes
    directory.writeUInt16LE(32, entry + 6); // bits per pixel
    directory.writeUInt32LE(png.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([directory, ...images.map(([, png]) => png)]);
}

/** A macOS icon family whose images are PNGs, one per type code. */
function encodeIcns(images: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const entries = images.map(([type, png]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + entries.reduce((sum, entry) => sum + entry.length, 0), 4);
  return Buffer.concat([head, ...entries]);
}

const pngCache = new Map<number, Buffer>();
function png(size: number): Buffer {
  let encoded = pngCache.get(size);
  if (!encoded) {
    encoded = encodePng(size, drawIcon(size));
    pngCache.set(size, encoded);
  }
  return encoded;
}

function main(argv: readonly string[]): number {
  const known = new Set(['--check', '--ico', '--icns', '--host']);
  const unknown = argv.filter((argument) => !known.has(argument));
  if (unknown.length > 0) {
    process.stderr.write(`make-icons: unknown argument ${unknown.join(' ')} (use --check, --ico, --icns or --host)\n`);
    return 2;
  }
  const host = argv.includes('--host');
  const outputs: Array<[string, Buffer]> = LINUX_SIZES.map((size) => [join(buildResources, 'icons', `${size}x${size}.png`), png(size)]);
  if (argv.includes('--ico') || (host && process.platform === 'win32')) {
    outputs.push([join(buildResources, 'icon.ico'), encodeIco(ICO_SIZES.map((size) => [size, png(size)] as const))]);
  }
  if (argv.includes('--icns') || (host && process.platform === 'darwin')) {
    outputs.push([join(buildResources, 'icon.icns'), encodeIcns(ICNS_TYPES.map(([type, size]) => [type, png(size)] as const))]);
  }

  if (argv.includes('--check')) {
    const stale = outputs.filter(([file, bytes]) => !existsSync(file) || !readFileSync(file).equals(bytes));
    for (const [file] of stale) process.stderr.write(`make-icons: ${relative(electronDir, file)} is missing or not what this script draws; run it again (and commit the PNG set)\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const [file, bytes] of outputs) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    process.stdout.write(`wrote ${relative(electronDir, file)} (${bytes.length} bytes)\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
