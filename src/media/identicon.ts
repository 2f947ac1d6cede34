// Identicons: js-sdk 0.3 (RoomMember.getAvatarUrl / Room.getAvatarUrl with allowDefault) shows
// /_matrix/media/v1/identicon/<user or room id> when there is no avatar. A 5x5 mirrored grid
// drawn from the string's SHA-256, the layout Synapse's pydenticon produced.
import { createHash } from 'node:crypto';
import sharp from 'sharp';

export const MAX_IDENTICON_SIDE = 512;
const GRID = 5;
const BACKGROUND = [0xf0, 0xf0, 0xf0];

export async function renderIdenticon(ident: string, width: number, height: number): Promise<Buffer> {
  const digest = createHash('sha256').update(ident, 'utf8').digest();
  const color = foreground(digest);
  const cells = cellPattern(digest);
  // The grid is square, centred, with half a cell of margin on each side.
  const side = Math.min(width, height);
  const cell = side / (GRID + 1);
  const x0 = (width - cell * GRID) / 2;
  const y0 = (height - cell * GRID) / 2;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = Math.floor((y - y0) / cell);
    for (let x = 0; x < width; x++) {
      const col = Math.floor((x - x0) / cell);
      const on = row >= 0 && row < GRID && col >= 0 && col < GRID && cells[row * GRID + col];
      const rgb = on ? color : BACKGROUND;
      const o = (y * width + x) * 3;
      pixels[o] = rgb[0]!;
      pixels[o + 1] = rgb[1]!;
      pixels[o + 2] = rgb[2]!;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** 15 bits choose the left three columns; the right two mirror them. */
function cellPattern(digest: Buffer): boolean[] {
  const cells: boolean[] = new Array(GRID * GRID).fill(false);
  let bit = 0;
  for (let col = 0; col < 3; col++) {
    for (let row = 0; row < GRID; row++, bit++) {
      const on = ((digest[4 + (bit >> 3)]! >> (bit & 7)) & 1) === 1;
      cells[row * GRID + col] = on;
      cells[row * GRID + (GRID - 1 - col)] = on;
    }
  }
  return cells;
}

/** A saturated, mid-lightness colour so every identicon reads well on the light background. */
function foreground(digest: Buffer): number[] {
  const hue = ((digest[0]! << 8) | digest[1]!) % 360;
  const s = 0.55 + (digest[2]! / 255) * 0.3;
  const l = 0.4 + (digest[3]! / 255) * 0.15;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = hue / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [r, g, b].map((v) => Math.round((v + m) * 255));
}
