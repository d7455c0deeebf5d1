"""What every domain stands on and none of them is: the database and its transactions, the
process's runtime and the queue, the read cache, rate limits, logs and metrics, problem
answers, and the processes `pasok` runs. Nothing here knows a rule of the panel; a domain plugs
in (`Runtime.part`, `ReadCache.kept`)."""
