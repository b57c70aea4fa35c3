import Fastify from "fastify";
import cors from "./plugins/cors.js";
import auth from "./plugins/auth.js";
import { AppError } from "./errors.js";
import expenses from "./routes/expenses.js";
import reports from "./routes/reports.js";
import health from "./routes/health.js";

export function buildServer() {
  const app = Fastify({ logger: true });
  app.register(cors);
  app.register(auth);
  app.register(health);
  app.register(expenses, { prefix: "/v1" });
  app.register(reports, { prefix: "/v1" });
  app.setErrorHandler((err, _req, reply) => {
    const status = err instanceof AppError ? err.status : (err.statusCode ?? 500);
    const code = err instanceof AppError ? err.code : "internal";
    reply.status(status).send({ error: { code, message: err.message } });
  });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = buildServer();
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });
}
