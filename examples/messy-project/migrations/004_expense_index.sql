CREATE INDEX expenses_team_spent_at ON expenses (team_id, spent_at);
