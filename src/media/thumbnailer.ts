// Thumbnails with sharp (libvips). Decoding is bounded: images over MAX_INPUT_PIXELS are refused
// before their pixels are decompressed, and requested sizes are capped.
import sharp from 'sharp';
import { MatrixError } from '../errors.js';

/** 32 megapixels: a 8000x4000 photo passes, a 50000x50000 "PNG bomb" does not. */
export const MAX_INPUT_PIXELS = 32_000_000;
/** Larger requests are served at this size (no client of the era asked for more). */
export const MAX_THUMBNAIL_SIDE = 1600;

export type ThumbnailMethod = 'crop' | 'scale';
export type ThumbnailType = 'image/png' | 'image/jpeg';

export interface ThumbnailSpec {
  width: number;
  height: number;
  method: ThumbnailMethod;
  type: ThumbnailType;
}

// Formats sharp reads that clients of the era shared as images.
const DECODABLE = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/tiff', 'image/bmp']);

export function isThumbnailable(contentType: string): boolean {
  return DECODABLE.has(contentType.split(';')[0]!.trim().toLowerCase());
}

/** JPEG stays JPEG (photos); everything else becomes PNG unless the client asked for a type. */
export function outputTypeFor(sourceType: string, requested: string | undefined): ThumbnailType {
  if (requested === 'image/png' || requested === 'image/jpeg') return requested;
  const t = sourceType.split(';')[0]!.trim().toLowerCase();
  return t === 'image/jpeg' || t === 'image/jpg' ? 'image/jpeg' : 'image/png';
}

export const notAnImage = (why: string) => new MatrixError(400, 'M_UNKNOWN', why);

const tooManyPixels = (size?: string) =>
  notAnImage(`The image is too large to thumbnail${size ? ` (${size} pixels)` : ''}: the limit is ${MAX_INPUT_PIXELS / 1e6} megapixels.`);

/** Renders the thumbnail of the file at `src` into `dest`; resolves to its byte length. */
export async function renderThumbnail(src: string, dest: string, spec: ThumbnailSpec): Promise<number> {
  const image = sharp(src, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', sequentialRead: true });
  let meta: sharp.Metadata;
  try {
    meta = await image.metadata();
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels();
    throw notAnImage('The media is not an image that can be thumbnailed.');
  }
  if (!meta.width || !meta.height) throw notAnImage('The media is not an image that can be thumbnailed.');
  if (meta.width * meta.height > MAX_INPUT_PIXELS) throw tooManyPixels(`${meta.width}x${meta.height}`);
  const resized = image
    .rotate() // honour EXIF orientation, as photos from phones need
    .resize(
      spec.method === 'crop'
        ? { width: spec.width, height: spec.height, fit: 'cover', position: 'centre' }
        : { width: spec.width, height: spec.height, fit: 'inside', withoutEnlargement: true },
    );
  const encoded = spec.type === 'image/jpeg' ? resized.jpeg({ quality: 80 }) : resized.png();
  try {
    const info = await encoded.toFile(dest);
    return info.size;
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels();
    throw notAnImage(`The image could not be decoded: ${(err as Error).message.split('\n')[0]}`);
  }
}
