"""The explorer app: the home dashboard, the cost explorer, drill-down to line items, the table's CSV.

It reads the bill through `costs.selectors` only (an import contract says so).

The explorer's URL is the question (bookmark it, share it, link to it from other pages):

    /costs/?range=last_90_days&granularity=week&group_by=tag:team
           &include.service_name=Amazon%20Elastic%20Compute%20Cloud&exclude.tag:environment=dev
           &basis=effective_cost

- `range`: last_7_days, last_30_days, last_90_days (ending yesterday), this_month, last_month,
  last_3_months, last_6_months, last_12_months, year_to_date; or `start` and `end` as
  YYYY-MM-DD (inclusive charge days, UTC). Default last_90_days; at most 3 years.
- `granularity`: day (at most 400 days), week (ISO weeks from Monday) or month; default by length.
- `group_by`: service_name, service_category, provider_name, billing_account_id, sub_account_id,
  region, charge_category, usage_type, resource_id, source_id, `tag:<key>`, or none; default
  service_name.
- `include.<dimension>=<value>` keeps only those values, `exclude.<dimension>=<value>` drops
  them; repeat a parameter for several values, combine dimensions freely (all must hold). An
  empty value means "none" (`include.tag:team=` is the lines without a team tag).
- `basis`: billed_cost, effective_cost (amortized), list_cost, contracted_cost, unblended_cost,
  net_unblended_cost; default billed_cost.

`/costs/line-items/?…` takes the same parameters (plus `order=desc|asc` and `cursor`) and lists
the line items behind the figures; `/costs/export.csv?…` is the table as CSV. Any other or
wrong parameter is answered with a 400 page naming it. Parsing lives in
`costs.selectors.query` (the API reads the same format).

Saved views (`/costs/views/`) store this query string under a name; `/costs/views/<id>/` opens
it. `/costs/reconciliation/?period=YYYY-MM` is a billing period's billed total by charge
category, as on the invoice. The home page (`/`, `?tag_key=` picks the untagged-share key)
links each figure to the explorer in this format.
"""
