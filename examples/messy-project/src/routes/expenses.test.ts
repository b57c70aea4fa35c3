import { describe, expect, it } from "vitest";
import { buildServer } from "../server.js";
import { tokenFor } from "../test/tokens.js";

describe("POST /v1/expenses", () => {
  it("stores integer cents and answers 201", async () => {
    const app = buildServer();
    await app.ready();
    const res = await app.inject({
      method: "POST",
      url: "/v1/expenses",
      headers: { authorization: `Bearer ${tokenFor("team-a")}` },
      payload: { description: "Train", amount_cents: 1250, category_id: crypto.randomUUID(), spent_at: "2026-02-18" },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().amount_cents).toBe(1250);
  });

  it("refuses a decimal amount with 422", async () => {
    const app = buildServer();
    await app.ready();
    const res = await app.inject({
      method: "POST",
      url: "/v1/expenses",
      headers: { authorization: `Bearer ${tokenFor("team-a")}` },
      payload: { description: "Train", amount_cents: 12.5, category_id: crypto.randomUUID(), spent_at: "2026-02-18" },
    });
    expect(res.statusCode).toBe(422);
  });
});
