import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { db } from "../db/client.js";

export default async function reports(app: FastifyInstance) {
  app.get("/reports/monthly", async (req) => {
    const rows = await db
      .selectFrom("expenses")
      .select([sql<string>`to_char(spent_at, 'YYYY-MM')`.as("month"), db.fn.sum<number>("amount_cents").as("total_cents")])
      .where("team_id", "=", req.user.team_id)
      .groupBy("month")
      .orderBy("month")
      .execute();
    return { months: rows };
  });
}
