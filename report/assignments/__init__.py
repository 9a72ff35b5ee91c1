"""One module per assignment (its thin layer: experiment configs, context, claims), plus any
helper modules they share. `report.registry` finds and loads them; this file stays empty of
code, because it runs whenever a report module is imported and so is part of every report's
cache keys.
"""
