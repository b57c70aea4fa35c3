import fp from "fastify-plugin";
import cors from "@fastify/cors";

export default fp(async (app) => {
  await app.register(cors, {
    origin: [/\.tally\.app$/, "http://localhost:5173"],
    // Without Authorization here the browser drops the header on cross-origin requests (401 invalid_token).
    allowedHeaders: ["Content-Type", "Authorization"],
  });
});
