import { createSigner } from "fast-jwt";

const sign = createSigner({ key: "test-secret" });

/** A token for `team` signed with the test secret the test setup gives the server. */
export function tokenFor(team: string): string {
  return sign({ sub: `user-of-${team}`, team_id: team });
}
