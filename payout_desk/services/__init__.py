"""The flows: settings and secrets, submit (journal first, then network), poll, recover on start. No widgets."""
