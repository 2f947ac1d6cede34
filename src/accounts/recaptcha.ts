// The m.login.recaptcha stage of v2_alpha registration: the client's captcha response is checked
// with the configured siteverify API (Google's, or any server speaking its protocol), as Synapse 0.12
// did: a form POST of {secret, response, remoteip}, answered by JSON {"success": true|false}.
import { request } from 'undici';
import { MatrixError } from '../errors.js';

const VERIFY_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_LENGTH = 4096;

export interface CaptchaVerifier {
  /** Public key for the client (the `params` of the 401), or null when captcha is not configured. */
  readonly publicKey: string | null;
  readonly configured: boolean;
  /** Throws 401 M_UNAUTHORIZED when the captcha response is not accepted. */
  verify(response: unknown, remoteIp: string): Promise<void>;
}

export class RecaptchaVerifier implements CaptchaVerifier {
  readonly configured = true;
  constructor(private readonly cfg: { publicKey: string | null; privateKey: string; siteverifyApi: string }) {}

  get publicKey(): string | null {
    return this.cfg.publicKey;
  }

  async verify(response: unknown, remoteIp: string): Promise<void> {
    if (typeof response !== 'string' || response.length === 0 || response.length > MAX_RESPONSE_LENGTH) {
      throw new MatrixError(400, 'M_CAPTCHA_NEEDED', 'Captcha response is required');
    }
    const form = new URLSearchParams({ secret: this.cfg.privateKey, response, remoteip: remoteIp });
    let ok = false;
    try {
      const res = await request(this.cfg.siteverifyApi, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        headersTimeout: VERIFY_TIMEOUT_MS,
        bodyTimeout: VERIFY_TIMEOUT_MS,
      });
      const text = await res.body.text();
      ok = res.statusCode === 200 && JSON.parse(text)?.success === true;
    } catch {
      ok = false;
    }
    if (!ok) throw new MatrixError(401, 'M_UNAUTHORIZED', 'Captcha authentication failed');
  }
}

/** No captcha configured: the stage is refused. */
export const noCaptcha: CaptchaVerifier = {
  publicKey: null,
  configured: false,
  async verify() {
    throw new MatrixError(400, 'M_UNRECOGNIZED', 'Captcha is not configured on this server');
  },
};
