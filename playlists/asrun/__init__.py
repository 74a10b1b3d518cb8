"""The as-run log (nhật ký phát sóng): what really aired, kept as a hash-chained ledger."""
