"""The domain of yuqing: the pure policy engine (`models.policy`), the clock seam, and beside
them the SQLModel tables, the engine factory and the repository functions that read and write
cases, deadlines and the notification outbox. Pure modules here import no I/O libraries."""
