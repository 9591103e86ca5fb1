import { describe, expect, it } from 'vitest';
import { formatWebhookCall } from '../../local/webhook-calls.ts';

describe('npm start printing webhook calls', () => {
  it('should print a job call as one line with its time, URL, attempt and status', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'Webhook call',
      webhookCall: {
        jobId: 'J1',
        runAt: '2026-12-01T12:00:00.000Z',
        url: 'http://127.0.0.1:8080/hook',
        attempt: 2,
        status: 503,
        outcome: 'retryable',
        durationMs: 4,
        at: '2026-12-01T12:00:02.104Z',
      },
    });
    expect(formatWebhookCall(line)).toBe(
      '12:00:02.104 job J1 run 2026-12-01T12:00:00.000Z call 2 to http://127.0.0.1:8080/hook: 503 (4 ms)',
    );
  });

  it('should say UNREACHABLE when there was no answer, and leave every other line alone', () => {
    const line = JSON.stringify({
      message: 'Webhook call',
      webhookCall: {
        jobId: 'J1',
        runAt: 'r',
        url: 'u',
        attempt: 1,
        outcome: 'retryable',
        reason: 'UNREACHABLE',
        durationMs: 10_000,
        at: '2026-12-01T12:00:10.000Z',
      },
    });
    expect(formatWebhookCall(line)).toContain(': UNREACHABLE (10000 ms)');
    expect(formatWebhookCall('{"message":"Push message handled"}')).toBeUndefined();
    expect(formatWebhookCall('not json "Webhook call"')).toBeUndefined();
  });
});
