"""The mailbox worker: one pass over the mailbox (`run`), each email through the pipeline
(`pipeline`, decided by `routing`), the daemon around it (`service`), the meetings'
scheduled mail (`meetings`), retention (`retention`), `doctor`, and the `saisine`
command (`cli`)."""
