"""Pure helpers for the dashboard: plain-English text, table transforms and plotly chart builders.

Nothing here imports streamlit or touches files; pages read the read model (state.json and
snapshots), pass plain data through these functions and render the result.
"""
