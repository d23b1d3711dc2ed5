"""All I/O lives here: feeds, executors, storage, notifiers, clocks."""
