"""The durable scheduler: things to do at a time, kept as rows in the SQL database.

A pending run is a ``scheduled_runs`` row (:class:`~saleor_sms_app.scheduler.tables.ScheduledRun`),
so it survives a Redis flush and every restart. The worker's tick
(:mod:`.tick`) finds due runs with one indexed query, claims them with a
conditional ``UPDATE … WHERE state = 'pending'`` (exactly one tick gets each
run, however many workers tick) and enqueues RQ jobs for them in batches;
:mod:`.runner` carries a batch out through the handler of its ``kind``
(delayed rules now; campaigns and daily sends register theirs the same way).
Time comes from a :class:`.clock.Clock`, which tests move by hand.

Imports go one way: ``clock`` ← ``runs`` ← ``tick``/``runner``; handlers are
named by dotted path, so the scheduler imports none of them.
"""
