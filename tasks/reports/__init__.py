"""The reports wing's tasks: what a report needs from the runtime (`context`), building and
storing a periodic report (`build`), rendering it to files (`render`: xlsx, CSV, Markdown, JSON,
the quick report's .docx), sending it through the outbox (`send`) with signed download links
(`links`), a case's quick report (`quick`), re-running stuck reports (`rerun`), and the
accountability ledger read and judged (`accountability`)."""
