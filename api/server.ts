/**
 * The HTTP side: express 5 on the configured address. Routes are thin; later issues add the REST API,
 * directory login and the intranet UI here.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../infra/logger';
import { checkHealth, type HealthCheck } from './health';
import { renderLandingPage, type LandingPageInfo } from './landing-page';

export interface ApiOptions {
  host: string;
  port: number;
  logger: Logger;
  health: Record<string, HealthCheck>;
  info: LandingPageInfo;
}

export interface ApiServer {
  readonly app: express.Express;
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

export function createApiServer(options: ApiOptions): ApiServer {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(options.health);
    res.status(report.state === 'up' ? 200 : 503).json(report);
  });

  app.get('/', async (_req, res) => {
    const report = await checkHealth(options.health);
    res.type('html').send(renderLandingPage(options.info, report));
  });

  app.use((_req, res) => {
    res.status(404).json({ code: 'NOT_FOUND', message: '요청한 주소를 찾을 수 없습니다.' });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    options.logger.error('request failed', { error, method: req.method, path: req.path });
    res.status(500).json({ code: 'INTERNAL_ERROR', message: '서버 내부 오류가 발생했습니다. 관리부서에 문의하십시오.' });
  });

  let server: Server | undefined;
  return {
    app,
    start() {
      return new Promise((resolve, reject) => {
        const listening = app.listen(options.port, options.host, (error?: Error) => {
          if (error) return reject(error);
          server = listening;
          const address = listening.address() as AddressInfo;
          options.logger.info('api listening', { host: address.address, port: address.port });
          resolve(address);
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
