"""Notifications: rendering alert messages, the outbox that escalations write into, the
dispatcher that sends the outbox through Apprise, and the one module that imports apprise."""
