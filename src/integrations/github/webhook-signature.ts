// @octokit/webhooks is loaded with the first delivery, not with every server.
const loadWebhooks = async () => (await import('@octokit/webhooks')).Webhooks;

/**
 * Checks GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the request body with
 * the webhook secret) in constant time, through @octokit/webhooks. False for a
 * missing or malformed header, never a throw.
 *
 * The body must be the bytes GitHub sent: re-serialising parsed JSON changes
 * them (key order, spacing, escapes) and the signature no longer matches.
 */
export async function verifyWebhookSignature(secret: string, rawBody: Buffer, signature: string | undefined): Promise<boolean> {
  if (secret === '' || !signature || !signature.startsWith('sha256=') || rawBody.length === 0) return false;
  const Webhooks = await loadWebhooks();
  try {
    // GitHub sends UTF-8 JSON and @octokit/webhooks signs strings as UTF-8, so a
    // valid body round-trips byte for byte; invalid UTF-8 cannot match.
    return await new Webhooks({ secret }).verify(rawBody.toString('utf8'), signature);
  } catch {
    return false;
  }
}
