"""weightlapse.viz: drawing recorded runs (graph, frames, video, comparison).

Reads runs only through ``weightlapse.core.load_run`` and never trains.
"""
