/**
 * Scrubbing of credentials from text that may reach a message, a log line or
 * a reply: userinfo in URLs, bearer/basic tokens and any secret registered
 * by the process (tokens read from env or mounted files).
 */

const secrets = new Set<string>();

/** Registers a secret so that every later {@link redact} hides it. Short values are ignored (they would mask ordinary words). */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) secrets.add(secret);
}

const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;
const AUTH_HEADER = /\b(authorization:\s*(?:bearer|basic|token)\s+)\S+/gi;
const TOKEN_SHAPES = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g;

/** Returns the text with credentials replaced by `***`. */
export function redact(text: string): string {
  let out = text.replace(URL_USERINFO, '$1***@').replace(AUTH_HEADER, '$1***').replace(TOKEN_SHAPES, '***');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** A repo URL as it may be shown: without userinfo, query or fragment. */
export function displayURL(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return url;
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return redact(url);
  }
}
