import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestErrorCode } from './errors.ts';
import { EventQueryError, getEvent, listEvents, markFalsePositive, unmarkFalsePositive, type StoredEvent } from './event-queries.ts';
import { errorPage, eventPage, listPage, loginPage, STYLE_SHEET } from './event-view-pages.ts';
import type { SafeHtml } from './html.ts';
import type { Queryable } from './database.ts';
import { authenticateOperator, isOperatorName, type OperatorDirectory, type OperatorEntry, type OperatorTokensFile } from './operator-tokens.ts';
import { clientAddressKey, createSignInGuard, type SignInAttempt, type SignInGuardOptions, type SignInLimited } from './sign-in-limit.ts';
import { parseViewQuery, scopeOf, viewQueryString } from './view-query.ts';
import { checkCsrfToken, csrfToken, issueSession, SESSION_TTL_SECONDS, verifySession } from './view-session.ts';

export interface EventViewOptions {
  /** The operators and their tokens: a file kept current, or a fixed directory. */
  operators: OperatorTokensFile | OperatorDirectory;
  /** The session cookie's `Secure` attribute: always, never, or when the request came over HTTPS (default `auto`). */
  secureCookie?: boolean | 'auto';
  /** How long a sign-in lasts (default 12 hours). */
  sessionTtlSeconds?: number;
  /**
   * Failed sign-ins allowed per operator name and per client address (the connection's peer) in a sliding window, held
   * in this replica's memory: by default 5 and 20 per 15 minutes; past them, 429 without looking at the token. Failed
   * API tokens count against the address. `maxTrackedKeys` bounds the memory (default 10 000 names and as many addresses).
   */
  signInLimits?: Omit<SignInGuardOptions, 'now'>;
  now?: () => number;
}

export const SESSION_COOKIE = 'falco_view_session';

// Nothing but this origin's style sheet and forms: no script runs, even if an event's output were to slip through escaping.
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium posts forms with `Origin: null`, which the cross-site check refuses.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

interface Session {
  entry: OperatorEntry;
  cookie: string;
  csrf: string;
}

/**
 * The event view on the ingestor's server: pages under /view (signed in with an operator's name and token, kept in an
 * HttpOnly SameSite=Strict cookie) and JSON under /api (operator token as `Authorization: Bearer`). Every read and mark
 * is limited, in the query itself, to the clusters the operator's token lists; failed sign-ins are limited per name and
 * per address.
 */
