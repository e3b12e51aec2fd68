"""Settings: the dialog (profiles, tokens in the keychain, Test connection, retype threshold) and its
pure rules.

Rule: talks to services (settings, secrets, connection test) only; imports no other ui room but style.
"""
