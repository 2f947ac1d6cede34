// Synapse 0.10 answers send_join, invite and query_auth with `[200, {...}]`; we emit that and
// accept both shapes when parsing (federation-v1.md §4.3).
import { topLevelArrayElements } from '../crypto/index.js';

export function wrapV1(bodyText: string): string {
  return `[200,${bodyText}]`;
}

/** The inner object's text of `[200, {...}]`, or the text itself when it is not wrapped. */
export function unwrapV1(text: string): string {
  if (!text.trimStart().startsWith('[')) return text;
  const parts = topLevelArrayElements(`{"r":${text}}`, 'r');
  if (!parts || parts.length !== 2) throw new Error('Unexpected response shape');
  return parts[1]!;
}