export function registerEventView(target: { app: FastifyInstance; pool: Queryable }, options: EventViewOptions): void {
  const now = options.now ?? Date.now;
  const ttl = options.sessionTtlSeconds ?? SESSION_TTL_SECONDS;
  const directory = async () => ('current' in options.operators ? options.operators.current() : options.operators);
  const { pool } = target;
  const guard = createSignInGuard({ ...options.signInLimits, ...(options.now === undefined ? {} : { now: options.now }) });
  const signInFailed = (request: FastifyRequest, attempt: SignInAttempt, operators: OperatorDirectory) => {
    for (const limited of guard.failed(attempt)) {
      // The name only when it is an operator's: a token typed into the name field must not reach the log.
      const operator = attempt.operator !== undefined && operators.byName(attempt.operator) ? { operator: attempt.operator } : {};
      const failures = limited.scope === 'operator' ? guard.limits.perOperator : guard.limits.perAddress;
      request.log.warn(
        {
          limit: limited.scope,
          address: attempt.address,
          ...operator,
          failures,
          windowSeconds: guard.limits.windowSeconds,
          retryAfterSeconds: limited.retryAfterSeconds,
        },
        `too many failed sign-ins ${limited.scope === 'operator' ? 'for one operator name' : 'from one address'}: refused without checking the token until the window passes`,
      );
    }
  };
  const retryAt = (limited: SignInLimited) => new Date(now() + limited.retryAfterSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const tryAgain = (limited: SignInLimited) => {
    const seconds = limited.retryAfterSeconds;
    const wait = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
    const after = retryAt(limited).replace('T', ' ').replace('Z', ' UTC');
    return `Too many failed sign-ins ${limited.scope === 'operator' ? 'for this operator' : 'from this address'}: try again in ${wait}, after ${after}.`;
  };

  void target.app.register(async (view) => {
    // Forms post URL-encoded bodies; only here, the ingestion route keeps taking JSON alone.
    view.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    view.addHook('onSend', async (_request, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) void reply.header(name, value);
    });
    view.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'event view request failed');
      const message = status === 500 ? 'something went wrong; try again' : 'the request could not be read';
      if (request.url.startsWith('/api/'))
        return apiError(reply, status, status === 500 ? RequestErrorCode.Unavailable : RequestErrorCode.ViewBadRequest, message);
      return sendPage(reply.code(status), errorPage(status === 500 ? 'Error' : 'Bad request', message));
    });

    const secure = (request: FastifyRequest) =>
      options.secureCookie === undefined || options.secureCookie === 'auto' ? request.protocol === 'https' : options.secureCookie;
    const cookie = (request: FastifyRequest, value: string, maxAge: number) =>
      `${SESSION_COOKIE}=${value}; Path=/view; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure(request) ? '; Secure' : ''}`;

    const session = async (request: FastifyRequest): Promise<Session | undefined> => {
      const value = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (value === undefined) return undefined;
      const entry = verifySession(value, await directory(), now());
      return entry && { entry, cookie: value, csrf: csrfToken(entry, value) };
    };
    const pageSession = (s: Session) => ({ operator: s.entry.operator, csrf: s.csrf });

    // A form posted from another site is refused before anything else, sign-in included.
    const crossSite = (request: FastifyRequest) => {
      const site = request.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
      const origin = request.headers.origin;
      if (typeof origin !== 'string') return false;
      try {
        return new URL(origin).host !== request.headers.host;
      } catch {
        return true;
      }
    };

    const apiOperator = async (request: FastifyRequest, reply: FastifyReply): Promise<OperatorEntry | undefined> => {
      const header = request.headers.authorization;
      const token = typeof header === 'string' ? /^Bearer +(\S+)\s*$/i.exec(header)?.[1] : undefined;
      const operators = await directory();
      // No await from the check to the count: concurrent guesses cannot all pass one check.
      const attempt = { address: clientAddressKey(request.ip) };
      const limited = guard.check(attempt);
      if (limited) {
        void reply.header('retry-after', String(limited.retryAfterSeconds));
        await reply.code(429).send({ error: { code: RequestErrorCode.ViewSignInLimited, message: tryAgain(limited), retryAt: retryAt(limited) } });
        return undefined;
      }
      const entry = token === undefined ? undefined : operators.authenticate(token);
      if (token !== undefined && !entry) signInFailed(request, attempt, operators);
      if (!entry) {
        void reply.header('www-authenticate', 'Bearer realm="falco-event-view"');
        await apiError(reply, 401, RequestErrorCode.ViewUnauthenticated, 'send an operator token as Authorization: Bearer <token>');
      }
      return entry;
    };

    view.get('/', async (_request, reply) => reply.redirect('/view', 303));
    view.get('/view/style.css', async (_request, reply) =>
      reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'private, max-age=3600').send(STYLE_SHEET),
    );

    view.get('/view/login', async (request, reply) => ((await session(request)) ? reply.redirect('/view', 303) : sendPage(reply, loginPage())));
    view.post('/view/login', async (request, reply) => {
      if (crossSite(request)) return sendPage(reply.code(403), errorPage('Forbidden', 'sign in from this site’s own page'));
      const body = (request.body ?? {}) as Record<string, unknown>;
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      const operators = await directory();
      // No await from the check to the count: concurrent guesses cannot all pass one check.
      const attempt = { address: clientAddressKey(request.ip), operator: isOperatorName(name) ? name : undefined };
      const limited = guard.check(attempt);
      if (limited) return sendPage(reply.code(429).header('retry-after', String(limited.retryAfterSeconds)), loginPage(tryAgain(limited), name));
      const entry = attempt.operator === undefined ? undefined : authenticateOperator(operators, attempt.operator, token);
      if (!entry) {
        signInFailed(request, attempt, operators);
        return sendPage(reply.code(401), loginPage('That name and token are not an operator’s here. Ask for yours, or check for a copying mistake.', name));
      }
      guard.succeeded(entry.operator.name);
      request.log.info({ operator: entry.operator.name }, 'operator signed in');
      return reply.header('set-cookie', cookie(request, issueSession(entry, now(), ttl), ttl)).redirect('/view', 303);
    });
    view.post('/view/logout', async (request, reply) => {
      const current = await session(request);
      if (current && (crossSite(request) || !checkCsrfToken(current.entry, current.cookie, (request.body as Record<string, unknown> | undefined)?.csrf)))
        return sendPage(reply.code(403), errorPage('Forbidden', 'the form was not this page’s own; reload the page and try again'));
      return reply.header('set-cookie', cookie(request, '', 0)).redirect('/view/login', 303);
    });

    view.get('/view', async (request, reply) => {
      const current = await session(request);
      if (!current) return reply.redirect('/view/login', 303);
      const parsed = parseViewQuery(request.query as Record<string, unknown>, current.entry.operator);
      if (!parsed.ok) return sendPage(reply.code(400), listPage({ session: pageSession(current), query: parsed.query, error: parsed }));
      try {
        const page = await listEvents(pool, parsed.filter);
        return sendPage(reply, listPage({ session: pageSession(current), query: parsed.query, page }));
      } catch (error) {
        if (!(error instanceof EventQueryError)) throw error;
        return sendPage(
          reply.code(400),
          listPage({ session: pageSession(current), query: parsed.query, error: { parameter: 'cursor', message: error.message } }),
        );
      }
    });

    view.get('/view/events/:id', async (request, reply) => {
      const current = await session(request);
      if (!current) return reply.redirect('/view/login', 303);
      const event = await getEvent(pool, (request.params as { id: string }).id, scopeOf(current.entry.operator));
      if (!event) return notFoundPage(reply, current);
      return sendPage(reply, eventPage({ session: pageSession(current), event, back: backQuery((request.query as { back?: unknown }).back, current) }));
    });

    view.post('/view/events/:id/false-positive', async (request, reply) => {
      const current = await session(request);
      if (!current) return sendPage(reply.code(401), loginPage('Sign in again: the session ended.'));
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (crossSite(request) || !checkCsrfToken(current.entry, current.cookie, body.csrf))
        return sendPage(reply.code(403), errorPage('Forbidden', 'the form was not this page’s own; reload the page and try again', pageSession(current)));
      if (body.action !== 'mark' && body.action !== 'unmark')
        return sendPage(reply.code(400), errorPage('Bad request', 'action must be mark or unmark', pageSession(current)));
      const event = await changeMark(current.entry, (request.params as { id: string }).id, body.action);
      if (!event) return notFoundPage(reply, current);
      const back = backQuery(body.back, current);
      return reply.redirect(`/view/events/${event.id}${back ? `?${new URLSearchParams({ back }).toString()}` : ''}`, 303);
    });

    view.get('/api/operator', async (request, reply) => {
      const entry = await apiOperator(request, reply);
      if (!entry) return reply;
      return { name: entry.operator.name, clusters: entry.operator.clusters === 'all' ? '*' : entry.operator.clusters };
    });
    view.get('/api/events', async (request, reply) => {
      const entry = await apiOperator(request, reply);
      if (!entry) return reply;
      const parsed = parseViewQuery(request.query as Record<string, unknown>, entry.operator);
      if (!parsed.ok) return apiError(reply, 400, RequestErrorCode.ViewBadRequest, `${parsed.parameter} ${parsed.message}`, parsed.parameter);
      try {
        return await listEvents(pool, parsed.filter);
      } catch (error) {
        if (!(error instanceof EventQueryError)) throw error;
        return apiError(reply, 400, RequestErrorCode.ViewBadRequest, error.message, 'cursor');
      }
    });
    view.get('/api/events/:id', async (request, reply) => {
      const entry = await apiOperator(request, reply);
      if (!entry) return reply;
      const event = await getEvent(pool, (request.params as { id: string }).id, scopeOf(entry.operator));
      return event ?? apiNotFound(reply);
    });
    for (const [method, action] of [
      ['PUT', 'mark'],
      ['DELETE', 'unmark'],
    ] as const) {
      view.route({
        method,
        url: '/api/events/:id/false-positive',
        handler: async (request, reply) => {
          const entry = await apiOperator(request, reply);
          if (!entry) return reply;
          return (await changeMark(entry, (request.params as { id: string }).id, action)) ?? apiNotFound(reply);
        },
      });
    }

    const changeMark = (entry: OperatorEntry, id: string, action: 'mark' | 'unmark'): Promise<StoredEvent | undefined> =>
      action === 'mark'
        ? markFalsePositive(pool, id, { by: entry.operator.name, at: new Date(now()) }, scopeOf(entry.operator))
        : unmarkFalsePositive(pool, id, scopeOf(entry.operator));

    // The list to go back to, re-encoded from its parsed filters: never a path, so never a redirect elsewhere.
    const backQuery = (value: unknown, current: Session) => {
      if (typeof value !== 'string' || value.length > 4096) return '';
      const parsed = parseViewQuery(Object.fromEntries(new URLSearchParams(value)), current.entry.operator);
      return viewQueryString({ ...parsed.query, cursor: '' });
    };
    const notFoundPage = (reply: FastifyReply, current: Session) =>
      sendPage(reply.code(404), errorPage('Not found', 'no such event among the clusters you may see', pageSession(current)));
  });
}

function sendPage(reply: FastifyReply, page: SafeHtml): FastifyReply {
  return reply.header('content-type', 'text/html; charset=utf-8').send(page.text);
}

function apiError(reply: FastifyReply, status: number, code: RequestErrorCode, message: string, parameter?: string): FastifyReply {
  return reply.code(status).send({ error: { code, message, ...(parameter === undefined ? {} : { parameter }) } });
}

function apiNotFound(reply: FastifyReply): FastifyReply {
  return apiError(reply, 404, RequestErrorCode.NotFound, 'no such event among the clusters this token may see');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
