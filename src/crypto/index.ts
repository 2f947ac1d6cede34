export * from './canonical-json.js';
export * from './raw-json.js';
export * from './base64.js';
export * from './hash.js';
export * from './signing-key.js';
export * from './json-signing.js';
export * from './ed25519.js';
