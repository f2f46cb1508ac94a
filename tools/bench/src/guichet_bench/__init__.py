"""`make bench`: the pipeline's throughput and latency on this machine, next to the transport limit."""
