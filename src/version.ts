// The package version, read once from package.json (one folder up from src/ and from dist/).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export const SERVER_NAME_AND_VERSION = { name: pkg.name, version: pkg.version };
export const VERSION = pkg.version;
