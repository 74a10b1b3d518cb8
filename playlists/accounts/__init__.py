"""People and what they may do: users, roles, sign-in sessions, API tokens."""
