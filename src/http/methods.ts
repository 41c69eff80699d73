/**
 * 405 Method Not Allowed, with the `Allow` header, for express 5 apps. The methods a path serves
 * are read from the app's own route table (routers mounted with `app.use(path, router)` included),
 * so every route gets it without a second list of routes to keep in step.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** What this module reads of the router's layers (router 2.x). */
interface LayerLike {
  route?: { methods?: Record<string, boolean | undefined> };
  handle?: unknown;
  path?: string;
  /** router 2.3: the match or false; router 2.0-2.2: a boolean, the matched part in `path`. */
  match(path: string): { path: string } | boolean;
}

function stackOf(router: unknown): LayerLike[] | undefined {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  return Array.isArray(stack) ? (stack as LayerLike[]) : undefined;
}

function collect(stack: LayerLike[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    let match: { path: string } | boolean;
    try {
      match = layer.match(path);
    } catch {
      continue; // a path that cannot be decoded for this layer: the router reports it itself
    }
    if (!match) continue;
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods ?? {}))
        if (on && method !== '_all') into.add(method.toUpperCase());
      continue;
    }
    const inner = stackOf(layer.handle);
    if (!inner) continue; // plain middleware
    const matched = typeof match === 'object' ? match.path : (layer.path ?? '');
    const rest = path.slice(matched.length);
    if (rest === '' || rest.startsWith('/')) collect(inner, rest || '/', into);
  }
}

/** The methods that the app's routes serve on `path`, sorted (GET implies HEAD); empty: no route. */
export function allowedMethods(app: Express, path: string): string[] {
  const stack = stackOf(app.router);
  if (!stack) return [];
  const methods = new Set<string>();
  collect(stack, path, methods);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * Middleware for the end of an app, before its 404 handler: a request whose path has routes, but
 * none for its method, gets `Allow` and `refuse` (which sends the 405); OPTIONS gets 200 with
 * `Allow` and the list as text, as the router itself answers OPTIONS in a mounted router. Anything
 * else goes on to the 404 handler.
 */
export function methodNotAllowed(
  app: Express,
  refuse: (req: Request, res: Response, allow: string) => void,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const methods = allowedMethods(app, req.path);
    if (methods.length === 0) {
      next();
      return;
    }
    const allow = methods.join(', ');
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(200).type('text/plain').send(allow);
      return;
    }
    res.status(405);
    refuse(req, res, allow);
  };
}
