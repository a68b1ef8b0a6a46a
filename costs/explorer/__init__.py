"""The explorer app: the home dashboard, and (to come) the cost explorer, drill-down, saved views, exports.

It reads the bill through `costs.selectors` only (an import contract says so).
"""
