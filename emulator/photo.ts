// A small deterministic PNG avatar per user (colour from the oid), so
// /me/photo/$value returns a real image without shipping binary files.
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";

const SIZE = 64;

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

const cache = new Map<string, Buffer>();

export function avatarPng(seed: string): Buffer {
  const hit = cache.get(seed);
  if (hit) return hit;
  const h = createHash("sha256").update(seed).digest();
  const bg = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0].map((v) => 60 + (v % 140));
  const fg = bg.map((v) => Math.min(255, v + 90));
  const rows: Buffer[] = [];
  const r = SIZE * 0.28;
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 3);
    for (let x = 0; x < SIZE; x++) {
      // A head and shoulders silhouette: circle plus a half ellipse.
      const head = (x - SIZE / 2) ** 2 + (y - SIZE * 0.38) ** 2 < r * r;
      const body = y > SIZE * 0.7 && ((x - SIZE / 2) / (SIZE * 0.4)) ** 2 + ((y - SIZE) / (SIZE * 0.32)) ** 2 < 1;
      const c = head || body ? fg : bg;
      row[1 + x * 3] = c[0] ?? 0;
      row[2 + x * 3] = c[1] ?? 0;
      row[3 + x * 3] = c[2] ?? 0;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  cache.set(seed, png);
  return png;
}

export const AVATAR_SIZE = SIZE;
