import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { db } from "../db/client.js";
import { AppError } from "../errors.js";

const NewExpense = z.object({
  description: z.string().min(1),
  amount_cents: z.number().int().positive(),
  category_id: z.string().uuid(),
  spent_at: z.string().date(),
});

export default async function expenses(app: FastifyInstance) {
  app.get("/expenses", async (req) => {
    const { cursor, limit = "50" } = req.query as { cursor?: string; limit?: string };
    const rows = await db
      .selectFrom("expenses")
      .selectAll()
      .where("team_id", "=", req.user.team_id)
      .$if(cursor !== undefined, (q) => q.where("id", ">", cursor!))
      .orderBy("id")
      .limit(Math.min(Number(limit), 100))
      .execute();
    return { items: rows, next_cursor: rows.at(-1)?.id ?? null };
  });

  app.post("/expenses", async (req, reply) => {
    const parsed = NewExpense.safeParse(req.body);
    if (!parsed.success) throw new AppError(422, "invalid_body", parsed.error.message);
    const row = await db
      .insertInto("expenses")
      .values({ ...parsed.data, team_id: req.user.team_id })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send(row);
  });
}
