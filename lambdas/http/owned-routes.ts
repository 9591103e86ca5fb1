// The routes every resource an account owns has alike: create one, a page of yours, one of yours, change one,
// cancel one, and a page of one's history; each asks the resource's use case on behalf of the calling account.
import * as z from 'zod';
import { ROUTES, type RouteKey } from '../../lib/definitions.ts';
import { type AccountCaller, defineRoute, type ResponseDoc, type Route } from './route.ts';

/** Items of a page when the client names no limit. */
export const DEFAULT_PAGE_SIZE = 20;

/** `?limit=&cursor=`: the client's paging through a list of `plural`, 1 to 100 a page. */
export const pageQuery = (plural: string) =>
  z.object({
    limit: z
      .string()
      .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
      .transform(Number)
      .pipe(z.number().int().min(1).max(100))
      .optional()
      .describe(`${plural} per page, 1 to 100 (default ${DEFAULT_PAGE_SIZE})`),
    cursor: z.string().optional().describe('nextCursor of the previous page'),
  });

/** A page as the client sees it: its items, and nextCursor when more follow. */
const pageView = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().optional() });

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string | undefined;
}

const pageBody = <T, V>(page: Page<T>, toView: (item: T) => V) => ({
  items: page.items.map((item) => toView(item)),
  ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
});

const pageDoc = (plural: string, view: z.ZodType): ResponseDoc => ({
  description: `A page of ${plural.toLowerCase()}; nextCursor when more follow`,
  schema: pageView(view),
});

export interface OwnedResource<Id extends string, T, V> {
  /** The collection's path, e.g. `/alarms`; one item is at `{path}/{id}`. */
  readonly path: string;
  /** The path parameter naming one item, e.g. `alarmId`. */
  readonly id: Id;
  /** What one item is called, e.g. `alarm`: in the id's description and the 404's. */
  readonly noun: string;
  /** What the client sees of an item, and how an item becomes it. */
  readonly view: z.ZodType<V>;
  readonly toView: (item: T) => V;
}

type ListOwn<T> = (accountId: string, limit: number, cursor?: string) => Promise<Page<T>>;
type ListOwnHistory<H> = (accountId: string, id: string, limit: number, cursor?: string) => Promise<Page<H>>;

/** The routes of one owned resource; each keeps the key, schemas and answers the API documents for it. */
export function ownedResourceRoutes<Id extends string, T extends Readonly<Record<Id, string>>, V>(
  resource: OwnedResource<Id, T, V>,
) {
  const { path, id, noun, view, toView } = resource;
  const notFound = { description: `No such ${noun} of yours` };
  const params = z.object({ [id]: z.string().describe(`Id of one of your ${noun}s`) }) as unknown as z.ZodType<
    Record<Id, string>
  >;
  const one = `${path}/{${id}}`;
  /** The key of a route built here; one lib/definitions.ts does not list fails at load, as a typo would. */
  const key = (method: string, at: string): RouteKey => {
    const routeKey = `${method} ${at}`;
    if (!(ROUTES as readonly string[]).includes(routeKey)) throw new Error(`${routeKey} is not in ROUTES`);
    return routeKey as RouteKey;
  };
  const idOf = (p: Record<Id, string>) => p[id];

  return {
    /** A creating POST: 201 with the new item and its Location; a retry with one Idempotency-Key creates once. */
    create: <B>(doc: {
      summary: string;
      body: z.ZodType<B>;
      created: string;
      errors: Readonly<Record<number, ResponseDoc>>;
      create: (caller: AccountCaller, input: B, now: number) => Promise<T>;
    }): Route =>
      defineRoute({
        key: key('POST', path),
        auth: 'account',
        idempotent: true,
        summary: doc.summary,
        body: doc.body,
        responses: { 201: { description: doc.created, schema: view }, ...doc.errors },
        handle: async ({ caller, body: input, now }) => {
          const item = await doc.create(caller, input, now);
          return { status: 201, headers: { location: `${path}/${item[id]}` }, body: toView(item) };
        },
      }),

    list: (doc: { summary: string; plural: string; list: ListOwn<T> }): Route =>
      defineRoute({
        key: key('GET', path),
        auth: 'account',
        summary: doc.summary,
        query: pageQuery(doc.plural),
        responses: { 200: pageDoc(doc.plural, view) },
        handle: async ({ caller, query }) => ({
          status: 200,
          body: pageBody(await doc.list(caller.accountId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor), toView),
        }),
      }),

    get: (doc: { summary: string; get: (accountId: string, id: string) => Promise<T> }): Route =>
      defineRoute({
        key: key('GET', one),
        auth: 'account',
        summary: doc.summary,
        params,
        responses: { 200: { description: `The ${noun}`, schema: view }, 404: notFound },
        handle: async ({ caller, params: p }) => ({
          status: 200,
          body: toView(await doc.get(caller.accountId, idOf(p))),
        }),
      }),

    change: <B>(doc: {
      summary: string;
      body: z.ZodType<B>;
      errors: Readonly<Record<number, ResponseDoc>>;
      change: (caller: AccountCaller, id: string, input: B, now: number) => Promise<T>;
    }): Route =>
      defineRoute({
        key: key('PATCH', one),
        auth: 'account',
        summary: doc.summary,
        params,
        body: doc.body,
        responses: { 200: { description: 'Changed', schema: view }, 404: notFound, ...doc.errors },
        handle: async ({ caller, params: p, body: input, now }) => ({
          status: 200,
          body: toView(await doc.change(caller, idOf(p), input, now)),
        }),
      }),

    cancel: (doc: {
      summary: string;
      conflict: ResponseDoc;
      cancel: (accountId: string, id: string, now: number) => Promise<T>;
    }): Route =>
      defineRoute({
        key: key('DELETE', one),
        auth: 'account',
        summary: doc.summary,
        params,
        responses: { 200: { description: 'Cancelled', schema: view }, 404: notFound, 409: doc.conflict },
        handle: async ({ caller, params: p, now }) => ({
          status: 200,
          body: toView(await doc.cancel(caller.accountId, idOf(p), now)),
        }),
      }),

    /** `GET {path}/{id}/{segment}`: a page of what one item did. */
    history: <H, HV>(doc: {
      segment: string;
      summary: string;
      plural: string;
      view: z.ZodType<HV>;
      toView: (entry: H) => HV;
      list: ListOwnHistory<H>;
    }): Route =>
      defineRoute({
        key: key('GET', `${one}/${doc.segment}`),
        auth: 'account',
        summary: doc.summary,
        params,
        query: pageQuery(doc.plural),
        responses: { 200: pageDoc(doc.plural, doc.view), 404: notFound },
        handle: async ({ caller, params: p, query }) => ({
          status: 200,
          body: pageBody(
            await doc.list(caller.accountId, idOf(p), query.limit ?? DEFAULT_PAGE_SIZE, query.cursor),
            doc.toView,
          ),
        }),
      }),
  };
}
