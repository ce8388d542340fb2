"""The head office: every branch of a bank on one console, over NATS JetStream.

A branch engine stays the system of record for its own day; the centre receives a copy of its
event log and rebuilds the branch's tickets and figures from it with the branch's own domain
functions (``queue_core.domain.figures``), so both sides report the same numbers.

- ``protocol``: subjects, streams and message bodies both sides share.
- ``uplink``: the branch side, a task of the engine: the committed event log, in ``seq``
  order, to the centre's stream; the branch files and marquee texts from it.
- ``rebuild``: pure: event bodies back to domain tickets, counter changes, devices.
- ``db``: the central PostgreSQL (events and tickets partitioned by day).
- ``consumer``: ``branchq central consume``: the stream into the database, exactly once by
  (branch, seq); it answers each branch's status exchange (what it has, the clock).
- ``console``: ``branchq central console``: the head-office web console and its API.
- ``files``: signed, versioned branch files and marquee texts, centre to branch.
"""
