"""The CCHC report: periods and their windows, figures from the as-run log, the documents,
and the register of closed reports."""
