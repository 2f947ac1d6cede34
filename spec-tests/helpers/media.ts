// Media test helpers: raw uploads over real HTTP and sample images made with sharp.
import { request } from 'undici';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Client } from './server.js';

export const MEDIA = '/_matrix/media/v1';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: any;
}

export async function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: any } = {}): Promise<RawResponse> {
  const res = await request(url, { method: (opts.method ?? 'GET') as 'GET', headers: opts.headers, body: opts.body });
  const body = Buffer.from(await res.body.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers as RawResponse['headers'], body, json };
}

/** POST /upload with the client's token; `filename` goes in the query string. */
export function upload(client: Client, body: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>, contentType?: string, filename?: string) {
  let url = `${client.url}${MEDIA}/upload?access_token=${encodeURIComponent(client.token!)}`;
  if (filename !== undefined) url += `&filename=${encodeURIComponent(filename)}`;
  return raw(url, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });
}

/** "mxc://server/id" -> "server/id" as the download and thumbnail paths take it. */
export function mxcPath(uri: string): string {
  if (!uri.startsWith('mxc://')) throw new Error(`not an mxc URI: ${uri}`);
  return uri.slice('mxc://'.length);
}

export function samplePng(width: number, height: number): Promise<Buffer> {
  // A gradient, so the encoded image is not trivially small.
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      pixels[o] = (x * 255) / width;
      pixels[o + 1] = (y * 255) / height;
      pixels[o + 2] = 128;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Every regular file under a folder (the media store), recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
