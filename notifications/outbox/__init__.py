"""The outbox: its rows (`rows`: keys, insertion, what falls due, takeover of a gone claimer's
rows) and the delivery context (`context`: what turning notices into outbox rows needs beyond
the tables — the policy, language, quiet hours, routing, link signer and group channels)."""
