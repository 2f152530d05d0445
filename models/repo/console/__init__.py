"""The console's repository functions and its own storage: the case board (`board`), a person's
own work (`mywork`), a case's records a page at a time (`case_records`), and what only the
console keeps — its server-side sessions (`sessions`) and its sign-in attempts (`signins`)."""
