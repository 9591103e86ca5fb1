// A user's URL (a condition's, a job's) as a field of an API request: the rules of url-rules.ts as a schema.
import * as z from 'zod';
import { MAX_URL_LENGTH, outboundUrlProblem } from './url-rules.ts';

/**
 * A user's URL in a request body: the rules as written, under this process's policy. A string that
 * passes is the URL as given (not normalised), so what is called is what the user wrote.
 */
export const outboundUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = outboundUrlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    `https: URL, at most ${MAX_URL_LENGTH} characters, no user info, never a loopback, private, link-local or otherwise non-public address; redirects are not followed`,
  );
