"""The provider's Payouts API over httpx.AsyncClient: create, get, typed errors, retries, webhook signatures. No Qt."""
