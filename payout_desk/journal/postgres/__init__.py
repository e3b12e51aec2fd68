"""The team journal on PostgreSQL: versioned SQL migrations, people as login roles in the app's group roles,
every write through a SECURITY DEFINER function, the events table as the change feed. No Qt."""
