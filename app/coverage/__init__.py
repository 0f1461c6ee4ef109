"""Coverage against Hanoi's digitisation roadmap (CONTRACT.md "Coverage", "Target").

arithmetic (targets, figures, roll-ups; pure) · queries (Elasticsearch aggregations) ·
report / series (the answers) · api (JSON routes on the `api` blueprint) · views, table, chart,
export, labels (the managers' pages, blueprint `coverage` under /bao-cao/so-hoa).
"""
