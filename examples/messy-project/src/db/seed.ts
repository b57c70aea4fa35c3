import { db } from "./client.js";

const teams = ["Acme Studio", "Northwind Ops", "Blue Fern Cafe"];
for (const name of teams) {
  await db.insertInto("teams").values({ name }).execute();
}
await db.destroy();
