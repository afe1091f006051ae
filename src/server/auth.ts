import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createError } from '../core/errors.js';
import { registerSecret } from '../sources/redact.js';

/** Where the bearer token comes from. */
export interface TokenOptions {
  /** The token itself (GITOPS_K8S_TOKEN). */
  token?: string;
  /** A mounted file holding it; re-read when it changes, so a rotated Secret needs no restart. */
  tokenFile?: string;
  /** How often the file's metadata is checked, in ms. Default 1000. */
  recheckMs?: number;
}

const MIN_TOKEN_LENGTH = 16;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Makes a token for `--dev`. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Checks bearer tokens in constant time (both sides hashed to equal length
 * first). Refuses to exist without a token of at least 16 characters.
 */
export function createTokenCheck(options: TokenOptions): { check: (authorization: string | undefined) => boolean } {
  const recheckMs = options.recheckMs ?? 1000;
  let expected: Buffer;
  let stamp = '';
  let lastCheck = 0;

  const load = (value: string, where: string): void => {
    const token = value.trim();
    if (token.length < MIN_TOKEN_LENGTH) throw createError('GK_CONFIG', `the token in ${where} is shorter than ${MIN_TOKEN_LENGTH} characters`);
    registerSecret(token);
    expected = digest(token);
  };
  const statStamp = (file: string): string => {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  };
  const readFile = (file: string): void => {
    let content: string;
    try {
      stamp = statStamp(file);
      content = readFileSync(file, 'utf8');
    } catch (error) {
      throw createError('GK_CONFIG', `cannot read the token file ${file}`, {}, { cause: error });
    }
    load(content, file);
  };

  if (options.tokenFile) readFile(options.tokenFile);
  else if (options.token) load(options.token, 'GITOPS_K8S_TOKEN');
  else throw createError('GK_CONFIG', 'no token: set GITOPS_K8S_TOKEN or pass --token-file (or --dev to make one)');

  const refresh = (): void => {
    const file = options.tokenFile;
    if (!file || Date.now() - lastCheck < recheckMs) return;
    lastCheck = Date.now();
    try {
      // Kubernetes swaps a symlink on rotation: stat follows it.
      if (statStamp(file) !== stamp) readFile(file);
    } catch {
      // Keep the last good token while the file is briefly missing or invalid mid-rotation.
    }
  };

  return {
    check(authorization) {
      refresh();
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
      const given = digest(m ? m[1]! : `\0invalid\0${randomBytes(8).toString('hex')}`);
      return timingSafeEqual(given, expected) && m !== null;
    },
  };
}
