import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../lambdas/shared/outbound/signature.ts';

const SECRET = 'whsec_3v8QJm0x';
const BODY = '{"alarmId":"01JDK","fireAt":"2026-12-01T21:00:00.000Z","data":{}}';
const T = 1_796_158_800;

describe('the x-signature header', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, as the contract documents', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  it('verifies a signature made with the same secret over the same bytes', () => {
    expect(verifySignature(SECRET, signatureHeader(SECRET, BODY, T), BODY, 300, T + 10)).toBe(true);
    expect(verifySignature(SECRET, signatureHeader(SECRET, Buffer.from(BODY), T), Buffer.from(BODY), 300, T)).toBe(
      true,
    );
  });

  it('refuses another secret, a changed body or a changed timestamp', () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifySignature('whsec_other', header, BODY, 300, T)).toBe(false);
    expect(verifySignature(SECRET, header, BODY.replace('21:00', '22:00'), 300, T)).toBe(false);
    expect(verifySignature(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, 300, T)).toBe(false);
  });

  it('refuses a signature older or newer than the tolerance, so a captured request cannot be replayed', () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifySignature(SECRET, header, BODY, 300, T + 300)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, 300, T + 301)).toBe(false);
    expect(verifySignature(SECRET, header, BODY, 300, T - 301)).toBe(false);
  });

  it('accepts any of several v1 entries and refuses malformed headers', () => {
    const good = signatureHeader(SECRET, BODY, T).split(',')[1];
    expect(verifySignature(SECRET, `t=${T},v1=${'0'.repeat(64)},${good}`, BODY, 300, T)).toBe(true);
    for (const bad of [undefined, '', 'v1=abc', `t=${T}`, `t=soon,${good}`, `t=${T},v1=XYZ`]) {
      expect(verifySignature(SECRET, bad, BODY, 300, T)).toBe(false);
    }
  });
});

describe('the verification example in the README', () => {
  it('accepts what the product signs and refuses a tampered body', async () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');
    const example = readme.split('**Verifying a call**')[1]?.match(/```js\n([\s\S]*?)```/)?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'readme-verify-'));
    const file = join(dir, 'verify.mjs');
    writeFileSync(file, `${example}\nexport { verify };\n`);
    const { verify } = (await import(pathToFileURL(file).href).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    )) as { verify: (secret: string, header: string, rawBody: string, tolerance?: number) => boolean };
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader(SECRET, BODY, now);
    expect(verify(SECRET, header, BODY)).toBe(true);
    expect(verify(SECRET, header, `${BODY} `)).toBe(false);
    expect(verify('whsec_other', header, BODY)).toBe(false);
    expect(verify(SECRET, signatureHeader(SECRET, BODY, now - 301), BODY)).toBe(false);
  });
});
